package grafana_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/dashboards/grafana"
	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

// The parts of the dashboard model the tests read.
type (
	dashboard struct {
		UID           string  `json:"uid"`
		Title         string  `json:"title"`
		SchemaVersion int     `json:"schemaVersion"`
		Panels        []panel `json:"panels"`
		Templating    struct {
			List []variable `json:"list"`
		} `json:"templating"`
	}
	panel struct {
		ID         int                      `json:"id"`
		Type       string                   `json:"type"`
		Title      string                   `json:"title"`
		Datasource *datasource              `json:"datasource"`
		GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
		Targets    []struct {
			RefID      string      `json:"refId"`
			Expr       string      `json:"expr"`
			Datasource *datasource `json:"datasource"`
		} `json:"targets"`
		Panels []panel `json:"panels"` // a collapsed row's
	}
	datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	variable struct {
		Type       string          `json:"type"`
		Name       string          `json:"name"`
		Query      json.RawMessage `json:"query"` // a string, or {query: …} for Prometheus
		Definition string          `json:"definition"`
		Datasource *datasource     `json:"datasource"`
	}
)

// expr is one PromQL expression of the dashboard and where it is.
type expr struct{ where, promql string }

func load(t *testing.T) (dashboard, []panel, []expr) {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(grafana.Dashboard, &d); err != nil {
		t.Fatalf("duban.json: %v", err)
	}
	var flat []panel
	for _, p := range d.Panels {
		flat = append(flat, p)
		flat = append(flat, p.Panels...)
	}
	var exprs []expr
	for _, p := range flat {
		for _, tg := range p.Targets {
			exprs = append(exprs, expr{fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: definition %q is not label_values(selector, label)", v.Name, v.Definition)
			continue
		}
		exprs = append(exprs, expr{"variable " + v.Name, m[1]})
	}
	return d, flat, exprs
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_]\w*\)$`)

func TestDashboardShape(t *testing.T) {
	d, panels, exprs := load(t)
	if d.UID != "duban-overview" {
		t.Errorf("uid %q: provisioned links and bookmarks rely on duban-overview", d.UID)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want 36 or later (data sources by uid)", d.SchemaVersion)
	}
	i := slices.IndexFunc(d.Templating.List, func(v variable) bool { return v.Name == "datasource" })
	if i < 0 || d.Templating.List[i].Type != "datasource" || string(d.Templating.List[i].Query) != `"prometheus"` {
		t.Errorf("no datasource variable of type prometheus: %+v", d.Templating.List)
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != "${datasource}") {
			t.Errorf("variable %s: datasource %+v, want ${datasource}", v.Name, v.Datasource)
		}
	}

	ids := map[int]bool{}
	for _, p := range panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %d %q: gridPos %+v outside the 24 columns", p.ID, p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %d %q: datasource %+v, %d targets; want ${datasource} and a query", p.ID, p.Title, p.Datasource, len(p.Targets))
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || refs[tg.RefID] || tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %d %q: target %s: empty, repeated or without ${datasource}", p.ID, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	for i, a := range panels {
		for _, b := range panels[i+1:] {
			ga, gb := a.GridPos, b.GridPos
			if ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H {
				t.Errorf("panels %q and %q overlap", a.Title, b.Title)
			}
		}
	}

	// The panels issue 5 and the delivery row ask for, each found by its title and what it
	// queries.
	for _, want := range []struct{ title, uses string }{
		{"Open cases by stage", "duban_cases_open"},
		{"Red cases", "duban_cases_open"},
		{"Yellow cases", "duban_cases_open"},
		{"Departments by risk", "duban_cases_open"},
		{"Alert rate by kind", "duban_alerts_fired_total"},
		{"Timer lag", "duban_timer_lag_seconds_bucket"},
		{"Events received by outcome", "duban_events_received_total"},
		{"Apply latency", "duban_ingest_apply_seconds_bucket"},
		{"WebSocket clients", "duban_websocket_clients"},
		// The delivery row: the families alerts/webhook and alerts/alertmanager register.
		{"Webhook deliveries by outcome", "duban_webhook_deliveries_total"},
		{"Webhook backlog by subscription", "duban_webhook_backlog"},
		{"Alertmanager posts by outcome", "duban_alertmanager_posts_total"},
		// Supervision orders (督办单).
		{"Orders pending", "duban_orders"},
		{"Orders overdue", "duban_orders_overdue"},
		{"Orders by state", "duban_orders"},
		{"Orders overdue by department", "duban_orders_overdue"},
	} {
		found := false
		for _, e := range exprs {
			if strings.Contains(e.where, want.title) && slices.Contains(metricstest.Referenced(e.promql), want.uses) {
				found = true
			}
		}
		if !found {
			t.Errorf("no panel titled %q querying %s", want.title, want.uses)
		}
	}
}

// TestDashboardUsesExportedMetrics: every duban_ name in every query is a metric the
// service exports.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	_, _, exprs := load(t)
	for _, e := range exprs {
		if len(metricstest.Referenced(e.promql)) == 0 {
			t.Errorf("%s: no duban_ metric in %q", e.where, e.promql)
		}
		if bad := metricstest.Unknown(e.promql); len(bad) > 0 {
			t.Errorf("%s: %v not exported by internal/metrics (%q)", e.where, bad, e.promql)
		}
	}
}

// sharedGauges are the gauges of shared state: every replica reports the same value, so a
// query must take their max over replicas; a sum would count each value once per replica.
var (
	sharedGauges = []string{"duban_cases_open", "duban_alerts_open", "duban_timers_pending",
		"duban_calendar_last_year", "duban_webhook_backlog", "duban_orders", "duban_orders_overdue"}
	maxOf = regexp.MustCompile(`max(\s+by\s*\([^)]*\))?\s*\(\s*$`)
)

// TestDashboardSharedGaugesTakeMax: each selector of a shared-state gauge sits directly in
// max(…) or max by (…) (…).
func TestDashboardSharedGaugesTakeMax(t *testing.T) {
	_, _, exprs := load(t)
	for _, e := range exprs {
		if strings.HasPrefix(e.where, "variable ") {
			continue // label_values(selector, label) aggregates nothing
		}
		for _, g := range sharedGauges {
			re := regexp.MustCompile(`\b` + g + `\b`)
			for _, loc := range re.FindAllStringIndex(e.promql, -1) {
				if !maxOf.MatchString(e.promql[:loc[0]]) {
					t.Errorf("%s: %s is not directly inside max or max by: %q", e.where, g, e.promql)
				}
			}
		}
	}
}

// grafanaVars are the values the variables take for the PromQL check.
var grafanaVars = strings.NewReplacer(
	"${datasource}", "", "$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
	"$job", ".*", "$department", ".*",
)

// TestDashboardPromQL parses every query with Prometheus's own parser: the expressions,
// with Grafana's variables filled in, become recording rules for `promtool check rules`.
func TestDashboardPromQL(t *testing.T) {
	metricstest.Promtool(t)
	_, _, exprs := load(t)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, e := range exprs {
		q := grafanaVars.Replace(e.promql)
		if strings.Contains(q, "$") {
			t.Errorf("%s: unknown variable in %q", e.where, e.promql)
		}
		rules = append(rules, rule{fmt.Sprintf("dashboard:expr_%d", i), q})
	}
	doc, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out := metricstest.RunPromtool(t, nil, "check", "rules", path)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(rules)); !strings.Contains(out, want) {
		t.Errorf("promtool: %s\nwant %q", out, want)
	}
}

func TestProvisioning(t *testing.T) {
	var dash struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "provisioning/dashboards/duban.yml", &dash)
	if dash.APIVersion != 1 || len(dash.Providers) != 1 || dash.Providers[0].Type != "file" || dash.Providers[0].Options.Path == "" {
		t.Errorf("dashboards provider: %+v", dash)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL, UID string
		} `yaml:"datasources"`
	}
	readYAML(t, "provisioning/datasources/prometheus.yml", &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL == "" {
		t.Errorf("datasource: %+v", ds)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
