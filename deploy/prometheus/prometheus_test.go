package prometheus_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

const rulesFile = "rules/duban.rules.yml"

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	return rules
}

// TestRules: every rule names only exported metrics, has a severity and a Chinese summary,
// and the alerts issue 5 and the delivery rules ask for are there.
func TestRules(t *testing.T) {
	rules := loadRules(t)
	var names []string
	for _, r := range rules {
		name := r.Alert + r.Record
		names = append(names, name)
		if bad := metricstest.Unknown(r.Expr); len(bad) > 0 {
			t.Errorf("%s: %v not exported by internal/metrics", name, bad)
		}
		if r.Alert == "" {
			continue
		}
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", name, s)
		}
		if !strings.ContainsFunc(r.Annotations["summary"], func(c rune) bool { return unicode.Is(unicode.Han, c) }) {
			t.Errorf("%s: summary %q is not in Chinese", name, r.Annotations["summary"])
		}
		if r.Annotations["description"] == "" {
			t.Errorf("%s: no description", name)
		}
	}
	for _, want := range []string{
		"DubanIngestionStalled", "DubanIngestNotApplying", "DubanIngestApplySlow",
		"DubanTimerLagHigh", "DubanRedAlertsRising", "DubanCalendarNextYearMissing",
		"DubanWebhookDropping", "DubanWebhookBacklogHigh", "DubanAlertmanagerFailing", "DubanOrdersOverdue",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("no rule %s", want)
		}
	}
}

// TestRuleTestsUseExportedMetrics: the promtool unit tests feed series the service exports,
// so they test the rules against what will really be scraped.
func TestRuleTestsUseExportedMetrics(t *testing.T) {
	files, err := filepath.Glob("testdata/*.test.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in testdata: %v", err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Tests []struct {
				Name        string `yaml:"name"`
				InputSeries []struct {
					Series string `yaml:"series"`
				} `yaml:"input_series"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, tc := range f.Tests {
			for _, s := range tc.InputSeries {
				if bad := metricstest.Unknown(s.Series); len(bad) > 0 {
					t.Errorf("%s: %s: %v not exported by internal/metrics", path, tc.Name, bad)
				}
			}
		}
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	metricstest.RunPromtool(t, nil, "check", "rules", rulesFile)
}

// TestPromtoolCheckConfig also checks the rule files the configuration loads.
func TestPromtoolCheckConfig(t *testing.T) {
	out := metricstest.RunPromtool(t, nil, "check", "config", "prometheus.yml")
	if !strings.Contains(out, rulesFile) {
		t.Errorf("prometheus.yml does not load %s:\n%s", rulesFile, out)
	}
}

// TestPromtoolTestRules runs the rule unit tests in testdata (calendar, timer lag,
// ingestion, red alerts, webhook and Alertmanager delivery).
func TestPromtoolTestRules(t *testing.T) {
	files, err := filepath.Glob("testdata/*.test.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in testdata: %v", err)
	}
	metricstest.RunPromtool(t, nil, append([]string{"test", "rules"}, files...)...)
}
