// Package fold is the pure heart of the engine: a case's events, folded through the clock
// rules (monitor/deadline) and the alert rules (monitor/alerting) at an instant, give its
// state, its alert records and the transitions from what it was before (Step). It touches
// no storage and no clock: the engine (package engine) loads a case, calls Step, and commits
// what Step returns with a compare-and-set, so each transition is emitted exactly once.
package fold

import (
	"errors"
	"fmt"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/workday"
)

// CaseState is a case as the API shows it: identity, the clock rules' result at a given
// instant and, on reads, its events and timeline.
type CaseState struct {
	CaseID     string `json:"case_id"`
	Department string `json:"department"`
	Matter     string `json:"matter"`
	deadline.Result
	Alerts   []string                 `json:"alerts"`
	Events   []monitor.Event          `json:"events,omitempty"`
	Timeline []deadline.TimelineEntry `json:"timeline,omitempty"`
	// At is the instant (business time) the day counts and levels refer to.
	At time.Time `json:"computed_at"`
}

// CurrentDue is the deadline of the case's current stage (the promised one in decision), or
// nil when the stage has none (closed, waiting for a supplement).
func (c *CaseState) CurrentDue() *deadline.Deadline {
	switch c.Stage {
	case monitor.StageAcceptance:
		return c.AcceptanceDue
	case monitor.StageDecision:
		return c.DecisionDuePromised
	case monitor.StageDelivery:
		return c.DeliveryDue
	}
	return nil
}

// ErrNotApplicable marks a case whose events cannot be folded yet or at all; its message is
// the dead letter's reason.
var ErrNotApplicable = errors.New("not applicable")

// Rules is what the fold needs besides the events: catalogue, calendar, zone and the
// reporting deadline.
type Rules struct {
	Catalog      *monitor.Catalog
	Calendar     *workday.Calendar
	Loc          *time.Location
	ReportWithin time.Duration
}

// Fold computes a case's state at now from its events (sorted in place). It fails with
// ErrNotApplicable when the case has no `submitted` event naming a matter, or the matter is
// not in the catalogue (or belongs to another department).
//
// The events' times are put in the configured zone (in place, like the sort), so that the
// times the state takes from them (submitted_at, an event alert's instant, …) and the events
// a read shows are in it too, whatever offset a department sent or an earlier version stored.
func (r Rules) Fold(caseID, dept string, evs []monitor.Event, now time.Time, withDetail bool) (CaseState, error) {
	for i := range evs {
		evs[i].InZone(r.Loc)
	}
	monitor.SortEvents(evs)
	code := ""
	for i := range evs {
		if evs[i].Type == monitor.Submitted && evs[i].Matter != "" && !retracted(evs, evs[i].EventID) {
			code = evs[i].Matter
			break
		}
	}
	if code == "" {
		return CaseState{}, fmt.Errorf("%w: no submitted event (with its matter) has arrived for the case yet", ErrNotApplicable)
	}
	m, ok := r.Catalog.Matter(code)
	if !ok {
		return CaseState{}, fmt.Errorf("%w: matter %q is not in the catalogue", ErrNotApplicable, code)
	}
	if m.Department != dept {
		return CaseState{}, fmt.Errorf("%w: matter %q belongs to department %q, the case to %q", ErrNotApplicable, code, m.Department, dept)
	}
	in := deadline.Input{Events: evs, Matter: m, Calendar: r.Calendar, Loc: r.Loc, Now: now, ReportWithin: r.ReportWithin}
	st := CaseState{CaseID: caseID, Department: dept, Matter: code, At: monitor.InZone(now, r.Loc), Alerts: []string{}}
	st.Result = deadline.Compute(in)
	if withDetail {
		st.Events = evs
		st.Timeline = deadline.Timeline(in)
	}
	return st, nil
}

// retracted reports whether some event retracts the one with the given id. Retracting a
// submitted event un-says its matter; the clock rules handle the rest.
func retracted(evs []monitor.Event, id string) bool {
	for i := range evs {
		if evs[i].Type == monitor.Retracted && evs[i].Ref == id {
			return true
		}
	}
	return false
}

// WithRecords merges the alerts the fold implies into the case's alert records (keyed by
// alert key; see alerting.Merge) and sets the case's level and alert ids from the result. It
// returns every record and the changed ones.
func (c *CaseState) WithRecords(records map[string]alerting.Record, now time.Time) (all, changed []alerting.Record) {
	all, changed = alerting.Merge(alerting.Case{CaseID: c.CaseID, Department: c.Department, Matter: c.Matter},
		records, c.Result.Alerts, now)
	c.Level = alerting.CaseLevel(all)
	c.Alerts = make([]string, 0, len(all))
	for i := range all {
		// A superseded alert stays in the history (GET /alerts?case_id=) but no longer
		// describes the case, so the case's state stays a function of its event set.
		if r := &all[i]; !(r.State == alerting.Resolved && r.Resolution == alerting.Superseded) {
			c.Alerts = append(c.Alerts, r.ID)
		}
	}
	return all, changed
}
