package rdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func ev(caseID, id, dept string, typ monitor.EventType) monitor.Event {
	return monitor.Event{EventID: id, CaseID: caseID, Department: dept, Type: typ, At: t0, ReceivedAt: t0}
}

// storeSuite runs the storage contract on a store; it runs on one Redis and on a cluster.
func storeSuite(t *testing.T, open func(t *testing.T) *rdb.Store) {
	t.Run("ingest dedupes and guards the department", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		res, err := s.Ingest(ctx, []monitor.Event{
			ev("c1", "e1", "env", monitor.Submitted),
			ev("c1", "e1", "env", monitor.Submitted), // same batch: duplicate
			ev("c1", "e2", "transport", monitor.Accepted),
			ev("c2", "e1", "transport", monitor.Submitted), // same event id, other case
		}, t0)
		if err != nil {
			t.Fatal(err)
		}
		want := []rdb.IngestResult{{Status: rdb.Stored}, {Status: rdb.Duplicate},
			{Status: rdb.WrongDepartment, Owner: "env"}, {Status: rdb.Stored}}
		for i := range want {
			if res[i] != want[i] {
				t.Errorf("event %d: got %+v, want %+v", i, res[i], want[i])
			}
		}
		evs, err := s.Events(ctx, "c1")
		if err != nil || len(evs) != 1 {
			t.Fatalf("events of c1: %v %v", evs, err)
		}
		res, _ = s.Ingest(ctx, []monitor.Event{ev("c1", "e1", "env", monitor.Submitted)}, t0)
		if res[0].Status != rdb.Duplicate {
			t.Errorf("retry across requests: got %+v, want duplicate", res[0])
		}
	})

	t.Run("a relay batch sums counts and raises fault_threshold once", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		b := s.NewRelayBatch()
		b.Alert([]byte(`{"n":1}`))
		for range 3 {
			b.Count(rdb.Day, "2026-03-02", "red_fired|env", 1)
			b.Fault(2026, "env", "li.si", 1, 3, "~ft", []byte(`{"id":"~ft"}`))
		}
		b.Count(rdb.Day, "2026-03-02", "yellow_fired|env", 1)
		b.Count(rdb.Day, "2026-03-02", "yellow_fired|env", -1) // nets out: not written
		b.Fault(2026, "env", "wang.wu", 1, 3, "~fw", []byte(`{"id":"~fw"}`))
		b.Fault(2026, "env", "wang.wu", -1, 3, "", nil) // counted and taken back
		b.Alert([]byte(`{"n":2}`))
		ok, err := s.Relay(ctx, 0, "", "1-0", b, t0)
		if err != nil || !ok {
			t.Fatalf("relay: %v %v", ok, err)
		}
		day, _ := s.Figures(ctx, rdb.Day, "2026-03-02")
		if day["red_fired|env"] != 3 || len(day) != 1 {
			t.Errorf("day figures: %v", day)
		}
		faults, _ := s.FaultCounts(ctx, 2026)
		if faults[rdb.HandlerFaultField("env", "li.si")] != 3 || faults[rdb.DeptFaultField("env")] != 3 ||
			faults[rdb.HandlerFaultField("env", "wang.wu")] != 0 {
			t.Errorf("fault counts: %v", faults)
		}
		stream, _ := s.AlertsAfter(ctx, "", 10)
		var docs []string
		for _, a := range stream {
			docs = append(docs, string(a.Doc))
		}
		if want := []string{`{"n":1}`, `{"n":2}`, `{"id":"~ft"}`}; fmt.Sprint(docs) != fmt.Sprint(want) {
			t.Errorf("stream: %q, want %q", docs, want)
		}
		if sys, _ := s.SystemAlerts(ctx); len(sys) != 1 {
			t.Errorf("system alerts: %d, want 1", len(sys))
		}
		// A stale checkpoint is refused: nothing is counted twice.
		b = s.NewRelayBatch()
		b.Count(rdb.Day, "2026-03-02", "red_fired|env", 1)
		if ok, err := s.Relay(ctx, 0, "", "2-0", b, t0); err != nil || ok {
			t.Errorf("relay from a stale checkpoint: %v %v", ok, err)
		}
	})

	t.Run("claims lease dirty cases and reclaim after the lease", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		mustIngest(t, s, ev("k1", "e1", "env", monitor.Submitted), ev("k2", "e1", "env", monitor.Submitted))
		ids, more, err := s.ClaimDirty(ctx, t0, 30*time.Second, 10)
		if err != nil || len(ids) != 2 || more {
			t.Fatalf("first claim: %v more=%v %v", ids, more, err)
		}
		if ids, _, _ := s.ClaimDirty(ctx, t0.Add(29*time.Second), 30*time.Second, 10); len(ids) != 0 {
			t.Errorf("claimed again within the lease: %v", ids)
		}
		if ids, _, _ := s.ClaimDirty(ctx, t0.Add(31*time.Second), 30*time.Second, 10); len(ids) != 2 {
			t.Errorf("not reclaimed after the lease: %v", ids)
		}
	})

	t.Run("a claim says when a partition holds more than it takes", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		// Three cases of one partition, claimed two at a time.
		var same []string
		for i := 0; len(same) < 3; i++ {
			if id := fmt.Sprintf("m%d", i); rdb.Partition(id) == rdb.Partition("m0") {
				same = append(same, id)
			}
		}
		for _, id := range same {
			mustIngest(t, s, ev(id, "e1", "env", monitor.Submitted))
		}
		ids, more, err := s.ClaimDirty(ctx, t0, 30*time.Second, 2)
		if err != nil || len(ids) != 2 || !more {
			t.Fatalf("claim of 2 from 3: %v more=%v %v", ids, more, err)
		}
		ids, more, err = s.ClaimDirty(ctx, t0, 30*time.Second, 2)
		if err != nil || len(ids) != 1 || more {
			t.Fatalf("claim of the last: %v more=%v %v", ids, more, err)
		}
	})

	t.Run("commit is a compare-and-set", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		mustIngest(t, s, ev("cas", "e1", "env", monitor.Submitted))
		snaps, err := s.LoadCases(ctx, []string{"cas"})
		if err != nil {
			t.Fatal(err)
		}
		a, b := commitOf(&snaps[0], "acceptance", "green"), commitOf(&snaps[0], "acceptance", "green")
		ok1, err := s.CommitCases(ctx, []rdb.Commit{a})
		if err != nil {
			t.Fatal(err)
		}
		ok2, _ := s.CommitCases(ctx, []rdb.Commit{b})
		if !ok1[0] || ok2[0] {
			t.Fatalf("two commits of one snapshot: %v %v, want exactly the first", ok1, ok2)
		}
		if n := outboxLen(t, s, "cas"); n != 1 {
			t.Errorf("outbox has %d transitions, want 1", n)
		}
		if n, _ := s.DirtyCount(ctx); n != 0 {
			t.Errorf("dirty after commit: %d", n)
		}
		// An event stored after the snapshot makes its commit fail and keeps the case dirty.
		snaps, _ = s.LoadCases(ctx, []string{"cas"})
		mustIngest(t, s, ev("cas", "e2", "env", monitor.Accepted))
		ok, _ := s.CommitCases(ctx, []rdb.Commit{commitOf(&snaps[0], "decision", "green")})
		if ok[0] {
			t.Error("commit succeeded over a newer event")
		}
		if n, _ := s.DirtyCount(ctx); n != 1 {
			t.Errorf("dirty after refused commit: %d, want 1", n)
		}
		if tm, ok, _ := s.NextTimer(ctx, "cas"); !ok || !tm.Equal(t0.Add(time.Hour)) {
			t.Errorf("timer: %v %v", tm, ok)
		}
	})

	t.Run("list pages through the indexes with filters", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		var all []string
		for i := range 23 {
			id := fmt.Sprintf("L-%02d", i)
			dept, stage := "env", "decision"
			if i%3 == 0 {
				dept = "transport"
			}
			if i%2 == 0 {
				stage = "closed"
			}
			mustIngest(t, s, ev(id, "e1", dept, monitor.Submitted))
			snaps, _ := s.LoadCases(ctx, []string{id})
			if ok, err := s.CommitCases(ctx, []rdb.Commit{commitOf(&snaps[0], stage, "green")}); err != nil || !ok[0] {
				t.Fatal(ok, err)
			}
			if dept == "env" && stage == "decision" {
				all = append(all, id)
			}
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			recs, next, err := s.ListCases(ctx, rdb.CaseQuery{Department: "env", Stage: "decision", After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				got = append(got, r.CaseID)
			}
			if next == "" {
				break
			}
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			after = next
		}
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("paged %v, want %v", got, all)
		}
	})

	t.Run("dead letters park and leave on commit", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), context.Background()
		mustIngest(t, s, ev("dl", "e1", "env", monitor.Accepted))
		snaps, _ := s.LoadCases(ctx, []string{"dl"})
		ok, err := s.PutDeadLetter(ctx, &snaps[0], rdb.DeadLetter{CaseID: "dl", Reason: "no submitted", EventIDs: []string{"e1"}, At: t0})
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		list, _, _ := s.DeadLetters(ctx, "", 10)
		if len(list) != 1 || list[0].Reason != "no submitted" {
			t.Fatalf("dead letters: %+v", list)
		}
		if n, _ := s.DirtyCount(ctx); n != 0 {
			t.Errorf("a parked case stays dirty")
		}
		mustIngest(t, s, ev("dl", "e0", "env", monitor.Submitted))
		snaps, _ = s.LoadCases(ctx, []string{"dl"})
		if ok, _ := s.CommitCases(ctx, []rdb.Commit{commitOf(&snaps[0], "acceptance", "green")}); !ok[0] {
			t.Fatal("commit refused")
		}
		if list, _, _ := s.DeadLetters(ctx, "", 10); len(list) != 0 {
			t.Errorf("dead letter stayed after the case applied: %+v", list)
		}
	})
}

func TestStore(t *testing.T) {
	storeSuite(t, func(t *testing.T) *rdb.Store { return rdbtest.Store(t) })
}

// TestStoreCluster proves the slot design: every script touches one slot, so all of it
// works unchanged on a three-master Redis Cluster.
func TestStoreCluster(t *testing.T) {
	s := rdbtest.ClusterStore(t)
	var mu sync.Mutex
	n := 0
	storeSuite(t, func(t *testing.T) *rdb.Store {
		// One cluster for the whole suite; a prefix per subtest keeps them apart.
		mu.Lock()
		defer mu.Unlock()
		n++
		return rdb.NewWithClient(s.Client(), fmt.Sprintf("c%d:", n))
	})
}

func TestAuditLogPages(t *testing.T) {
	t.Parallel()
	s, ctx := rdbtest.Store(t), context.Background()
	for i := range 5 {
		if _, err := s.Audit(ctx, rdb.AuditEntry{At: t0, Actor: "admin", Action: "calendar_load", Target: fmt.Sprint(2027 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		list, next, err := s.AuditLog(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			got = append(got, e.Target)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != "[2027 2028 2029 2030 2031]" {
		t.Errorf("audit pages: %v", got)
	}
}

func mustIngest(t *testing.T, s *rdb.Store, evs ...monitor.Event) {
	t.Helper()
	res, err := s.Ingest(context.Background(), evs, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != rdb.Stored {
			t.Fatalf("event %d: %+v", i, r)
		}
	}
}

func commitOf(snap *rdb.Snapshot, stage, level string) rdb.Commit {
	doc, _ := json.Marshal(map[string]string{"stage": stage})
	return rdb.Commit{Snap: snap, State: doc, Stage: stage, Level: level, NextTimer: t0.Add(time.Hour),
		Transitions: []fold.Transition{{Type: fold.TStageChanged, To: stage}}}
}

func outboxLen(t *testing.T, s *rdb.Store, caseID string) int {
	t.Helper()
	msgs, err := s.Outbox(context.Background(), rdb.Partition(caseID), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(msgs)
}
