package ranking

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Compute turns a month's aggregates into its ranking, by method; generatedAt is recorded as
// given (without its monotonic reading). It reads no clock and does no I/O.
//
// Every department is listed, in the order Ranking.Departments describes; aggregates with the same
// department code are added together (the first non-empty name is kept). Departments with
// at least method.MinCases decided cases are ranked by score, then on-time rate, then
// decided count, all descending and on full precision (scores equal to 9 decimal places are equal);
// departments still equal share a rank and are listed by code. Compute expects aggregates
// that pass Validate; a TimeRatioSum that is not a finite number counts as 0 so that the
// result always serialises.
func Compute(month Month, generatedAt time.Time, method Method, aggs []Aggregate) Ranking {
	if method.MinCases < 1 {
		method.MinCases = 1
	}
	var ranked, unranked []figures
	for _, a := range merge(aggs) {
		f := measure(a, method.Weights)
		if a.Decided >= method.MinCases {
			ranked = append(ranked, f)
		} else {
			unranked = append(unranked, f)
		}
	}
	slices.SortFunc(ranked, func(a, b figures) int {
		if c := cmp.Compare(b.scoreKey, a.scoreKey); c != 0 {
			return c
		}
		if c := cmp.Compare(b.onTime, a.onTime); c != 0 {
			return c
		}
		if c := cmp.Compare(b.agg.Decided, a.agg.Decided); c != 0 {
			return c
		}
		return strings.Compare(a.agg.Department, b.agg.Department)
	})
	// Unranked departments are not compared with one another: listing them by code says
	// nothing about their figures.
	slices.SortFunc(unranked, func(a, b figures) int {
		return strings.Compare(a.agg.Department, b.agg.Department)
	})

	out := Ranking{
		Month:       month,
		GeneratedAt: generatedAt.Round(0),
		Method:      method,
		Departments: make([]Standing, 0, len(ranked)+len(unranked)),
	}
	rank := 0
	for i, f := range ranked {
		if i == 0 || !f.ties(ranked[i-1]) {
			rank = i + 1
		}
		s := f.standing()
		r := rank // a variable of its own: the next department must not share it
		s.Rank, s.Ranked = &r, true
		out.Departments = append(out.Departments, s)
	}
	for _, f := range unranked {
		out.Departments = append(out.Departments, f.standing())
	}
	return out
}

// merge adds up aggregates of the same department, keeping the first one's position.
func merge(aggs []Aggregate) []Aggregate {
	out := make([]Aggregate, 0, len(aggs))
	at := make(map[string]int, len(aggs))
	for _, a := range aggs {
		i, ok := at[a.Department]
		if !ok {
			at[a.Department] = len(out)
			out = append(out, a)
			continue
		}
		m := &out[i]
		if m.Name == "" {
			m.Name = a.Name
		}
		m.Decided += a.Decided
		m.OnTime += a.OnTime
		m.WithinStatutory += a.WithinStatutory
		m.Early += a.Early
		m.TimeRatioSum += a.TimeRatioSum
		m.Red += a.Red
		m.Yellow += a.Yellow
		m.OpenOverdue += a.OpenOverdue
	}
	return out
}

// figures are one department's indicators on full precision.
type figures struct {
	agg                                    Aggregate
	onTime, statutory, early, avgTimeRatio float64
	redPer100, yellowPer100, score         float64
	scoreKey                               int64
}

// measure computes a's indicators and score. With no decided case every rate and figure
// per decided case is undefined and is 0, and so is the score.
func measure(a Aggregate, w Weights) figures {
	f := figures{agg: a}
	if a.Decided <= 0 {
		return f
	}
	n := float64(a.Decided)
	trs := a.TimeRatioSum
	if math.IsNaN(trs) || math.IsInf(trs, 0) {
		trs = 0
	}
	f.onTime = float64(a.OnTime) / n
	f.statutory = float64(a.WithinStatutory) / n
	f.early = float64(a.Early) / n
	f.avgTimeRatio = trs / n
	f.redPer100 = float64(a.Red) * 100 / n
	f.yellowPer100 = float64(a.Yellow) * 100 / n
	f.score = score(f, w)
	f.scoreKey = key(f.score)
	return f
}

// score is the ranking's formula (docs/ranking.md) with weights w, scaled to 0–100: 100·Σ(w·term)/Σw. With
// weights adding up to 100 the scale is exactly 1 and this is the formula as written.
func score(f figures, w Weights) float64 {
	sum := w.OnTime + w.TimeRatio + w.Early + w.Red + w.OpenOverdue
	if !(sum > 0) || math.IsInf(sum, 0) {
		return 0
	}
	s := w.OnTime*f.onTime +
		w.TimeRatio*(1-min(f.avgTimeRatio, 1)) +
		w.Early*f.early +
		w.Red*max(0, 1-f.redPer100/10) +
		w.OpenOverdue*max(0, 1-float64(f.agg.OpenOverdue)/10)
	return s * (100 / sum)
}

// ties reports whether f and g are equal after every tie-break, and so share a rank.
func (f figures) ties(g figures) bool {
	return f.scoreKey == g.scoreKey && f.onTime == g.onTime && f.agg.Decided == g.agg.Decided
}

// standing is f as published: rounded, unranked until Compute says otherwise.
func (f figures) standing() Standing {
	return Standing{
		Department:    f.agg.Department,
		Name:          f.agg.Name,
		Decided:       f.agg.Decided,
		OnTimeRate:    round(f.onTime, 3),
		StatutoryRate: round(f.statutory, 3),
		EarlyRate:     round(f.early, 3),
		AvgTimeRatio:  round(f.avgTimeRatio, 3),
		RedPer100:     round(f.redPer100, 1),
		YellowPer100:  round(f.yellowPer100, 1),
		OpenOverdue:   f.agg.OpenOverdue,
		Score:         round(f.score, 1),
	}
}
