package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	// Imported as dubanmetrics: this package has a type named metrics. internal/metrics
	// names the families so that the dashboard and rule tests know them.
	dubanmetrics "github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/rdb"
)

// The outcomes of duban_webhook_deliveries_total.
const (
	outcomeSuccess = "success" // the receiver answered 2xx
	outcomeFailure = "failure" // an attempt failed; the entry will be retried
	outcomeDropped = "dropped" // retried for the whole retry window, then given up
)

// metrics are the dispatcher's: its own deliveries (a counter of this replica's work) and
// every subscription's backlog (shared state, read from Redis at scrape time, the same on
// every replica).
type metrics struct {
	deliveries *prometheus.CounterVec
	mu         sync.Mutex
	counted    map[string]bool // subscriptions with series, so deleted ones can be forgotten
}

func newMetrics(reg prometheus.Registerer, store *rdb.Store) (*metrics, error) {
	m := &metrics{counted: map[string]bool{}, deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: dubanmetrics.NameWebhookDeliveries,
		Help: "Webhook delivery attempts made by this replica, by subscription and outcome (success, failure, dropped).",
	}, []string{"subscription", "outcome"})}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.deliveries); err != nil {
		return nil, err
	}
	if err := reg.Register(&backlogCollector{store: store}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) count(sub, outcome string) {
	m.mu.Lock()
	m.counted[sub] = true
	m.mu.Unlock()
	m.deliveries.WithLabelValues(sub, outcome).Inc()
}

// forgetAllBut drops the series of subscriptions that no longer exist, whichever replica
// served them last.
func (m *metrics) forgetAllBut(live map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sub := range m.counted {
		if !live[sub] {
			m.deliveries.DeletePartialMatch(prometheus.Labels{"subscription": sub})
			delete(m.counted, sub)
		}
	}
}

var backlogDesc = prometheus.NewDesc(dubanmetrics.NameWebhookBacklog,
	"Alert stream entries a subscription has yet to deliver or pass over (at most 1000); the same on every replica.",
	[]string{"subscription"}, nil)

// backlogCollector reads every subscription's backlog at scrape time.
type backlogCollector struct{ store *rdb.Store }

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- backlogDesc }

// Collect reads the subscriptions and their backlogs, within 2 s; when Redis cannot be
// read the series are left out of this scrape rather than failing it.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	subs, err := c.store.Subscriptions(ctx)
	if err != nil || len(subs) == 0 {
		return
	}
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.ID
	}
	states, err := c.store.DeliveryStates(ctx, ids)
	if err != nil {
		return
	}
	positions := make([]string, len(states))
	for i, st := range states {
		positions[i] = st.Position
	}
	counts, err := c.store.AlertBacklogs(ctx, positions, BacklogMax)
	if err != nil {
		return
	}
	for i, id := range ids {
		if positions[i] == "" {
			continue // deleted since it was listed
		}
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(counts[i]), id)
	}
}
