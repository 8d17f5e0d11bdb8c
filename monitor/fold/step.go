package fold

import (
	"slices"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
)

// Prev is what a case's previous commit left that the next fold compares with.
type Prev struct {
	Stage        monitor.Stage           `json:"stage"`
	Level        monitor.Level           `json:"level"`
	Decision     *deadline.DecisionFacts `json:"decision"`
	MissingYears []int                   `json:"missing_years"`
	At           time.Time               `json:"computed_at"`
	// Records are the case's alert records by alert key; Faults its fault units.
	Records map[string]alerting.Record `json:"-"`
	Faults  map[string]alerting.Fault  `json:"-"`
}

// Input is one case to fold: its identity, all its stored events, and what its previous
// commit left (nil before the first).
type Input struct {
	CaseID, Department string
	Events             []monitor.Event
	Prev               *Prev
}

// Step is one fold of a case and everything its commit writes, typed: the engine encodes it.
type Step struct {
	State CaseState
	// Records are all the case's alert records after the fold; Changed those that are new
	// or changed (each fires once, by its key: alerting.Merge), in the configured zone.
	Records, Changed []alerting.Record
	// Faults are the case's fault units, kept for the next fold's diff.
	Faults map[string]alerting.Fault
	// Transitions are what changed, in order: Diff's (opened, stage, level, counted,
	// decision), one TAlert per changed record, then closed_undecided, the fault deltas
	// and the newly missing calendar years.
	Transitions []Transition
	// NextTimer is the business instant of the case's next threshold (zero for none).
	NextTimer time.Time
	// DueDay is the current stage's deadline day as yyyymmdd (0 for none, or the clock
	// stopped): the due-today index.
	DueDay int
}

// Step folds in at now under r.
func (r Rules) Step(in Input, now time.Time) (Step, error) {
	cur, err := r.Fold(in.CaseID, in.Department, in.Events, now, false)
	if err != nil {
		return Step{}, err
	}
	var old *CaseState
	var records map[string]alerting.Record
	var oldFaults map[string]alerting.Fault
	if p := in.Prev; p != nil {
		old = &CaseState{At: p.At}
		old.Stage, old.Level, old.Decision, old.MissingYears = p.Stage, p.Level, p.Decision, p.MissingYears
		records, oldFaults = p.Records, p.Faults
	}
	all, changed := cur.WithRecords(records, now)
	for i := range changed {
		// A record stored by an earlier version in another zone goes out whole in this one
		// when it changes, not with old and new times in two zones.
		changed[i].InZone(r.Loc)
	}
	st := Step{State: cur, Records: all, Changed: changed, Faults: alerting.Faults(all, r.Loc)}
	if len(cur.Thresholds) > 0 {
		st.NextTimer = cur.Thresholds[0].At
	}
	if d := cur.CurrentDue(); d != nil && !cur.ClockStopped {
		y, m, day := d.Date.YMD()
		st.DueDay = y*10000 + int(m)*100 + day
	}
	st.Transitions = Diff(old, &st.State)
	base := Transition{CaseID: cur.CaseID, Department: cur.Department, Matter: cur.Matter, At: now}
	for i := range changed {
		rec := &changed[i]
		t := base
		o, existed := records[rec.Key]
		if existed {
			t.WasCounting, t.WasOpen, t.WasSuperseded = o.Counts(), o.State.Open(), o.Superseded()
		}
		t.SetAlert(rec, nil)
		t.New = !existed
		// A time alert whose instant lay ahead when the case was last computed was a
		// scheduled threshold: its fire time minus due time is the timer engine's lag.
		t.Scheduled = t.New && rec.Due != nil && old != nil && old.At.Before(rec.Instant)
		st.Transitions = append(st.Transitions, t)
	}
	if old != nil && old.Stage != monitor.StageClosed && cur.Stage == monitor.StageClosed && cur.Decision == nil &&
		overdueUndecided(all) {
		t := base
		t.Type = TClosedUndecided
		if cur.ClosedAt != nil {
			t.At = *cur.ClosedAt
		}
		st.Transitions = append(st.Transitions, t)
	}
	for _, d := range alerting.DiffFaults(oldFaults, st.Faults) {
		t := base
		t.Type, t.Fault = TFault, &d
		st.Transitions = append(st.Transitions, t)
	}
	for _, y := range newYears(old, &cur) {
		t := base
		t.Type, t.Year = TCalendarMissing, y
		st.Transitions = append(st.Transitions, t)
	}
	return st, nil
}

// overdueUndecided reports whether a promise_overdue record stands (not superseded).
func overdueUndecided(all []alerting.Record) bool {
	for i := range all {
		if all[i].Kind == monitor.PromiseOverdue && !all[i].Superseded() {
			return true
		}
	}
	return false
}

// newYears lists the missing calendar years cur needs that old did not.
func newYears(old, cur *CaseState) []int {
	var out []int
	for _, y := range cur.MissingYears {
		if old == nil || !slices.Contains(old.MissingYears, y) {
			out = append(out, y)
		}
	}
	return out
}
