package e2e_test

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// scrape reads the instance's /metrics and returns each sample line's value by its series
// (name and labels as printed).
func scrape(t *testing.T, in *servicetest.Instance) map[string]float64 {
	t.Helper()
	resp, err := http.Get(in.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// At the demo's rate (4320: a business day per 20 real seconds) the plumbing latencies are
// real elapsed time. A case's acceptance period runs out at the simulated midnight, a few
// real seconds after the start; the timer fires a few real milliseconds late, which is
// business seconds to minutes — the top buckets, and DubanTimerLagHigh paging, when the
// lag was measured on the business clock. Every observation must be at most 1 s (the
// rule's threshold) and the timer's real lag the business lag divided by the rate.
func TestLatencyMetricsAreRealTimeAtTheDemoRate(t *testing.T) {
	t.Parallel()
	const rate = 4320
	url0, prefix := testredis.New(t)
	// Monday 18:00; midnight is 6 business hours (5 real seconds) away.
	in, _ := startDuban(t, []string{"serve"}, map[string]string{"DUBAN_REDIS_URL": url0, "DUBAN_REDIS_PREFIX": prefix,
		"DUBAN_CLOCK_START": "2026-03-09T18:00:00+08:00", "DUBAN_CLOCK_RATE": strconv.Itoa(rate)}, servicetest.Config)
	// Submitted Monday 03-02: the 5 working days of acceptance end at 24:00 on 03-09.
	post(t, in, "env-collector-secret", `[{"event_id":"l1","case_id":"env-2026-000901","department":"env",`+
		`"matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":"zhang.san"}]`)

	var overdue map[string]any
	eventually.True(t, "acceptance_overdue at the simulated midnight", func() bool {
		for _, a := range alertsOf(t, in, "viewer-secret", "case_id=env-2026-000901&kind=acceptance_overdue") {
			overdue = a
		}
		return overdue != nil
	})
	var m map[string]float64
	eventually.True(t, "the timer lag observed", func() bool {
		m = scrape(t, in)
		return m["duban_timer_lag_seconds_count"] >= 1
	})
	instant, err1 := time.Parse(time.RFC3339Nano, overdue["instant"].(string))
	fired, err2 := time.Parse(time.RFC3339Nano, overdue["fired_at"].(string))
	if err1 != nil || err2 != nil {
		t.Fatalf("alert times: %v %v (%v)", err1, err2, overdue)
	}
	if n := m["duban_timer_lag_seconds_count"]; n != 1 {
		t.Fatalf("%v timer lags observed, want the one scheduled threshold", n)
	}
	business := fired.Sub(instant)
	real := m["duban_timer_lag_seconds_sum"]
	t.Logf("timer lag: %.6f s real, %v business", real, business)
	// The same lag on two scales (fired_at has millisecond precision).
	if want := business.Seconds() / rate; math.Abs(real-want) > 0.002/rate+want/100 {
		t.Errorf("timer lag %.6f s real; the business lag %v at rate %d is %.6f s", real, business, rate, want)
	}
	for _, h := range []string{"duban_timer_lag_seconds", "duban_ingest_apply_seconds"} {
		n, le1 := m[h+"_count"], m[h+`_bucket{le="1"}`]
		if n < 1 || le1 != n {
			t.Errorf("%s: %v of %v observations at most 1 s, want all", h, le1, n)
		}
	}
}
