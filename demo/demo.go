// Package demo is `duban demo`: the whole service on an embedded, in-memory Redis, with the
// sample district's departments reporting simulated cases through the real push API on a
// fast business clock, so that a deadline passes — and a red alert arrives — within a
// minute of starting. Nothing is kept when it stops.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/duban-gov/duban/collectors/simulate"
	"github.com/duban-gov/duban/collectors/sqlpoll"
	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/service"
)

// The demo's business clock, unless DUBAN_CLOCK_RATE says otherwise: a calendar day in
// 20 s of real time, so that a deadline passes — and a red alert arrives — within a minute.
const demoRate = 86400.0 / 20

// demoReportWithin is the demo's rules.report_within at least: the simulator backfills whole
// months at start (simulate.DefaultMonths before the current one, from simulate.BackfillStart),
// and reported at once each of those events would otherwise raise a late_report. It is the
// backlog's depth with two days to spare (the business clock runs on while the backlog is
// posted; the staged cases begin well inside it). The price: a month that ends while the
// demo runs is published that much later (the ranking job waits for report_within after
// the month's end) — some 20 to 30 minutes of real time at the demo's rate. The backfilled
// months themselves are published at start (publishBackfilled).
func demoReportWithin(now, from time.Time) time.Duration {
	const day = 24 * time.Hour
	return (now.Sub(from)/day + 2) * day
}

// demoEventsPerSecond is the demo's limits.events_per_second_per_token at least: the
// simulator posts its backlog at start, some 4000 to 7000 events, and the default limit
// (with its burst of one second's worth) would hold that back for seconds.
const demoEventsPerSecond = 20000

// memoryRedisTick is how often the embedded Redis's clock is moved on by the real time
// that passed (see advanceMemoryRedis).
const memoryRedisTick = 250 * time.Millisecond

// Options are what the demo runs with.
type Options struct {
	Config *config.Config // loaded; the demo fills in its catalogue, clock and limits
	Logger *slog.Logger
	Stdout io.Writer // the banner
	// Getenv tells whether DUBAN_CLOCK_START and DUBAN_CLOCK_RATE were given: the demo's
	// own fast clock applies only where they were not.
	Getenv func(string) string
	// OnListen and WrapHandler are the service's (service.Options).
	OnListen    func(addr string)
	WrapHandler func(http.Handler) http.Handler
	Version     string
}

// Run runs the service on an embedded, in-memory Redis with the sample district's
// catalogue, a fast business clock, anonymous viewer reads, and the simulator posting the
// district's traffic through the real push API, until ctx ends. Nothing is kept: the data
// dies with the process.
func Run(ctx context.Context, o Options) error {
	cfg, log := o.Config, o.Logger
	if cfg.Redis.URL != "" {
		log.Warn("demo_ignores_redis", "redis", cfg.Redis.Redacted(),
			"why", "the demo runs on its embedded in-memory Redis and never writes to a real one")
	}
	if cfg.Catalog == nil {
		cat, err := simulate.District()
		if err != nil {
			return fmt.Errorf("the sample district's catalogue: %w", err)
		}
		cfg.Catalog, cfg.CatalogYAML = cat, simulate.DistrictYAML()
	}
	cal, err := service.BaseCalendar(cfg)
	if err != nil {
		return err
	}
	demoClock(cfg, o.Getenv, cal, clock.Wall())
	clk := service.BusinessClock(cfg, log)
	if within := demoReportWithin(clk.Now(), simulate.BackfillStart(clk.Now(), cfg.Location, 0)); cfg.Rules.ReportWithin < within {
		log.Info("demo_report_within", "report_within", within,
			"why", "the simulator backfills the months before this one at start; they are not late reports")
		cfg.Rules.ReportWithin = within
	}
	if cfg.Limits.EventsPerSecondPerToken < demoEventsPerSecond {
		log.Info("demo_events_per_second", "events_per_second_per_token", demoEventsPerSecond,
			"why", "the simulator posts the months before this one at start")
		cfg.Limits.EventsPerSecondPerToken = demoEventsPerSecond
	}
	// One department reports through an exchange database instead of the push API.
	exchange, err := sqlpoll.NewDemoExchange(cfg, demoExchangeDepartment(cfg.Catalog))
	if err != nil {
		return err
	}
	defer exchange.Close()
	token := randomToken()
	cfg.Auth.Tokens = append(cfg.Auth.Tokens, config.Token{Hash: config.HashToken(token), Role: config.RoleAdmin})
	// The supervision loop: red cards open orders by themselves, and each department's
	// simulated liaison answers through a token of its own (simulate.Responder).
	if len(cfg.Supervision.AutoOpen) == 0 {
		cfg.Supervision.AutoOpen = []monitor.AlertKind{monitor.PromiseOverdue, monitor.StatutoryOverdue}
		log.Info("demo_auto_open", "auto_open", cfg.Supervision.AutoOpen, "why", "the demo runs the supervision loop")
	}
	liaisons := map[string]string{}
	for _, d := range cfg.Catalog.Departments {
		t := randomToken()
		liaisons[d.Code] = t
		cfg.Auth.Tokens = append(cfg.Auth.Tokens, config.Token{Hash: config.HashToken(t), Role: config.RoleLiaison,
			Department: d.Code, Name: d.Name + "联络员"})
	}

	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil { // 127.0.0.1, a free port
		return fmt.Errorf("start the embedded Redis: %w", err)
	}
	defer mr.Close()
	tickCtx, stopTick := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	defer bg.Wait()
	defer stopTick()
	bg.Go(func() { advanceMemoryRedis(tickCtx, mr, memoryRedisTick) })

	store, err := rdb.Open(ctx, rdb.Options{Addrs: []string{mr.Addr()}, Prefix: cfg.Redis.Prefix})
	if err != nil {
		return fmt.Errorf("connect to the embedded Redis: %w", err)
	}
	defer store.Close()
	exchange.Store = store
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	var svc *service.Service
	onListen := func(addr string) {
		base := "http://" + dialable(addr)
		banner(o.Stdout, base, cfg, clk, token)
		sim, err := simulate.New(simulate.Options{URL: base, Token: token, Catalog: cfg.Catalog, Calendar: cal,
			Clock: clk, Loc: cfg.Location, Logger: log, Exchange: exchange,
			Backfilled: func(from, until time.Time) {
				bg.Go(func() { publishBackfilled(simCtx, log, svc, from, until) })
			}})
		if err == nil {
			bg.Go(func() {
				if err := sim.Run(simCtx); err != nil {
					log.Error("simulate_stopped", "component", "simulate", "err", err)
				}
			})
			resp := simulate.NewResponder(simulate.ResponderOptions{URL: base, Supervisor: token,
				Departments: liaisons, Clock: clk, Logger: log})
			bg.Go(func() { _ = resp.Run(simCtx) })
		} else {
			log.Error("simulate_not_started", "component", "simulate", "err", err)
		}
		if o.OnListen != nil {
			o.OnListen(addr)
		}
	}
	svc, err = service.New(ctx, service.Options{Config: cfg, Store: store, Clock: clk, Logger: log,
		Version: o.Version, AnonymousViewers: true, OnListen: onListen, WrapHandler: o.WrapHandler})
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}

// publishBackfilled publishes the ranking of every whole month of the simulator's backlog
// (from its first month to the last one ended by until), through the path `duban rank` and
// the scheduled job take, once the service has applied and counted everything the
// simulator posted: so GET /api/v1/rankings lists them from the demo's first moments, and
// the previous month's ranking has enough decided cases to rank the departments. A month
// already published is left as it is.
func publishBackfilled(ctx context.Context, log *slog.Logger, svc *service.Service, from, until time.Time) {
	began := clock.Wall()
	if err := settled(ctx, svc.Store()); err != nil {
		if ctx.Err() == nil {
			log.Error("demo_rankings_failed", "err", err)
		}
		return
	}
	loc := svc.Config().Location
	from = from.In(loc)
	for m := (ranking.Month{Year: from.Year(), Month: from.Month()}); !m.End(loc).After(until); m = nextMonth(m) {
		r, published, err := svc.Rankings().Publish(ctx, m, false)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("demo_ranking_failed", "month", m.String(), "err", err)
			}
			return
		}
		ranked := 0
		for _, d := range r.Departments {
			if d.Ranked {
				ranked++
			}
		}
		log.Info("demo_ranking_published", "month", m.String(), "published", published,
			"departments", len(r.Departments), "ranked", ranked, "after", clock.Wall().Sub(began).Round(time.Millisecond))
	}
}

func nextMonth(m ranking.Month) ranking.Month {
	t := time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, time.UTC)
	return ranking.Month{Year: t.Year(), Month: t.Month()}
}

// settledPoll is how often settled looks (real time: plumbing).
const settledPoll = 50 * time.Millisecond

// settled waits until nothing waits to be applied and every committed transition has been
// relayed into the figures: then everything stored before the call is counted. It looks
// in that order, so a case stored before and committed while it looks is relayed by the
// time the outboxes are read empty.
func settled(ctx context.Context, store *rdb.Store) error {
	t := time.NewTicker(settledPoll)
	defer t.Stop()
	for {
		dirty, err := store.DirtyCount(ctx)
		if err != nil {
			return err
		}
		if dirty == 0 {
			cps, err := store.RelayCheckpoints(ctx)
			if err != nil {
				return err
			}
			heads, err := store.OutboxHeads(ctx, cps, 1)
			if err != nil {
				return err
			}
			if len(heads) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// demoClock gives the demo its fast business clock where the environment does not set one:
// rate demoRate, starting at 09:00 of the latest working day on or before today, so that
// the first deadlines pass within seconds and a weekend does not hold them back.
func demoClock(cfg *config.Config, getenv func(string) string, cal *workday.Calendar, wallNow time.Time) {
	if getenv("DUBAN_CLOCK_RATE") == "" {
		cfg.Clock.Rate = demoRate
	}
	if getenv("DUBAN_CLOCK_START") == "" {
		d := workday.DateOf(wallNow, cfg.Location)
		for w, _ := cal.IsWorkday(d); !w; w, _ = cal.IsWorkday(d) {
			d--
		}
		cfg.Clock.Start = d.Start(cfg.Location).Add(9 * time.Hour)
	}
}

// advanceMemoryRedis moves the embedded Redis's clock on by the real time that passed, every
// tick, until ctx ends. miniredis does not age keys by itself; leases and TTLs are plumbing
// and must run on real elapsed time whatever the business clock's rate. (miniredis's
// ClockTTL does the same on every command, but re-sorts every key each time: far too slow
// once the demo holds a few thousand cases.)
func advanceMemoryRedis(ctx context.Context, mr *miniredis.Miniredis, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	prev := clock.Wall()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			mr.FastForward(now.Sub(prev))
			prev = now
		}
	}
}

// banner tells, in Chinese and English, what the demo is, that nothing is kept, and where to
// look.
func banner(w io.Writer, base string, cfg *config.Config, clk clock.Clock, token string) {
	perDay := time.Duration(float64(24*time.Hour) / cfg.Clock.Rate).Round(100 * time.Millisecond)
	fmt.Fprintf(w, `
督办 演示 · duban demo
  数据只在内存中（内置 miniredis），退出即全部丢弃，不写入任何 Redis 或磁盘。
  Everything lives in memory (an embedded miniredis) and is gone when you stop it;
  nothing is written to any Redis or to disk.

  大屏 Wall screen:   %[1]s/
  接口 API:           %[1]s/api/v1/overview   %[1]s/api/v1/alerts?level=red
  实时推送 Live feed:  %[2]s/ws
  查看无需令牌；写操作（办件报送、告警处置）需令牌 / reads need no token; writes do:
    Authorization: Bearer %[3]s   (admin，仅本次演示有效 / this run only)

  模拟时钟 Simulated clock: 从 %[4]s 起，一天约 %[5]s（倍速 %[6]g）
  from %[4]s, one day every %[5]s (rate %[6]g): deadlines pass as you watch.
  %[7]d 个部门的模拟办件正通过 POST /api/v1/events 报送 / %[7]d departments are reporting.
  按 Ctrl+C 退出 / Ctrl+C to stop.

`, base, "ws"+base[len("http"):], token, clk.Now().In(cfg.Location).Format("2006-01-02 15:04"),
		perDay, cfg.Clock.Rate, len(cfg.Catalog.Departments))
}

// dialable turns a listening address into one to connect to: an unspecified host
// (":8080", "[::]:8080") means this machine.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// randomToken returns a fresh token for the demo's simulator and its operator.
func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return "demo-" + hex.EncodeToString(b)
}

// demoExchangeDepartment is the department the demo's exchange database serves: env when
// the catalogue has it, else the first.
func demoExchangeDepartment(cat *monitor.Catalog) string {
	if _, ok := cat.Department("env"); ok || len(cat.Departments) == 0 {
		return "env"
	}
	return cat.Departments[0].Code
}
