package service

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
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
	alert := func(firedAfter time.Duration) *alerting.Record {
		return &alerting.Record{Kind: monitor.PromiseOverdue, Level: monitor.Red, Department: "env",
			Due: &deadline.Deadline{At: due}, Instant: due, FiredAt: due.Add(firedAfter)}
	}
	now := due.Add(time.Second)
	c := rdb.Commit{
		Received: []time.Time{now.Add(-20 * time.Millisecond), now.Add(-40 * time.Millisecond)},
		Transitions: []fold.Transition{
			fold.Transition{Type: fold.TAlert, New: true, Scheduled: true, Alert: alert(7 * time.Millisecond)},
			fold.Transition{Type: fold.TAlert, New: true, Alert: alert(72 * time.Hour)}, // late news
		},
	}
	observe(m, &c, clock.Manual(now).RealSince)
	got := histograms(t, reg)
	if g := got[metrics.NameTimerLag]; g.count != 1 || g.sum < 0.0069 || g.sum > 0.0071 {
		t.Errorf("timer lag: %v samples, sum %v; want 1 sample of 7 ms", g.count, g.sum)
	}
	if g := got[metrics.NameIngestApply]; g.count != 2 || g.sum < 0.0599 || g.sum > 0.0601 {
		t.Errorf("apply latency: %v samples, sum %v; want 2 summing to 60 ms", g.count, g.sum)
	}
	if n := testutil.ToFloat64(m.AlertsFired.WithLabelValues("env", "promise_overdue", "red")); n != 2 {
		t.Errorf("alerts fired %v, want 2", n)
	}
}

// histograms gathers reg's histograms: name → sample count, sample sum and the cumulative
// count of each bucket by upper bound.
func histograms(t *testing.T, reg *prometheus.Registry) map[string]histogram {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]histogram{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			if h := mt.GetHistogram(); h != nil {
				g := histogram{count: float64(h.GetSampleCount()), sum: h.GetSampleSum(), le: map[float64]float64{}}
				for _, b := range h.GetBucket() {
					g.le[b.GetUpperBound()] = float64(b.GetCumulativeCount())
				}
				got[mf.GetName()] = g
			}
		}
	}
	return got
}

type histogram struct {
	count, sum float64
	le         map[float64]float64
}

// On a simulated clock at the demo's rate (4320: a business day per 20 real seconds) the
// latencies are real elapsed time: a timer fired 2 business minutes after its due instant
// fired 27.8 real ms late, and an event received 5 business minutes ago waited 69 real ms —
// low buckets, where the business figures (120 s, 300 s) would land in the top ones.
func TestObserveMeasuresRealTimeOnAFastClock(t *testing.T) {
	const rate = 4320
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Shared: func(context.Context) (metrics.Shared, error) { return metrics.Shared{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.Simulated(time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC), rate)
	now := clk.Now()
	due := now.Add(-time.Hour)
	fired := due.Add(2 * time.Minute)
	c := rdb.Commit{
		Received: []time.Time{now.Add(-5 * time.Minute)},
		Transitions: []fold.Transition{fold.Transition{Type: fold.TAlert, New: true, Scheduled: true,
			Alert: &alerting.Record{Kind: monitor.PromiseOverdue, Level: monitor.Red, Department: "env",
				Due: &deadline.Deadline{At: due}, Instant: due, FiredAt: fired}}},
	}
	observe(m, &c, clk.RealSince)
	elapsed := clk.RealSince(now) // real time since now was read, an upper bound of the drift
	got := histograms(t, reg)

	lag := (2 * time.Minute / rate).Seconds() // 27.8 ms
	if g := got[metrics.NameTimerLag]; g.count != 1 || g.sum < lag-0.001 || g.sum > lag+0.001 {
		t.Errorf("timer lag: %v samples, sum %v s; want 1 of %.4f s (real), not %v s (business)",
			g.count, g.sum, lag, fired.Sub(due).Seconds())
	} else if g.le[0.05] != 1 || g.le[0.025] != 0 {
		t.Errorf("timer lag of %.4f s not in the 0.05 bucket: %v", g.sum, g.le)
	}
	wait := (5 * time.Minute / rate).Seconds() // 69.4 ms
	if g := got[metrics.NameIngestApply]; g.count != 1 || g.sum < wait || g.sum > wait+elapsed.Seconds() {
		t.Errorf("apply latency: %v samples, sum %v s; want 1 of %.4f s (+ up to %v), not 300 s", g.count, g.sum, wait, elapsed)
	} else if g.le[0.25] != 1 || g.le[0.05] != 0 {
		t.Errorf("apply latency of %.4f s not between the 0.05 and 0.25 bounds: %v", g.sum, g.le)
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
	missing := alerting.CalendarMissing(2027, alerting.NeededByDeadline, now)
	ft := alerting.Record{ID: alerting.FaultThresholdID(2026, "env", "li.si"), Kind: monitor.FaultThreshold,
		Level: monitor.FaultThreshold.Level(), Department: "env", Handler: "li.si", Year: 2026, Instant: now, FiredAt: now}
	ft.Fire(now)
	old := alerting.Record{ID: alerting.CalendarMissingID(2025), Kind: monitor.CalendarMissing,
		Level: monitor.CalendarMissing.Level(), Year: 2025, Instant: now, FiredAt: now}
	old.Fire(now)
	old.SystemResolve(alerting.Closed, now)
	for _, r := range []alerting.Record{missing, ft, old} {
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
