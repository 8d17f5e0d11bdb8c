package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service"
	"github.com/duban-gov/duban/service/servicetest"
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
		{"no redis", nil, []string{"serve"}, 2, "duban demo"},
		{"no redis, no subcommand", nil, nil, 2, "duban demo"},
		{"serve with an argument", redis, []string{"serve", "now"}, 2, `unexpected argument "now"`},
		{"rank short month", redis, []string{"rank", "--force", "2026-3"}, 2, "YYYY-MM"},
		{"rank no month", redis, []string{"rank"}, 2, "YYYY-MM"},
		{"rank two months", redis, []string{"rank", "2026-03", "2026-04"}, 2, "one month"},
		{"rank bad config", nil, []string{"rank", "--config", badConfig, "2026-03"}, 2, "ranking.schedule"},
		{"import no file", redis, []string{"import"}, 2, "FILE"},
		{"import without a catalogue", redis, []string{"import", events}, 2, "no catalogue is configured"},
		{"demo with an argument", nil, []string{"demo", "now"}, 2, `unexpected argument "now"`},
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

// closedPort returns 127.0.0.1:<a port nothing listens on>.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// messages drops the log records (slog's text lines) from stderr, leaving what the program
// itself said.
func messages(stderr string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "time=") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// Every failure is one line naming the command, followed, for a usage error only, by the
// command's usage line; exit code 2 for usage and configuration errors, 1 for runtime
// failures.
func TestErrorLines(t *testing.T) {
	down := closedPort(t)
	noRedis := map[string]string{"DUBAN_REDIS_URL": "redis://" + down + "/0"}
	future := map[string]string{"DUBAN_REDIS_URL": "redis://" + down + "/0", "DUBAN_CLOCK_START": "2026-12-07T09:00:00+08:00"}
	badKey := writeFile(t, "duban.yaml", "ranking: {schedule: \"0 2 2 * * *\"}\n")
	unknownKey := writeFile(t, "duban.yaml", "listn: \":1\"\n")
	events := writeFile(t, "events.ndjson", importNDJSON)
	rankUsage := "usage: duban rank [flags] YYYY-MM\nRun 'duban help rank' for details.\n"
	unreachable := "connect to Redis redis://" + down + ": rdb: ping: dial tcp " + down + ": connect: connection refused\n"
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string // exactly, or the first line's start when it ends in "…"
	}{
		{"unknown subcommand", nil, []string{"srve", "--force"}, 2,
			"duban: unknown command \"srve\"\nRun 'duban help' for the list of commands.\n"},
		{"help for an unknown subcommand", nil, []string{"help", "srve"}, 2,
			"duban help: unknown command \"srve\"\nRun 'duban help' for the list of commands.\n"},
		{"bad flag", nil, []string{"rank", "2026-03", "--forse"}, 2, "duban rank: unknown flag --forse\n" + rankUsage},
		{"flag without its value", nil, []string{"rank", "2026-03", "--config"}, 2, "duban rank: flag --config needs a value\n" + rankUsage},
		{"bad flag value", nil, []string{"rank", "--force=maybe", "2026-03"}, 2,
			"duban rank: invalid boolean value \"maybe\" for -force: parse error\n" + rankUsage},
		{"bad month format", nil, []string{"rank", "2026-3"}, 2, "duban rank: month \"2026-3\" is not YYYY-MM, like 2026-03\n" + rankUsage},
		{"no month", nil, []string{"rank"}, 2, "duban rank: expected one month, YYYY-MM, got 0 arguments\n" + rankUsage},
		{"month not begun", future, []string{"rank", "2027-01"}, 1, "duban rank: month 2027-01 has not begun\n"},
		{"missing config file", nil, []string{"rank", "2026-03", "--config", "/nonexistent/duban.yaml"}, 2,
			"duban rank: configuration error: read configuration: open /nonexistent/duban.yaml: no such file or directory\n"},
		{"bad config value", nil, []string{"serve", "--config", badKey}, 2,
			"duban serve: configuration error: ranking.schedule: \"0 2 2 * * *\" is not a 5-field cron schedule: expected exactly 5 fields, found 6: [0 2 2 * * *]\n"},
		{"unknown config key", map[string]string{"DUBAN_CONFIG": unknownKey}, []string{"import", events}, 2,
			"duban import: configuration error: listn: unknown key (known: …"},
		{"no Redis", nil, []string{"rank", "2026-03"}, 2, "duban rank: configuration error: " + service.ErrNoRedis.Error() + "\n"},
		{"Redis unreachable: serve", noRedis, nil, 1, "duban serve: " + unreachable},
		{"Redis unreachable: rank", noRedis, []string{"rank", "2026-03"}, 1, "duban rank: " + unreachable},
		{"Redis unreachable: import", map[string]string{"DUBAN_CONFIG": writeFile(t, "duban.yaml", servicetest.Config),
			"DUBAN_REDIS_URL": "redis://" + down + "/0"}, []string{"import", events}, 1, "duban import: " + unreachable},
		{"missing input file", noRedis, []string{"import", "/nonexistent/events.ndjson"}, 1,
			"duban import: /nonexistent/events.ndjson: no such file or directory\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runWith(t, c.env, c.args...)
			got := messages(r.stderr)
			ok := got == c.stderr
			if start, cut := strings.CutSuffix(c.stderr, "…"); cut {
				ok = strings.HasPrefix(got, start) && strings.Count(got, "\n") == 1
			}
			if r.code != c.code || !ok || r.stdout != "" {
				t.Errorf("duban %s: code %d, stdout %q, stderr:\n%s\nwant code %d and stderr:\n%s",
					strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.code, c.stderr)
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

// The help forms: the list of commands, or one command's usage and flags, on stdout with
// exit code 0.
func TestHelp(t *testing.T) {
	list := []string{"\tserve ", "\tdemo ", "\trank ", "\timport ", "\tversion ", "\thelp ", "Exit codes:"}
	rank := []string{"usage: duban rank [flags] YYYY-MM\n", "--config FILE", "--force", "-h, --help"}
	imp := []string{"usage: duban import [flags] FILE\n", "--config FILE", "--format format", "--historical"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"--help", []string{"--help"}, list},
		{"-h", []string{"-h"}, list},
		{"help", []string{"help"}, list},
		{"--config then --help", []string{"--config", "/nonexistent.yaml", "--help"}, list},
		{"help rank", []string{"help", "rank"}, rank},
		{"rank --help", []string{"rank", "--help"}, rank},
		{"rank -h after the month", []string{"rank", "2026-03", "-h"}, rank},
		{"help import", []string{"help", "import"}, imp},
		{"import --help", []string{"import", "--help"}, imp},
		{"serve --help", []string{"serve", "--help"}, []string{"usage: duban serve [flags]\n", "duban demo", "--config FILE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runWith(t, nil, c.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("duban %s: code %d, stderr %q", strings.Join(c.args, " "), r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("duban %s: no %q in\n%s", strings.Join(c.args, " "), w, r.stdout)
				}
			}
		})
	}
}

// --version prints what `duban version` prints, wherever it stands among the top-level flags.
func TestVersionFlag(t *testing.T) {
	want := runWith(t, nil, "version").stdout
	for _, args := range [][]string{{"--version"}, {"-version"}, {"--config", "/nonexistent.yaml", "--version"}} {
		if r := runWith(t, nil, args...); r.code != 0 || r.stdout != want || r.stderr != "" {
			t.Errorf("duban %s: code %d, stdout %q, stderr %q; want %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, want)
		}
	}
}

// Flags before, between or after the arguments mean the same; "--" ends them.
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	cfg := writeFile(t, "duban.yaml", servicetest.Config)
	// No DUBAN_CONFIG: the catalogue's two departments come from --config wherever it stands.
	env := map[string]string{"DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": prefix,
		"DUBAN_CLOCK_START": "2026-04-06T09:00:00+08:00"}
	csv := writeFile(t, "events.csv", importCSV)
	steps := []struct {
		args   []string
		code   int
		stdout string // a regular expression
		stderr string // a regular expression
	}{
		{[]string{"rank", "2026-03", "--config", cfg}, 0, `^published 2026-03: 2 departments, 0 ranked, `, ``},
		{[]string{"rank", "--config", cfg, "2026-03"}, 1, `^$`, `duban rank: 2026-03 is already published`},
		{[]string{"rank", "2026-03", "--config=" + cfg, "--force"}, 0, `^published 2026-03: 2 departments, `, ``},
		{[]string{"--config", cfg, "rank", "--force", "2026-03"}, 0, `^published 2026-03: 2 departments, `, ``},
		{[]string{"rank", "--force", "--config", cfg, "--", "--force"}, 2, `^$`, `duban rank: month "--force" is not YYYY-MM`},
		{[]string{"import", csv, "--historical", "--config", cfg}, 0,
			`^` + regexp.QuoteMeta(csv+": 2 accepted, 0 duplicates, 0 rejected (historical: received_at = at)") + "\n$", ``},
		{[]string{"import", "--config", cfg, csv, "--format", "csv"}, 0,
			`^` + regexp.QuoteMeta(csv+": 0 accepted, 2 duplicates, 0 rejected") + "\n$", ``},
	}
	for _, s := range steps {
		r := runWith(t, env, s.args...)
		if r.code != s.code || !regexp.MustCompile(s.stdout).MatchString(r.stdout) ||
			!regexp.MustCompile(s.stderr).MatchString(r.stderr) {
			t.Errorf("duban %s: code %d\nstdout:\n%s\nstderr:\n%s\nwant code %d, stdout %s, stderr %s",
				strings.Join(s.args, " "), r.code, r.stdout, r.stderr, s.code, s.stdout, s.stderr)
		}
	}
}

// docs/cli.md describes every command and every flag the program defines.
func TestCLIDocCoversEveryCommand(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	prog := newApp(io.Discard, io.Discard, os.Getenv).prog
	for _, cmd := range prog.Commands {
		if !strings.Contains(string(doc), "### `duban "+cmd.Name) {
			t.Errorf("docs/cli.md has no section for duban %s", cmd.Name)
		}
		fs := prog.FlagSet(cmd)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(string(doc), "`--"+f.Name) && !strings.Contains(string(doc), "[--"+f.Name) {
				t.Errorf("docs/cli.md does not mention duban %s --%s", cmd.Name, f.Name)
			}
		})
	}
}
