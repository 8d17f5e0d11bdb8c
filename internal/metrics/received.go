package metrics

import "github.com/prometheus/client_golang/prometheus"

// newEventsReceived is the one definition of duban_events_received_total.
func newEventsReceived() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameEventsReceived,
		Help: "Events received over POST /api/v1/events, by outcome (accepted, duplicate, rejected); " +
			`department and type are "unknown" outside the catalogue and the contract.`,
	}, []string{"department", "type", "outcome"})
}

// RegisterEventsReceived registers duban_events_received_total{department,type,outcome}
// on reg, or returns the counter already registered there (collectors/httpin counts on it,
// and New adopts it, in whichever order they come).
func RegisterEventsReceived(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	return register(reg, newEventsReceived())
}
