package supervision

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor/alerting"
)

// Fault is one fault unit: a department's missed reply (Handler empty) or a confirmed
// responsibility. It is the alert rules' fault unit, so orders' and cases' faults are
// counted, diffed and relayed alike.
type Fault = alerting.Fault

// FaultDelta is a change of one fault count.
type FaultDelta = alerting.FaultDelta

// FaultYear is the year an order's confirmed faults belong to: the year of the earliest
// instant among its alerts (when the fault happened), or, for an order without alerts, the
// year it was opened; in loc, the configured zone.
func FaultYear(o Order, loc *time.Location) int {
	if o.EarliestAlertAt != nil {
		return o.EarliestAlertAt.In(loc).Year()
	}
	return o.OpenedAt.In(loc).Year()
}

// DirectHandlers lists the handlers the order's accepted determination holds directly
// responsible, in its order; none unless the order was accepted.
func DirectHandlers(o Order) []string {
	if o.State != Closed || o.Review == nil || o.Review.Decision != Accepted {
		return nil
	}
	var hs []string
	for _, p := range o.Review.Responsible {
		if p.Responsibility == Direct && !slices.Contains(hs, p.Handler) {
			hs = append(hs, p.Handler)
		}
	}
	return hs
}

// Faults returns the order's faults by unit: "missed:<round>" for each counting missed
// reply, "confirmed" for the department's confirmed fault and "confirmed:<handler>" for
// each handler's. Confirmed faults are final once the order is accepted: nothing that
// happens to its alerts later undoes them.
func Faults(o Order, loc *time.Location) map[string]Fault {
	out := map[string]Fault{}
	if o.State != Withdrawn {
		for _, rd := range o.Rounds {
			if rd.Overdue && !rd.OverdueExempted {
				out["missed:"+strconv.Itoa(rd.Round)] = Fault{Year: rd.ReplyDue.At.In(loc).Year(), Department: o.Department}
			}
		}
	}
	if hs := DirectHandlers(o); len(hs) > 0 {
		y := FaultYear(o, loc)
		out["confirmed"] = Fault{Year: y, Department: o.Department, Confirmed: true}
		for _, h := range hs {
			out["confirmed:"+h] = Fault{Year: y, Department: o.Department, Handler: h, Confirmed: true}
		}
	}
	return out
}

// DiffFaults lists the count changes from an order's old faults to its new ones.
func DiffFaults(old, cur map[string]Fault) []FaultDelta { return alerting.DiffFaults(old, cur) }

// DepartmentTally is one department's order figures of a year in accountability.
type DepartmentTally struct {
	Department string `json:"department"`
	// Missed counts the department's missed replies (its recorded faults from orders).
	Missed    int `json:"missed"`
	Confirmed int `json:"confirmed"`
}

// HandlerTally is one handler's confirmed faults of a year.
type HandlerTally struct {
	Handler            string `json:"handler"`
	Department         string `json:"department"`
	Confirmed          int    `json:"confirmed"`
	ThresholdConfirmed bool   `json:"threshold_confirmed"`
}

// Tally counts the faults of year that orders add to accountability: per department its
// missed replies and confirmed faults, per handler confirmed faults and whether they reach
// threshold (rules.fault_threshold). Departments and handlers come sorted by code.
func Tally(orders []Order, loc *time.Location, year, threshold int) ([]DepartmentTally, []HandlerTally) {
	depts := map[string]*DepartmentTally{}
	type hk struct{ dept, handler string }
	handlers := map[hk]*HandlerTally{}
	for _, o := range orders {
		for _, f := range Faults(o, loc) {
			if f.Year != year {
				continue
			}
			if f.Handler != "" {
				k := hk{f.Department, f.Handler}
				if handlers[k] == nil {
					handlers[k] = &HandlerTally{Handler: f.Handler, Department: f.Department}
				}
				handlers[k].Confirmed++
				continue
			}
			d := depts[f.Department]
			if d == nil {
				d = &DepartmentTally{Department: f.Department}
				depts[f.Department] = d
			}
			if f.Confirmed {
				d.Confirmed++
			} else {
				d.Missed++
			}
		}
	}
	var ds []DepartmentTally
	for _, d := range depts {
		ds = append(ds, *d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Department < ds[j].Department })
	var hs []HandlerTally
	for _, h := range handlers {
		h.ThresholdConfirmed = threshold > 0 && h.Confirmed >= threshold
		hs = append(hs, *h)
	}
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].Department != hs[j].Department {
			return hs[i].Department < hs[j].Department
		}
		return hs[i].Handler < hs[j].Handler
	})
	return ds, hs
}
