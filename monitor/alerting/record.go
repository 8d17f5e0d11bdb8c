// Package alerts keeps the alert records (docs/rules.md, section 11): how the alerts the clock rules imply
// (monitor/deadline) become records that fire once, follow their case, go through the
// supervisors' lifecycle (acknowledge, resolve, exempt) and count as faults. It is pure: the
// engine (engine) runs it inside its compare-and-set commit, the API runs the
// lifecycle actions, and Redis (rdb) only stores what it returns.
package alerting

import (
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
)

// State is where an alert is in its lifecycle.
type State string

// The lifecycle states: firing → acknowledged → resolved, or exempted after review.
const (
	Firing       State = "firing"
	Acknowledged State = "acknowledged"
	Resolved     State = "resolved"
	Exempted     State = "exempted"
)

// States lists every state.
var States = []State{Firing, Acknowledged, Resolved, Exempted}

// Open reports whether an alert in this state still weighs on its case (neither resolved nor
// exempted).
func (s State) Open() bool { return s == Firing || s == Acknowledged }

// Resolution says why a resolved alert was resolved (the API's `resolution`).
type Resolution string

// The resolutions.
const (
	// Closed: the case left the stage (a time alert resolves itself).
	Closed Resolution = "closed"
	// Corrected: a supervisor resolved it after the fault was corrected.
	Corrected Resolution = "corrected"
	// Superseded: its deadline moved or its triggering event was retracted; it counts nowhere.
	Superseded Resolution = "superseded"
	// Replied: a supervision order's alert, resolved by the department's reply.
	Replied Resolution = "replied"
	// Withdrawn: a supervision order's alert, resolved by the order's withdrawal; it counts
	// nowhere.
	Withdrawn Resolution = "withdrawn"
)

// Record is an alert as stored and as the API shows it (docs/api.md, "Alerts").
type Record struct {
	ID         string            `json:"id"`
	Kind       monitor.AlertKind `json:"kind"`
	Level      monitor.Level     `json:"level"`
	State      State             `json:"state"`
	Resolution Resolution        `json:"resolution,omitempty"`
	CaseID     string            `json:"case_id,omitempty"`
	Department string            `json:"department,omitempty"`
	Matter     string            `json:"matter,omitempty"`
	Handler    string            `json:"handler,omitempty"`
	// OrderID and CaseIDs are set on a supervision order's alerts (order_overdue,
	// order_escalated), which belong to the order and name no case_id and no handler.
	OrderID string             `json:"order_id,omitempty"`
	CaseIDs []string           `json:"case_ids,omitempty"`
	Year    int                `json:"year,omitempty"` // calendar_missing, fault_threshold
	Due     *deadline.Deadline `json:"due"`
	// Instant is the alert's instant: its deadline's end for time alerts, the triggering
	// event's `at` for event alerts. It decides the ranking month and the accountability year.
	Instant  time.Time `json:"instant"`
	FiredAt  time.Time `json:"fired_at"`
	EventID  string    `json:"event_id,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	Message  string    `json:"message"`
	Faults   int       `json:"faults,omitempty"` // fault_threshold: the count that reached it
	Note     string    `json:"note,omitempty"`   // the latest supervisor's note
	Updated  time.Time `json:"updated_at"`
	History  []Step    `json:"history"`
	Key      string    `json:"key,omitempty"` // the alert's key within its case
	Revision int       `json:"revision"`      // +1 per change, for idempotent consumers
}

// Step is one change of an alert's state, kept for its history.
type Step struct {
	State      State      `json:"state"`
	Resolution Resolution `json:"resolution,omitempty"`
	At         time.Time  `json:"at"`
	By         string     `json:"by,omitempty"` // the supervisor; empty for the system
	Note       string     `json:"note,omitempty"`
}

// InZone puts every time of the record in loc, the configured zone (monitor.InZone): its
// deadline, instant, fire and update times and each step of its history. The record gets a
// deadline and a history of its own, so a record copied from another (or whose deadline is
// the case's own) can be changed without changing the other.
func (r *Record) InZone(loc *time.Location) {
	if loc == nil {
		return
	}
	if r.Due != nil {
		d := *r.Due
		d.At = monitor.InZone(d.At, loc)
		r.Due = &d
	}
	r.Instant = monitor.InZone(r.Instant, loc)
	r.FiredAt = monitor.InZone(r.FiredAt, loc)
	r.Updated = monitor.InZone(r.Updated, loc)
	if r.History != nil {
		h := make([]Step, len(r.History))
		for i, s := range r.History {
			s.At = monitor.InZone(s.At, loc)
			h[i] = s
		}
		r.History = h
	}
}

// Counts reports whether the alert counts in rankings and accountability: exempted and
// superseded alerts count nowhere (docs/rules.md, section 11).
func (r *Record) Counts() bool {
	return r.State != Exempted && !(r.State == Resolved && r.Resolution == Superseded)
}

// Superseded reports whether the alert was resolved because its deadline moved.
func (r *Record) Superseded() bool { return r.State == Resolved && r.Resolution == Superseded }

// move changes the state and records the step.
func (r *Record) move(s State, res Resolution, at time.Time, by, note string) {
	r.State, r.Resolution, r.Updated = s, res, at
	if note != "" {
		r.Note = note
	}
	r.Revision++
	r.History = append(r.History, Step{State: s, Resolution: res, At: at, By: by, Note: note})
}

// Alert IDs. A case alert's id is its case id and its key joined by '~', a character case
// ids cannot contain (monitor.ValidateEvent), so the id names its case and so its partition:
// "env-2026-000123~promise_overdue:2026-03-16". System alerts (no case) start with '~'.

// Sep joins a case id and an alert key.
const Sep = "~"

// CaseAlertID is the id of a case's alert.
func CaseAlertID(caseID, key string) string { return caseID + Sep + key }

// CalendarMissingID is the id of the calendar_missing alert of a year.
func CalendarMissingID(year int) string {
	return Sep + string(monitor.CalendarMissing) + Sep + strconv.Itoa(year)
}

// FaultThresholdID is the id of a handler's fault_threshold alert of a year.
func FaultThresholdID(year int, dept, handler string) string {
	return Sep + string(monitor.FaultThreshold) + Sep + strconv.Itoa(year) + Sep + dept + Sep + handler
}

// SplitID splits an alert id into its case id and key; system is true for system alerts.
// ok is false when the id cannot be an alert id.
func SplitID(id string) (caseID, key string, system, ok bool) {
	if strings.HasPrefix(id, Sep) {
		return "", id, true, len(id) > 1
	}
	i := strings.Index(id, Sep)
	if i <= 0 || i == len(id)-1 {
		return "", "", false, false
	}
	return id[:i], id[i+1:], false, true
}

// Fire puts a system alert in the firing state at now (a new one, or a superseded one
// whose condition holds again).
func (r *Record) Fire(now time.Time) { r.move(Firing, "", now, "", "") }

// SystemResolve resolves an alert on the system's behalf (no supervisor).
func (r *Record) SystemResolve(res Resolution, now time.Time) { r.move(Resolved, res, now, "", "") }
