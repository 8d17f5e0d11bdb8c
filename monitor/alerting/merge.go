package alerting

import (
	"sort"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
)

// Case names the case whose alerts are merged.
type Case struct {
	CaseID, Department, Matter string
}

// Merge folds the alerts a case's events imply now (deadline.Result.Alerts) into the case's
// alert records (old, keyed by Key). It returns every record (sorted by Key) and the ones
// that changed, which the caller stores and announces in the same atomic step as the case
// state. Because a record is keyed by its alert's Key — kind and deadline, or kind and
// triggering event — an alert fires at most once however often the case is folded:
//
//   - a Key with no record fires: a new record, `firing`, or at once `resolved`/`closed`
//     when the case had already left the stage when the news arrived (it still counts);
//   - an open record whose alert is no longer active (the case left the stage) resolves
//     itself with resolution `closed`;
//   - a record whose Key is no longer implied (an extension or a late-reported suspension
//     moved the deadline, a retraction took back the event) resolves as `superseded` and
//     counts nowhere; should the Key come back, the same record reopens rather than firing
//     a second alert;
//   - supervisors' decisions stand: an exempted record stays exempted, one a supervisor
//     resolved (`corrected`) stays resolved, an acknowledged one stays acknowledged.
func Merge(c Case, old map[string]Record, computed []deadline.Alert, now time.Time) (all, changed []Record) {
	seen := make(map[string]bool, len(computed))
	for i := range computed {
		a := &computed[i]
		seen[a.Key] = true
		r, ok := old[a.Key]
		if !ok {
			r = fire(c, a, now)
			all = append(all, r)
			changed = append(changed, r)
			continue
		}
		if follow(&r, a, now) {
			changed = append(changed, r)
		}
		all = append(all, r)
	}
	for k, r := range old {
		if seen[k] {
			continue
		}
		if r.State != Exempted && !(r.State == Resolved && r.Resolution == Superseded) {
			r.move(Resolved, Superseded, now, "", "")
			changed = append(changed, r)
		}
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	sort.Slice(changed, func(i, j int) bool { return changed[i].Key < changed[j].Key })
	return all, changed
}

// fire makes the record of a newly implied alert.
func fire(c Case, a *deadline.Alert, now time.Time) Record {
	r := Record{
		ID: CaseAlertID(c.CaseID, a.Key), Key: a.Key, Kind: a.Kind, Level: a.Level,
		CaseID: c.CaseID, Department: c.Department, Matter: c.Matter, Handler: a.Handler,
		Due: a.Due, Instant: a.Instant, FiredAt: now, EventID: a.EventID, Rule: a.Rule,
		Message: a.Message,
	}
	r.move(Firing, "", now, "", "")
	if !a.Active {
		r.move(Resolved, Closed, now, "", "")
	}
	return r
}

// follow moves an existing record after its alert's condition; it reports a change.
func follow(r *Record, a *deadline.Alert, now time.Time) bool {
	switch {
	case r.State == Exempted:
		return false
	case r.State == Resolved && r.Resolution == Superseded,
		r.State == Resolved && r.Resolution == Closed && a.Active:
		// The alert is implied (again), or its condition holds again (a retracted decision):
		// the same record reopens.
		if a.Active {
			r.move(Firing, "", now, "", "")
		} else {
			r.move(Resolved, Closed, now, "", "")
		}
		return true
	case r.State.Open() && !a.Active:
		r.move(Resolved, Closed, now, "", "")
		return true
	}
	return false
}

// CaseLevel is a case's level: the worst level among its records that are neither resolved
// nor exempted, ignoring late_report, which is about the reporting, not the case (docs/rules.md).
func CaseLevel(records []Record) monitor.Level {
	lv := monitor.Green
	for i := range records {
		r := &records[i]
		if r.State.Open() && r.Kind != monitor.LateReport {
			lv = lv.Worse(r.Level)
		}
	}
	return lv
}
