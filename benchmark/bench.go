// Package benchmark is `duban bench`: it measures a duban service from a separate process,
// over its real API — ingestion throughput and receipt-to-applied latency at fixed offered
// rates and at saturation, timer lag with many open cases, the time to fire a midnight burst
// of deadlines, Redis memory per open case, the service's resident memory and the WebSocket
// fan-out — and prints a table, or JSON for machines.
//
// The bench drives a running service (Options.URL), or starts its own: a private
// redis-server on a free port and the service as a child process of the same binary
// (RunChild), on a business clock the bench steers through an endpoint only that child has,
// so that deadlines come when the bench says, never after a real wait.
package benchmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Options are the flags of `duban bench`.
type Options struct {
	URL         string // a running service; empty starts the bench's own
	Token       string // URL: a token that may post events for Department (admin or its collector)
	ViewerToken string // URL: a viewer's token (reads, /ws); empty means Token
	Department  string // URL: the department of the events and alerts
	Matter      string // URL: a matter of Department
	RedisURL    string // URL: the service's Redis, for the memory figures (optional)
	RedisPrefix string // URL: the service's key prefix

	Exe         string // own service: the duban binary (default: this one)
	RedisServer string // own service: the redis-server binary

	Rates       []int         // fixed offered ingestion rates, events/s
	RateFor     time.Duration // how long each fixed rate is offered
	Cases       int           // open cases: what ingestion at saturation brings the total to
	Batch       int           // events per NDJSON batch
	Conns       int           // ingesting connections
	Probes      int           // timer-lag probe cases per promised limit (3…22 working days)
	LagRate     float64       // the business clock's rate while the probes come due
	Burst       int           // deadlines of the midnight burst
	Clients     int           // WebSocket clients of the fan-out
	Alerts      int           // alerts pushed to them, one at a time
	JSON        bool          // JSON on standard output instead of the table
	Compare     bool          // run bench/compare (the alternatives) instead
	CompareJSON string        // --compare: also write its figures to this file
	Progress    bool          // the live progress line on standard error
}

// Defaults are the sizes of a plain `duban bench`: about two minutes on a small machine.
func Defaults() Options {
	return Options{Department: "env", Matter: "ENV-EIA-001", RedisPrefix: "duban:", RedisServer: "redis-server",
		Rates: []int{1000, 5000}, RateFor: 10 * time.Second, Cases: 20000, Batch: 500, Conns: 4,
		Probes: 5, LagRate: 86400 / 0.25, Burst: 10000, Clients: 1000, Alerts: 10, Progress: true}
}

// Check reports the first bad option, naming its flag.
func (o Options) Check() error {
	switch {
	case o.Batch <= 0 || o.Batch > 10000:
		return fmt.Errorf("--batch %d: want 1…10000", o.Batch)
	case o.Conns <= 0:
		return fmt.Errorf("--conns %d: want > 0", o.Conns)
	case o.Cases < 0 || o.Burst < 0 || o.Clients < 0 || o.Alerts < 0 || o.Probes < 0:
		return errors.New("--cases, --burst, --clients, --alerts and --probes must not be negative")
	case o.Clients > 0 && o.Alerts == 0:
		return errors.New("--clients needs --alerts > 0")
	case !(o.LagRate >= 1):
		return fmt.Errorf("--lag-rate %v: want ≥ 1", o.LagRate)
	case o.RateFor <= 0 && len(o.Rates) > 0:
		return fmt.Errorf("--rate-for %v: want > 0", o.RateFor)
	case o.URL != "" && o.Token == "":
		return errors.New("--url needs --token (a token that may post events)")
	}
	for _, r := range o.Rates {
		if r <= 0 {
			return fmt.Errorf("--rates: %d is not a rate > 0", r)
		}
	}
	return nil
}

// bench is one run.
type bench struct {
	o     Options
	api   *api
	own   *ownService // nil against --url
	rc    *redis.Client
	store *rdb.Store // own service: for the burst's quiet start
	prog  *progress
	res   *Result
	dept  string
	run   string // unique per run: case ids
}

// Run runs the bench and writes its report to stdout, the progress to stderr.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) (err error) {
	if err := o.Check(); err != nil {
		return err
	}
	if o.Compare {
		return RunCompare(ctx, o, stdout, stderr)
	}
	b := &bench{o: o, prog: newProgress(stderr, o.Progress), run: fmt.Sprintf("%x", clock.Wall().UnixNano()%0xffffff)}
	defer b.prog.done()
	b.res = &Result{Date: clock.Wall().UTC().Format(time.RFC3339), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPUs: runtime.NumCPU(), LoadStart: loadAvg(), Sizes: sizesOf(o)}
	if o.URL == "" {
		exe := o.Exe
		if exe == "" {
			if exe, err = os.Executable(); err != nil {
				return err
			}
		}
		b.prog.set("starting redis-server and the service")
		if b.own, err = startOwn(ctx, exe, o.RedisServer); err != nil {
			return err
		}
		defer b.own.close()
		b.res.Mode = "own"
		b.api = newAPI(b.own.base, ownAdminToken, ownViewerToken)
		b.dept = "bench"
		b.rc = redis.NewClient(&redis.Options{Addr: b.own.redisAddr})
		if b.store, err = rdb.Open(ctx, rdb.Options{Addrs: []string{b.own.redisAddr}, Prefix: "duban:"}); err != nil {
			return err
		}
		defer b.store.Close()
	} else {
		b.res.Mode = "url"
		viewer := o.ViewerToken
		if viewer == "" {
			viewer = o.Token
		}
		b.api = newAPI(o.URL, o.Token, viewer)
		b.dept = o.Department
		if o.RedisURL != "" {
			r, err := config.ParseRedisURL(o.RedisURL)
			if err != nil {
				return fmt.Errorf("--redis: %w", err)
			}
			if r.Mode != "single" && r.Mode != "" {
				return errors.New("--redis: the memory figures need a single Redis server")
			}
			b.rc = redis.NewClient(&redis.Options{Addr: r.Addrs[0], DB: r.DB, Username: r.Username, Password: r.Password})
		}
	}
	if b.rc != nil {
		defer b.rc.Close()
	}
	if err := b.phases(ctx); err != nil {
		if b.own != nil {
			err = fmt.Errorf("%w\nthe service's log ends:\n%s", err, b.own.serviceLog())
		}
		return err
	}
	b.res.LoadEnd = loadAvg()
	b.prog.done()
	if o.JSON {
		return writeJSON(stdout, b.res)
	}
	writeTable(stdout, b.res)
	return nil
}

func (b *bench) phases(ctx context.Context) error {
	if err := b.ingest(ctx); err != nil {
		return fmt.Errorf("ingestion: %w", err)
	}
	if err := b.fanout(ctx); err != nil {
		return fmt.Errorf("WebSocket fan-out: %w", err)
	}
	if b.own == nil {
		b.res.skip("timer lag and the midnight burst need a business clock the bench steers: run without --url")
		return nil
	}
	if err := b.timerLag(ctx); err != nil {
		return fmt.Errorf("timer lag: %w", err)
	}
	if err := b.burst(ctx); err != nil {
		return fmt.Errorf("midnight burst: %w", err)
	}
	return nil
}

// businessNow is the service's business time: its clock when the bench owns it, else this
// machine's (a running service on a simulated clock must not be behind it).
func (b *bench) businessNow(ctx context.Context) (time.Time, error) {
	if b.own == nil {
		return clock.Wall(), nil
	}
	return b.api.clock(ctx)
}

// loadAvg is the 1-minute load average of this machine (0 where unknown).
func loadAvg() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	_, _ = fmt.Sscan(strings.Fields(string(raw))[0], &l)
	return l
}
