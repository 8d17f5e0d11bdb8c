package metrics_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/collectors/httpin"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// TestSharesEventsReceived: collectors/httpin registers duban_events_received_total itself.
// Given the same registry, before or after New, it must end up sharing one counter with
// Metrics.EventsReceived, not fail on a Help text that drifted apart.
func TestSharesEventsReceived(t *testing.T) {
	shared := func(context.Context) (metrics.Shared, error) { return metrics.Shared{}, nil }
	newHandler := func(reg prometheus.Registerer) error {
		_, err := httpin.New(httpin.Options{
			Store: &rdb.Store{}, Catalog: func() *monitor.Catalog { return nil }, Clock: clock.Real(),
			Registerer: reg,
		})
		return err
	}
	for _, httpinFirst := range []bool{true, false} {
		reg := prometheus.NewRegistry()
		if httpinFirst {
			if err := newHandler(reg); err != nil {
				t.Fatal(err)
			}
		}
		m, err := metrics.New(reg, metrics.Options{Shared: shared})
		if err != nil {
			t.Fatalf("httpin first=%v: %v", httpinFirst, err)
		}
		if !httpinFirst {
			if err := newHandler(reg); err != nil {
				t.Fatalf("httpin after New: %v", err)
			}
		}
		m.EventsReceived.WithLabelValues("env", "submitted", "accepted").Inc()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mf := range mfs {
			if mf.GetName() == metrics.NameEventsReceived {
				n++
			}
		}
		if n != 1 {
			t.Errorf("httpin first=%v: %d families named %s", httpinFirst, n, metrics.NameEventsReceived)
		}
	}
}
