package figures_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

var catalog = monitor.NewCatalog(
	[]monitor.Department{{Code: "env", Name: "区生态环境局"}},
	[]monitor.Matter{{Code: "ENV", Name: "环评", Department: "env", StatutoryDays: 20, PromisedDays: 10,
		WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10, MaxExtensionDays: 10}},
)

// world is one replica's applying side, driven step by step on a manual clock.
type world struct {
	t      *testing.T
	store  *rdb.Store
	clock  *clock.ManualClock
	app    *engine.Applier
	timers *engine.Timers
	relay  *engine.Relay
}

func newWorld(t *testing.T) *world {
	store := rdbtest.Store(t)
	clk := clock.Manual(at("2026-03-02 08:00"))
	rules := func() fold.Rules {
		return fold.Rules{Catalog: catalog, Calendar: workday.Builtin(), Loc: shanghai, ReportWithin: 24 * time.Hour}
	}
	w := &world{t: t, store: store, clock: clk}
	var err error
	if w.app, err = engine.NewApplier(engine.ApplierOptions{Store: store, Rules: rules, Clock: clk}); err != nil {
		t.Fatal(err)
	}
	if w.timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: clk}); err != nil {
		t.Fatal(err)
	}
	if w.relay, err = engine.NewRelay(engine.RelayOptions{Store: store, Clock: clk, Loc: shanghai}); err != nil {
		t.Fatal(err)
	}
	return w
}

// settle does what the running service does at the clock's instant.
func (w *world) settle() {
	ctx := context.Background()
	for range 100 {
		due, err := w.timers.HandOver(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		applied := 0
		for {
			n, err := w.app.ApplyOnce(ctx)
			if err != nil {
				w.t.Fatal(err)
			}
			if n == 0 {
				break
			}
			applied += n
		}
		relayed, err := w.relay.RelayOnce(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(due) == 0 && applied == 0 && relayed == 0 {
			return
		}
	}
	w.t.Fatal("does not settle")
}

// report moves the clock to the event's instant and reports it there (never late).
func (w *world) report(caseID, typ, when string) {
	w.t.Helper()
	t := at(when)
	if t.Before(w.clock.Now()) {
		w.t.Fatalf("events must be reported in time order: %s", when)
	}
	w.clock.Set(t)
	w.settle()
	e := monitor.Event{EventID: caseID + "-" + typ, CaseID: caseID, Department: "env", Type: monitor.EventType(typ),
		At: t, Handler: "zhang.san", ReceivedAt: t}
	switch e.Type {
	case monitor.Submitted:
		e.Matter = "ENV"
	case monitor.Decided:
		e.Result = monitor.ResultApproved
	}
	if _, err := w.store.Ingest(context.Background(), []monitor.Event{e}, time.Now()); err != nil {
		w.t.Fatal(err)
	}
	w.settle()
}

// TestMonthAggregatesOfAFixtureMonth: March 2026 for env, every case accepted Tue 03-03
// (promised deadline day 03-17, the 10th working day; statutory 03-31; yellow from 03-16):
//
//	R1 decided 03-05: on time, within statutory, early (2 used days ≤ 10/2), ratio 0.2
//	R2 decided 03-13: on time, within statutory, ratio 0.8
//	R3 decided 03-20: late (red promise_overdue at 03-18 00:00), within statutory, ratio 1.3
//	R4 undecided:     red promise_overdue — and overdue and undecided at the month's end
//	R5 undecided:     as R4, but its red alert is exempted after review
//
// None is delivered, so R1 and R2 (delivery deadlines 03-19 and 03-27, ten working days
// after their decisions) go red too; R3's delivery deadline falls in April.
//
// decided 3, on_time 2, statutory 3, early 1, ratio sum 2.3; red 4 (R1, R2 delivery_overdue,
// R3, R4 promise_overdue; R5's exempted);
// yellow 3 (decision_due of R3, R4, R5; R1 and R2 were decided before 03-16);
// open_overdue 2 (R4, R5: an exemption does not decide a case).
func TestMonthAggregatesOfAFixtureMonth(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, id := range []string{"R1", "R2", "R3", "R4", "R5"} {
		w.report(id, "submitted", "2026-03-02 09:00")
	}
	for _, id := range []string{"R1", "R2", "R3", "R4", "R5"} {
		w.report(id, "accepted", "2026-03-03 10:00")
	}
	w.report("R1", "decided", "2026-03-05 16:00")
	w.report("R2", "decided", "2026-03-13 16:00")
	w.report("R3", "decided", "2026-03-20 16:00")
	w.clock.Set(at("2026-04-01 00:30"))
	w.settle()

	ctx := context.Background()
	// The supervisor exempts R5's red alert.
	docs, err := w.store.CaseAlerts(ctx, "R5")
	if err != nil {
		t.Fatal(err)
	}
	exempted := false
	for _, d := range docs {
		var r alerting.Record
		_ = json.Unmarshal(d.Doc, &r)
		if r.Kind != monitor.PromiseOverdue {
			continue
		}
		old := d.Doc
		if _, err := alerting.Apply(&r, alerting.Exempt, "sup", "复核", w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(&r)
		tr := fold.Transition{CaseID: "R5", Department: "env", WasCounting: true, WasOpen: true}
		tr.SetAlert(&r, doc)
		ok, err := w.store.ActOnCaseAlert(ctx, r.ID, old, doc, "firing", "exempted", time.Now(), tr)
		if err != nil || !ok {
			t.Fatalf("exempt: %v %v", ok, err)
		}
		exempted = true
	}
	if !exempted {
		t.Fatal("R5 has no promise_overdue alert")
	}
	w.settle()

	src, err := figures.New(figures.Options{Store: w.store, Catalog: func() *monitor.Catalog { return catalog },
		Clock: w.clock, Loc: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	aggs, err := src.MonthAggregates(ctx, ranking.Month{Year: 2026, Month: time.March})
	if err != nil {
		t.Fatal(err)
	}
	if len(aggs) != 1 {
		t.Fatalf("aggregates %+v", aggs)
	}
	a := aggs[0]
	want := ranking.Aggregate{Department: "env", Name: "区生态环境局", Decided: 3, OnTime: 2, WithinStatutory: 3,
		Early: 1, TimeRatioSum: a.TimeRatioSum, Red: 4, Yellow: 3, OpenOverdue: 2}
	if a != want || math.Abs(a.TimeRatioSum-2.3) > 1e-9 {
		t.Errorf("March aggregates\n got %+v\nwant %+v (ratio sum 2.3)", a, want)
	}
	// April: nothing decided yet, R4 and R5 still overdue, their statutory_overdue red (the
	// statutory deadline 03-31 ends at 04-01 00:00: the alert's instant is in April).
	apr, err := src.MonthAggregates(ctx, ranking.Month{Year: 2026, Month: time.April})
	if err != nil {
		t.Fatal(err)
	}
	if apr[0].Decided != 0 || apr[0].OpenOverdue != 2 || apr[0].Red != 2 {
		t.Errorf("April aggregates %+v", apr[0])
	}
	// R4 decided late in April: it leaves open_overdue from April on, not in March.
	w.report("R4", "decided", "2026-04-02 10:00")
	apr, _ = src.MonthAggregates(ctx, ranking.Month{Year: 2026, Month: time.April})
	mar, _ := src.MonthAggregates(ctx, ranking.Month{Year: 2026, Month: time.March})
	if apr[0].OpenOverdue != 1 || apr[0].Decided != 1 || apr[0].OnTime != 0 || mar[0].OpenOverdue != 2 {
		t.Errorf("after R4's late decision: April %+v, March %+v", apr[0], mar[0])
	}
}

// The overview counts a department the counters know but the catalogue no longer lists
// (its cases go on), with its cases due today, as it counts the catalogue's own.
func TestOverviewKeepsDepartmentsLeftOutOfTheCatalogue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.report("O1", "submitted", "2026-03-02 09:00")
	ctx := context.Background()
	other := monitor.NewCatalog([]monitor.Department{{Code: "tax", Name: "区税务局"}}, nil)
	source := func(cat *monitor.Catalog) *figures.Source {
		s, err := figures.New(figures.Options{Store: w.store, Catalog: func() *monitor.Catalog { return cat },
			Clock: w.clock, Loc: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	found := false
	for day := at("2026-03-02 12:00"); day.Before(at("2026-03-20 12:00")); day = day.Add(24 * time.Hour) {
		w.clock.Set(day)
		w.settle()
		listed, err := source(catalog).Overview(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		left, err := source(other).Overview(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var env *figures.DeptFigures
		for i := range left.Departments {
			if left.Departments[i].Department == "env" {
				env = &left.Departments[i]
			}
		}
		if env == nil || len(left.Departments) != 2 {
			t.Fatalf("%s: departments %+v, want tax and env", day, left.Departments)
		}
		if env.Open != 1 || env.DueToday != listed.Departments[0].DueToday || left.DueToday != listed.DueToday {
			t.Fatalf("%s: env %+v, want as with env in the catalogue %+v", day, env, listed.Departments[0])
		}
		found = found || env.DueToday == 1
	}
	if !found {
		t.Error("the case's acceptance deadline day never counted as due today")
	}
}
