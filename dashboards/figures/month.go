package figures

import (
	"context"
	"time"

	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/rdb"
)

// overdueHistory is how many months back open_overdue looks for cases still overdue: a
// case overdue and undecided for longer than ten years is left out.
const overdueHistory = 120

// MonthAggregates reads a month's ranking aggregates per department (docs/ranking.md): the
// month's counters, and open_overdue as the running sum of overdue starts minus ends over
// the months up to it. O(departments × months of history), never a scan of cases.
func (s *Source) MonthAggregates(ctx context.Context, m ranking.Month) ([]ranking.Aggregate, error) {
	months := make([]string, overdueHistory)
	for i := range overdueHistory {
		months[i] = time.Date(m.Year, m.Month-time.Month(overdueHistory-1-i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
	tables, err := s.o.Store.FiguresOf(ctx, rdb.Month, months)
	if err != nil {
		return nil, err
	}
	cur := tables[len(tables)-1]
	overdue := map[string]int64{}
	for _, t := range tables {
		for field, n := range t {
			fig, dept, _ := rdb.CutField(field)
			switch fig {
			case engine.FigOverdueStart:
				overdue[dept] += n
			case engine.FigOverdueEnd:
				overdue[dept] -= n
			}
		}
	}
	depts := s.departments("", cur, overdue)
	out := make([]ranking.Aggregate, 0, len(depts))
	for _, d := range depts {
		c := d.Department
		get := func(fig string) int { return int(cur[rdb.Field(fig, c)]) }
		out = append(out, ranking.Aggregate{
			Department: c, Name: d.Name,
			Decided: get(engine.FigDecided), OnTime: get(engine.FigOnTime),
			WithinStatutory: get(engine.FigStatutory), Early: get(engine.FigEarly),
			TimeRatioSum: float64(cur[rdb.Field(engine.FigRatioU, c)]) / engine.RatioScale,
			Red:          get(engine.FigRed), Yellow: get(engine.FigYellow),
			OpenOverdue: int(max(0, overdue[c])),
		})
	}
	return out, nil
}
