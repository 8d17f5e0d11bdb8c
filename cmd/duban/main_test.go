package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// result is what one run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runWith runs the program with args and an environment of exactly env.
func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	r := runWith(t, nil, "version")
	want := regexp.MustCompile(`^duban \S+ \(` + regexp.QuoteMeta(runtime.Version()) + `\)\n$`)
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("version: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	old := version
	defer func() { version = old }()
	version = "v1.2.3"
	if r := runWith(t, nil, "version"); r.stdout != "duban v1.2.3 ("+runtime.Version()+")\n" {
		t.Errorf("with -X main.version: %q", r.stdout)
	}
}

func TestExitCodes(t *testing.T) {
	badConfig := writeFile(t, "duban.yaml", "ranking: {schedule: \"0 2 2 * * *\"}\n")
	redis := map[string]string{"DUBAN_REDIS_URL": "redis://127.0.0.1:6379/0"}
	events := writeFile(t, "events.ndjson", "{}\n")
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"bad config key", nil, []string{"serve", "--config", badConfig}, 2, "ranking.schedule"},
		{"bad config from DUBAN_CONFIG", map[string]string{"DUBAN_CONFIG": badConfig}, nil, 2, "ranking.schedule"},
		{"bad env value", map[string]string{"DUBAN_LISTEN": "nowhere"}, []string{"serve"}, 2, "DUBAN_LISTEN"},
		{"missing config file", nil, []string{"serve", "--config", "/nonexistent/duban.yaml"}, 2, "/nonexistent/duban.yaml"},
		{"no redis", nil, []string{"serve"}, 2, "duban demo"},
		{"no redis, no subcommand", nil, nil, 2, "duban demo"},
		{"serve with Redis down", map[string]string{"DUBAN_REDIS_URL": "redis://127.0.0.1:1/0"}, []string{"serve"}, 1, "connect to Redis"},
		{"serve with an argument", redis, []string{"serve", "now"}, 2, "no arguments"},
		{"unknown subcommand", nil, []string{"srve"}, 2, "usage:"},
		{"unknown flag", nil, []string{"serve", "--listen", ":1"}, 2, "flag provided but not defined"},
		{"rank bad month", redis, []string{"rank", "2026-13"}, 2, `"2026-13" is not YYYY-MM`},
		{"rank short month", redis, []string{"rank", "--force", "2026-3"}, 2, "YYYY-MM"},
		{"rank no month", redis, []string{"rank"}, 2, "YYYY-MM"},
		{"rank flags after the month", redis, []string{"rank", "2026-03", "--force"}, 2, "YYYY-MM"},
		{"rank bad config", nil, []string{"rank", "--config", badConfig, "2026-03"}, 2, "ranking.schedule"},
		{"rank a month not begun", redis, []string{"rank", "2099-01"}, 2, "has not begun"},
		{"import no file", redis, []string{"import"}, 2, "FILE"},
		{"import missing file", redis, []string{"import", "/nonexistent/events.ndjson"}, 1, "no such file"},
		{"import without a catalogue", redis, []string{"import", events}, 2, "no catalogue is configured"},
		{"demo with an argument", nil, []string{"demo", "now"}, 2, "no arguments"},
		{"help", nil, []string{"help"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runWith(t, c.env, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("duban %s: code %d, stderr:\n%s\nwant code %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.stderr)
			}
		})
	}
}

func TestSimulatedClockWarns(t *testing.T) {
	r := runWith(t, map[string]string{
		"DUBAN_REDIS_URL":   "redis://127.0.0.1:1/0", // unreachable: serve warns, then fails fast
		"DUBAN_CLOCK_START": "2026-03-02T09:00:00+08:00",
		"DUBAN_CLOCK_RATE":  "1000",
	}, "serve")
	if !strings.Contains(r.stderr, "level=WARN") || !strings.Contains(r.stderr, "simulated business clock") ||
		!strings.Contains(r.stderr, "2026-03-02T09:00:00") {
		t.Errorf("no warning about the simulated clock:\n%s", r.stderr)
	}
}
