// Command duban-wsload measures how fast an alert reaches many WebSocket clients of a
// running duban: it opens N clients to GET /ws (default 10,000), subscribes them all, then
// triggers alerts one at a time and records, for each client, the delay from the moment it
// triggered the alert to the client's receipt. It prints p50, p99 and max per alert and
// over all receipts.
//
// An alert is triggered either through the push API (-trigger push: an overdue case, posted
// with a collector token, fires promise_overdue as soon as it is applied — the whole path
// of ingestion, apply, relay, alert stream and hub) or straight onto the alert stream in
// Redis (-trigger redis: the hub's fan-out alone). Delays are measured on this process's
// clock only: the server may run a simulated business clock.
//
// Run it in a process of its own, beside the server: each client is a socket, and a
// process may hold at most 20,000 open files here (it raises its soft limit to the hard
// one). docs/benchmarks.md and bench.sh beside this file show a full run.
//
//	duban-wsload -url ws://127.0.0.1:18080/ws -token bench-viewer \
//	    -trigger push -api http://127.0.0.1:18080 -push-token bench-env -clients 10000 -alerts 20
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/duban-gov/duban/internal/wsload"
	"github.com/duban-gov/duban/monitor/clock"
)

// options are the tool's flags.
type options struct {
	URL         string        // ws://host:port/ws
	Token       string        // the clients' token (a viewer's)
	Clients     int           // how many WebSocket clients
	Alerts      int           // how many alerts to trigger, one at a time
	Interval    time.Duration // pause between two alerts
	Wait        time.Duration // how long to wait for every client to get one alert
	DialWorkers int           // concurrent handshakes while connecting

	Trigger    string // push or redis
	API        string // push: http://host:port
	PushToken  string // push: a collector's (or supervisor's) token
	Department string // the department of the alerts (and of the push token)
	Matter     string // push: a matter of that department in the server's catalogue
	RedisURL   string // redis: the server's Redis
	Prefix     string // redis: the server's key prefix
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "duban-wsload:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "duban-wsload:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var c options
	fs := flag.NewFlagSet("duban-wsload", flag.ContinueOnError)
	fs.StringVar(&c.URL, "url", "ws://127.0.0.1:8080/ws", "the server's WebSocket URL")
	fs.StringVar(&c.Token, "token", "", "the clients' token (viewer role)")
	fs.IntVar(&c.Clients, "clients", 10000, "WebSocket clients to open")
	fs.IntVar(&c.Alerts, "alerts", 20, "alerts to trigger, one at a time")
	fs.DurationVar(&c.Interval, "interval", time.Second, "pause between alerts")
	fs.DurationVar(&c.Wait, "wait", 30*time.Second, "how long to wait for all clients to receive one alert")
	fs.IntVar(&c.DialWorkers, "dial-workers", 64, "concurrent WebSocket handshakes while connecting")
	fs.StringVar(&c.Trigger, "trigger", "push", "how to trigger alerts: push (an overdue case through the push API) or redis (append to the alert stream)")
	fs.StringVar(&c.API, "api", "", "push: the server's base URL (default: from -url)")
	fs.StringVar(&c.PushToken, "push-token", "", "push: a collector token of -department")
	fs.StringVar(&c.Department, "department", "env", "the alerts' department")
	fs.StringVar(&c.Matter, "matter", "ENV-EIA-001", "push: a matter of -department in the server's catalogue")
	fs.StringVar(&c.RedisURL, "redis", "redis://127.0.0.1:6379/0", "redis: the server's Redis URL")
	fs.StringVar(&c.Prefix, "prefix", "duban:", "redis: the server's key prefix (DUBAN_REDIS_PREFIX)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Clients <= 0 || c.Alerts <= 0 || c.DialWorkers <= 0 {
		return c, errors.New("-clients, -alerts and -dial-workers must be positive")
	}
	switch c.Trigger {
	case "push":
		if c.PushToken == "" {
			return c, errors.New("-trigger push needs -push-token")
		}
	case "redis":
	default:
		return c, fmt.Errorf("-trigger %q: want push or redis", c.Trigger)
	}
	return c, nil
}

// run connects the clients, triggers the alerts and reports.
func run(ctx context.Context, cfg options, out io.Writer) error {
	limit, err := wsload.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	if limit != 0 && uint64(cfg.Clients)+64 > limit {
		return fmt.Errorf("%d clients need more open files than RLIMIT_NOFILE allows (%d)", cfg.Clients, limit)
	}
	trig, err := newTrigger(ctx, cfg)
	if err != nil {
		return err
	}
	defer trig.Close()
	fmt.Fprintf(out, "open files limit %d; connecting %d clients to %s\n", limit, cfg.Clients, cfg.URL)
	start := clock.Wall()
	fleet, err := wsload.Connect(ctx, wsload.Options{URL: cfg.URL, Token: cfg.Token, Clients: cfg.Clients,
		DialWorkers: cfg.DialWorkers, Department: cfg.Department})
	if err != nil {
		return err
	}
	defer fleet.Close()
	fmt.Fprintf(out, "%d clients connected and subscribed in %v\n", cfg.Clients, time.Since(start).Round(time.Millisecond))

	run := fmt.Sprintf("%x", clock.Wall().UnixNano())
	var all []time.Duration
	lost := 0
	for i := range cfg.Alerts {
		if i > 0 && !clock.Sleep(ctx, cfg.Interval) {
			return ctx.Err()
		}
		key := fmt.Sprintf("%s-wsload-%s-%03d", cfg.Department, run, i)
		p := fleet.Expect(key)
		p.Start = clock.Wall()
		if err := trig.fire(ctx, key, p.Start); err != nil {
			return fmt.Errorf("trigger alert %d: %w", i, err)
		}
		got := p.Wait(ctx, cfg.Wait)
		lat := p.Delays()
		fleet.Forget(key)
		all = append(all, lat...)
		lost += cfg.Clients - got
		fmt.Fprintf(out, "alert %2d: received by %d/%d  %v\n", i+1, got, cfg.Clients, wsload.Summarize(lat))
	}
	s := wsload.Summarize(all)
	fmt.Fprintf(out, "all: %d alerts x %d clients: %v lost=%d duplicates=%d errors=%d\n",
		cfg.Alerts, cfg.Clients, s, lost, fleet.Duplicates.Load(), fleet.Errors.Load())
	if lost > 0 || fleet.Duplicates.Load() > 0 {
		return fmt.Errorf("%d receipts lost, %d duplicated", lost, fleet.Duplicates.Load())
	}
	return nil
}
