package main

import (
	"context"
	"encoding/json"
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
	"github.com/duban-gov/duban/monitor/rdb/rdbtest"
	"github.com/duban-gov/duban/monitor/workday"
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

// duban_alerts_open counts open system alerts too: calendar_missing (no department) and
// fault_threshold (its handler's department); resolved ones are not open. The same one
// round trip reads the timers pending.
func TestSharedFiguresCountOpenSystemAlerts(t *testing.T) {
	t.Parallel()
	store, ctx := rdbtest.Store(t), context.Background()
	cals, err := engine.NewCalendars(ctx, store, workday.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	missing := engine.CalendarMissingAlert(2027, now, time.UTC)
	ft := alerts.Record{ID: alerts.FaultThresholdID(2026, "env", "li.si"), Kind: monitor.FaultThreshold,
		Level: monitor.FaultThreshold.Level(), Department: "env", Handler: "li.si", Year: 2026, Instant: now, FiredAt: now}
	ft.Fire(now)
	old := alerts.Record{ID: alerts.CalendarMissingID(2025), Kind: monitor.CalendarMissing,
		Level: monitor.CalendarMissing.Level(), Year: 2025, Instant: now, FiredAt: now}
	old.Fire(now)
	old.SystemResolve(alerts.Closed, now)
	for _, r := range []alerts.Record{missing, ft, old} {
		doc, _ := json.Marshal(&r)
		if _, err := store.RaiseSystemAlert(ctx, r.ID, doc, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ScheduleTimers(ctx, map[string]time.Time{"t1": now, "t2": now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sh, err := sharedFigures(ctx, store, cals)
	if err != nil {
		t.Fatal(err)
	}
	if sh.TimersPending != 2 {
		t.Errorf("timers pending %v, want 2", sh.TimersPending)
	}
	want := map[[2]string]float64{
		{"", string(monitor.CalendarMissing.Level())}:   1,
		{"env", string(monitor.FaultThreshold.Level())}: 1,
	}
	if len(sh.AlertsOpen) != len(want) {
		t.Errorf("open alerts %v, want %v", sh.AlertsOpen, want)
	}
	for k, n := range want {
		if sh.AlertsOpen[k] != n {
			t.Errorf("open alerts %v: %v, want %v", k, sh.AlertsOpen[k], n)
		}
	}
}
