package rdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

func TestSubscriptionStorage(t *testing.T) {
	t.Parallel()
	s, ctx := rdbtest.Store(t), context.Background()
	wall := time.Now()
	// On an empty stream a subscription starts at its very beginning.
	if pos, ok, err := s.CreateSubscription(ctx, "s0", []byte(`{"id":"s0"}`)); err != nil || !ok || pos != "0-0" {
		t.Fatalf("create on an empty stream: %q %v %v", pos, ok, err)
	}
	cs, err := s.AppendAlerts(ctx, [][]byte{[]byte(`{"id":"a1"}`)}, wall)
	if err != nil {
		t.Fatal(err)
	}
	first := cs[0]
	pos, ok, err := s.CreateSubscription(ctx, "s1", []byte(`{"id":"s1"}`))
	if err != nil || !ok || pos != first {
		t.Fatalf("create: %q %v %v, want position %q (the newest entry)", pos, ok, err, first)
	}
	if _, ok, _ := s.CreateSubscription(ctx, "s1", []byte(`{}`)); ok {
		t.Error("an id was taken twice")
	}
	cs, _ = s.AppendAlerts(ctx, [][]byte{[]byte(`{"id":"a2"}`), []byte(`{"id":"a3"}`)}, wall)
	second, third := cs[0], cs[1]
	if n, err := s.AlertBacklogs(ctx, []string{first, second, third, "", "0-0"}, 2); err != nil || len(n) != 5 ||
		n[0] != 2 || n[1] != 1 || n[2] != 0 || n[3] != 2 || n[4] != 2 {
		t.Errorf("backlogs: %v %v, want [2 1 0 2 2] (capped at 2)", n, err)
	}

	// Only the lease holder moves the position, and only from where it read it.
	lease := []string{rdb.SubscriptionLease("s1")}
	if c, _ := s.AdvanceDelivery(ctx, "s1", "r1", first, second, rdb.Delivered, wall); c != rdb.LeaseLost {
		t.Errorf("advance without the lease: %v", c)
	}
	held, err := s.HoldLeases(ctx, lease, "r1", time.Minute)
	if err != nil || !held[0] {
		t.Fatalf("take lease: %v %v", held, err)
	}
	if held, _ := s.HoldLeases(ctx, lease, "r2", time.Minute); held[0] {
		t.Error("a second replica took a held lease")
	}
	if held, _ := s.HoldLeases(ctx, lease, "r1", time.Minute); !held[0] {
		t.Error("the holder could not renew")
	}

	// A failing entry keeps its first failure time across attempts.
	t1 := wall.Add(time.Second)
	if n, since, c, err := s.FailDelivery(ctx, "s1", "r1", second, "HTTP 500", t1); err != nil || c != rdb.Held || n != 1 || !since.Equal(t1.Truncate(time.Millisecond)) {
		t.Fatalf("first failure: %d %v %v %v", n, since, c, err)
	}
	if n, since, c, _ := s.FailDelivery(ctx, "s1", "r1", second, "HTTP 502", t1.Add(time.Hour)); c != rdb.Held || n != 2 || !since.Equal(t1.Truncate(time.Millisecond)) {
		t.Fatalf("second failure: %d %v %v", n, since, c)
	}
	if _, _, c, _ := s.FailDelivery(ctx, "s1", "r2", second, "x", t1); c != rdb.LeaseLost {
		t.Errorf("failure recorded without the lease: %v", c)
	}
	st, err := s.DeliveryStates(ctx, []string{"s1"})
	if err != nil || st[0].Position != first || st[0].Attempts != 2 || st[0].LastError != "HTTP 502" || st[0].FailCursor != second {
		t.Fatalf("state: %+v %v", st, err)
	}

	if c, _ := s.AdvanceDelivery(ctx, "s1", "r1", second, third, rdb.Delivered, wall); c != rdb.Moved {
		t.Errorf("advance from a stale position: %v", c)
	}
	if c, _ := s.AdvanceDelivery(ctx, "s1", "r1", first, second, rdb.Dropped, wall); c != rdb.Held {
		t.Errorf("drop: %v", c)
	}
	if c, _ := s.AdvanceDelivery(ctx, "s1", "r1", second, third, rdb.Delivered, t1); c != rdb.Held {
		t.Errorf("deliver: %v", c)
	}
	st, _ = s.DeliveryStates(ctx, []string{"s1"})
	if st[0].Position != third || st[0].Delivered != 1 || st[0].Dropped != 1 || st[0].FailCursor != "" ||
		st[0].Attempts != 0 || !st[0].LastSuccess.Equal(t1.Truncate(time.Millisecond)) {
		t.Errorf("state after delivery: %+v", st[0])
	}

	// Released, the lease is free for another replica.
	if err := s.ReleaseLeases(ctx, lease, "r1"); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.HoldLeases(ctx, lease, "r2", time.Minute); !held[0] {
		t.Error("released lease not taken")
	}

	subs, err := s.Subscriptions(ctx)
	if err != nil || len(subs) != 2 || subs[0].ID != "s0" || subs[1].ID != "s1" {
		t.Errorf("list: %v %v", subs, err)
	}
	if ok, err := s.DeleteSubscription(ctx, "s1"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := s.DeleteSubscription(ctx, "s1"); ok {
		t.Error("deleted twice")
	}
	if c, _ := s.AdvanceDelivery(ctx, "s1", "r2", third, third, rdb.Delivered, wall); c != rdb.Gone {
		t.Errorf("advance after delete: %v", c)
	}
	if _, ok, _ := s.Subscription(ctx, "s1"); ok {
		t.Error("deleted subscription still readable")
	}
	if held, _ := s.HoldLeases(ctx, lease, "r3", time.Minute); !held[0] {
		t.Error("delete left the lease behind")
	}
}

func TestAlertmanagerStorage(t *testing.T) {
	t.Parallel()
	s, ctx := rdbtest.Store(t), context.Background()
	if pos, err := s.AlertmanagerPosition(ctx); err != nil || pos != "" {
		t.Fatalf("initial position: %q %v", pos, err)
	}
	open := []rdb.AlertDoc{{ID: "a", Doc: []byte(`A`)}, {ID: "b", Doc: []byte(`B`)}}
	if ok, _ := s.CommitAlertmanager(ctx, "r1", "", "1-0", open, nil); ok {
		t.Error("committed without the lease")
	}
	if held, _ := s.HoldLeases(ctx, []string{rdb.AlertmanagerLease}, "r1", time.Minute); !held[0] {
		t.Fatal("lease")
	}
	if ok, err := s.CommitAlertmanager(ctx, "r1", "", "1-0", open, nil); !ok || err != nil {
		t.Fatalf("commit: %v %v", ok, err)
	}
	if ok, _ := s.CommitAlertmanager(ctx, "r1", "", "2-0", nil, nil); ok {
		t.Error("committed from a stale position")
	}
	if ok, _ := s.CommitAlertmanager(ctx, "r1", "1-0", "2-0", []rdb.AlertDoc{{ID: "c", Doc: []byte(`C`)}}, []string{"a"}); !ok {
		t.Error("second commit")
	}
	if pos, _ := s.AlertmanagerPosition(ctx); pos != "2-0" {
		t.Errorf("position %q", pos)
	}
	got := map[string]string{}
	var cur uint64
	for {
		docs, next, err := s.OpenAlertmanagerAlerts(ctx, cur, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			got[d.ID] = string(d.Doc)
		}
		if cur = next; cur == 0 {
			break
		}
	}
	if len(got) != 2 || got["b"] != "B" || got["c"] != "C" {
		t.Errorf("open alerts: %v", got)
	}
	// The pseudonyms' key is made once and then read back, the same for every caller.
	k1, err := s.AlertmanagerKey(ctx)
	if err != nil || len(k1) != 32 {
		t.Fatalf("key: %x %v", k1, err)
	}
	if k2, err := s.AlertmanagerKey(ctx); err != nil || string(k2) != string(k1) {
		t.Errorf("second read %x %v, want %x", k2, err, k1)
	}
	if k3, _ := rdbtest.Store(t).AlertmanagerKey(ctx); string(k3) == string(k1) {
		t.Error("two deployments share a key")
	}
	if pos, _ := s.AlertmanagerPosition(ctx); pos != "2-0" {
		t.Errorf("position %q after the key was made", pos)
	}
}
