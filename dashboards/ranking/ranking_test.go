package ranking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/deadline"
)

var (
	march = Month{2026, time.March}
	// built is when March 2026 is built: 02:00 on the 2nd of April, Asia/Shanghai.
	built = time.Date(2026, time.April, 2, 2, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

// marchAggregates is the fixture month, in no particular order. The figures each department
// should show, computed by hand with the default weights (40, 20, 10, 20, 10; Σ 100, so the
// score is the sum of the weighted terms) and min_cases 10:
//
//	housing   decided 40: on time 38/40 = 0.95; statutory 40/40 = 1; early 20/40 = 0.5;
//	          avg 16/40 = 0.4; red 1·100/40 = 2.5; yellow 3·100/40 = 7.5; open 0.
//	          40·0.95 + 20·(1−0.4) + 10·0.5 + 20·(1−2.5/10) + 10·(1−0) = 38+12+5+15+10 = 80.0
//	market    decided 20: 18/20 = 0.9; 20/20 = 1; 6/20 = 0.3; 10/20 = 0.5; red 0; yellow
//	          1·100/20 = 5; open 1.  36 + 10 + 3 + 20 + 10·0.9 = 78.0
//	transport decided 20: 18/20 = 0.9; 19/20 = 0.95; 4/20 = 0.2; 10/20 = 0.5; red 0;
//	          yellow 0; open 0.  36 + 10 + 2 + 20 + 10 = 78.0 — the same score as market by
//	          other means, the same on-time rate and the same decided count: both rank 2.
//	env       decided 12 (the example of docs/api.md): 10/12 = 0.8333… → 0.833; 12/12 = 1;
//	          3/12 = 0.25; avg 7.32/12 = 0.61; red 1·100/12 = 8.333… → 8.3; yellow
//	          2·100/12 = 16.666… → 16.7; open 0.
//	          33.333… + 20·0.39 + 2.5 + 20·(1−0.8333…) + 10 = 33.333+7.8+2.5+3.333+10
//	          = 56.966… → 57.0; rank 4 (after 1, 2, 2).
//	agri      decided 10 (exactly min_cases: ranked): 5/10 = 0.5; 8/10 = 0.8; 1/10 = 0.1;
//	          avg 14/10 = 1.4 (shown uncapped); red 3·100/10 = 30; yellow 10; open 12.
//	          20 + 20·(1−min(1.4,1)) + 1 + 20·max(0, 1−3) + 10·max(0, 1−1.2) = 20+0+1+0+0
//	          = 21.0; rank 5.
//	culture   decided 6 < 10: 样本不足, not ranked although its score, 40+10+5+20+10 = 85.0,
//	          is the best; listed after the ranked ones.
//	sports    decided 0: nothing to compute, every rate and the score 0; red 2 and open 3
//	          shown as counts; not ranked, listed after culture (by code).
func marchAggregates() []Aggregate {
	return []Aggregate{
		{Department: "sports", Name: "区体育局", Red: 2, OpenOverdue: 3},
		{Department: "transport", Name: "区交通运输局", Decided: 20, OnTime: 18, WithinStatutory: 19, Early: 4, TimeRatioSum: 10},
		{Department: "env", Name: "区生态环境局", Decided: 12, OnTime: 10, WithinStatutory: 12, Early: 3, TimeRatioSum: 7.32, Red: 1, Yellow: 2},
		{Department: "culture", Name: "区文化和旅游局", Decided: 6, OnTime: 6, WithinStatutory: 6, Early: 3, TimeRatioSum: 3},
		{Department: "agri", Name: "区农业农村局", Decided: 10, OnTime: 5, WithinStatutory: 8, Early: 1, TimeRatioSum: 14, Red: 3, Yellow: 1, OpenOverdue: 12},
		{Department: "market", Name: "区市场监督管理局", Decided: 20, OnTime: 18, WithinStatutory: 20, Early: 6, TimeRatioSum: 10, Yellow: 1, OpenOverdue: 1},
		{Department: "housing", Name: "区住房和城乡建设局", Decided: 40, OnTime: 38, WithinStatutory: 40, Early: 20, TimeRatioSum: 16, Red: 1, Yellow: 3},
	}
}

func marchRanking() Ranking { return Compute(march, built, DefaultMethod(), marchAggregates()) }

// want is a standing in brief: rank 0 means not ranked.
type want struct {
	dept                            string
	rank, decided                   int
	onTime, statutory, early, ratio float64
	red, yellow                     float64
	open                            int
	score                           float64
}

func check(t *testing.T, got Ranking, wants []want) {
	t.Helper()
	if len(got.Departments) != len(wants) {
		t.Fatalf("%d departments, want %d: %+v", len(got.Departments), len(wants), got.Departments)
	}
	for i, w := range wants {
		s := got.Departments[i]
		rank := 0
		if s.Rank != nil {
			rank = *s.Rank
		}
		if s.Department != w.dept || rank != w.rank || s.Ranked != (w.rank > 0) || (s.Rank == nil) != (w.rank == 0) {
			t.Errorf("#%d: %s rank %d ranked %v; want %s rank %d", i, s.Department, rank, s.Ranked, w.dept, w.rank)
			continue
		}
		g := want{s.Department, rank, s.Decided, s.OnTimeRate, s.StatutoryRate, s.EarlyRate, s.AvgTimeRatio,
			s.RedPer100, s.YellowPer100, s.OpenOverdue, s.Score}
		if g != w {
			t.Errorf("#%d %s:\n got %+v\nwant %+v", i, w.dept, g, w)
		}
	}
}

func TestComputeFixture(t *testing.T) {
	r := marchRanking()
	if r.Month != march || !r.GeneratedAt.Equal(built) || r.Method != DefaultMethod() {
		t.Errorf("header: %v %v %+v", r.Month, r.GeneratedAt, r.Method)
	}
	check(t, r, []want{
		{"housing", 1, 40, 0.95, 1, 0.5, 0.4, 2.5, 7.5, 0, 80},
		{"market", 2, 20, 0.9, 1, 0.3, 0.5, 0, 5, 1, 78},
		{"transport", 2, 20, 0.9, 0.95, 0.2, 0.5, 0, 0, 0, 78},
		{"env", 4, 12, 0.833, 1, 0.25, 0.61, 8.3, 16.7, 0, 57},
		{"agri", 5, 10, 0.5, 0.8, 0.1, 1.4, 30, 10, 12, 21},
		{"culture", 0, 6, 1, 1, 0.5, 0.5, 0, 0, 0, 85},
		{"sports", 0, 0, 0, 0, 0, 0, 0, 0, 3, 0},
	})
}

func TestComputeDeterministic(t *testing.T) {
	want := marshal(t, marchRanking())
	aggs := marchAggregates()
	for i := range aggs { // every rotation of the input gives the same ranking
		aggs = append(aggs[1:], aggs[0])
		if got := marshal(t, Compute(march, built, DefaultMethod(), aggs)); !bytes.Equal(got, want) {
			t.Fatalf("rotation %d:\n%s\nwant\n%s", i, got, want)
		}
	}
}

func TestTieBreaks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		aggs  []Aggregate
		wants []want
	}{{
		// x: 40·1 + 20·(1−1) + 0 + 20 + 10 = 70; y: 40·0.9 + 20·(1−0.8) + 0 + 20 + 10 = 70
		// (69.99999999999999 or so in float64): equal scores, x has the better on-time rate.
		name: "on-time rate",
		aggs: []Aggregate{
			{Department: "y", Decided: 10, OnTime: 9, WithinStatutory: 10, TimeRatioSum: 8},
			{Department: "x", Decided: 10, OnTime: 10, WithinStatutory: 10, TimeRatioSum: 10},
		},
		wants: []want{
			{"x", 1, 10, 1, 1, 0, 1, 0, 0, 0, 70},
			{"y", 2, 10, 0.9, 1, 0, 0.8, 0, 0, 0, 70},
		},
	}, {
		// The same rates, so the same score 70 and on-time rate 1: p decided more.
		name: "decided",
		aggs: []Aggregate{
			{Department: "q", Decided: 10, OnTime: 10, WithinStatutory: 10, TimeRatioSum: 10},
			{Department: "p", Decided: 20, OnTime: 20, WithinStatutory: 20, TimeRatioSum: 20},
		},
		wants: []want{
			{"p", 1, 20, 1, 1, 0, 1, 0, 0, 0, 70},
			{"q", 2, 10, 1, 1, 0, 1, 0, 0, 0, 70},
		},
	}, {
		// b, a and c are equal in everything: all rank 1, listed by code; d is 4th.
		name: "shared first place",
		aggs: []Aggregate{
			{Department: "b", Decided: 10, OnTime: 10, WithinStatutory: 10},
			{Department: "d", Decided: 10, OnTime: 9, WithinStatutory: 10},
			{Department: "c", Decided: 10, OnTime: 10, WithinStatutory: 10},
			{Department: "a", Decided: 10, OnTime: 10, WithinStatutory: 10},
		},
		wants: []want{
			{"a", 1, 10, 1, 1, 0, 0, 0, 0, 0, 90},
			{"b", 1, 10, 1, 1, 0, 0, 0, 0, 0, 90},
			{"c", 1, 10, 1, 1, 0, 0, 0, 0, 0, 90},
			{"d", 4, 10, 0.9, 1, 0, 0, 0, 0, 0, 86},
		},
	}, {
		// Scores that show the same are still ranked on full precision: z scores
		// 40 + 20 + 10 + 20 + 10 = 100, w 40·0.999 + 60 = 99.96; both show 100.0.
		name: "full precision",
		aggs: []Aggregate{
			{Department: "w", Decided: 3000, OnTime: 2997, WithinStatutory: 3000, Early: 3000},
			{Department: "z", Decided: 3000, OnTime: 3000, WithinStatutory: 3000, Early: 3000},
		},
		wants: []want{
			{"z", 1, 3000, 1, 1, 1, 0, 0, 0, 0, 100},
			{"w", 2, 3000, 0.999, 1, 1, 0, 0, 0, 0, 100},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, Compute(march, built, DefaultMethod(), tc.aggs), tc.wants)
		})
	}
}

func TestSmallSample(t *testing.T) {
	aggs := []Aggregate{
		{Department: "big", Decided: 10, OnTime: 5, WithinStatutory: 10},
		{Department: "small", Decided: 9, OnTime: 9, WithinStatutory: 9},
		{Department: "none", Yellow: 4},
	}
	r := Compute(march, built, DefaultMethod(), aggs)
	check(t, r, []want{
		{"big", 1, 10, 0.5, 1, 0, 0, 0, 0, 0, 70},
		{"none", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{"small", 0, 9, 1, 1, 0, 0, 0, 0, 0, 90},
	})
	// min_cases 5 ranks small; below 1 it counts as 1, and a department with no decided
	// case is never ranked.
	m := DefaultMethod()
	m.MinCases = 5
	check(t, Compute(march, built, m, aggs), []want{
		{"small", 1, 9, 1, 1, 0, 0, 0, 0, 0, 90},
		{"big", 2, 10, 0.5, 1, 0, 0, 0, 0, 0, 70},
		{"none", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	})
	m.MinCases = 0
	r = Compute(march, built, m, aggs)
	if r.Method.MinCases != 1 || r.Departments[2].Ranked {
		t.Errorf("min_cases 0: method %+v, last %+v", r.Method, r.Departments[2])
	}
}

func TestCustomWeights(t *testing.T) {
	t.Run("red only", func(t *testing.T) {
		// Score = 100·max(0, 1 − red_per_100/10): market and transport 100 (and equal
		// on-time rate and decided count: both 1st), housing 100·(1−0.25) = 75, env
		// 100·(1−0.8333…) = 16.666… → 16.7, agri 0.
		m := Method{Weights: Weights{Red: 1}, MinCases: 10}
		r := Compute(march, built, m, marchAggregates())
		check(t, r, []want{
			{"market", 1, 20, 0.9, 1, 0.3, 0.5, 0, 5, 1, 100},
			{"transport", 1, 20, 0.9, 0.95, 0.2, 0.5, 0, 0, 0, 100},
			{"housing", 3, 40, 0.95, 1, 0.5, 0.4, 2.5, 7.5, 0, 75},
			{"env", 4, 12, 0.833, 1, 0.25, 0.61, 8.3, 16.7, 0, 16.7},
			{"agri", 5, 10, 0.5, 0.8, 0.1, 1.4, 30, 10, 12, 0},
			{"culture", 0, 6, 1, 1, 0.5, 0.5, 0, 0, 0, 100},
			{"sports", 0, 0, 0, 0, 0, 0, 0, 0, 3, 0},
		})
		var j struct {
			Method map[string]any `json:"method"`
		}
		if err := json.Unmarshal(marshal(t, r), &j); err != nil {
			t.Fatal(err)
		}
		wantMethod := `map[min_cases:10 weights:map[early:0 on_time:0 open_overdue:0 red:1 time_ratio:0]]`
		if got := strings.TrimSpace(fmt.Sprint(j.Method)); got != wantMethod {
			t.Errorf("method %s, want %s", got, wantMethod)
		}
	})
	t.Run("on time, weights adding up to 50", func(t *testing.T) {
		// Score = 100·on_time_rate whatever the single weight is.
		r := Compute(march, built, Method{Weights: Weights{OnTime: 50}, MinCases: 10}, marchAggregates())
		got := map[string]float64{}
		for _, s := range r.Departments {
			got[s.Department] = s.Score
		}
		for d, w := range map[string]float64{"housing": 95, "market": 90, "transport": 90, "env": 83.3, "agri": 50, "culture": 100, "sports": 0} {
			if got[d] != w {
				t.Errorf("%s: score %v, want %v", d, got[d], w)
			}
		}
	})
	t.Run("proportional weights give the default scores", func(t *testing.T) {
		m := Method{Weights: Weights{OnTime: 4, TimeRatio: 2, Early: 1, Red: 2, OpenOverdue: 1}, MinCases: 10}
		a, b := marchRanking(), Compute(march, built, m, marchAggregates())
		b.Method = a.Method
		if !bytes.Equal(marshal(t, a), marshal(t, b)) {
			t.Errorf("4:2:1:2:1 differs from 40:20:10:20:10:\n%s\n%s", marshal(t, b), marshal(t, a))
		}
	})
	t.Run("zero weights score 0, not NaN", func(t *testing.T) {
		r := Compute(march, built, Method{MinCases: 10}, marchAggregates())
		for _, s := range r.Departments {
			if s.Score != 0 {
				t.Errorf("%s: score %v", s.Department, s.Score)
			}
		}
		marshal(t, r)
	})
}

func TestZeroDayMattersInTheAverage(t *testing.T) {
	// Ten cases: four 0-day matters decided on the start day (0 each), two decided the next
	// working day (1 each), four 10-day matters decided in 5 days (0.5 each):
	// (0·4 + 1·2 + 0.5·4) / 10 = 4/10 = 0.4.
	sum := 0.0
	for _, c := range [][2]int{{0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 0}, {1, 0}, {5, 10}, {5, 10}, {5, 10}, {5, 10}} {
		sum += deadline.TimeRatio(c[0], c[1])
	}
	r := Compute(march, built, DefaultMethod(), []Aggregate{{Department: "x", Decided: 10, OnTime: 10, WithinStatutory: 10, TimeRatioSum: sum}})
	if got := r.Departments[0].AvgTimeRatio; got != 0.4 {
		t.Errorf("avg_time_ratio %v, want 0.4", got)
	}
}

func TestRoundingInStandings(t *testing.T) {
	// 1667/2000 = 0.8335 → 0.834; 1001/2000 = 0.5005 → 0.501 (held as 0.50049999…);
	// red 23·100/2000 = 1.15 → 1.2 (held as 1.1499999…); yellow 125·100/2000 = 6.25 → 6.3.
	// Score: 40·0.8335 + 20·(1 − 0.5) + 10·0.5005 + 20·(1 − 0.115) + 10·(1 − 0)
	// = 33.34 + 10 + 5.005 + 17.7 + 10 = 76.045 → 76.0.
	r := Compute(march, built, DefaultMethod(), []Aggregate{{
		Department: "x", Decided: 2000, OnTime: 1667, WithinStatutory: 1001, Early: 1001,
		TimeRatioSum: 1000, Red: 23, Yellow: 125,
	}})
	check(t, r, []want{{"x", 1, 2000, 0.834, 0.501, 0.501, 0.5, 1.2, 6.3, 0, 76}})
}

func TestMerge(t *testing.T) {
	r := Compute(march, built, DefaultMethod(), []Aggregate{
		{Department: "env", Decided: 6, OnTime: 5, WithinStatutory: 6, Early: 1, TimeRatioSum: 3.32, Red: 1},
		{Department: "x", Name: "X", Decided: 1},
		{Department: "env", Name: "区生态环境局", Decided: 6, OnTime: 5, WithinStatutory: 6, Early: 2, TimeRatioSum: 4, Yellow: 2},
	})
	check(t, r, []want{
		{"env", 1, 12, 0.833, 1, 0.25, 0.61, 8.3, 16.7, 0, 57},
		{"x", 0, 1, 0, 0, 0, 0, 0, 0, 0, 50},
	})
	if r.Departments[0].Name != "区生态环境局" {
		t.Errorf("name %q", r.Departments[0].Name)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultMethod().Validate(); err != nil {
		t.Errorf("default method: %v", err)
	}
	for _, tc := range []struct {
		m    Method
		want string
	}{
		{Method{Weights: Weights{OnTime: -1, Red: 5}, MinCases: 10}, "on_time"},
		{Method{Weights: Weights{OnTime: 1, Early: nan()}, MinCases: 10}, "early"},
		{Method{MinCases: 10}, "at least one weight"},
		{Method{Weights: DefaultWeights}, "min_cases"},
	} {
		if err := tc.m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error about %s", tc.m, err, tc.want)
		}
	}
	for _, a := range marchAggregates() {
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.Department, err)
		}
	}
	for _, tc := range []struct {
		a    Aggregate
		want string
	}{
		{Aggregate{Department: "x", Decided: 2, OnTime: 3}, "on_time is 3, more than the 2 decided"},
		{Aggregate{Department: "x", Decided: 2, Early: 3}, "early"},
		{Aggregate{Department: "x", Red: -1}, "red is -1"},
		{Aggregate{Department: "x", Decided: 1, TimeRatioSum: nan()}, "time ratio sum"},
		{Aggregate{Department: "x", Decided: 1, TimeRatioSum: -0.5}, "time ratio sum"},
	} {
		if err := tc.a.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc.a, err, tc.want)
		}
	}
	// Red, yellow and open-overdue counts are not bounded by the decided count.
	if err := (Aggregate{Department: "x", Decided: 1, Red: 5, Yellow: 5, OpenOverdue: 5}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestJSONContract(t *testing.T) {
	r := marchRanking()
	env, err := json.Marshal(r.Departments[3])
	if err != nil {
		t.Fatal(err)
	}
	// The example department of the published JSON, field for field and in its order.
	const wantEnv = `{"department":"env","name":"区生态环境局","rank":4,"decided":12,"on_time_rate":0.833,` +
		`"statutory_rate":1,"early_rate":0.25,"avg_time_ratio":0.61,"red_per_100":8.3,"yellow_per_100":16.7,` +
		`"open_overdue":0,"score":57.0,"ranked":true}`
	if string(env) != wantEnv {
		t.Errorf("env:\n got %s\nwant %s", env, wantEnv)
	}
	small, _ := json.Marshal(r.Departments[5])
	if !strings.Contains(string(small), `"rank":null`) || !strings.Contains(string(small), `"ranked":false`) {
		t.Errorf("culture: %s", small)
	}
	head, _ := json.Marshal(Ranking{Month: march, GeneratedAt: built, Method: DefaultMethod(), Departments: []Standing{}})
	const wantHead = `{"month":"2026-03","generated_at":"2026-04-02T02:00:00+08:00","method":{"weights":` +
		`{"on_time":40,"time_ratio":20,"early":10,"red":20,"open_overdue":10},"min_cases":10},"departments":[]}`
	if string(head) != wantHead {
		t.Errorf("head:\n got %s\nwant %s", head, wantHead)
	}
	if got := marshal(t, Compute(march, built, DefaultMethod(), nil)); !bytes.Contains(got, []byte(`"departments": []`)) {
		t.Errorf("no departments: %s", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	a := marchRanking()
	var b Ranking
	if err := json.Unmarshal(marshal(t, a), &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, a), marshal(t, b)) {
		t.Errorf("round trip:\n%s\n%s", marshal(t, a), marshal(t, b))
	}
	var ca, cb, ha, hb bytes.Buffer
	if err := WriteCSV(&ca, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&cb, b); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&ha, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&hb, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Bytes(), cb.Bytes()) || !bytes.Equal(ha.Bytes(), hb.Bytes()) {
		t.Error("a ranking read back from JSON renders differently")
	}
}

// TestWeightsMatchConfig keeps Weights convertible from config.Weights, as the caller
// building a ranking from the configuration relies on, and the defaults the same.
func TestWeightsMatchConfig(t *testing.T) {
	if got := Weights(config.DefaultWeights); got != DefaultWeights {
		t.Errorf("config.DefaultWeights %+v, DefaultWeights %+v", got, DefaultWeights)
	}
	if config.DefaultMinCases != DefaultMinCases {
		t.Errorf("config.DefaultMinCases %d, DefaultMinCases %d", config.DefaultMinCases, DefaultMinCases)
	}
	a, _ := json.Marshal(config.DefaultWeights)
	b, _ := json.Marshal(DefaultWeights)
	if !bytes.Equal(a, b) {
		t.Errorf("JSON names differ: %s, %s", a, b)
	}
}

func marshal(t testing.TB, r Ranking) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
