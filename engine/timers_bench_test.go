package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// seed ingests cases (two events each) in batches and applies them with all cores.
func seed(b *testing.B, store *rdb.Store, rules func() fold.Rules, clk engine.BusinessClock, evs []monitor.Event) {
	ctx := context.Background()
	for lo := 0; lo < len(evs); lo += 1000 {
		batch := evs[lo:min(lo+1000, len(evs))]
		for i := range batch {
			batch[i].ReceivedAt = clk.Now()
		}
		if _, err := store.Ingest(ctx, batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	app, err := engine.NewApplier(engine.ApplierOptions{Store: store, Rules: rules, Clock: clk, Batch: 64})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				n, err := app.ApplyOnce(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkMidnightBurst: DUBAN_BENCH_BURST cases (default 100,000) all cross their
// promised deadline at the same midnight. Timed from the clock reaching it to every
// promise_overdue record committed (fired), and to every alert on the alert stream
// (relayed), with one replica's timer engine, applier and relay running as in `serve`.
func BenchmarkMidnightBurst(b *testing.B) {
	n := envInt("DUBAN_BENCH_BURST", 100_000)
	for range b.N {
		store := rdbtest.Store(b)
		start := at("2026-03-03 11:00")
		clk := clock.Manual(start)
		rules := func() fold.Rules {
			return fold.Rules{Catalog: catalog, Calendar: workday.Builtin(), Loc: shanghai, ReportWithin: 24 * time.Hour}
		}
		evs := make([]monitor.Event, 0, 2*n)
		for i := range n {
			evs = append(evs, opened(fmt.Sprintf("burst-%07d", i), "zhang.san")...)
		}
		seed(b, store, rules, clk, evs)
		st, _, _ := store.Case(context.Background(), "burst-0000000")
		var cs fold.CaseState
		_ = json.Unmarshal(st.State, &cs)
		midnight := cs.DecisionDuePromised.At
		// Every case is yellow already: stand just before the red midnight.
		ctx, cancel := context.WithCancel(context.Background())
		counter := newRelayCounter(n) // one outbox entry per case: its commit at midnight
		w := newWorld(b, store, clk, rules, counter.relayed)
		clk.Set(midnight.Add(-24 * time.Hour))
		w.run(ctx)
		waitIdle(b, store, midnight.Add(-24*time.Hour))
		waitRelayed(b, store)
		counter.arm()
		redisCPU0 := redisStats(b, store, os.Getenv("DUBAN_BENCH_STATS") != "")
		stopProfile := burstProfile(b)
		b.ResetTimer()
		t0 := time.Now()
		clk.Set(midnight)
		waitIdle(b, store, midnight)
		fired := time.Since(t0)
		<-counter.done
		all := time.Since(t0)
		b.StopTimer()
		stopProfile()
		b.ReportMetric(redisStats(b, store, os.Getenv("DUBAN_BENCH_STATS") != "")-redisCPU0, "s_redis_cpu")
		cancel()
		w.wait()
		b.ReportMetric(fired.Seconds(), "s_fired")
		b.ReportMetric(all.Seconds(), "s_relayed")
		b.ReportMetric(float64(n)/fired.Seconds(), "alerts/s")
	}
}

// redisStats returns the Redis server's CPU seconds (user+sys) so far. With show, it prints
// the command statistics gathered since the previous call and resets them: where the
// server's time went during the burst (DUBAN_BENCH_STATS=1).
func redisStats(b *testing.B, store *rdb.Store, show bool) float64 {
	ctx := context.Background()
	c := store.Client()
	if show {
		s, err := c.Info(ctx, "commandstats").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(s, "\r\n") {
			if strings.HasPrefix(line, "cmdstat_") {
				fmt.Fprintln(os.Stderr, line)
			}
		}
		if err := c.ConfigResetStat(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
	s, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var cpu float64
	for _, line := range strings.Split(s, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			cpu += f
		}
	}
	return cpu
}

// burstProfile starts a CPU profile of the burst alone (not the seeding) when
// DUBAN_BENCH_CPUPROFILE names a file; it returns the function that stops it.
func burstProfile(b *testing.B) func() {
	path := os.Getenv("DUBAN_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// world is one replica's background loops.
type world struct {
	app    *engine.Applier
	timers *engine.Timers
	relay  *engine.Relay
	wg     sync.WaitGroup
}

func newWorld(b *testing.B, store *rdb.Store, clk clock.Clock, rules func() fold.Rules, relayed func(int)) *world {
	w := &world{}
	var err error
	w.relay, err = engine.NewRelay(engine.RelayOptions{Store: store, Clock: clk, Loc: shanghai, Relayed: relayed})
	if err != nil {
		b.Fatal(err)
	}
	w.app, err = engine.NewApplier(engine.ApplierOptions{Store: store, Rules: rules, Clock: clk, Workers: envInt("DUBAN_BENCH_WORKERS", 0),
		Committed: func(cs []rdb.Commit) {
			for i := range cs {
				w.timers.Schedule(cs[i].NextTimer)
			}
			w.relay.Wake()
		}})
	if err != nil {
		b.Fatal(err)
	}
	w.timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: clk,
		HandedOver: func([]rdb.DueTimer) { w.app.Wake() }})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *world) run(ctx context.Context) {
	w.wg.Go(func() { _ = w.app.Run(ctx) })
	w.wg.Go(func() { _ = w.timers.Run(ctx) })
	w.wg.Go(func() { _ = w.relay.Run(ctx) })
}

func (w *world) wait() { w.wg.Wait() }

// waitIdle polls (plumbing, real time) until nothing is due at `now` and nothing is dirty.
func waitIdle(b *testing.B, store *rdb.Store, now time.Time) {
	ctx := context.Background()
	eventually.Every(b, 5*time.Minute, 2*time.Millisecond, func() string { return "nothing due or dirty" }, func() bool {
		next, ok, err := store.EarliestTimer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ok && !next.After(now) {
			return false
		}
		d, _ := store.DirtyCount(ctx)
		return d == 0
	})
}

// waitRelayed polls (plumbing) until the relay has copied every outbox entry.
func waitRelayed(b *testing.B, store *rdb.Store) {
	ctx := context.Background()
	eventually.Every(b, 5*time.Minute, 5*time.Millisecond, func() string { return "the relay to catch up" }, func() bool {
		cps, err := store.RelayCheckpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		heads, err := store.OutboxHeads(ctx, cps, 1)
		if err != nil {
			b.Fatal(err)
		}
		return len(heads) == 0
	})
}

// BenchmarkTimerLag: lag (fire time − due time) of thresholds that come due a few at a time,
// with DUBAN_BENCH_FILLER (default 1,000,000) further open cases' thresholds scheduled.
// Business time runs on a simulated clock at a rate of one working day per 250 ms of real
// time, so a few hundred thresholds come due in well under a minute; lags are reported in
// real milliseconds (business lag ÷ rate).
func BenchmarkTimerLag(b *testing.B) {
	filler := envInt("DUBAN_BENCH_FILLER", 1_000_000)
	for range b.N {
		store := rdbtest.Store(b)
		ctx := context.Background()
		// Matters with promised limits of 3 … 42 days: their thresholds fall on different
		// midnights, a handful at a time, as they do in real life between the big ones.
		var matters []monitor.Matter
		for d := 3; d <= 42; d++ {
			matters = append(matters, monitor.Matter{Code: fmt.Sprintf("M%02d", d), Name: "lag", Department: "env",
				StatutoryDays: 60, PromisedDays: d, WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10, MaxExtensionDays: 10})
		}
		cat := monitor.NewCatalog([]monitor.Department{{Code: "env", Name: "env"}}, matters)
		start := at("2026-03-03 11:00")
		rules := func() fold.Rules {
			return fold.Rules{Catalog: cat, Calendar: workday.Builtin(), Loc: shanghai, ReportWithin: 24 * time.Hour}
		}
		var evs []monitor.Event
		for i, m := range matters {
			for k := range 3 {
				id := fmt.Sprintf("lag-%02d-%d", i, k)
				e := opened(id, "zhang.san")
				e[0].Matter = m.Code
				evs = append(evs, e...)
			}
		}
		seed(b, store, rules, clock.Manual(start), evs)
		far := make(map[string]time.Time, 10_000)
		for i := range filler {
			far[fmt.Sprintf("filler-%07d", i)] = at("2030-01-01 00:00").Add(time.Duration(i) * time.Second)
			if len(far) == 10_000 || i == filler-1 {
				if err := store.ScheduleTimers(ctx, far); err != nil {
					b.Fatal(err)
				}
				clear(far)
			}
		}
		const rate = 86400.0 / 0.25 // one business day per 250 ms
		clk := clock.Simulated(start, rate)
		w := newWorld(b, store, clk, rules, nil)
		runCtx, cancel := context.WithCancel(ctx)
		b.ResetTimer()
		w.run(runCtx)
		last := at("2026-05-06 00:00") // after the 42-day limit's promised deadline
		_ = clk.Until(ctx, last)
		waitIdle(b, store, last)
		b.StopTimer()
		cancel()
		w.wait()
		var lags []float64
		for i := range matters {
			for k := range 3 {
				docs, err := store.CaseAlerts(ctx, fmt.Sprintf("lag-%02d-%d", i, k))
				if err != nil {
					b.Fatal(err)
				}
				for _, d := range docs {
					var r alerting.Record
					_ = json.Unmarshal(d.Doc, &r)
					if r.Due != nil {
						lags = append(lags, float64(r.FiredAt.Sub(r.Instant))/rate/float64(time.Millisecond))
					}
				}
			}
		}
		slices.Sort(lags)
		if len(lags) == 0 {
			b.Fatal("nothing fired")
		}
		b.ReportMetric(lags[len(lags)/2], "p50_ms")
		b.ReportMetric(lags[len(lags)*99/100], "p99_ms")
		b.ReportMetric(lags[len(lags)-1], "max_ms")
		b.ReportMetric(float64(len(lags)), "alerts")
	}
}

// relayCounter counts the outbox entries a relay moves once armed, and closes done when n
// have come: a burst benchmark's "on the alert stream" instant.
type relayCounter struct {
	mu       sync.Mutex
	total, n int
	armed    bool
	done     chan struct{}
}

func newRelayCounter(n int) *relayCounter { return &relayCounter{n: n, done: make(chan struct{})} }

// relayed is the relay's Relayed callback.
func (c *relayCounter) relayed(k int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed {
		return
	}
	c.total += k
	if c.total >= c.n {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
	}
}

// arm starts the count (entries relayed before, by the set-up, do not count).
func (c *relayCounter) arm() {
	c.mu.Lock()
	c.armed = true
	c.mu.Unlock()
}
