package sqlpoll

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descRows = prometheus.NewDesc("duban_collector_rows_total",
		"Rows of exchange-database sources taken in, by outcome (accepted, duplicate, rejected); system-wide, written by each source's lease holder.",
		[]string{"source", "outcome"}, nil)
	descUp = prometheus.NewDesc("duban_collector_up",
		"1 when the exchange-database source answered its last poll and its columns map; 0 when it is unreachable, its mapping is wrong, or no replica has polled it lately. System-wide.",
		[]string{"source"}, nil)
	descLag = prometheus.NewDesc("duban_collector_lag_seconds",
		"Real seconds since the exchange-database source was last read to its end; 0 while caught up. System-wide.",
		[]string{"source"}, nil)
)

// metricsCollector exports the sources' states as their lease holders last wrote them in
// Redis, so that every replica exports the same figures.
type metricsCollector struct{ ps *Pollers }

func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRows
	ch <- descUp
	ch <- descLag
}

func (m *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	ps := m.ps
	names := make([]string, len(ps.sources))
	for i, p := range ps.sources {
		names[i] = p.src.Name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	states, err := ps.o.Store.CollectorStates(ctx, names)
	if err != nil {
		ps.log.Warn("metrics_unavailable", "err", err)
		return
	}
	now := ps.o.Wall()
	for i, st := range states {
		name := names[i]
		for _, o := range []string{OutcomeAccepted, OutcomeDuplicate, OutcomeRejected} {
			ch <- prometheus.MustNewConstMetric(descRows, prometheus.CounterValue, float64(st.Rows[o]), name, o)
		}
		up := 0.0
		// A holder renews its word at least once per interval or back-off; a word older
		// than that and three lease TTLs is nobody's.
		fresh := now.Sub(st.SeenAt) <= 3*ps.o.LeaseTTL+ps.sources[i].src.Interval+ps.o.MaxBackoff
		if st.Up && fresh {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, name)
		lag := 0.0
		switch {
		case st.EndAt.IsZero() && !st.SeenAt.IsZero():
			lag = now.Sub(st.SeenAt).Seconds() // never read to its end yet
		case (st.Behind || !fresh) && !st.EndAt.IsZero():
			lag = now.Sub(st.EndAt).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, max(lag, 0), name)
	}
}
