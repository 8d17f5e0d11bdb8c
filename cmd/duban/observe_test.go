package main

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/engine"
	"github.com/duban-gov/duban/monitor/rdb"
)

// observe feeds the timer lag only with alerts a scheduled threshold fired (not with ones
// that late news created long after their instant), and the receipt-to-applied latency
// with every event the commit applied for the first time.
func TestObserveCountsLagAndApplyLatency(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Shared: func(context.Context) (metrics.Shared, error) { return metrics.Shared{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)
	alert := func(firedAfter time.Duration) *alerts.Record {
		return &alerts.Record{Kind: monitor.PromiseOverdue, Level: monitor.Red, Department: "env",
			Due: &deadline.Deadline{At: due}, Instant: due, FiredAt: due.Add(firedAfter)}
	}
	now := due.Add(time.Second)
	c := rdb.Commit{
		Received: []time.Time{now.Add(-20 * time.Millisecond), now.Add(-40 * time.Millisecond)},
		Transitions: []any{
			engine.Transition{Type: engine.TAlert, New: true, Scheduled: true, Alert: alert(7 * time.Millisecond)},
			engine.Transition{Type: engine.TAlert, New: true, Alert: alert(72 * time.Hour)}, // late news
		},
	}
	observe(m, &c, now)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			if h := mt.GetHistogram(); h != nil {
				got[mf.GetName()] = [2]float64{float64(h.GetSampleCount()), h.GetSampleSum()}
			}
		}
	}
	if g := got[metrics.NameTimerLag]; g[0] != 1 || g[1] < 0.0069 || g[1] > 0.0071 {
		t.Errorf("timer lag: %d samples, sum %v; want 1 sample of 7 ms", int(g[0]), g[1])
	}
	if g := got[metrics.NameIngestApply]; g[0] != 2 || g[1] < 0.0599 || g[1] > 0.0601 {
		t.Errorf("apply latency: %d samples, sum %v; want 2 summing to 60 ms", int(g[0]), g[1])
	}
	if n := testutil.ToFloat64(m.AlertsFired.WithLabelValues("env", "promise_overdue", "red")); n != 2 {
		t.Errorf("alerts fired %v, want 2", n)
	}
}
