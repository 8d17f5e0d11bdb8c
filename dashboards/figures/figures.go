// Package figures answers the screen's numbers — GET /api/v1/overview and /trend, the
// shared-state gauges of /metrics and the month aggregates the ranking is built from — by
// reading the counters the relay keeps in Redis from case transitions (engine,
// figures.go), never by scanning cases.
package figures

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// Options configure a Source.
type Options struct {
	Store   Store
	Catalog func() *monitor.Catalog
	Clock   interface{ Now() time.Time }
	Loc     *time.Location
}

// Source reads figures.
type Source struct{ o Options }

// New validates options.
func New(o Options) (*Source, error) {
	if o.Store == nil || o.Catalog == nil || o.Clock == nil || o.Loc == nil {
		return nil, errors.New("figures: store, catalogue, clock and zone are required")
	}
	return &Source{o: o}, nil
}

// Figures are the headline numbers of the whole system or of one department.
type Figures struct {
	Open                int64            `json:"open"`
	ByStage             map[string]int64 `json:"by_stage"`
	DueToday            int64            `json:"due_today"`
	Yellow              int64            `json:"yellow"`
	Red                 int64            `json:"red"`
	DecidedThisMonth    int64            `json:"decided_this_month"`
	OnTimeRateThisMonth float64          `json:"on_time_rate_this_month"`
	// OrdersOpen counts supervision orders open or replied (督办中); OrdersOverdue those
	// open past their reply deadline (逾期未反馈).
	OrdersOpen      int64 `json:"orders_open"`
	OrdersOverdue   int64 `json:"orders_overdue"`
	onTimeThisMonth int64
}

// DeptFigures are one department's figures.
type DeptFigures struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Figures
}

// Overview is the answer of GET /api/v1/overview (docs/api.md).
type Overview struct {
	At time.Time `json:"at"`
	Figures
	Departments []DeptFigures `json:"departments"`
}

func newFigures() Figures {
	return Figures{ByStage: map[string]int64{
		string(monitor.StageAcceptance): 0, string(monitor.StageDecision): 0, string(monitor.StageDelivery): 0}}
}

// Overview computes the overview now; dept "" is every department, else only that one.
// Departments are ordered by risk: red, then yellow, then open cases, most first.
func (s *Source) Overview(ctx context.Context, dept string) (Overview, error) {
	now := s.o.Clock.Now().In(s.o.Loc)
	day := now.Year()*10000 + int(now.Month())*100 + now.Day()
	// One round trip for the catalogue's departments; a second only for departments the
	// counters know that the catalogue no longer lists.
	known := s.departments(dept)
	codes := make([]string, len(known))
	for i := range known {
		codes[i] = known[i].Department
	}
	open, month, due, err := s.o.Store.OverviewFigures(ctx, now.Format("2006-01"), codes, day)
	if err != nil {
		return Overview{}, err
	}
	depts := s.departments(dept, open, month)
	if len(depts) > len(known) {
		var extra []string
		for _, d := range depts[len(known):] {
			extra = append(extra, d.Department)
		}
		more, err := s.o.Store.DueOn(ctx, extra, day)
		if err != nil {
			return Overview{}, err
		}
		for k, v := range more {
			due[k] = v
		}
	}
	byCode := make(map[string]*DeptFigures, len(depts))
	for i := range depts {
		byCode[depts[i].Department] = &depts[i]
		depts[i].DueToday = due[depts[i].Department]
		depts[i].DecidedThisMonth = month[rdb.Field(engine.FigDecided, depts[i].Department)]
		depts[i].onTimeThisMonth = month[rdb.Field(engine.FigOnTime, depts[i].Department)]
	}
	for field, n := range open {
		parts := strings.Split(field, "|") // dept|stage|level
		if len(parts) != 3 || n <= 0 {
			continue
		}
		d, ok := byCode[parts[0]]
		if !ok {
			continue
		}
		d.Open += n
		d.ByStage[parts[1]] += n
		switch monitor.Level(parts[2]) {
		case monitor.Yellow:
			d.Yellow += n
		case monitor.Red:
			d.Red += n
		}
	}
	if err := s.orders(ctx, byCode); err != nil {
		return Overview{}, err
	}
	ov := Overview{At: now, Figures: newFigures(), Departments: depts}
	for i := range depts {
		d := &depts[i]
		d.OnTimeRateThisMonth = rate(d.onTimeThisMonth, d.DecidedThisMonth)
		ov.Open += d.Open
		for k, v := range d.ByStage {
			ov.ByStage[k] += v
		}
		ov.DueToday += d.DueToday
		ov.Yellow += d.Yellow
		ov.Red += d.Red
		ov.DecidedThisMonth += d.DecidedThisMonth
		ov.OrdersOpen += d.OrdersOpen
		ov.OrdersOverdue += d.OrdersOverdue
		ov.onTimeThisMonth += d.onTimeThisMonth
	}
	ov.OnTimeRateThisMonth = rate(ov.onTimeThisMonth, ov.DecidedThisMonth)
	sort.SliceStable(depts, func(i, j int) bool {
		a, b := depts[i], depts[j]
		if a.Red != b.Red {
			return a.Red > b.Red
		}
		if a.Yellow != b.Yellow {
			return a.Yellow > b.Yellow
		}
		if a.Open != b.Open {
			return a.Open > b.Open
		}
		return a.Department < b.Department
	})
	return ov, nil
}

// orders adds the order figures (rdb.OrderFigures, kept by the relay) to the departments.
func (s *Source) orders(ctx context.Context, byCode map[string]*DeptFigures) error {
	figs, err := s.o.Store.OrderFigures(ctx)
	if err != nil {
		return err
	}
	for field, n := range figs {
		a, b, _ := strings.Cut(field, "|")
		if a == "overdue" {
			if d, ok := byCode[b]; ok {
				d.OrdersOverdue += n
			}
			continue
		}
		if d, ok := byCode[a]; ok && (b == "open" || b == "replied") {
			d.OrdersOpen += n
		}
	}
	return nil
}

// departments lists the catalogue's departments (or the one asked for), then any other
// department the counters know, each with zero figures.
func (s *Source) departments(only string, tables ...map[string]int64) []DeptFigures {
	var out []DeptFigures
	seen := map[string]bool{}
	add := func(code, name string) {
		if seen[code] || (only != "" && code != only) {
			return
		}
		seen[code] = true
		out = append(out, DeptFigures{Department: code, Name: name, Figures: newFigures()})
	}
	if cat := s.o.Catalog(); cat != nil {
		for _, d := range cat.Departments {
			add(d.Code, d.Name)
		}
	}
	if only != "" {
		add(only, only)
	}
	for _, t := range tables {
		for field := range t {
			parts := strings.Split(field, "|")
			code := parts[0]     // dept|stage|level, or a bare department
			if len(parts) == 2 { // figure|dept
				code = parts[1]
			}
			add(code, code)
		}
	}
	return out
}

// rate is n/of rounded to 3 decimals; 0 when of is 0 (nothing decided yet).
func rate(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return float64(int64(float64(n)/float64(of)*1000+0.5)) / 1000
}

// TrendRow is one day of GET /api/v1/trend.
type TrendRow struct {
	Date        string `json:"date"`
	Received    int64  `json:"received"`
	Decided     int64  `json:"decided"`
	DecidedLate int64  `json:"decided_late"`
	RedFired    int64  `json:"red_fired"`
	YellowFired int64  `json:"yellow_fired"`
}

// Trend lists the last days days (today included, oldest first), overall or for dept.
func (s *Source) Trend(ctx context.Context, days int, dept string) ([]TrendRow, error) {
	today := s.o.Clock.Now().In(s.o.Loc)
	dates := make([]string, days)
	for i := range days {
		dates[i] = today.AddDate(0, 0, i-days+1).Format(time.DateOnly)
	}
	tables, err := s.o.Store.FiguresOf(ctx, rdb.Day, dates)
	if err != nil {
		return nil, err
	}
	rows := make([]TrendRow, days)
	for i, t := range tables {
		r := TrendRow{Date: dates[i]}
		for field, n := range t {
			fig, d, ok := strings.Cut(field, "|")
			if !ok || (dept != "" && d != dept) {
				continue
			}
			switch fig {
			case engine.FigReceived:
				r.Received += n
			case engine.FigDecided:
				r.Decided += n
			case engine.FigDecidedLate:
				r.DecidedLate += n
			case engine.FigRedFired:
				r.RedFired += n
			case engine.FigYellowFired:
				r.YellowFired += n
			}
		}
		rows[i] = r
	}
	return rows, nil
}
