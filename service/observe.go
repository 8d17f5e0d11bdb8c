package service

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/prometheus/client_golang/prometheus"
)

// observe counts a committed case's work in this replica's metrics: alerts fired, cases
// decided, the timer lag of thresholds that fired, and receipt-to-applied latency.
//
// The two latencies are plumbing, measured in real elapsed time: realSince (the business
// clock's RealSince) turns the business instants they are stamped with — due, fired,
// received — into real time elapsed, so that on a simulated clock at rate 4320 a 5 ms lag
// reads 5 ms, not 21.6 business seconds. At rate 1 the figures are the business ones.
func observe(m *metrics.Metrics, c *rdb.Commit, realSince func(time.Time) time.Duration) {
	for _, r := range c.Received {
		if d := realSince(r); d >= 0 {
			m.ObserveApply(d)
		}
	}
	for i := range c.Transitions {
		t := &c.Transitions[i]
		switch {
		case t.Type == fold.TAlert && t.New:
			m.AlertFired(t.Alert.Department, string(t.Alert.Kind), string(t.Alert.Level))
			if t.Scheduled {
				// Fire time minus due time, both mapped to real time.
				m.ObserveTimerLag(realSince(t.Alert.Instant) - realSince(t.Alert.FiredAt))
			}
		case t.Type == fold.TDecided:
			m.CaseDecided(t.Department, t.Decision.OnTime)
		}
	}
}

// sharedFigures reads the gauges that describe shared state, once per scrape.
func sharedFigures(ctx context.Context, store *rdb.Store, cals *engine.Calendars) (metrics.Shared, error) {
	sh := metrics.Shared{CasesOpen: map[[3]string]float64{}, AlertsOpen: map[[2]string]float64{}}
	g, err := store.ReadGauges(ctx)
	if err != nil {
		return sh, err
	}
	for field, n := range g.OpenCases {
		if p := strings.Split(field, "|"); len(p) == 3 && n > 0 {
			sh.CasesOpen[[3]string{p[0], p[1], p[2]}] = float64(n)
		}
	}
	for field, n := range g.OpenAlerts {
		if p := strings.Split(field, "|"); len(p) == 2 && n > 0 {
			sh.AlertsOpen[[2]string{p[0], p[1]}] = float64(n)
		}
	}
	// System alerts (calendar_missing, fault_threshold) live apart from the case alerts the
	// relay counts; they are few (one per year, one per handler and year), so they are
	// counted here. calendar_missing belongs to no department: department="".
	for _, d := range g.SystemAlerts {
		var r struct {
			Level      string         `json:"level"`
			State      alerting.State `json:"state"`
			Department string         `json:"department"`
		}
		if json.Unmarshal(d.Doc, &r) == nil && r.State.Open() {
			sh.AlertsOpen[[2]string{r.Department, r.Level}]++
		}
	}
	sh.Orders, sh.OrdersOverdue = map[[2]string]float64{}, map[string]float64{}
	of, err := store.OrderFigures(ctx)
	if err != nil {
		return sh, err
	}
	for field, n := range of {
		a, b, _ := strings.Cut(field, "|")
		if a == "overdue" {
			sh.OrdersOverdue[b] = float64(n)
		} else {
			sh.Orders[[2]string{a, b}] = float64(n)
		}
	}
	sh.TimersPending = float64(g.TimersPending)
	sh.CalendarLastYear = float64(cals.Current().LastYear())
	return sh, nil
}

// newMetrics registers the service's metrics on reg: this replica's counters and
// histograms, and the shared gauges read from Redis at each scrape.
func newMetrics(reg prometheus.Registerer, version string, store *rdb.Store, cals *engine.Calendars,
	clients func() float64) (*metrics.Metrics, error) {
	return metrics.New(reg, metrics.Options{Version: version,
		Shared: func(ctx context.Context) (metrics.Shared, error) {
			return sharedFigures(ctx, store, cals)
		},
		Clients: clients})
}
