package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Shared is a snapshot of the shared state in Redis, the same whichever replica reads it.
// Include zero entries for the departments, stages and levels you know, so that a series
// reads 0 rather than vanishing when its count drops to nothing.
type Shared struct {
	// CasesOpen is duban_cases_open: open cases by {department, stage, level}, in that
	// order (stage acceptance, decision or delivery; level green, yellow or red).
	CasesOpen map[[3]string]float64
	// AlertsOpen is duban_alerts_open: alerts not yet resolved or exempted, by
	// {department, level}, in that order.
	AlertsOpen map[[2]string]float64
	// TimersPending is duban_timers_pending: timers scheduled and not yet fired.
	TimersPending float64
	// CalendarLastYear is duban_calendar_last_year: the latest year whose calendar is
	// loaded (0 if none).
	CalendarLastYear float64
	// Orders is duban_orders: supervision orders by {department, state}.
	Orders map[[2]string]float64
	// OrdersOverdue is duban_orders_overdue: open orders past their reply deadline, by
	// department.
	OrdersOverdue map[string]float64
}

// sharedCollector exports the shared-state gauges. It reads Options.Shared once per scrape,
// and serves the result (or the error) to the scrapes of the next CacheFor, so that several
// Prometheus servers scraping several replicas do not multiply the Redis reads; the mutex
// also makes parallel scrapes wait for one read instead of starting their own.
//
// On an error the shared-state gauges are left out of the scrape and
// duban_scrape_errors_total counts the failed read (once per read, not per scrape served
// from the cached error). The alternative, prometheus.NewInvalidMetric, fails the whole
// scrape under promhttp's default HTTPErrorOnError: a Redis hiccup would then also hide the
// replica's own counters and mark the target down. The gauges' absence marks their series
// stale, and the rule DubanSharedStateUnreadable watches the error counter.
type sharedCollector struct {
	read     func(context.Context) (Shared, error)
	timeout  time.Duration
	cacheFor time.Duration
	errors   prometheus.Counter
	now      func() time.Time // time.Now; plumbing, not the business clock

	casesOpen, alertsOpen, timersPending, calendarLastYear *prometheus.Desc
	orders, ordersOverdue                                  *prometheus.Desc

	mu     sync.Mutex
	readAt time.Time // zero: nothing cached
	last   Shared
	err    error
}

func newSharedCollector(o Options, errs prometheus.Counter) *sharedCollector {
	return &sharedCollector{
		read: o.Shared, timeout: o.Timeout, cacheFor: o.CacheFor, errors: errs, now: time.Now,
		casesOpen: prometheus.NewDesc(NameCasesOpen,
			"Open cases in the whole system, by department, stage and time level.",
			[]string{"department", "stage", "level"}, nil),
		alertsOpen: prometheus.NewDesc(NameAlertsOpen,
			"Alerts neither resolved nor exempted, in the whole system, by department and level.",
			[]string{"department", "level"}, nil),
		timersPending: prometheus.NewDesc(NameTimersPending,
			"Timers scheduled and not yet fired, in the whole system.", nil, nil),
		calendarLastYear: prometheus.NewDesc(NameCalendarLastYear,
			"The latest year whose working-day calendar is loaded (0 if none).", nil, nil),
		orders: prometheus.NewDesc(NameOrders,
			"Supervision orders in the whole system, by department and state (open, replied, closed, withdrawn).",
			[]string{"department", "state"}, nil),
		ordersOverdue: prometheus.NewDesc(NameOrdersOverdue,
			"Open supervision orders past their reply deadline, in the whole system, by department.",
			[]string{"department"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *sharedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.casesOpen
	ch <- c.alertsOpen
	ch <- c.timersPending
	ch <- c.calendarLastYear
	ch <- c.orders
	ch <- c.ordersOverdue
}

// Collect implements prometheus.Collector.
func (c *sharedCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.snapshot()
	if err != nil {
		return
	}
	for k, v := range s.CasesOpen {
		c.emit(ch, c.casesOpen, v, k[0], k[1], k[2])
	}
	for k, v := range s.AlertsOpen {
		c.emit(ch, c.alertsOpen, v, k[0], k[1])
	}
	c.emit(ch, c.timersPending, s.TimersPending)
	c.emit(ch, c.calendarLastYear, s.CalendarLastYear)
	for k, v := range s.Orders {
		c.emit(ch, c.orders, v, k[0], k[1])
	}
	for k, v := range s.OrdersOverdue {
		c.emit(ch, c.ordersOverdue, v, k)
	}
}

// emit sends one gauge. A label value that cannot be exported (invalid UTF-8) leaves that
// series out and counts an error, rather than panicking or failing the whole scrape.
func (c *sharedCollector) emit(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		c.errors.Inc()
		return
	}
	ch <- m
}

// snapshot returns the cached read when it is fresh, or reads anew. The maps of the
// returned Shared are only read, never written, so sharing them between scrapes is safe.
func (c *sharedCollector) snapshot() (Shared, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && c.cacheFor > 0 && c.now().Sub(c.readAt) < c.cacheFor {
		return c.last, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	c.last, c.err = c.read(ctx)
	c.readAt = c.now()
	if c.err != nil {
		c.errors.Inc()
	}
	return c.last, c.err
}
