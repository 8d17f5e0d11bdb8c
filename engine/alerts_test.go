package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// fire is a harness with the timer engine and the relay of one replica.
type fire struct {
	*harness
	timers *engine.Timers
	relay  *engine.Relay
}

func newFire(t *testing.T, store *rdb.Store, now time.Time) *fire {
	t.Helper()
	h := newHarness(t, store, now)
	wall := func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.wall }
	tm, err := engine.NewTimers(engine.TimerOptions{Store: store, Clock: h.clock, Wall: wall})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := engine.NewRelay(engine.RelayOptions{Store: store, Clock: h.clock, Wall: time.Now, Loc: shanghai, FaultThreshold: 3,
		Catalog: func() *monitor.Catalog { return catalog }})
	if err != nil {
		t.Fatal(err)
	}
	return &fire{harness: h, timers: tm, relay: rl}
}

// tick moves business time to `to` and does what the running service would: hand the due
// thresholds over, apply, relay.
func (f *fire) tick(to time.Time) {
	f.t.Helper()
	f.clock.Set(to)
	f.settle()
}

func (f *fire) settle() {
	f.t.Helper()
	ctx := context.Background()
	for range 100 {
		due, err := f.timers.HandOver(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		f.drain()
		n, err := f.relay.RelayOnce(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(due) == 0 && n == 0 {
			return
		}
	}
	f.t.Fatal("does not settle")
}

func (f *fire) records(caseID string) map[string]alerting.Record {
	f.t.Helper()
	docs, err := f.store.CaseAlerts(context.Background(), caseID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := make(map[string]alerting.Record)
	for _, d := range docs {
		var r alerting.Record
		if err := json.Unmarshal(d.Doc, &r); err != nil {
			f.t.Fatal(err)
		}
		out[string(r.Kind)+"@"+r.Key] = r
	}
	return out
}

func (f *fire) ofKind(caseID string, kind monitor.AlertKind) []alerting.Record {
	var out []alerting.Record
	for _, r := range f.records(caseID) {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// opened is a case submitted and accepted on 2026-03-03, handled by handler; reported at
// 11:00 the same day (the tests' start), so no late_report.
func opened(caseID, handler string) []monitor.Event {
	e := func(id string, typ monitor.EventType, when string) monitor.Event {
		return monitor.Event{EventID: caseID + "-" + id, CaseID: caseID, Department: "env", Type: typ, At: at(when), Handler: handler}
	}
	evs := []monitor.Event{e("01", monitor.Submitted, "2026-03-03 09:00"), e("02", monitor.Accepted, "2026-03-03 10:00")}
	evs[0].Matter = "ENV-EIA-001"
	return evs
}

func event(caseID, id string, typ monitor.EventType, when string) monitor.Event {
	return monitor.Event{EventID: caseID + "-" + id, CaseID: caseID, Department: "env", Type: typ, At: at(when), Handler: "zhang.san"}
}

func TestTimeAlertsFireOnceAtTheirInstant(t *testing.T) {
	t.Parallel()
	timeAlertsFireOnce(t, rdbtest.Store(t))
}

// The same on a three-master Redis Cluster: the due, commit, relay and stream scripts each
// touch one slot.
func TestTimeAlertsFireOnceOnCluster(t *testing.T) {
	t.Parallel()
	timeAlertsFireOnce(t, rdbtest.ClusterStore(t))
}

func timeAlertsFireOnce(t *testing.T, store *rdb.Store) {
	f := newFire(t, store, at("2026-03-03 11:00"))
	f.ingest(opened("t1", "zhang.san")...)
	f.settle()
	st := f.state("t1")
	prom, stat := st.DecisionDuePromised.At, st.DecisionDueStatutory.At
	next, ok, err := f.store.NextTimer(context.Background(), "t1")
	if err != nil || !ok || !next.Before(prom) {
		t.Fatalf("next timer %v %v %v, want the yellow threshold before %v", next, ok, err, prom)
	}
	// A millisecond before the yellow threshold nothing fires.
	f.tick(next.Add(-time.Millisecond))
	if n := len(f.records("t1")); n != 0 {
		t.Fatalf("%d alerts before the first threshold", n)
	}
	f.tick(next)
	yellow := f.ofKind("t1", monitor.DecisionDue)
	if len(yellow) != 1 || yellow[0].State != alerting.Firing || !yellow[0].FiredAt.Equal(next) || !yellow[0].Instant.Equal(next) {
		t.Fatalf("decision_due at its instant: %+v", yellow)
	}
	if lv := f.state("t1").Level; lv != monitor.Yellow {
		t.Errorf("level %s, want yellow", lv)
	}
	// Folding again (another threshold, a restart, a duplicate) fires nothing twice.
	f.tick(next.Add(time.Hour))
	f.tick(prom)
	if n := len(f.ofKind("t1", monitor.DecisionDue)); n != 1 {
		t.Errorf("decision_due fired %d times", n)
	}
	red := f.ofKind("t1", monitor.PromiseOverdue)
	// Both fired by a scheduled threshold: the transitions say so (the timer-lag metric).
	scheduled := 0
	for _, tr := range f.transitions("t1") {
		if tr.Type == fold.TAlert && tr.New && tr.Scheduled {
			scheduled++
		}
	}
	if scheduled != 2 {
		t.Errorf("%d alerts marked as fired by a threshold, want 2 (decision_due, promise_overdue)", scheduled)
	}
	if len(red) != 1 || !red[0].Due.At.Equal(prom) || red[0].Handler != "zhang.san" || red[0].Message == "" {
		t.Fatalf("promise_overdue: %+v", red)
	}
	if lv := f.state("t1").Level; lv != monitor.Red {
		t.Errorf("level %s, want red", lv)
	}
	f.tick(stat)
	if n := len(f.ofKind("t1", monitor.StatutoryOverdue)); n != 1 {
		t.Fatalf("statutory_overdue fired %d times", n)
	}
	// Promise and statutory overdue of one case are one fault.
	counts, err := f.store.FaultCounts(context.Background(), 2026)
	if err != nil {
		t.Fatal(err)
	}
	if counts[rdb.DeptFaultField("env")] != 1 || counts[rdb.HandlerFaultField("env", "zhang.san")] != 1 {
		t.Errorf("faults %v, want one for env and zhang.san", counts)
	}
	// A late decision resolves the time alerts (closed); the records stay and count.
	dec := event("t1", "03", monitor.Decided, "2026-04-02 10:00")
	dec.Result = monitor.ResultApproved
	f.clock.Set(at("2026-04-02 10:05"))
	f.ingest(dec)
	f.settle()
	for _, r := range f.records("t1") {
		if r.State != alerting.Resolved || r.Resolution != alerting.Closed || !r.Counts() {
			t.Errorf("%s after the decision: %s/%s", r.ID, r.State, r.Resolution)
		}
	}
	if lv := f.state("t1").Level; lv != monitor.Green {
		t.Errorf("level %s after the decision, want green", lv)
	}
	// Later folds (the delivery deadline passing) do not count the decision again.
	f.tick(f.state("t1").DeliveryDue.At)
	decided := 0
	for _, tr := range f.transitions("t1") {
		if tr.Type == fold.TDecided {
			decided++
		}
	}
	if decided != 1 {
		t.Errorf("decided emitted %d times, want 1", decided)
	}
}

func TestDecidedInTimeFiresNothing(t *testing.T) {
	t.Parallel()
	f := newFire(t, rdbtest.Store(t), at("2026-03-03 11:00"))
	f.ingest(opened("ok1", "zhang.san")...)
	f.settle()
	dec := event("ok1", "03", monitor.Decided, "2026-03-05 10:00")
	dec.Result = monitor.ResultApproved
	del := event("ok1", "04", monitor.Delivered, "2026-03-05 16:00")
	f.clock.Set(at("2026-03-05 16:01"))
	f.ingest(dec, del)
	f.settle()
	if _, ok, _ := f.store.NextTimer(context.Background(), "ok1"); ok {
		t.Error("a closed case keeps a timer")
	}
	f.tick(at("2026-06-01 00:00"))
	if recs := f.records("ok1"); len(recs) != 0 {
		t.Errorf("alerts for a case decided in time: %v", recs)
	}
}

func TestSuspensionMovesThePendingThreshold(t *testing.T) {
	t.Parallel()
	f := newFire(t, rdbtest.Store(t), at("2026-03-03 11:00"))
	f.ingest(opened("s1", "zhang.san")...)
	f.settle()
	before, _, _ := f.store.NextTimer(context.Background(), "s1")
	prom := f.state("s1").DecisionDuePromised.At
	sus := event("s1", "03", monitor.Suspended, "2026-03-05 15:00")
	sus.Reason = monitor.ReasonExpertReview
	f.clock.Set(at("2026-03-05 15:01"))
	f.ingest(sus)
	f.settle()
	after, _, _ := f.store.NextTimer(context.Background(), "s1")
	if after.Equal(before) {
		t.Fatalf("the suspension left the threshold at %v", before)
	}
	// Past the old yellow and promised instants, with the clock stopped: nothing fires.
	f.tick(prom.Add(time.Hour))
	if recs := f.records("s1"); len(recs) != 0 {
		t.Errorf("alerts while the clock is stopped: %v", recs)
	}
	// Resumed: the promised deadline is later than before, and fires there, once.
	res := event("s1", "04", monitor.Resumed, "2026-03-19 09:00")
	f.clock.Set(at("2026-03-19 09:01"))
	f.ingest(res)
	f.settle()
	newProm := f.state("s1").DecisionDuePromised.At
	if !newProm.After(prom) {
		t.Fatalf("promised deadline %v, want after %v", newProm, prom)
	}
	f.tick(newProm)
	if n := len(f.ofKind("s1", monitor.PromiseOverdue)); n != 1 {
		t.Errorf("promise_overdue fired %d times", n)
	}
}

func TestLateReportedSuspensionSupersedes(t *testing.T) {
	t.Parallel()
	f := newFire(t, rdbtest.Store(t), at("2026-03-03 11:00"))
	f.ingest(opened("sup", "zhang.san")...)
	f.settle()
	prom := f.state("sup").DecisionDuePromised.At
	f.tick(prom)
	if n := len(f.ofKind("sup", monitor.PromiseOverdue)); n != 1 {
		t.Fatalf("promise_overdue fired %d times", n)
	}
	// The suspension of 2026-03-05 is reported only now: the deadline moves, the red alert
	// it made obsolete is superseded and counts nowhere.
	sus := event("sup", "03", monitor.Suspended, "2026-03-05 15:00")
	sus.Reason = monitor.ReasonExpertReview
	f.ingest(sus)
	f.settle()
	red := f.ofKind("sup", monitor.PromiseOverdue)
	if len(red) != 1 || red[0].State != alerting.Resolved || red[0].Resolution != alerting.Superseded || red[0].Counts() {
		t.Fatalf("superseded alert: %+v", red)
	}
	counts, _ := f.store.FaultCounts(context.Background(), 2026)
	if counts[rdb.DeptFaultField("env")] != 0 {
		t.Errorf("a superseded alert counts as a fault: %v", counts)
	}
	if st := f.state("sup"); st.Level == monitor.Red {
		t.Errorf("level stays red after supersession")
	}
}

func TestThreeFaultsRaiseFaultThreshold(t *testing.T) {
	t.Parallel()
	f := newFire(t, rdbtest.Store(t), at("2026-03-03 11:00"))
	for i := range 3 {
		f.ingest(opened(fmt.Sprintf("ft%d", i), "wang.wu")...)
	}
	f.settle()
	f.tick(f.state("ft0").DecisionDuePromised.At)
	ctx := context.Background()
	sys, err := f.store.SystemAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := alerting.FaultThresholdID(2026, "env", "wang.wu")
	if len(sys) != 1 || sys[0].ID != want {
		t.Fatalf("system alerts %v, want %s", sys, want)
	}
	var rec alerting.Record
	_ = json.Unmarshal(sys[0].Doc, &rec)
	if rec.Kind != monitor.FaultThreshold || rec.State != alerting.Firing || rec.Handler != "wang.wu" || rec.Year != 2026 {
		t.Errorf("fault_threshold: %+v", rec)
	}
	// People read the message: the department by its name, not its code.
	if want := "承办人 wang.wu（区生态环境局）2026年度过错已达3次，不得定为称职"; rec.Message != want {
		t.Errorf("fault_threshold message %q, want %q", rec.Message, want)
	}
	// Another relay pass or a refold does not raise it again.
	f.tick(f.clock.Now().Add(time.Hour))
	if sys, _ := f.store.SystemAlerts(ctx); len(sys) != 1 {
		t.Errorf("%d system alerts after another pass", len(sys))
	}
	// A supervisor exempts one fault after review: the count drops under the threshold and
	// the fault_threshold alert is superseded.
	red := f.ofKind("ft1", monitor.PromiseOverdue)[0]
	old, _, _ := f.store.Alert(ctx, red.ID)
	changed, err := alerting.Apply(&red, alerting.Exempt, "supervisor", "复核：系统故障导致", f.clock.Now())
	if err != nil || !changed {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(&red)
	tr := fold.Transition{CaseID: "ft1"}
	tr.SetAlert(&red, doc)
	ok, err := f.store.ActOnCaseAlert(ctx, red.ID, old, doc, "firing", "exempted", f.wall, tr)
	if err != nil || !ok {
		t.Fatalf("act: %v %v", ok, err)
	}
	f.settle()
	counts, _ := f.store.FaultCounts(ctx, 2026)
	if counts[rdb.HandlerFaultField("env", "wang.wu")] != 2 {
		t.Errorf("faults after the exemption: %v", counts)
	}
	doc2, _, _ := f.store.Alert(ctx, want)
	_ = json.Unmarshal(doc2, &rec)
	if rec.State != alerting.Resolved || rec.Resolution != alerting.Superseded {
		t.Errorf("fault_threshold after the exemption: %s/%s", rec.State, rec.Resolution)
	}
	rep := alerting.Accountability(2026, counts, 3)
	if len(rep.Handlers) != 1 || rep.Handlers[0].Faults != 2 || rep.Handlers[0].ThresholdReached {
		t.Errorf("accountability: %+v", rep)
	}
	// A fourth overdue case takes the count back to the threshold: the same alert reopens.
	f.ingest(opened("ft3", "wang.wu")...)
	f.settle()
	doc3, _, _ := f.store.Alert(ctx, want)
	_ = json.Unmarshal(doc3, &rec)
	if rec.State != alerting.Firing {
		t.Errorf("fault_threshold back at the threshold: %s/%s", rec.State, rec.Resolution)
	}
	if sys, _ := f.store.SystemAlerts(ctx); len(sys) != 1 {
		t.Errorf("%d system alerts, want the one reopened", len(sys))
	}
}

func TestAlertStreamCarriesEveryChangeInOrder(t *testing.T) {
	t.Parallel()
	f := newFire(t, rdbtest.Store(t), at("2026-03-03 11:00"))
	f.ingest(opened("as", "zhang.san")...)
	f.settle()
	f.tick(f.state("as").DecisionDuePromised.At)
	entries, err := f.store.AlertsAfter(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		var r alerting.Record
		_ = json.Unmarshal(e.Doc, &r)
		kinds = append(kinds, string(r.Kind)+"/"+string(r.State))
	}
	if fmt.Sprint(kinds) != "[decision_due/firing promise_overdue/firing]" {
		t.Errorf("stream: %v", kinds)
	}
	// Reading after the first cursor gives the rest, with the same cursor.
	rest, _ := f.store.AlertsAfter(context.Background(), entries[0].Cursor, 100)
	if len(rest) != 1 || rest[0].Cursor != entries[1].Cursor {
		t.Errorf("after %s: %v", entries[0].Cursor, rest)
	}
}

func TestKilledEngineThresholdsFireAfterTheLease(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	f := newFire(t, store, at("2026-03-03 11:00"))
	f.ingest(opened("kill", "zhang.san")...)
	f.settle()
	prom := f.state("kill").DecisionDuePromised.At
	f.clock.Set(prom)
	ctx := context.Background()
	// Replica A hands the threshold over and claims the case, then dies.
	if due, err := f.timers.HandOver(ctx); err != nil || len(due) != 1 {
		t.Fatalf("hand over: %v %v", due, err)
	}
	if ids, _, err := store.ClaimDirty(ctx, f.wall, 30*time.Second, 100); err != nil || len(ids) != 1 {
		t.Fatalf("claim: %v %v", ids, err)
	}
	// Replica B: nothing to do while the lease holds…
	f.settle()
	if n := len(f.ofKind("kill", monitor.PromiseOverdue)); n != 0 {
		t.Fatalf("fired while another replica held the claim")
	}
	// …and fires it, once, when the lease lapses.
	f.mu.Lock()
	f.wall = f.wall.Add(31 * time.Second)
	f.mu.Unlock()
	f.settle()
	red := f.ofKind("kill", monitor.PromiseOverdue)
	if len(red) != 1 || !red[0].FiredAt.Equal(prom) {
		t.Fatalf("after the lease: %+v", red)
	}
}

func TestThreeEnginesFireEachAlertOnce(t *testing.T) {
	t.Parallel()
	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	store := rdbtest.Store(t)
	f := newFire(t, store, at("2026-03-03 11:00"))
	ctx := context.Background()
	for lo := 0; lo < n; lo += 500 {
		var evs []monitor.Event
		for i := lo; i < min(lo+500, n); i++ {
			evs = append(evs, opened(fmt.Sprintf("m%05d", i), "zhang.san")...)
		}
		f.ingest(evs...)
	}
	f.settle()
	prom := f.state("m00000").DecisionDuePromised.At
	f.clock.Set(prom) // every case crosses two thresholds at once: yellow and red
	var wg sync.WaitGroup
	for range 3 {
		g := newFire(t, store, prom) // another replica: its own applier, timers, relay
		wg.Go(func() {
			for range 1000 {
				due, err := g.timers.HandOver(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				applied, err := g.app.ApplyOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				relayed, err := g.relay.RelayOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 && applied == 0 && relayed == 0 {
					if c, _ := store.DirtyCount(ctx); c == 0 {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	f.settle()
	// Each case has exactly one promise_overdue record, and the stream carries exactly one
	// "fired" entry per case and kind.
	fired := map[string]int{}
	cursor := ""
	for {
		batch, err := store.AlertsAfter(ctx, cursor, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			var r alerting.Record
			_ = json.Unmarshal(e.Doc, &r)
			if r.Revision == 1 && r.CaseID != "" {
				fired[r.ID]++
			}
		}
		cursor = batch[len(batch)-1].Cursor
	}
	if len(fired) != 2*n {
		t.Errorf("%d alerts fired, want %d", len(fired), 2*n)
	}
	for id, c := range fired {
		if c != 1 {
			t.Errorf("%s fired %d times", id, c)
		}
	}
	docs, _, err := store.ListAlerts(ctx, rdb.AlertQuery{State: "firing", Limit: 10, Match: func(d rdb.AlertDoc) bool { return true }})
	if err != nil || len(docs) != 10 {
		t.Errorf("listing firing alerts: %d %v", len(docs), err)
	}
}
