package fold_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
)

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func rules() fold.Rules {
	cat := monitor.NewCatalog([]monitor.Department{{Code: "env", Name: "区生态环境局"}},
		[]monitor.Matter{monitor.NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10)})
	return fold.Rules{Catalog: cat, Calendar: workday.Builtin(), Loc: cst, ReportWithin: 30 * 24 * time.Hour}
}

func ev(id string, typ monitor.EventType, when string) monitor.Event {
	e := monitor.Event{EventID: id, CaseID: "c1", Department: "env", Type: typ, At: at(when), ReceivedAt: at(when)}
	switch typ {
	case monitor.Submitted:
		e.Matter = "ENV-EIA-001"
	case monitor.Decided:
		e.Result = "approved"
	}
	return e
}

// prevOf is what a commit of st leaves for the next fold.
func prevOf(st fold.Step) *fold.Prev {
	p := &fold.Prev{Stage: st.State.Stage, Level: st.State.Level, Decision: st.State.Decision,
		MissingYears: st.State.MissingYears, At: st.State.At, Faults: st.Faults,
		Records: map[string]alerting.Record{}}
	for _, r := range st.Records {
		p.Records[r.Key] = r
	}
	return p
}

// kinds lists the transitions' types, an alert's as "alert:<kind>" (with "+" when new).
func kinds(ts []fold.Transition) []string {
	var out []string
	for _, t := range ts {
		s := t.Type
		switch t.Type {
		case fold.TAlert:
			s += ":" + string(t.Alert.Kind)
			if t.New {
				s += "+"
			}
		case fold.TStageChanged, fold.TLevelChanged, fold.TCounted:
			s += ":" + t.From + ">" + t.To
		case fold.TCalendarMissing:
			s += ":" + time.Date(t.Year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")
		}
		out = append(out, s)
	}
	return out
}

// Step is pure: each table row folds the events at an instant after the previous row's
// commit and names the transitions it must emit, in order.
func TestStepTransitions(t *testing.T) {
	type row struct {
		name   string
		events []monitor.Event // added to those of the rows before
		now    string
		want   []string
	}
	for _, tc := range []struct {
		name string
		rows []row
	}{
		{"a case from submission to an on-time decision", []row{
			{"first apply", []monitor.Event{ev("e1", monitor.Submitted, "2026-03-02 09:00"),
				ev("e2", monitor.Accepted, "2026-03-02 10:00")}, "2026-03-02 10:01",
				[]string{"case_opened", "stage_changed:>decision", "level_changed:>green", "counted:>decision|green"}},
			{"nothing new: nothing emitted", nil, "2026-03-03 10:00", nil},
			{"decided", []monitor.Event{ev("e3", monitor.Decided, "2026-03-05 15:00")}, "2026-03-05 15:01",
				[]string{"stage_changed:decision>delivery", "counted:decision|green>delivery|green", "decided"}},
		}},
		{"a deadline passes, once", []row{
			{"first apply", []monitor.Event{ev("e1", monitor.Submitted, "2026-03-02 09:00"),
				ev("e2", monitor.Accepted, "2026-03-02 10:00")}, "2026-03-02 10:01",
				[]string{"case_opened", "stage_changed:>decision", "level_changed:>green", "counted:>decision|green"}},
			{"past the promised deadline", nil, "2026-03-20 09:00",
				[]string{"level_changed:green>red", "counted:decision|green>decision|red", "alert:decision_due+",
					"alert:promise_overdue+", "fault"}},
			{"folded again later: no alert twice", nil, "2026-03-21 09:00", nil},
		}},
		{"a deadline in a year whose calendar is not loaded", []row{
			{"first apply", []monitor.Event{ev("e1", monitor.Submitted, "2026-12-21 09:00"),
				ev("e2", monitor.Accepted, "2026-12-21 10:00")}, "2026-12-21 10:01",
				[]string{"case_opened", "stage_changed:>decision", "level_changed:>green", "counted:>decision|green",
					"calendar_missing:2027"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rules()
			var evs []monitor.Event
			var prev *fold.Prev
			for _, rw := range tc.rows {
				evs = append(evs, rw.events...)
				st, err := r.Step(fold.Input{CaseID: "c1", Department: "env", Events: slices.Clone(evs), Prev: prev}, at(rw.now))
				if err != nil {
					t.Fatalf("%s: %v", rw.name, err)
				}
				if got := kinds(st.Transitions); !slices.Equal(got, rw.want) {
					t.Errorf("%s: transitions\n got %q\nwant %q", rw.name, got, rw.want)
				}
				for _, tr := range st.Transitions {
					if tr.CaseID != "c1" || tr.Department != "env" || tr.Matter != "ENV-EIA-001" {
						t.Errorf("%s: %s names case %q of %q, matter %q", rw.name, tr.Type, tr.CaseID, tr.Department, tr.Matter)
					}
					if tr.Type == fold.TAlert && (tr.Key == "" || tr.Key != tr.Alert.Key || tr.Facts == nil) {
						t.Errorf("%s: alert transition without its key or facts: %+v", rw.name, tr)
					}
				}
				prev = prevOf(st)
			}
		})
	}
}

// A case that cannot be folded yet says so with ErrNotApplicable, naming why.
func TestStepNotApplicable(t *testing.T) {
	r := rules()
	_, err := r.Step(fold.Input{CaseID: "c1", Department: "env",
		Events: []monitor.Event{ev("e2", monitor.Accepted, "2026-03-02 10:00")}}, at("2026-03-02 11:00"))
	if !errors.Is(err, fold.ErrNotApplicable) || !strings.Contains(err.Error(), "no submitted event") {
		t.Errorf("accepted without submitted: %v", err)
	}
	other := ev("e1", monitor.Submitted, "2026-03-02 09:00")
	other.Department = "police"
	_, err = r.Step(fold.Input{CaseID: "c1", Department: "police", Events: []monitor.Event{other}}, at("2026-03-02 11:00"))
	if !errors.Is(err, fold.ErrNotApplicable) || !strings.Contains(err.Error(), "belongs to department") {
		t.Errorf("another department's matter: %v", err)
	}
}

// The next threshold and the due day are what the timers and the due-today index need.
func TestStepNextTimerAndDueDay(t *testing.T) {
	st, err := rules().Step(fold.Input{CaseID: "c1", Department: "env", Events: []monitor.Event{
		ev("e1", monitor.Submitted, "2026-03-02 09:00"), ev("e2", monitor.Accepted, "2026-03-02 10:00")}},
		at("2026-03-02 10:01"))
	if err != nil {
		t.Fatal(err)
	}
	if st.NextTimer.IsZero() || !st.NextTimer.After(at("2026-03-02 10:01")) {
		t.Errorf("next timer %v, want a threshold ahead", st.NextTimer)
	}
	// 10 working days after 2026-03-02 (a Monday): 2026-03-16.
	if st.DueDay != 20260316 {
		t.Errorf("due day %d, want 20260316", st.DueDay)
	}
}
