package alerting

import (
	"errors"
	"fmt"
	"time"
)

// Action is a supervisor's action on an alert.
type Action string

// The supervisors' actions: POST /api/v1/alerts/{id}/ack, /resolve and /exempt.
const (
	Ack     Action = "ack"
	Resolve Action = "resolve"
	Exempt  Action = "exempt"
)

// ErrNoteRequired: resolve and exempt need a note (the reason, for the audit log).
var ErrNoteRequired = errors.New("a note is required")

// ErrState: the action does not apply to the alert's state.
var ErrState = errors.New("not allowed in this state")

// Apply performs a supervisor's action on a record at now:
//
//   - ack: firing → acknowledged (acknowledging an acknowledged alert again changes nothing);
//   - resolve: firing or acknowledged → resolved with resolution `corrected`;
//   - exempt (申诉/复核): any state but exempted → exempted, so the alert counts in no ranking
//     and no accountability; a superseded alert already counts nowhere and cannot be exempted.
//
// It reports whether the record changed; an error wraps ErrNoteRequired or ErrState.
func Apply(r *Record, act Action, by, note string, now time.Time) (bool, error) {
	switch act {
	case Ack:
		switch {
		case r.State == Acknowledged:
			return false, nil
		case r.State != Firing:
			return false, fmt.Errorf("%w: cannot acknowledge a %s alert", ErrState, r.State)
		}
		r.move(Acknowledged, "", now, by, note)
	case Resolve:
		if note == "" {
			return false, fmt.Errorf("%w to resolve an alert", ErrNoteRequired)
		}
		if !r.State.Open() {
			return false, fmt.Errorf("%w: cannot resolve a %s alert", ErrState, r.State)
		}
		r.move(Resolved, Corrected, now, by, note)
	case Exempt:
		if note == "" {
			return false, fmt.Errorf("%w to exempt an alert (the reason of the review)", ErrNoteRequired)
		}
		switch {
		case r.State == Exempted:
			return false, fmt.Errorf("%w: the alert is already exempted", ErrState)
		case r.State == Resolved && r.Resolution == Superseded:
			return false, fmt.Errorf("%w: a superseded alert counts nowhere already", ErrState)
		}
		r.move(Exempted, "", now, by, note)
	default:
		return false, fmt.Errorf("%w: unknown action %q", ErrState, act)
	}
	return true, nil
}
