package metrics_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

// snapshot is the shared state the tests feed.
var snapshot = metrics.Shared{
	CasesOpen: map[[3]string]float64{
		{"env", "acceptance", "green"}: 3,
		{"env", "decision", "red"}:     2,
		{"tax", "delivery", "yellow"}:  1,
	},
	AlertsOpen: map[[2]string]float64{
		{"env", "red"}:    2,
		{"tax", "yellow"}: 0,
	},
	TimersPending:    42,
	CalendarLastYear: 2026,
	Orders:           map[[2]string]float64{{"env", "open"}: 2, {"env", "closed"}: 1},
	OrdersOverdue:    map[string]float64{"env": 1},
}

// newMetrics builds the metrics on a fresh registry, fed snapshot, with 7 WebSocket
// clients, and exercises every counter and histogram once.
func newMetrics(t *testing.T) (*prometheus.Registry, *metrics.Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Version: "v1.2.3",
		Shared:  func(context.Context) (metrics.Shared, error) { return snapshot, nil },
		Clients: func() float64 { return 7 },
	})
	if err != nil {
		t.Fatal(err)
	}
	m.EventsReceived.WithLabelValues("env", "submitted", "accepted").Add(5)
	m.EventsReceived.WithLabelValues("env", "submitted", "duplicate").Inc()
	m.AlertFired("env", "promise_overdue", "red")
	m.AlertFired("env", "promise_overdue", "red")
	m.AlertFired("tax", "acceptance_warning", "yellow")
	m.CaseDecided("env", true)
	m.CaseDecided("env", false)
	m.CaseDecided("env", true)
	m.ObserveTimerLag(3 * time.Millisecond)
	m.ObserveTimerLag(2 * time.Second)
	m.ObserveApply(40 * time.Millisecond)
	return reg, m
}

func TestValues(t *testing.T) {
	reg, _ := newMetrics(t)
	want := fmt.Sprintf(`
# HELP duban_alerts_fired_total Alerts fired by this replica, by department, kind and level (yellow, red).
# TYPE duban_alerts_fired_total counter
duban_alerts_fired_total{department="env",kind="promise_overdue",level="red"} 2
duban_alerts_fired_total{department="tax",kind="acceptance_warning",level="yellow"} 1
# HELP duban_alerts_open Alerts neither resolved nor exempted, in the whole system, by department and level.
# TYPE duban_alerts_open gauge
duban_alerts_open{department="env",level="red"} 2
duban_alerts_open{department="tax",level="yellow"} 0
# HELP duban_build_info Always 1; the labels name this replica's version and the Go version it was built with.
# TYPE duban_build_info gauge
duban_build_info{goversion=%q,version="v1.2.3"} 1
# HELP duban_calendar_last_year The latest year whose working-day calendar is loaded (0 if none).
# TYPE duban_calendar_last_year gauge
duban_calendar_last_year 2026
# HELP duban_cases_decided_total Cases decided, as applied by this replica, by department and whether within the promised time limit (on_time "true" or "false").
# TYPE duban_cases_decided_total counter
duban_cases_decided_total{department="env",on_time="false"} 1
duban_cases_decided_total{department="env",on_time="true"} 2
# HELP duban_cases_open Open cases in the whole system, by department, stage and time level.
# TYPE duban_cases_open gauge
duban_cases_open{department="env",level="green",stage="acceptance"} 3
duban_cases_open{department="env",level="red",stage="decision"} 2
duban_cases_open{department="tax",level="yellow",stage="delivery"} 1
# HELP duban_events_received_total Events received over POST /api/v1/events, by outcome (accepted, duplicate, rejected); department and type are "unknown" outside the catalogue and the contract.
# TYPE duban_events_received_total counter
duban_events_received_total{department="env",outcome="accepted",type="submitted"} 5
duban_events_received_total{department="env",outcome="duplicate",type="submitted"} 1
# HELP duban_orders Supervision orders in the whole system, by department and state (open, replied, closed, withdrawn).
# TYPE duban_orders gauge
duban_orders{department="env",state="closed"} 1
duban_orders{department="env",state="open"} 2
# HELP duban_orders_overdue Open supervision orders past their reply deadline, in the whole system, by department.
# TYPE duban_orders_overdue gauge
duban_orders_overdue{department="env"} 1
# HELP duban_scrape_errors_total Failed reads of the shared state at scrape time; the shared-state gauges are left out of such a scrape.
# TYPE duban_scrape_errors_total counter
duban_scrape_errors_total 0
# HELP duban_timers_pending Timers scheduled and not yet fired, in the whole system.
# TYPE duban_timers_pending gauge
duban_timers_pending 42
# HELP duban_websocket_clients WebSocket clients connected to this replica.
# TYPE duban_websocket_clients gauge
duban_websocket_clients 7
`, runtime.Version())
	var names []string
	for _, n := range metrics.Names() {
		if n != metrics.NameTimerLag && n != metrics.NameIngestApply {
			names = append(names, n)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

// TestFamilies checks every family's type, label names and, for the histograms, buckets.
func TestFamilies(t *testing.T) {
	reg, _ := newMetrics(t)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	type family struct {
		typ    string   // as client_model names it
		labels []string // sorted, as exported
	}
	want := map[string]family{
		metrics.NameEventsReceived:   {"COUNTER", []string{"department", "outcome", "type"}},
		metrics.NameAlertsFired:      {"COUNTER", []string{"department", "kind", "level"}},
		metrics.NameCasesDecided:     {"COUNTER", []string{"department", "on_time"}},
		metrics.NameTimerLag:         {"HISTOGRAM", nil},
		metrics.NameIngestApply:      {"HISTOGRAM", nil},
		metrics.NameCasesOpen:        {"GAUGE", []string{"department", "level", "stage"}},
		metrics.NameAlertsOpen:       {"GAUGE", []string{"department", "level"}},
		metrics.NameTimersPending:    {"GAUGE", nil},
		metrics.NameCalendarLastYear: {"GAUGE", nil},
		metrics.NameOrders:           {"GAUGE", []string{"department", "state"}},
		metrics.NameOrdersOverdue:    {"GAUGE", []string{"department"}},
		metrics.NameWebSocketClients: {"GAUGE", nil},
		metrics.NameBuildInfo:        {"GAUGE", []string{"goversion", "version"}},
		metrics.NameScrapeErrors:     {"COUNTER", nil},
	}
	var got []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
		w, ok := want[mf.GetName()]
		if !ok {
			t.Errorf("unexpected family %s", mf.GetName())
			continue
		}
		if mf.GetType().String() != w.typ {
			t.Errorf("%s: type %s, want %s", mf.GetName(), mf.GetType(), w.typ)
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName())
			}
			if !slices.Equal(labels, w.labels) {
				t.Errorf("%s: labels %v, want %v", mf.GetName(), labels, w.labels)
			}
		}
	}
	names := metrics.Names()
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("gathered families %v\nNames() %v", got, names)
	}
	if len(want) != len(names) {
		t.Errorf("the test knows %d families, Names() lists %d", len(want), len(names))
	}

	for _, c := range []struct {
		name    string
		buckets []float64
		count   uint64
		sum     float64
	}{
		{metrics.NameTimerLag, metrics.TimerLagBuckets, 2, 2.003},
		{metrics.NameIngestApply, metrics.IngestApplyBuckets, 1, 0.04},
	} {
		i := slices.Index(got, c.name) // got holds the names of mfs, in order
		if i < 0 {
			t.Errorf("%s not gathered", c.name)
			continue
		}
		h := mfs[i].GetMetric()[0].GetHistogram()
		var bounds []float64
		for _, b := range h.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if !slices.Equal(bounds, c.buckets) {
			t.Errorf("%s: buckets %v, want %v", c.name, bounds, c.buckets)
		}
		if h.GetSampleCount() != c.count || fmt.Sprintf("%.6f", h.GetSampleSum()) != fmt.Sprintf("%.6f", c.sum) {
			t.Errorf("%s: count %d sum %g, want %d and %g", c.name, h.GetSampleCount(), h.GetSampleSum(), c.count, c.sum)
		}
	}
}

// TestDeliveryNames: the families alerts/webhook and alerts/alertmanager register, which
// the dashboard and the rules may use, are listed apart from New's (metrics.New does not
// register them, so TestFamilies would not gather them).
func TestDeliveryNames(t *testing.T) {
	want := []string{"duban_webhook_deliveries_total", "duban_webhook_backlog", "duban_alertmanager_posts_total"}
	if got := metrics.DeliveryNames(); !slices.Equal(got, want) {
		t.Errorf("DeliveryNames() = %q, want %q", got, want)
	}
	for _, n := range metrics.DeliveryNames() {
		if slices.Contains(metrics.Names(), n) {
			t.Errorf("%s is in both Names() and DeliveryNames()", n)
		}
	}
	reg, _ := newMetrics(t)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if slices.Contains(metrics.DeliveryNames(), mf.GetName()) {
			t.Errorf("New registered %s, which alerts/webhook or alerts/alertmanager registers", mf.GetName())
		}
	}
}

// TestLint runs client_golang's linter (the one promtool check metrics runs) in process.
func TestLint(t *testing.T) {
	reg, _ := newMetrics(t)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestPromtoolCheckMetrics feeds the text exposition, as /metrics serves it, to promtool.
func TestPromtoolCheckMetrics(t *testing.T) {
	metricstest.Promtool(t)
	reg, _ := newMetrics(t)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.Bytes()
	for _, n := range metrics.Names() {
		if !strings.Contains(string(body), "# TYPE "+n+" ") {
			t.Errorf("exposition lacks %s", n)
		}
	}
	metricstest.RunPromtool(t, body, "check", "metrics")
}

func TestNewRefuses(t *testing.T) {
	shared := func(context.Context) (metrics.Shared, error) { return metrics.Shared{}, nil }
	if _, err := metrics.New(nil, metrics.Options{Shared: shared}); err == nil {
		t.Error("nil Registerer accepted")
	}
	if _, err := metrics.New(prometheus.NewRegistry(), metrics.Options{}); err == nil {
		t.Error("nil Shared accepted")
	}
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{Shared: shared}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Options{Shared: shared}); err == nil {
		t.Error("a second New on the same registry succeeded: two shared collectors would report the same series")
	}
}

func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.AlertFired("env", "promise_overdue", "red")
	m.CaseDecided("env", true)
	m.ObserveTimerLag(time.Second)
	m.ObserveApply(time.Second)
}
