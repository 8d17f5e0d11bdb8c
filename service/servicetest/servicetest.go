// Package servicetest starts whole duban services for end-to-end tests: on 127.0.0.1:0
// against a test Redis, on a simulated business clock, with every answer checked against
// docs/openapi.yaml. It is a test helper package: only tests import it.
package servicetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/cli"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/openapitest"
	"github.com/duban-gov/duban/internal/syncbuf"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/service"
)

// Config is the end-to-end tests' configuration: two departments, their collectors and a
// token of each role.
const Config = `
limits: { events_per_second_per_token: 1000000 } # the ingestion benchmark posts flat out
catalog:
  departments:
    - { code: env, name: 区生态环境局 }
    - { code: transport, name: 区交通运输局 }
  matters:
    - { code: ENV-EIA-001, name: 建设项目环境影响报告表审批, department: env, statutory_days: 20, promised_days: 10 }
    - { code: TRN-001, name: 道路运输经营许可, department: transport, statutory_days: 20, promised_days: 15 }
auth:
  tokens:
    - { token: env-collector-secret, department: env }
    - { token: transport-collector-secret, department: transport }
    - { token: viewer-secret, role: viewer }
    - { token: env-screen-secret, role: viewer, department: env }
    - { token: supervisor-secret, role: supervisor }
    - { token: admin-secret, role: admin }
`

// Runner runs one service until ctx ends and returns its exit code as the command would
// (0 a clean shutdown, 1 a failure, 2 a configuration error), logging to logs. It tells
// onListen the address it listens on, and serves through wrap.
type Runner func(ctx context.Context, logs io.Writer, onListen func(addr string), wrap func(http.Handler) http.Handler) int

// Instance is one running service.
type Instance struct {
	T    testing.TB
	Base string // http://127.0.0.1:PORT
	Logs *syncbuf.Buffer
	stop context.CancelFunc
	done chan int
}

// Start runs run and returns once it listens; the test's cleanup stops it. A start that
// fails because its fixed address is still held by a previous instance is retried.
func Start(t testing.TB, run Runner) *Instance {
	t.Helper()
	check := openapitest.Middleware(t) // every answer checked against docs/openapi.yaml
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		addr := make(chan string, 1)
		in := &Instance{T: t, stop: cancel, done: make(chan int, 1), Logs: &syncbuf.Buffer{}}
		go func() { in.done <- run(ctx, in.Logs, func(a string) { addr <- a }, check) }()
		select {
		case a := <-addr:
			in.Base = "http://" + a
		case code := <-in.done:
			cancel()
			// The port of the last run may linger a moment after its listener closed.
			if attempt < 20 && strings.Contains(in.Logs.String(), "address already in use") {
				time.Sleep(250 * time.Millisecond)
				continue
			}
			t.Fatalf("the service exited with %d:\n%s", code, in.Logs.String())
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatalf("the service did not start:\n%s", in.Logs.String())
		}
		t.Cleanup(func() {
			cancel()
			select {
			case code := <-in.done:
				in.done <- code
			case <-time.After(20 * time.Second):
				t.Error("the service did not stop")
			}
		})
		return in
	}
}

// Shutdown stops the instance, as SIGTERM would, and returns its exit code.
func (in *Instance) Shutdown() int {
	in.stop()
	select {
	case code := <-in.done:
		in.done <- code // for the cleanup
		return code
	case <-time.After(15 * time.Second):
		in.T.Fatal("the service did not drain within 15 s")
		return -1
	}
}

// Do sends a request with a bearer token (none when empty) and returns the status, the
// JSON body as a map (or {"raw": body} when it is not JSON) and the headers.
func (in *Instance) Do(method, path, token, body string) (int, map[string]any, http.Header) {
	in.T.Helper()
	req, err := http.NewRequest(method, in.Base+path, strings.NewReader(body))
	if err != nil {
		in.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out, resp.Header
}

// Serve is the Runner of `duban serve` reading its settings from env (DUBAN_CONFIG,
// DUBAN_REDIS_URL, DUBAN_CLOCK_START, …) as the command does; DUBAN_LISTEN defaults to
// 127.0.0.1:0.
func Serve(env map[string]string) Runner { return ServeOn(env, nil) }

// ServeOn is Serve on the business clock clk, a manual clock the test moves (nil: the clock
// the settings give, as Serve).
func ServeOn(env map[string]string, clk clock.Clock) Runner {
	return Command(env, func(ctx context.Context, cfg *config.Config, _ func(string) string, o service.Options) error {
		if clk == nil {
			return service.Serve(ctx, cfg, o)
		}
		return service.ServeOn(ctx, cfg, clock.InZone(clk, cfg.Location), o)
	})
}

// Command is the Runner of a command that runs the service (serve, demo): it loads the
// configuration from env as the command would (DUBAN_LISTEN defaulting to 127.0.0.1:0),
// logs in the service's format in the configured zone, runs run with the options the test
// needs, and maps its result to the command's exit code.
func Command(env map[string]string, run func(ctx context.Context, cfg *config.Config, getenv func(string) string, o service.Options) error) Runner {
	return func(ctx context.Context, logs io.Writer, onListen func(string), wrap func(http.Handler) http.Handler) int {
		getenv := func(k string) string {
			if v, ok := env[k]; ok || k != "DUBAN_LISTEN" {
				return v
			}
			return "127.0.0.1:0"
		}
		zone := &cli.LogZone{}
		log := cli.NewLogger(logs, zone)
		cfg, err := config.Load(env["DUBAN_CONFIG"], getenv)
		if err != nil {
			fmt.Fprintf(logs, "configuration error: %v\n", err)
			return cli.ExitConfig
		}
		zone.Set(cfg.Location)
		if err := run(ctx, cfg, getenv, service.Options{Logger: log, Version: "test", OnListen: onListen, WrapHandler: wrap}); err != nil {
			fmt.Fprintf(logs, "%v\n", err)
			return cli.ExitFailed
		}
		return cli.ExitOK
	}
}

// WriteConfig writes config to a file in a temporary directory of t and returns its path.
func WriteConfig(t testing.TB, config string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// StartServe runs `duban serve` on 127.0.0.1:0 against the test Redis at redisURL under
// prefix, on a simulated clock standing at clockStart, with Config plus extra.
func StartServe(t testing.TB, redisURL, prefix, clockStart, extra string) *Instance {
	t.Helper()
	return Start(t, Serve(map[string]string{
		"DUBAN_CONFIG": WriteConfig(t, Config+extra), "DUBAN_REDIS_URL": redisURL,
		"DUBAN_REDIS_PREFIX": prefix, "DUBAN_CLOCK_START": clockStart,
	}))
}

// GetRaw sends a GET with a bearer token and returns the status, the headers and the body
// as sent: for pages, CSV and the other answers that are not JSON.
func (in *Instance) GetRaw(path, token string) (int, http.Header, []byte) {
	in.T.Helper()
	req, err := http.NewRequest("GET", in.Base+path, nil)
	if err != nil {
		in.T.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}
