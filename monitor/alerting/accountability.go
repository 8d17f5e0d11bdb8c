package alerting

import (
	"sort"
	"strings"
)

// AccountabilityReport is the answer of GET /api/v1/accountability (docs/api.md).
type AccountabilityReport struct {
	Year        int             `json:"year"`
	Departments []DeptFaults    `json:"departments"`
	Handlers    []HandlerFaults `json:"handlers"`
}

// DeptFaults is a department's fault count of a year.
type DeptFaults struct {
	Department string `json:"department"`
	Faults     int64  `json:"faults"`
	// Confirmed counts the department's confirmed faults: accepted supervision orders that
	// hold a handler directly responsible.
	Confirmed int64 `json:"confirmed"`
}

// HandlerFaults is a handler's fault count of a year.
type HandlerFaults struct {
	Handler          string `json:"handler"`
	Department       string `json:"department"`
	Faults           int64  `json:"faults"`
	ThresholdReached bool   `json:"threshold_reached"`
	// Confirmed counts the handler's confirmed faults (accepted orders holding the handler
	// directly responsible); ThresholdConfirmed is whether they reach the threshold.
	Confirmed          int64 `json:"confirmed"`
	ThresholdConfirmed bool  `json:"threshold_confirmed"`
}

// Accountability builds the report from a year's fault counts (rdb.FaultCounts, whose
// fields rdb.DeptFaultField and rdb.HandlerFaultField name), most
// faults first, then by name. Counts that fell to zero (exempted faults) are left out.
// Confirmed faults ("c|<dept>", "ch|<dept>|<handler>": rdb.ConfirmedDeptField and
// rdb.ConfirmedHandlerField) stand beside the recorded ones.
func Accountability(year int, counts map[string]int64, threshold int) AccountabilityReport {
	rep := AccountabilityReport{Year: year, Departments: []DeptFaults{}, Handlers: []HandlerFaults{}}
	depts := map[string]*DeptFaults{}
	type hk struct{ dept, handler string }
	handlers := map[hk]*HandlerFaults{}
	dept := func(d string) *DeptFaults {
		if depts[d] == nil {
			depts[d] = &DeptFaults{Department: d}
		}
		return depts[d]
	}
	handler := func(rest string) *HandlerFaults {
		d, h, _ := strings.Cut(rest, "|")
		k := hk{d, h}
		if handlers[k] == nil {
			handlers[k] = &HandlerFaults{Handler: h, Department: d}
		}
		return handlers[k]
	}
	for field, n := range counts {
		if n <= 0 {
			continue
		}
		tag, rest, _ := strings.Cut(field, "|")
		switch tag {
		case "d":
			dept(rest).Faults = n
		case "c":
			dept(rest).Confirmed = n
		case "h":
			handler(rest).Faults = n
		case "ch":
			handler(rest).Confirmed = n
		}
	}
	for _, d := range depts {
		rep.Departments = append(rep.Departments, *d)
	}
	for _, h := range handlers {
		h.ThresholdReached = h.Faults >= int64(threshold)
		h.ThresholdConfirmed = h.Confirmed >= int64(threshold)
		rep.Handlers = append(rep.Handlers, *h)
	}
	sort.Slice(rep.Departments, func(i, j int) bool {
		a, b := rep.Departments[i], rep.Departments[j]
		return a.Faults > b.Faults || (a.Faults == b.Faults && a.Department < b.Department)
	})
	sort.Slice(rep.Handlers, func(i, j int) bool {
		a, b := rep.Handlers[i], rep.Handlers[j]
		if a.Faults != b.Faults {
			return a.Faults > b.Faults
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Handler < b.Handler
	})
	return rep
}
