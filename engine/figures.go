package engine

import (
	"math"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// Figure names, the fields of the figure tables (rdb.Table) with the department appended:
// "decided|env".
const (
	FigReceived    = "received"
	FigDecided     = "decided"
	FigDecidedLate = "decided_late"
	FigRedFired    = "red_fired"
	FigYellowFired = "yellow_fired"
	// Month aggregates of the ranking (docs/ranking.md): decided cases by their decision month…
	FigOnTime    = "on_time"
	FigStatutory = "statutory"
	FigEarly     = "early"
	FigRatioU    = "ratio_u" // Σ time ratio × RatioScale
	// …alerts by the month of their instant (exempted and superseded ones taken out)…
	FigRed    = "red"
	FigYellow = "yellow"
	// …and the months a case's promised deadline was overdue and undecided: a case counts
	// in open_overdue of month m when Σ ovs − Σ ove over the months up to m says so.
	FigOverdueStart = "ovs"
	FigOverdueEnd   = "ove"
)

// RatioScale turns time ratios into integers for HINCRBY.
const RatioScale = 1_000_000

// figures adds the figure counts a transition changes to the relay batch.
func figures(b *rdb.RelayBatch, t *fold.Transition, loc *time.Location) {
	dept := t.Department
	day := func(at time.Time) string { return at.In(loc).Format(time.DateOnly) }
	month := func(at time.Time) string { return at.In(loc).Format("2006-01") }
	switch t.Type {
	case fold.TCounted:
		cell := func(s string, d int64) {
			c, ok := monitor.ParseStageLevel(s)
			if !ok || c.Stage == monitor.StageClosed {
				return // no cell before the first fold; closed cases are not open
			}
			c.Department = dept
			b.Count(rdb.OpenCases, "", c.Format(), d)
		}
		cell(t.From, -1)
		cell(t.To, 1)
	case fold.TCaseOpened:
		b.Count(rdb.Day, day(t.At), rdb.Field(FigReceived, dept), 1)
	case fold.TClosedUndecided:
		b.Count(rdb.Month, month(t.At), rdb.Field(FigOverdueEnd, dept), 1)
	case fold.TDecided, fold.TDecisionUndone:
		decision(b, t, dept, loc)
	case fold.TAlert:
		r := t.Alert
		if r == nil || r.Department == "" {
			return
		}
		b.Count(rdb.OpenAlerts, "", rdb.Field(dept, string(r.Level)), delta(r.State.Open(), t.WasOpen))
		red := r.Level == monitor.Red && r.Kind != monitor.FaultThreshold
		yellow := r.Kind == monitor.DecisionDue || r.Kind == monitor.LateReport
		if t.New {
			switch {
			case red:
				b.Count(rdb.Day, day(r.FiredAt), rdb.Field(FigRedFired, dept), 1)
			case yellow:
				b.Count(rdb.Day, day(r.FiredAt), rdb.Field(FigYellowFired, dept), 1)
			}
		}
		m := month(r.Instant)
		counts := delta(r.Counts(), t.WasCounting)
		switch {
		case red:
			b.Count(rdb.Month, m, rdb.Field(FigRed, dept), counts)
		case yellow:
			b.Count(rdb.Month, m, rdb.Field(FigYellow, dept), counts)
		}
		if r.Kind == monitor.PromiseOverdue {
			b.Count(rdb.Month, m, rdb.Field(FigOverdueStart, dept), delta(!r.Superseded(), !t.New && !t.WasSuperseded))
		}
	}
}

// decision counts (or, undone, takes back) a decided case.
func decision(b *rdb.RelayBatch, t *fold.Transition, dept string, loc *time.Location) {
	f := t.Decision
	if f == nil {
		return
	}
	sign := int64(1)
	if t.Type == fold.TDecisionUndone {
		sign = -1
	}
	y, mo, d := f.Date.YMD()
	date := time.Date(y, mo, d, 12, 0, 0, 0, loc)
	day, month := date.Format(time.DateOnly), date.Format("2006-01")
	b.Count(rdb.Day, day, rdb.Field(FigDecided, dept), sign)
	b.Count(rdb.Month, month, rdb.Field(FigDecided, dept), sign)
	if f.OnTime {
		b.Count(rdb.Month, month, rdb.Field(FigOnTime, dept), sign)
	} else {
		b.Count(rdb.Day, day, rdb.Field(FigDecidedLate, dept), sign)
		b.Count(rdb.Month, month, rdb.Field(FigOverdueEnd, dept), sign)
	}
	if f.WithinStatutory {
		b.Count(rdb.Month, month, rdb.Field(FigStatutory, dept), sign)
	}
	if f.Early {
		b.Count(rdb.Month, month, rdb.Field(FigEarly, dept), sign)
	}
	ratio := int64(math.Round(deadline.TimeRatio(f.UsedDays, f.PromisedDays) * RatioScale))
	b.Count(rdb.Month, month, rdb.Field(FigRatioU, dept), sign*ratio)
}

func delta(now, before bool) int64 {
	switch {
	case now && !before:
		return 1
	case !now && before:
		return -1
	}
	return 0
}
