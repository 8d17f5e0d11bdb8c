package metricstest_test

import (
	"slices"
	"testing"

	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

func TestReferenced(t *testing.T) {
	for _, c := range []struct {
		name, expr string
		want       []string
	}{
		{"plain", `duban_timers_pending`, []string{"duban_timers_pending"}},
		{"selector and function", `sum by (kind) (rate(duban_alerts_fired_total{level="red"}[5m]))`,
			[]string{"duban_alerts_fired_total"}},
		{"histogram series", `histogram_quantile(0.99, sum by (le) (rate(duban_timer_lag_seconds_bucket[5m])))`,
			[]string{"duban_timer_lag_seconds_bucket"}},
		{"each once, in order", `duban_b / duban_a + duban_b`, []string{"duban_b", "duban_a"}},
		{"strings skipped", `duban_x{department="duban_not", kind='duban_no', m=~"a\"duban_esc"}`, []string{"duban_x"}},
		{"comments skipped", "duban_x # duban_comment\n+ duban_y", []string{"duban_x", "duban_y"}},
		{"durations and numbers", `rate(duban_x[5m] offset 1d) > 1e3`, []string{"duban_x"}},
		{"grafana variables", `duban_x{job=~"$job"}[$__rate_interval]`, []string{"duban_x"}},
		{"other names", `up{job="duban"} == 0 and on() process_start_time_seconds`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := metricstest.Referenced(c.expr); !slices.Equal(got, c.want) {
				t.Errorf("Referenced(%q) = %q, want %q", c.expr, got, c.want)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`duban_ingest_apply_seconds_bucket + duban_ingest_apply_seconds_sum + duban_ingest_apply_seconds_count`, nil},
		{`duban_cases_open + duban_calendar_last_year`, nil},
		{`duban_cases_open_count`, []string{"duban_cases_open_count"}}, // a gauge has no _count
		{`duban_events_received`, []string{"duban_events_received"}},
		// The delivery families alerts/webhook and alerts/alertmanager register.
		{`sum by (outcome) (rate(duban_webhook_deliveries_total[5m])) + max(duban_webhook_backlog)
			+ sum(rate(duban_alertmanager_posts_total[5m]))`, nil},
		{`duban_webhook_backlog_count + duban_webhook_deliveries`, []string{"duban_webhook_backlog_count", "duban_webhook_deliveries"}},
	} {
		if got := metricstest.Unknown(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("Unknown(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}
