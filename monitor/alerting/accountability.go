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
}

// HandlerFaults is a handler's fault count of a year.
type HandlerFaults struct {
	Handler          string `json:"handler"`
	Department       string `json:"department"`
	Faults           int64  `json:"faults"`
	ThresholdReached bool   `json:"threshold_reached"`
}

// Accountability builds the report from a year's fault counts (rdb.FaultCounts, whose
// fields rdb.DeptFaultField and rdb.HandlerFaultField name), most
// faults first, then by name. Counts that fell to zero (exempted faults) are left out.
func Accountability(year int, counts map[string]int64, threshold int) AccountabilityReport {
	rep := AccountabilityReport{Year: year, Departments: []DeptFaults{}, Handlers: []HandlerFaults{}}
	for field, n := range counts {
		if n <= 0 {
			continue
		}
		if dept, ok := strings.CutPrefix(field, "d|"); ok {
			rep.Departments = append(rep.Departments, DeptFaults{Department: dept, Faults: n})
			continue
		}
		if rest, ok := strings.CutPrefix(field, "h|"); ok {
			dept, handler, _ := strings.Cut(rest, "|")
			rep.Handlers = append(rep.Handlers, HandlerFaults{Handler: handler, Department: dept, Faults: n,
				ThresholdReached: n >= int64(threshold)})
		}
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
