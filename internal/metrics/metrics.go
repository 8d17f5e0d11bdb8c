// Package metrics defines, in one place, every Prometheus metric the service exports
// (docs/metrics.md), on a Registerer the caller injects — never the global one, so
// two instances in one test process do not collide.
//
// Three kinds of figure live here:
//
//   - counters and histograms of this replica's own work (EventsReceived, AlertsFired,
//     CasesDecided, TimerLag, IngestApply), which the components that do the work update;
//   - gauges of the shared state in Redis (duban_cases_open, duban_alerts_open,
//     duban_timers_pending, duban_calendar_last_year), read at scrape time through
//     Options.Shared by a prometheus.Collector (see shared.go), so every replica reports the
//     same value;
//   - per-process gauges: duban_websocket_clients (Options.Clients) and duban_build_info.
//
// The outbound delivery families (duban_webhook_deliveries_total, duban_webhook_backlog,
// duban_alertmanager_posts_total) are named here too, but alerts/webhook and
// alerts/alertmanager build and register them on the same Registerer; DeliveryNames lists
// them.
//
// docs/metrics.md lists every family with its labels and buckets, and the Grafana dashboard
// and Prometheus rules are tested to use only the names Names and DeliveryNames return.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric family names, as exported. Names returns them all.
const (
	NameEventsReceived   = "duban_events_received_total"
	NameAlertsFired      = "duban_alerts_fired_total"
	NameCasesDecided     = "duban_cases_decided_total"
	NameTimerLag         = "duban_timer_lag_seconds"
	NameIngestApply      = "duban_ingest_apply_seconds"
	NameCasesOpen        = "duban_cases_open"
	NameAlertsOpen       = "duban_alerts_open"
	NameTimersPending    = "duban_timers_pending"
	NameCalendarLastYear = "duban_calendar_last_year"
	NameOrders           = "duban_orders"
	NameOrdersOverdue    = "duban_orders_overdue"
	NameWebSocketClients = "duban_websocket_clients"
	NameBuildInfo        = "duban_build_info"
	NameScrapeErrors     = "duban_scrape_errors_total"
)

// Names of the outbound delivery families, which other packages register on the same
// Registerer (DeliveryNames).
const (
	// NameWebhookDeliveries is alerts/webhook's counter of delivery attempts by this
	// replica, labelled subscription and outcome (success, failure, dropped).
	NameWebhookDeliveries = "duban_webhook_deliveries_total"
	// NameWebhookBacklog is alerts/webhook's shared-state gauge of each subscription's
	// undelivered stream entries (at most 1000), labelled subscription.
	NameWebhookBacklog = "duban_webhook_backlog"
	// NameAlertmanagerPosts is alerts/alertmanager's counter of POSTs to Alertmanager by
	// this replica, labelled outcome (success, failure, rejected).
	NameAlertmanagerPosts = "duban_alertmanager_posts_total"
)

// Names returns the name of every metric family the package exports, in a fixed order. A
// histogram's name is its family name; its series carry the _bucket, _sum and _count
// suffixes.
func Names() []string {
	return []string{
		NameEventsReceived, NameAlertsFired, NameCasesDecided,
		NameTimerLag, NameIngestApply,
		NameCasesOpen, NameAlertsOpen, NameTimersPending, NameCalendarLastYear,
		NameOrders, NameOrdersOverdue,
		NameWebSocketClients, NameBuildInfo, NameScrapeErrors,
	}
}

// DeliveryNames returns the names of the families that alerts/webhook and
// alerts/alertmanager register on the same registry, in a fixed order. New does not register
// them, so they are not in Names; none is a histogram. They appear once there is something
// to count (a subscription, a POST).
func DeliveryNames() []string {
	return []string{NameWebhookDeliveries, NameWebhookBacklog, NameAlertmanagerPosts}
}

// TimerLagBuckets are the upper bounds, in seconds, of duban_timer_lag_seconds: 1 ms to
// 60 s. A timer normally fires within milliseconds of its due instant; a midnight burst of
// a hundred thousand due cases stretches that to seconds; a minute or more (the +Inf
// bucket) means timers fired late, after an outage, say.
var TimerLagBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// IngestApplyBuckets are the upper bounds, in seconds, of duban_ingest_apply_seconds: 1 ms
// to 30 s. An event is normally applied within tens of milliseconds of its receipt; seconds
// mean the appliers are behind; beyond 30 s (the +Inf bucket) ingestion is stalling.
var IngestApplyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Options configures New.
type Options struct {
	// Version is this build's version, the version label of duban_build_info; empty means
	// "dev".
	Version string
	// Shared reads the shared state behind the shared-state gauges. Required. It is called
	// at scrape time, at most once at a time, with a context that ends after Timeout.
	Shared func(ctx context.Context) (Shared, error)
	// Clients returns the number of WebSocket clients connected to this replica, for
	// duban_websocket_clients. It is called at scrape time, possibly from several
	// goroutines at once, and must not block. Nil means 0.
	Clients func() float64
	// Timeout bounds one call of Shared. Zero means 2 s.
	Timeout time.Duration
	// CacheFor is how long one result of Shared (or its error) serves further scrapes, so
	// that parallel scrapers do not multiply the Redis reads. Zero means 1 s; negative means
	// no caching.
	CacheFor time.Duration
}

// Metrics holds the metrics that components update. The shared-state and per-process
// gauges are read at scrape time and have no field here.
type Metrics struct {
	// EventsReceived is duban_events_received_total{department,type,outcome}: events this
	// replica received, by outcome (accepted, duplicate, rejected). Its Help text is the
	// one collectors/httpin registers, so that httpin, given the same Registerer, shares
	// this counter instead of failing.
	EventsReceived *prometheus.CounterVec
	// AlertsFired is duban_alerts_fired_total{department,kind,level}: alerts this replica
	// fired.
	AlertsFired *prometheus.CounterVec
	// CasesDecided is duban_cases_decided_total{department,on_time}: cases decided, as
	// applied by this replica; on_time is "true" or "false" (see CaseDecided).
	CasesDecided *prometheus.CounterVec
	// TimerLag is duban_timer_lag_seconds: fire time minus due time of each timer this
	// replica fired (TimerLagBuckets).
	TimerLag prometheus.Histogram
	// IngestApply is duban_ingest_apply_seconds: from an event's receipt (its 202) to its
	// application to the case, for each event this replica applied (IngestApplyBuckets).
	IngestApply prometheus.Histogram
	// ScrapeErrors is duban_scrape_errors_total: failed reads of the shared state at scrape
	// time. Updated by the package itself.
	ScrapeErrors prometheus.Counter
}

// receivedHelp must stay identical to the Help of collectors/httpin's counter: two
// registrations of the same name with different Help fail.
const receivedHelp = "Events received over POST /api/v1/events, by outcome (accepted, duplicate, rejected); " +
	`department and type are "unknown" outside the catalogue and the contract.`

// New builds every metric and registers it on reg. An identical counter or histogram
// already registered there (as collectors/httpin registers duban_events_received_total) is
// adopted rather than refused.
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil Registerer")
	}
	if o.Shared == nil {
		return nil, errors.New("metrics: Options.Shared is required")
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if o.CacheFor == 0 {
		o.CacheFor = time.Second
	}
	m := &Metrics{
		EventsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameEventsReceived, Help: receivedHelp,
		}, []string{"department", "type", "outcome"}),
		AlertsFired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameAlertsFired,
			Help: "Alerts fired by this replica, by department, kind and level (yellow, red).",
		}, []string{"department", "kind", "level"}),
		CasesDecided: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameCasesDecided,
			Help: `Cases decided, as applied by this replica, by department and whether within the promised time limit (on_time "true" or "false").`,
		}, []string{"department", "on_time"}),
		TimerLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    NameTimerLag,
			Help:    "Fire time minus due time of the timers this replica fired, in seconds of real elapsed time (also on a simulated business clock).",
			Buckets: TimerLagBuckets,
		}),
		IngestApply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    NameIngestApply,
			Help:    "Time from an event's receipt to its application to the case, in seconds of real elapsed time (also on a simulated business clock), for the events this replica applied.",
			Buckets: IngestApplyBuckets,
		}),
		ScrapeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: NameScrapeErrors,
			Help: "Failed reads of the shared state at scrape time; the shared-state gauges are left out of such a scrape.",
		}),
	}
	var err error
	if m.EventsReceived, err = register(reg, m.EventsReceived); err != nil {
		return nil, err
	}
	if m.AlertsFired, err = register(reg, m.AlertsFired); err != nil {
		return nil, err
	}
	if m.CasesDecided, err = register(reg, m.CasesDecided); err != nil {
		return nil, err
	}
	if m.TimerLag, err = register(reg, m.TimerLag); err != nil {
		return nil, err
	}
	if m.IngestApply, err = register(reg, m.IngestApply); err != nil {
		return nil, err
	}
	if m.ScrapeErrors, err = register(reg, m.ScrapeErrors); err != nil {
		return nil, err
	}

	clients := o.Clients
	if clients == nil {
		clients = func() float64 { return 0 }
	}
	perProcess := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: NameWebSocketClients,
			Help: "WebSocket clients connected to this replica.",
		}, clients),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        NameBuildInfo,
			Help:        "Always 1; the labels name this replica's version and the Go version it was built with.",
			ConstLabels: prometheus.Labels{"version": o.Version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
		newSharedCollector(o, m.ScrapeErrors),
	}
	for _, c := range perProcess {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// register registers c on reg, or returns the identical collector of the same type already
// there.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, fmt.Errorf("metrics: register: %w", err)
}

// AlertFired counts one alert fired. A nil *Metrics does nothing, so components may run
// without metrics.
func (m *Metrics) AlertFired(department, kind, level string) {
	if m == nil {
		return
	}
	m.AlertsFired.WithLabelValues(department, kind, level).Inc()
}

// CaseDecided counts one case decided; onTime says whether within the promised time limit.
// A nil *Metrics does nothing.
func (m *Metrics) CaseDecided(department string, onTime bool) {
	if m == nil {
		return
	}
	v := "false"
	if onTime {
		v = "true"
	}
	m.CasesDecided.WithLabelValues(department, v).Inc()
}

// ObserveTimerLag records one timer fired lag after its due instant (fire minus due, in
// real elapsed time; a negative lag, a timer fired early, is recorded as it is). A nil
// *Metrics does nothing.
func (m *Metrics) ObserveTimerLag(lag time.Duration) {
	if m == nil {
		return
	}
	m.TimerLag.Observe(lag.Seconds())
}

// ObserveApply records one event applied d (real elapsed time) after its receipt. A nil
// *Metrics does nothing.
func (m *Metrics) ObserveApply(d time.Duration) {
	if m == nil {
		return
	}
	m.IngestApply.Observe(d.Seconds())
}
