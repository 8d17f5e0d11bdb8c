package httpin

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
)

// unknownLabel stands for a department or type outside the catalogue and the contract, so
// that a client sending junk cannot grow the label set.
const unknownLabel = "unknown"

// registerReceived registers duban_events_received_total (internal/metrics defines it) on
// reg. When it is already registered there (internal/metrics, or a second Handler in the
// same process, as in tests), that one is shared.
func registerReceived(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c, err := metrics.RegisterEventsReceived(reg)
	if err != nil {
		return nil, fmt.Errorf("httpin: register metrics: %w", err)
	}
	return c, nil
}

// count adds a request's outcomes to duban_events_received_total, one Add per label set.
// Only events answered in a 202 are counted: a request refused as a whole (400, 403, 413,
// 429, 503) has no per-event outcome.
func (h *Handler) count(cat *monitor.Catalog, b *batch, a *Answer) {
	if h.received == nil {
		return
	}
	type key struct{ dept, typ, outcome string }
	sums := make(map[key]float64, 4)
	for i := range b.events {
		e := &b.events[i].ev
		k := key{dept: unknownLabel, typ: unknownLabel, outcome: a.Results[i].Status}
		if _, ok := cat.Department(e.Department); ok {
			k.dept = e.Department
		}
		if e.Type.Valid() {
			k.typ = string(e.Type)
		}
		sums[k]++
	}
	for k, n := range sums {
		h.received.WithLabelValues(k.dept, k.typ, k.outcome).Add(n)
	}
}
