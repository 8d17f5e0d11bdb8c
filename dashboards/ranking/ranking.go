package ranking

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Weights are the score's weights, one per indicator term. They are relative: the score is
// 100·Σ(weight·term)/Σweight, so it runs from 0 to 100 whatever they add up to; the
// defaults add up to 100 and give the published formula exactly. The fields and JSON names are
// those of config.Weights (`ranking.weights`), so ranking.Weights(cfg.Ranking.Weights)
// converts one into the other.
type Weights struct {
	OnTime      float64 `json:"on_time"`      // × on_time_rate
	TimeRatio   float64 `json:"time_ratio"`   // × (1 − min(avg_time_ratio, 1))
	Early       float64 `json:"early"`        // × early_rate
	Red         float64 `json:"red"`          // × max(0, 1 − red_per_100/10)
	OpenOverdue float64 `json:"open_overdue"` // × max(0, 1 − open_overdue/10)
}

// DefaultWeights are the default `ranking.weights` (docs/configuration.md).
var DefaultWeights = Weights{OnTime: 40, TimeRatio: 20, Early: 10, Red: 20, OpenOverdue: 10}

// DefaultMinCases is the fewest decided cases a department needs to be ranked.
const DefaultMinCases = 10

// Method is how a ranking is computed; every ranking states it.
type Method struct {
	Weights Weights `json:"weights"`
	// MinCases is the fewest decided cases a department needs in the month to be ranked;
	// Compute takes anything below 1 as 1, so a department with none is never ranked.
	MinCases int `json:"min_cases"`
}

// DefaultMethod is DefaultWeights with DefaultMinCases.
func DefaultMethod() Method { return Method{Weights: DefaultWeights, MinCases: DefaultMinCases} }

// Validate reports the first problem with m: a weight that is negative or not a finite
// number, weights that are all zero, or MinCases below 1.
func (m Method) Validate() error {
	sum := 0.0
	for _, w := range []struct {
		name string
		v    float64
	}{
		{"on_time", m.Weights.OnTime}, {"time_ratio", m.Weights.TimeRatio},
		{"early", m.Weights.Early}, {"red", m.Weights.Red},
		{"open_overdue", m.Weights.OpenOverdue},
	} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return fmt.Errorf("ranking: weight %s must be a number ≥ 0, not %v", w.name, w.v)
		}
		sum += w.v
	}
	if sum == 0 {
		return errors.New("ranking: at least one weight must be > 0")
	}
	if m.MinCases < 1 {
		return fmt.Errorf("ranking: min_cases must be ≥ 1, not %d", m.MinCases)
	}
	return nil
}

// Aggregate is what a month's events say about one department: the input of Compute.
// Department codes identify departments; Name is the catalogue's name (区生态环境局).
type Aggregate struct {
	Department string
	Name       string
	// Decided counts the department's cases decided in the month, withdrawn ones
	// excluded; OnTime, WithinStatutory and Early count those of them decided by the
	// promised deadline, by the statutory deadline, and using at most half of the promised
	// days (the decision facts of docs/rules.md §4).
	Decided, OnTime, WithinStatutory, Early int
	// TimeRatioSum is the sum over the decided cases of deadline.TimeRatio(used days, promised days).
	TimeRatioSum float64
	// Red and Yellow count the department's alerts whose instant falls in the month,
	// exempted and superseded ones excluded: red every red kind but fault_threshold;
	// yellow decision_due and late_report.
	Red, Yellow int
	// OpenOverdue counts cases whose promised deadline ended before the month's end and
	// that were not decided by then.
	OpenOverdue int
}

// Validate reports the first problem with a: a negative count, OnTime, WithinStatutory or
// Early above Decided, or a TimeRatioSum that is negative or not a finite number.
func (a Aggregate) Validate() error {
	for _, c := range []struct {
		name    string
		v       int
		bounded bool // at most Decided
	}{
		{"decided", a.Decided, false}, {"on_time", a.OnTime, true},
		{"within_statutory", a.WithinStatutory, true}, {"early", a.Early, true},
		{"red", a.Red, false}, {"yellow", a.Yellow, false}, {"open_overdue", a.OpenOverdue, false},
	} {
		if c.v < 0 {
			return fmt.Errorf("ranking: department %q: %s is %d, below 0", a.Department, c.name, c.v)
		}
		if c.bounded && c.v > a.Decided {
			return fmt.Errorf("ranking: department %q: %s is %d, more than the %d decided", a.Department, c.name, c.v, a.Decided)
		}
	}
	if !(a.TimeRatioSum >= 0) || math.IsInf(a.TimeRatioSum, 0) {
		return fmt.Errorf("ranking: department %q: time ratio sum %v is not a number ≥ 0", a.Department, a.TimeRatioSum)
	}
	return nil
}

// Ranking is a month's published ranking: what GET /rankings/{YYYY-MM} answers, and what
// WriteCSV and WriteHTML render. It holds the published, rounded figures, so it survives a
// JSON round trip unchanged and a stored month renders the same every time.
type Ranking struct {
	Month       Month     `json:"month"`
	GeneratedAt time.Time `json:"generated_at"`
	Method      Method    `json:"method"`
	// Departments are the ranked departments by rank (tied ones by code), then the
	// unranked ones by code. Never nil.
	Departments []Standing `json:"departments"`
	// Provisional marks a ranking computed for a month not published yet — the month in
	// progress, or an ended one the monthly job has not published — whose figures stand at
	// GeneratedAt and may still change. WriteCSV and WriteHTML then say 暂定 and that
	// instant. It is not part of the stored document, since a stored month is published;
	// the API writes it as `provisional`.
	Provisional bool `json:"-"`
}

// Standing is one department's line in a ranking. Rates are fractions 0–1 rounded to 3
// decimals; AvgTimeRatio (which may exceed 1) likewise; RedPer100, YellowPer100 and Score
// are rounded to 1 decimal and written to JSON with that one decimal (57.0). With no
// decided case every rate, ratio, per-100 figure and the score is 0: they are undefined,
// and the renderers leave them blank.
type Standing struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	// Rank is 1 for the best; departments equal after every tie-break share a rank and
	// the next rank skips (1, 2, 2, 4). Nil, and Ranked false, below Method.MinCases.
	Rank          *int    `json:"rank"`
	Decided       int     `json:"decided"`
	OnTimeRate    float64 `json:"on_time_rate"`
	StatutoryRate float64 `json:"statutory_rate"`
	EarlyRate     float64 `json:"early_rate"`
	AvgTimeRatio  float64 `json:"avg_time_ratio"`
	RedPer100     float64 `json:"red_per_100"`
	YellowPer100  float64 `json:"yellow_per_100"`
	OpenOverdue   int     `json:"open_overdue"`
	Score         float64 `json:"score"`
	Ranked        bool    `json:"ranked"`
}

// MarshalJSON writes s in its fields' order and with their tags, the per-100 figures and
// the score with exactly one decimal as the published rankings show them ("score": 57.0).
func (s Standing) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Department    string      `json:"department"`
		Name          string      `json:"name"`
		Rank          *int        `json:"rank"`
		Decided       int         `json:"decided"`
		OnTimeRate    float64     `json:"on_time_rate"`
		StatutoryRate float64     `json:"statutory_rate"`
		EarlyRate     float64     `json:"early_rate"`
		AvgTimeRatio  float64     `json:"avg_time_ratio"`
		RedPer100     json.Number `json:"red_per_100"`
		YellowPer100  json.Number `json:"yellow_per_100"`
		OpenOverdue   int         `json:"open_overdue"`
		Score         json.Number `json:"score"`
		Ranked        bool        `json:"ranked"`
	}{
		s.Department, s.Name, s.Rank, s.Decided, s.OnTimeRate, s.StatutoryRate, s.EarlyRate,
		s.AvgTimeRatio, fixed1(s.RedPer100), fixed1(s.YellowPer100), s.OpenOverdue,
		fixed1(s.Score), s.Ranked,
	})
}

func fixed1(x float64) json.Number { return json.Number(strconv.FormatFloat(x, 'f', 1, 64)) }
