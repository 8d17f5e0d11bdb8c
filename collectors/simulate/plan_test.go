package simulate

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/workday"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func district(t testing.TB) *monitor.Catalog {
	t.Helper()
	cat, err := District()
	if err != nil {
		t.Fatalf("the sample district's catalogue: %v", err)
	}
	return cat
}

// The departments the source document names, each with matters of its own.
func TestDistrictHasTheNineDepartments(t *testing.T) {
	cat := district(t)
	for _, want := range []string{"市政", "生态环境", "行政执法", "交通", "公安", "房地产管理", "卫生", "食品安全", "教育"} {
		found := ""
		for _, d := range cat.Departments {
			if strings.Contains(d.Name, want) {
				found = d.Code
			}
		}
		if found == "" {
			t.Errorf("no department named after %s", want)
			continue
		}
		n := 0
		for _, m := range cat.Matters {
			if m.Department == found {
				n++
				if m.FeeMaxFen == nil {
					t.Errorf("matter %s does not say what it may charge", m.Code)
				}
			}
		}
		if n < 2 {
			t.Errorf("department %s has %d matters, want at least 2", found, n)
		}
	}
	if len(cat.Departments) != 9 {
		t.Errorf("%d departments, want 9", len(cat.Departments))
	}
}

// compute folds a planned case with the real clock rules, at now.
func compute(t *testing.T, cat *monitor.Catalog, evs []monitor.Event, now time.Time) deadline.Result {
	t.Helper()
	m, ok := cat.Matter(evs[0].Matter)
	if !ok {
		t.Fatalf("case %s: first event names no known matter: %+v", evs[0].CaseID, evs[0])
	}
	in := append([]monitor.Event(nil), evs...)
	return deadline.Compute(deadline.Input{Events: in, Matter: m, Calendar: workday.Builtin(), Loc: shanghai, Now: now})
}

// Every planned event is one the push API accepts, in order, and a planned life breaks no
// procedure rule: the alerts a demo shows come from time, and fees, not from simulator slips.
func TestPlannedCasesAreValid(t *testing.T) {
	cat := district(t)
	p := newPlanner(cat, workday.Builtin(), shanghai, 7)
	end := time.Date(2026, 12, 31, 0, 0, 0, 0, shanghai)
	kinds := map[monitor.AlertKind]int{}
	cases := 0
	for d := workday.NewDate(2026, 3, 2); d < workday.NewDate(2026, 6, 1); d++ {
		if w, _ := p.cal.IsWorkday(d); !w {
			continue
		}
		for _, dept := range cat.Departments {
			evs := p.plan(p.matterOf(dept.Code), d)
			cases++
			ids := map[string]bool{}
			for i := range evs {
				e := &evs[i]
				if errs := monitor.ValidateEvent(e, cat, end); len(errs) > 0 {
					t.Fatalf("event %+v is invalid: %v", e, errs)
				}
				if ids[e.EventID] {
					t.Fatalf("event id %s twice", e.EventID)
				}
				ids[e.EventID] = true
				if i > 0 && !evs[i-1].At.Before(e.At) {
					t.Fatalf("case %s: event %d at %v is not after %v", e.CaseID, i, e.At, evs[i-1].At)
				}
				if e.CaseID != evs[0].CaseID || e.Department != dept.Code {
					t.Fatalf("event %+v strays from its case", e)
				}
			}
			if evs[0].Type != monitor.Submitted || evs[0].Matter == "" || evs[0].Handler == "" {
				t.Fatalf("case %s does not start with a submission naming its matter and handler: %+v", evs[0].CaseID, evs[0])
			}
			r := compute(t, cat, evs, end)
			for _, a := range r.Alerts {
				kinds[a.Kind]++
				if a.Kind == monitor.AlertKind("procedure_violation") {
					t.Errorf("case %s breaks a procedure rule (%s): %+v", evs[0].CaseID, a.Rule, evs)
				}
			}
		}
	}
	// The district mostly keeps its promises, and not always.
	late := kinds["promise_overdue"]
	if late < cases/20 || late > cases/3 {
		t.Errorf("%d of %d cases broke their promise, want between 5%% and 33%%", late, cases)
	}
	for _, k := range []monitor.AlertKind{"statutory_overdue", "acceptance_overdue", "delivery_overdue", "decision_due"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among %d cases: %v", k, cases, kinds)
		}
	}
	t.Logf("%d cases, alerts %v", cases, kinds)
}

// A staged case's promised deadline ends on the day it was staged for, so the demo can put
// red and yellow cards on the screen at chosen moments.
func TestStagedCasesFallDueOnTheirDay(t *testing.T) {
	cat := district(t)
	p := newPlanner(cat, workday.Builtin(), shanghai, 3)
	for _, dept := range cat.Departments {
		m := p.stageable(dept.Code)
		if m == nil {
			t.Fatalf("department %s has nothing to stage", dept.Code)
		}
		// Around the Qingming and Labour Day holidays, where counting back is hardest.
		for due := workday.NewDate(2026, 3, 30); due <= workday.NewDate(2026, 5, 15); due++ {
			if w, _ := p.cal.IsWorkday(due); !w {
				continue
			}
			evs := p.staged(m, due)
			accepted := evs[1].At
			r := compute(t, cat, evs, accepted.Add(time.Hour))
			if r.DecisionDuePromised == nil || r.DecisionDuePromised.Date != due {
				t.Fatalf("%s staged for %s: promised deadline %+v", m.Code, due, r.DecisionDuePromised)
			}
		}
	}
}

func TestPlansAreReproducible(t *testing.T) {
	cat := district(t)
	run := func() []monitor.Event {
		p := newPlanner(cat, workday.Builtin(), shanghai, 42)
		var all []monitor.Event
		for i := range 200 {
			all = append(all, p.plan(p.matterOf(cat.Departments[i%len(cat.Departments)].Code), workday.NewDate(2026, 4, 1))...)
		}
		return all
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed planned different cases")
	}
	if fmt.Sprint(a[0].CaseID) != "municipal-2026-000001" {
		t.Errorf("first case id %s", a[0].CaseID)
	}
}
