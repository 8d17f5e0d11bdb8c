package alerting

import (
	"sort"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// Fault is one fault of accountability (行政过错责任追究): a red alert that counts, charged to
// the department and to the case's handler at the alert's instant, in the calendar year of
// that instant (docs/rules.md, "Alert records, levels and accountability").
type Fault struct {
	Year       int    `json:"year"`
	Department string `json:"department"`
	Handler    string `json:"handler,omitempty"` // empty when no handler was reported
	// Confirmed: a fault whose responsibility a supervision order's review confirmed
	// (package supervision); a case's own faults are recorded, never confirmed.
	Confirmed bool `json:"confirmed,omitempty"`
}

// decisionOverdue is the fault unit shared by a case's promise_overdue and
// statutory_overdue: the two count as one fault.
const decisionOverdue = "decision_overdue"

// Faults lists a case's faults by unit: one per counting red alert, except that
// promise_overdue and statutory_overdue share one unit (charged at the earlier instant).
// fault_threshold is never a fault. loc is the configured zone, which decides the year.
func Faults(records []Record, loc *time.Location) map[string]Fault {
	var out map[string]Fault
	var decAt time.Time
	for i := range records {
		r := &records[i]
		if r.Level != monitor.Red || r.Kind == monitor.FaultThreshold || !r.Counts() {
			continue
		}
		unit := r.Key
		if r.Kind == monitor.PromiseOverdue || r.Kind == monitor.StatutoryOverdue {
			unit = decisionOverdue
			if _, ok := out[unit]; ok && !r.Instant.Before(decAt) {
				continue
			}
			decAt = r.Instant
		}
		if out == nil {
			out = make(map[string]Fault)
		}
		out[unit] = Fault{Year: r.Instant.In(loc).Year(), Department: r.Department, Handler: r.Handler}
	}
	return out
}

// FaultDelta is a change of one fault count.
type FaultDelta struct {
	Fault
	Delta int `json:"delta"`
}

// DiffFaults lists the count changes from old fault units to new ones (a case's, or a
// supervision order's), in a stable order: year, department, handler, recorded before
// confirmed, then delta.
func DiffFaults(old, cur map[string]Fault) []FaultDelta {
	var out []FaultDelta
	for u, f := range old {
		if g, ok := cur[u]; !ok || g != f {
			out = append(out, FaultDelta{Fault: f, Delta: -1})
		}
	}
	for u, f := range cur {
		if g, ok := old[u]; !ok || g != f {
			out = append(out, FaultDelta{Fault: f, Delta: 1})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		if a.Handler != b.Handler {
			return a.Handler < b.Handler
		}
		if a.Confirmed != b.Confirmed {
			return !a.Confirmed
		}
		return a.Delta < b.Delta
	})
	return out
}
