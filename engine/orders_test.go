package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/supervision"
)

// orderHarness is a harness with the orders' engine, the timers and a relay.
type orderHarness struct {
	*harness
	orders *engine.Orders
	timers *engine.Timers
	relay  *engine.Relay
}

func newOrderHarness(t *testing.T, store *rdb.Store, now time.Time, s supervision.Settings) *orderHarness {
	t.Helper()
	h := &orderHarness{harness: newHarness(t, store, now)}
	var err error
	if h.orders, err = engine.NewOrders(engine.OrderOptions{Store: store, Rules: h.rules, Settings: s, Clock: h.clock}); err != nil {
		t.Fatal(err)
	}
	h.app, err = engine.NewApplier(engine.ApplierOptions{Store: store, Rules: h.rules, Clock: h.clock,
		Wall: func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.wall }, Subjects: []engine.Subject{h.orders.Subject()}})
	if err != nil {
		t.Fatal(err)
	}
	if h.timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: h.clock,
		Wall: func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.wall }}); err != nil {
		t.Fatal(err)
	}
	ro := engine.RelayOptions{Store: store, Clock: h.clock, Loc: shanghai, FaultThreshold: 2}
	if len(s.AutoOpen) > 0 {
		ro.AutoOpen, ro.AutoKinds = h.orders.AutoOpen, s.AutoOpen
	}
	if h.relay, err = engine.NewRelay(ro); err != nil {
		t.Fatal(err)
	}
	return h
}

// settle hands over what is due, applies and relays until nothing moves.
func (h *orderHarness) settle() {
	h.t.Helper()
	ctx := context.Background()
	for range 100 {
		due, err := h.timers.HandOver(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		n, err := h.app.ApplyOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		m, err := h.relay.RelayOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(due) == 0 && n == 0 && m == 0 {
			return
		}
	}
	h.t.Fatal("does not settle")
}

// streamKinds counts the alert stream's alerts by id, and its order messages.
func streamKinds(t *testing.T, store *rdb.Store) (alerts map[string]int, orders int) {
	t.Helper()
	entries, err := store.AlertsAfter(context.Background(), "", 100_000)
	if err != nil {
		t.Fatal(err)
	}
	alerts = map[string]int{}
	for _, e := range entries {
		if e.Order != nil {
			orders++
			continue
		}
		var rec alerting.Record
		if err := json.Unmarshal(e.Doc, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.State == alerting.Firing && len(rec.History) == 1 {
			alerts[rec.ID]++
		}
	}
	return alerts, orders
}

func caseOrderAction(caseID string) supervision.Action {
	return supervision.Action{By: "supervisor:x", Kind: supervision.Rectify, Opinion: "请限期办结",
		Case: &supervision.CaseRef{ID: caseID, Department: "env"}}
}

// An order whose reply deadline passes fires order_overdue once, then order_escalated
// once, through the case's timer engine and applier, and the relay puts each on the alert
// stream once; ticks after that and a second applier change nothing.
func TestOrderAlertsFireOnceThroughTheTimerEngine(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newOrderHarness(t, store, at("2026-03-02 10:00"), supervision.DefaultSettings())
	ctx := context.Background()
	o, err := h.orders.Open(ctx, caseOrderAction("c-ord-1"))
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "DB-2026-000001" || o.Number != "督〔2026〕000001号" {
		t.Fatalf("numbering: %s %s", o.ID, o.Number)
	}
	next, ok, err := store.OrderNextTimer(ctx, o.ID)
	if err != nil || !ok || !next.Equal(o.ReplyDue.At) {
		t.Fatalf("next instant %v %v %v, want the reply deadline %v", next, ok, err, o.ReplyDue.At)
	}
	h.settle()
	// Just before the deadline: nothing.
	h.clock.Set(o.ReplyDue.At.Add(-time.Millisecond))
	h.settle()
	if al, _ := streamKinds(t, store); len(al) != 0 {
		t.Fatalf("fired early: %v", al)
	}
	h.clock.Set(o.ReplyDue.At)
	h.settle()
	// A second replica's applier and relay over the same store: nothing more.
	other := newOrderHarness(t, store, o.ReplyDue.At, supervision.DefaultSettings())
	other.settle()
	got, err := h.orders.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Overdue || got.Escalated {
		t.Fatalf("after the deadline: overdue %v escalated %v", got.Overdue, got.Escalated)
	}
	esc := got.Rounds[0].EscalateDue.At
	h.clock.Set(esc.Add(48 * time.Hour)) // a late timer: escalation fires once, late
	h.settle()
	other.settle()
	al, orders := streamKinds(t, store)
	ov, es := supervision.AlertID(o.ID, supervision.OrderOverdue, 1), supervision.AlertID(o.ID, supervision.OrderEscalated, 1)
	if len(al) != 2 || al[ov] != 1 || al[es] != 1 {
		t.Errorf("alerts on the stream: %v, want %s and %s once each", al, ov, es)
	}
	if orders != 3 { // opened, overdue, escalated
		t.Errorf("order messages on the stream: %d, want 3", orders)
	}
	if _, ok, _ := store.OrderNextTimer(ctx, o.ID); ok {
		t.Error("an order with both alerts fired is still scheduled")
	}
	// The overdue alert is the department's fault; the figures count the open overdue order.
	counts, err := store.FaultCounts(ctx, 2026)
	if err != nil || counts[rdb.DeptFaultField("env")] != 1 {
		t.Errorf("fault counts %v %v", counts, err)
	}
	figs, err := store.OrderFigures(ctx)
	if err != nil || figs["env|open"] != 1 || figs["overdue|env"] != 1 {
		t.Errorf("order figures %v %v", figs, err)
	}
	// A late reply resolves both alerts as replied and leaves the figures.
	r, err := h.orders.Act(ctx, o.ID, supervision.Action{Type: supervision.ActReply, By: "liaison:env",
		Reply: &supervision.ReplyInput{Cause: "人手不足", Measures: "已办结", Completed: true,
			Responsible: []supervision.Responsible{{Handler: "wang.wu", Responsibility: supervision.Direct}}}})
	if err != nil || r.State != supervision.Replied || !r.Replies[0].Late {
		t.Fatalf("reply: %v %+v", err, r.Replies)
	}
	h.settle()
	doc, ok, err := store.Alert(ctx, ov)
	var rec alerting.Record
	if err != nil || !ok || json.Unmarshal(doc, &rec) != nil || rec.State != alerting.Resolved || rec.Resolution != alerting.Replied {
		t.Errorf("order_overdue after the reply: %s %v", doc, err)
	}
	if rec.OrderID != o.ID || rec.CaseID != "" || len(rec.CaseIDs) != 1 {
		t.Errorf("order alert names %q %q %v", rec.OrderID, rec.CaseID, rec.CaseIDs)
	}
	figs, _ = store.OrderFigures(ctx)
	if figs["env|open"] != 0 || figs["env|replied"] != 1 || figs["overdue|env"] != 0 {
		t.Errorf("order figures after the reply: %v", figs)
	}
	// The case's side of the link follows the order.
	co, err := store.CaseOrders(ctx, "c-ord-1")
	if err != nil || co[o.ID] != "replied" {
		t.Errorf("case's orders %v %v", co, err)
	}
	// Accepting with a direct responsibility twice (threshold 2) fires
	// fault_threshold_confirmed once.
	if _, err := h.orders.Act(ctx, o.ID, supervision.Action{Type: supervision.ActAccept, By: "supervisor:x"}); err != nil {
		t.Fatal(err)
	}
	o2, err := h.orders.Open(ctx, caseOrderAction("c-ord-2"))
	if err != nil || o2.ID != "DB-2026-000002" {
		t.Fatalf("second order %s %v", o2.ID, err)
	}
	for _, a := range []supervision.Action{
		{Type: supervision.ActReply, By: "liaison:env", Reply: &supervision.ReplyInput{Cause: "c", Measures: "m",
			Responsible: []supervision.Responsible{{Handler: "wang.wu", Responsibility: supervision.Direct}}}},
		{Type: supervision.ActAccept, By: "supervisor:x"},
	} {
		if _, err := h.orders.Act(ctx, o2.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	h.settle()
	counts, _ = store.FaultCounts(ctx, 2026)
	if counts[rdb.ConfirmedDeptField("env")] != 2 || counts[rdb.ConfirmedHandlerField("env", "wang.wu")] != 2 {
		t.Errorf("confirmed counts %v", counts)
	}
	rep := alerting.Accountability(2026, counts, 2)
	if len(rep.Handlers) != 1 || !rep.Handlers[0].ThresholdConfirmed || rep.Handlers[0].Confirmed != 2 {
		t.Errorf("accountability %+v", rep)
	}
	al, _ = streamKinds(t, store)
	if al[supervision.ConfirmedThresholdID(2026, "env", "wang.wu")] != 1 {
		t.Errorf("fault_threshold_confirmed on the stream: %v", al)
	}
	// An action that does not fit the state is a conflict.
	_, err = h.orders.Act(ctx, o.ID, supervision.Action{Type: supervision.ActReturn, By: "supervisor:x", Note: "n"})
	var ce *supervision.ConflictError
	if !errors.As(err, &ce) {
		t.Errorf("return of a closed order: %v", err)
	}
}

// Automatic opening: a red alert of a listed kind opens one order for its case, a second
// alert of the case attaches to it, and a replica relaying the same entries again opens
// nothing more.
func TestAutoOpenOncePerCase(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	s := supervision.DefaultSettings()
	s.AutoOpen = []monitor.AlertKind{monitor.PromiseOverdue, monitor.StatutoryOverdue}
	h := newOrderHarness(t, store, at("2026-03-02 09:00"), s)
	e := func(id string, typ monitor.EventType, when string) monitor.Event {
		return monitor.Event{EventID: "auto-" + id, CaseID: "auto", Department: "env", Type: typ, At: at(when), Handler: "zhang.san"}
	}
	sub := e("01", monitor.Submitted, "2026-03-02 09:00")
	sub.Matter = "ENV-EIA-001"
	h.ingest(sub, e("02", monitor.Accepted, "2026-03-02 10:00"))
	h.settle()
	ctx := context.Background()
	// Each threshold on time (an alert fired long after its instant is a backfill and
	// opens nothing), until past the promised and the statutory deadline.
	for range 10 {
		next, ok, err := store.NextTimer(ctx, "auto")
		if err != nil || !ok {
			break
		}
		h.clock.Set(next)
		h.settle()
	}
	other := newOrderHarness(t, store, h.clock.Now(), s)
	other.settle()
	co, err := store.CaseOrders(ctx, "auto")
	if err != nil || len(co) != 1 {
		t.Fatalf("orders of the case: %v %v", co, err)
	}
	for id, st := range co {
		o, err := h.orders.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st != "open" || !o.Auto || o.OpenedBy != supervision.SystemPrincipal || len(o.Alerts) != 2 {
			t.Errorf("automatic order %s: state %s auto %v by %s alerts %v history %+v", id, st, o.Auto, o.OpenedBy, o.Alerts, o.History)
		}
	}
}

// An order whose reply deadline reaches into a year without a calendar is provisional; when
// the year is loaded, Affected hands it to the applier and its tick recomputes the deadline.
func TestLoadingACalendarMovesAProvisionalOrderDeadline(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newOrderHarness(t, store, at("2026-12-30 10:00"), supervision.DefaultSettings())
	ctx := context.Background()
	o, err := h.orders.Open(ctx, caseOrderAction("c-prov"))
	if err != nil {
		t.Fatal(err)
	}
	// Fallback 2027: only 01-01 off. 5 working days after Wed 12-30: 12-31, 01-04..01-07.
	if !o.Provisional || o.ReplyDue.Date.String() != "2027-01-07" {
		t.Fatalf("opened: provisional %v, due %s", o.Provisional, o.ReplyDue.Date)
	}
	doc := []byte("year: 2027\noff:\n  - 2027-01-01\n  - 2027-01-04..2027-01-05\nwork: []\nsource: test\n")
	if _, err := h.cals.Load(ctx, 2027, doc); err != nil {
		t.Fatal(err)
	}
	n, err := engine.Affected(ctx, store, 2027, h.wall)
	if err != nil || n != 1 {
		t.Fatalf("affected: %d %v", n, err)
	}
	h.settle()
	got, err := h.orders.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Provisional || got.ReplyDue.Date.String() != "2027-01-11" {
		t.Errorf("after the load: provisional %v, due %s, want 2027-01-11", got.Provisional, got.ReplyDue.Date)
	}
	if next, ok, _ := store.OrderNextTimer(ctx, o.ID); !ok || !next.Equal(got.ReplyDue.At) {
		t.Errorf("rescheduled at %v %v, want %v", next, ok, got.ReplyDue.At)
	}
}

// A supervisor acknowledges and then exempts an order's overdue alert: the record changes
// through the order's own write, the missed reply stops counting against the department,
// and the order's history says so.
func TestOrderAlertAckAndExempt(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newOrderHarness(t, store, at("2026-03-02 10:00"), supervision.DefaultSettings())
	ctx := context.Background()
	o, err := h.orders.Open(ctx, caseOrderAction("c-ex"))
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(o.ReplyDue.At)
	h.settle()
	id := supervision.AlertID(o.ID, supervision.OrderOverdue, 1)
	if counts, _ := store.FaultCounts(ctx, 2026); counts[rdb.DeptFaultField("env")] != 1 {
		t.Fatalf("fault counts before: %v", counts)
	}
	rec, changed, err := h.orders.ActOnAlert(ctx, id, alerting.Ack, "supervisor:x", "已催办")
	if err != nil || !changed || rec.State != alerting.Acknowledged {
		t.Fatalf("ack: %v %v %+v", err, changed, rec)
	}
	if _, _, err := h.orders.ActOnAlert(ctx, id, alerting.Exempt, "supervisor:x", ""); !errors.Is(err, alerting.ErrNoteRequired) {
		t.Errorf("exempt without a reason: %v", err)
	}
	rec, changed, err = h.orders.ActOnAlert(ctx, id, alerting.Exempt, "supervisor:x", "系统故障所致")
	if err != nil || !changed || rec.State != alerting.Exempted {
		t.Fatalf("exempt: %v %v %+v", err, changed, rec)
	}
	h.settle()
	if counts, _ := store.FaultCounts(ctx, 2026); counts[rdb.DeptFaultField("env")] != 0 {
		t.Errorf("fault counts after the exemption: %v", counts)
	}
	got, _ := h.orders.Get(ctx, o.ID)
	if !got.Rounds[0].OverdueExempted || got.History[len(got.History)-1].Action != supervision.HExempted {
		t.Errorf("order after the exemption: %+v", got.History)
	}
	doc, _, _ := store.Alert(ctx, id)
	var stored alerting.Record
	if json.Unmarshal(doc, &stored) != nil || stored.State != alerting.Exempted {
		t.Errorf("stored record: %s", doc)
	}
}
