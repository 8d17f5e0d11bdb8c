package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env returns a getenv over a fixed map.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// writeConfig writes a configuration file, with the test catalogue beside it, and returns
// its path.
func writeConfig(t testing.TB, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	cat, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), cat, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "duban.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	for name, path := range map[string]string{
		"no file":    "",
		"empty file": writeConfig(t, "# nothing but a comment\n"),
		"null keys":  writeConfig(t, "listen:\nlimits:\nranking: {weights: }\n"),
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Listen != ":8080" || cfg.Timezone != "Asia/Shanghai" || cfg.Location.String() != "Asia/Shanghai" {
				t.Errorf("listen %q, timezone %q/%v", cfg.Listen, cfg.Timezone, cfg.Location)
			}
			if cfg.Redis.URL != "" || cfg.Catalog != nil || len(cfg.Auth.Tokens) != 0 || cfg.MetricsToken != nil {
				t.Errorf("redis %+v, catalog %v, tokens %v, metrics %v: want none", cfg.Redis, cfg.Catalog, cfg.Auth.Tokens, cfg.MetricsToken)
			}
			want := Limits{BodyBytes: 8 << 20, BatchEvents: 10000, EventsPerSecondPerToken: 2000,
				InflightBytes: 16 << 20, BodyTimeout: time.Minute}
			if cfg.Redis.Timeouts != (RedisTimeouts{Dial: time.Second, Read: 3 * time.Second, Write: 3 * time.Second, PoolWait: time.Second}) {
				t.Errorf("redis timeouts %+v", cfg.Redis.Timeouts)
			}
			if cfg.Limits != want {
				t.Errorf("limits %+v, want %+v", cfg.Limits, want)
			}
			if cfg.Rules != (Rules{ReportWithin: 24 * time.Hour, FaultThreshold: 3}) {
				t.Errorf("rules %+v", cfg.Rules)
			}
			if r := cfg.Ranking; r.MinCases != 10 || r.Schedule != "0 2 2 * *" || r.Weights != DefaultWeights {
				t.Errorf("ranking %+v", r)
			}
			from := time.Date(2026, 3, 15, 12, 0, 0, 0, cfg.Location)
			if next := cfg.Ranking.Cron.Next(from); !next.Equal(time.Date(2026, 4, 2, 2, 0, 0, 0, cfg.Location)) {
				t.Errorf("schedule's next run after %v is %v, want 2 April 02:00", from, next)
			}
			if cfg.Alertmanager != (Alertmanager{}) || cfg.Clock != (Clock{Rate: 1}) || cfg.Clock.Simulated() {
				t.Errorf("alertmanager %+v, clock %+v", cfg.Alertmanager, cfg.Clock)
			}
		})
	}
}

func TestFullFile(t *testing.T) {
	cfg, err := Load("testdata/full.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	if cfg.File != filepath.Join(dir, "full.yaml") {
		t.Errorf("File = %q", cfg.File)
	}
	if cfg.Listen != "127.0.0.1:9090" || cfg.Timezone != "Asia/Urumqi" {
		t.Errorf("listen %q, timezone %q", cfg.Listen, cfg.Timezone)
	}
	wantRedis := Redis{URL: "redis://:secret@10.0.0.5:6380/2", Mode: RedisSingle, Addrs: []string{"10.0.0.5:6380"},
		DB: 2, Password: "secret", Prefix: "duban:",
		Timeouts: RedisTimeouts{Dial: 2 * time.Second, Read: 4 * time.Second, Write: 4 * time.Second, PoolWait: 2 * time.Second}}
	if !reflect.DeepEqual(cfg.Redis, wantRedis) {
		t.Errorf("redis %+v, want %+v", cfg.Redis, wantRedis)
	}
	if cfg.CatalogPath != filepath.Join(dir, "catalog.yaml") || cfg.Catalog == nil || len(cfg.CatalogYAML) == 0 {
		t.Errorf("catalogue path %q, catalogue %v", cfg.CatalogPath, cfg.Catalog)
	} else if _, ok := cfg.Catalog.Matter("ENV-EIA-001"); !ok {
		t.Error("catalogue lacks ENV-EIA-001")
	}
	if want := []string{filepath.Join(dir, "calendars", "2027.yaml")}; !reflect.DeepEqual(cfg.Calendars, want) {
		t.Errorf("calendars %q, want %q", cfg.Calendars, want)
	}
	wantTokens := []Token{
		{Hash: HashToken("hello"), Role: RoleCollector, Department: "env"},
		{Hash: HashToken("dev-viewer"), Role: RoleViewer},
		{Hash: HashToken("env-screen"), Role: RoleViewer, Department: "env"},
		{Hash: HashToken("boss"), Role: RoleSupervisor},
		{Hash: HashToken("root"), Role: RoleAdmin},
	}
	if !reflect.DeepEqual(cfg.Auth.Tokens, wantTokens) {
		t.Errorf("tokens %+v", cfg.Auth.Tokens)
	}
	if want := []string{"https://screen.example.gov.cn", "http://10.1.2.3:8080"}; !reflect.DeepEqual(cfg.Auth.AllowedOrigins, want) {
		t.Errorf("origins %q, want %q", cfg.Auth.AllowedOrigins, want)
	}
	if cfg.MetricsToken == nil || !cfg.MetricsToken.Matches("scrape-me") || cfg.MetricsToken.Matches("other") {
		t.Errorf("metrics token %v", cfg.MetricsToken)
	}
	if cfg.Limits != (Limits{BodyBytes: 1 << 20, BatchEvents: 500, EventsPerSecondPerToken: 12.5,
		InflightBytes: 16 << 20, BodyTimeout: 30 * time.Second}) {
		t.Errorf("limits %+v", cfg.Limits)
	}
	if cfg.Rules != (Rules{ReportWithin: 36 * time.Hour, FaultThreshold: 5}) {
		t.Errorf("rules %+v", cfg.Rules)
	}
	if r := cfg.Ranking; r.MinCases != 3 || r.Schedule != "30 3 3 * *" ||
		r.Weights != (Weights{OnTime: 50, TimeRatio: 10, Early: 0, Red: 30, OpenOverdue: 10}) {
		t.Errorf("ranking %+v", r)
	}
	if cfg.Alertmanager != (Alertmanager{URL: "http://127.0.0.1:9093", SendHandlerNames: true}) {
		t.Errorf("alertmanager %+v", cfg.Alertmanager)
	}
	// Clear-text tokens are not kept anywhere in the result.
	dump := fmt.Sprintf("%+v", *cfg)
	for _, secret := range []string{"dev-viewer", "env-screen", "scrape-me"} {
		if strings.Contains(dump, secret) {
			t.Errorf("configuration keeps the clear token %q", secret)
		}
	}
}

func TestInlineCatalog(t *testing.T) {
	path := writeConfig(t, `
catalog:
  departments: [{ code: tax, name: 区税务局 }]
  matters:
    - { code: TAX-1, name: 发票核定, department: tax, statutory_days: 5 }
auth:
  tokens: [{ token: t1, department: tax }]
`)
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Catalog == nil || cfg.CatalogPath != "" {
		t.Fatalf("catalogue %v, path %q", cfg.Catalog, cfg.CatalogPath)
	}
	if m, ok := cfg.Catalog.Matter("TAX-1"); !ok || m.Department != "tax" {
		t.Errorf("matter TAX-1 = %+v, %v", m, ok)
	}
	if !strings.Contains(string(cfg.CatalogYAML), "TAX-1") || strings.Contains(string(cfg.CatalogYAML), "auth") {
		t.Errorf("catalogue YAML is not the catalogue alone:\n%s", cfg.CatalogYAML)
	}
}

func TestEnvOverridesWin(t *testing.T) {
	path := writeConfig(t, "listen: \":1\"\nredis: {url: \"redis://file:1\"}\ntimezone: UTC\n")
	cfg, err := Load(path, env(map[string]string{
		"DUBAN_LISTEN":      "[::1]:8443",
		"DUBAN_REDIS_URL":   "redis://a:7000,redis://b:7001",
		"DUBAN_TIMEZONE":    "Asia/Shanghai",
		"DUBAN_CLOCK_START": "2026-03-02T09:00:00+08:00",
		"DUBAN_CLOCK_RATE":  "1000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "[::1]:8443" || cfg.Timezone != "Asia/Shanghai" {
		t.Errorf("listen %q, timezone %q", cfg.Listen, cfg.Timezone)
	}
	if cfg.Redis.Mode != RedisCluster || !reflect.DeepEqual(cfg.Redis.Addrs, []string{"a:7000", "b:7001"}) {
		t.Errorf("redis %+v", cfg.Redis)
	}
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	if !cfg.Clock.Start.Equal(start) || cfg.Clock.Rate != 1000 || !cfg.Clock.Simulated() {
		t.Errorf("clock %+v", cfg.Clock)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        map[string]string
		key, msg   string
	}{
		{"unknown top-level key", "lisen: \":80\"\n", nil, "lisen", "unknown key"},
		{"unknown nested key", "limits: {bodybytes: 5}\n", nil, "limits.bodybytes", "unknown key"},
		{"unknown key in a token", "auth: {tokens: [{token: a, role: viewer, dept: env}]}\n", nil, "auth.tokens[0].dept", "unknown key"},
		{"wrong type", "limits: {body_bytes: 8MiB}\n", nil, "limits.body_bytes", "whole number"},
		{"section not a mapping", "rules: 3\n", nil, "rules", "mapping"},
		{"list not a list", "calendars: a.yaml\n", nil, "calendars", "list"},
		{"syntax error", "listen: [\n", nil, "", "yaml"},
		{"duplicate key", "listen: \":1\"\nlisten: \":2\"\n", nil, "", "already defined"},
		{"listen", "listen: 8080\n", nil, "listen", "host:port"},
		{"listen port", "listen: \":99999\"\n", nil, "listen", "port"},
		{"listen from env", "", map[string]string{"DUBAN_LISTEN": "nowhere"}, "DUBAN_LISTEN", "host:port"},
		{"redis scheme", "redis: {url: \"http://x\"}\n", nil, "redis.url", "scheme"},
		{"redis from env", "", map[string]string{"DUBAN_REDIS_URL": "redis://h:0"}, "DUBAN_REDIS_URL", "port"},
		{"redis prefix with a brace", "redis: {prefix: \"a{b}:\"}\n", nil, "redis.prefix", "braces"},
		{"redis prefix from env", "", map[string]string{"DUBAN_REDIS_PREFIX": "a b"}, "DUBAN_REDIS_PREFIX", "spaces"},
		{"timezone", "timezone: Asia/Shangai\n", nil, "timezone", "unknown time zone"},
		{"timezone Local", "timezone: Local\n", nil, "timezone", "does not name"},
		{"timezone from env", "", map[string]string{"DUBAN_TIMEZONE": "Mars/Olympus"}, "DUBAN_TIMEZONE", "unknown"},
		{"catalogue missing", "catalog: nowhere.yaml\n", nil, "catalog", "no such file"},
		{"catalogue invalid", "catalog: {departments: [{code: env, name: x}], matters: [{code: M, name: m, department: nope, statutory_days: 1}]}\n", nil, "catalog", "nope"},
		{"catalogue a list", "catalog: [a]\n", nil, "catalog", "file path or the catalogue"},
		{"calendar missing", "calendars: [catalog.yaml, 2099.yaml]\n", nil, "calendars[1]", "no such file"},
		{"token both", "auth: {tokens: [{token: a, sha256: b, role: viewer}]}\n", nil, "auth.tokens[0]", "not both"},
		{"token neither", "auth: {tokens: [{role: viewer}]}\n", nil, "auth.tokens[0]", "needs sha256 or token"},
		{"token sha256", "auth: {tokens: [{sha256: abc, role: viewer}]}\n", nil, "auth.tokens[0].sha256", "64 hexadecimal"},
		{"token role", "auth: {tokens: [{token: a, role: viewer}, {token: b, role: viewer}, {token: c, role: owner}]}\n", nil,
			"auth.tokens[2].role", "must be viewer, liaison, supervisor or admin"},
		{"token no role", "auth: {tokens: [{token: a}]}\n", nil, "auth.tokens[0]", "needs a role"},
		{"liaison without department", "auth: {tokens: [{token: a, role: liaison}]}\n", nil, "auth.tokens[0].department", "liaison token needs"},
		{"name with control", "auth: {tokens: [{token: a, role: viewer, name: \"a\\tb\"}]}\n", nil, "auth.tokens[0].name", "control characters"},
		{"token unknown department", "catalog: catalog.yaml\nauth: {tokens: [{token: a, department: tax}]}\n", nil,
			"auth.tokens[0].department", "not a department"},
		{"supervisor with department", "auth: {tokens: [{token: a, role: supervisor, department: env}]}\n", nil,
			"auth.tokens[0].department", "every department"},
		{"token with a space", "auth: {tokens: [{token: \"a b\", role: viewer}]}\n", nil, "auth.tokens[0].token", "spaces"},
		{"duplicate token", "auth: {tokens: [{token: hello, role: viewer}, {sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824, role: admin}]}\n", nil,
			"auth.tokens[1]", "same token as auth.tokens[0]"},
		{"origin", "auth: {allowed_origins: [\"https://ok.example\", \"screen.example\"]}\n", nil, "auth.allowed_origins[1]", "not an origin"},
		{"metrics token", "metrics_token: \"a\\tb\"\n", nil, "metrics_token", "spaces"},
		{"body bytes", "limits: {body_bytes: 0}\n", nil, "limits.body_bytes", "> 0"},
		{"batch events", "limits: {batch_events: -1}\n", nil, "limits.batch_events", "> 0"},
		{"inflight below a body", "limits: {inflight_bytes: 1000}\n", nil, "limits.inflight_bytes", "smaller than limits.body_bytes"},
		{"body timeout", "limits: {body_timeout: soon}\n", nil, "limits.body_timeout", "not a duration"},
		{"redis read timeout", "redis: {timeouts: {read: 2m}}\n", nil, "redis.timeouts.read", "at most 1m"},
		{"redis dial timeout", "redis: {timeouts: {dial: 0s}}\n", nil, "redis.timeouts.dial", "> 0"},
		{"rate", "limits: {events_per_second_per_token: .nan}\n", nil, "limits.events_per_second_per_token", "> 0"},
		{"report within", "rules: {report_within: 1d}\n", nil, "rules.report_within", "not a duration"},
		{"report within zero", "rules: {report_within: 0s}\n", nil, "rules.report_within", "> 0"},
		{"fault threshold", "rules: {fault_threshold: 0}\n", nil, "rules.fault_threshold", "≥ 1"},
		{"min cases", "ranking: {min_cases: 0}\n", nil, "ranking.min_cases", "≥ 1"},
		{"schedule six fields", "ranking: {schedule: \"0 2 2 * * *\"}\n", nil, "ranking.schedule", `"0 2 2 * * *" is not a 5-field cron schedule`},
		{"schedule zone", "ranking: {schedule: \"TZ=UTC\"}\n", nil, "ranking.schedule", "time zone"},
		{"negative weight", "ranking: {weights: {red: -1}}\n", nil, "ranking.weights.red", "≥ 0"},
		{"zero weights", "ranking: {weights: {on_time: 0, time_ratio: 0, early: 0, red: 0, open_overdue: 0}}\n", nil, "ranking.weights", "> 0"},
		{"alertmanager", "alertmanager: {url: \"am:9093\"}\n", nil, "alertmanager.url", "http"},
		{"handler names not a bool", "alertmanager: {url: \"http://am:9093\", send_handler_names: 1}\n", nil,
			"alertmanager.send_handler_names", "true or false"},
		{"handler names without url", "alertmanager: {send_handler_names: true}\n", nil,
			"alertmanager.send_handler_names", "alertmanager.url is not set"},
		{"clock start", "", map[string]string{"DUBAN_CLOCK_START": "2026-03-02"}, "DUBAN_CLOCK_START", "RFC 3339"},
		{"clock rate", "", map[string]string{"DUBAN_CLOCK_RATE": "0"}, "DUBAN_CLOCK_RATE", "> 0"},
		{"clock rate text", "", map[string]string{"DUBAN_CLOCK_RATE": "fast"}, "DUBAN_CLOCK_RATE", "> 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.yaml), env(c.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a *config.Error", err)
			}
			if ce.Key != c.key || !strings.Contains(ce.Message, c.msg) {
				t.Fatalf("error %q (key %q), want key %q and a message with %q", err, ce.Key, c.key, c.msg)
			}
			if c.key != "" && !strings.HasPrefix(err.Error(), c.key+": ") {
				t.Errorf("error text %q does not start with the key", err)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), nil)
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file = %v", err)
	}
}

func TestRoleAtLeast(t *testing.T) {
	cases := []struct {
		r, o Role
		want bool
	}{
		{RoleAdmin, RoleSupervisor, true}, {RoleSupervisor, RoleViewer, true}, {RoleViewer, RoleViewer, true},
		{RoleViewer, RoleSupervisor, false}, {RoleCollector, RoleViewer, false}, {RoleAdmin, RoleCollector, false},
		{RoleCollector, RoleCollector, true}, {"", RoleViewer, false},
	}
	for _, c := range cases {
		if got := c.r.AtLeast(c.o); got != c.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", c.r, c.o, got, c.want)
		}
	}
}
