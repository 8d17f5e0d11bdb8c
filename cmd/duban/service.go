package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/duban-gov/duban/api"
	"github.com/duban-gov/duban/collectors/httpin"
	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/live"
	screen "github.com/duban-gov/duban/dashboards/web"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/engine"
	"github.com/duban-gov/duban/monitor/rdb"
	"github.com/duban-gov/duban/monitor/schedule"
	"github.com/duban-gov/duban/monitor/workday"
)

// drainTimeout is how long a shutdown (SIGTERM, SIGINT) waits for in-flight requests and work.
const drainTimeout = 10 * time.Second

// service is the assembled process: every component, wired, not yet running.
type service struct {
	cfg     *config.Config
	store   *rdb.Store
	log     *slog.Logger
	applier *engine.Applier
	timers  *engine.Timers
	relay   *engine.Relay
	sched   *schedule.Scheduler
	cals    *engine.Calendars
	handler http.Handler
	// liveClients counts this replica's WebSocket clients (duban_websocket_clients); set
	// when the live feed is wired, nil before.
	liveClients func() int
	hub         *live.Hub // the live feed, GET /ws
	out         *outbound // webhook subscriptions and the Alertmanager forwarder
	// rankings builds and publishes the monthly rankings: the scheduled job's, and the
	// months the demo backfills.
	rankings *figures.Rankings
}

func (s *service) clients() int {
	if s.liveClients == nil {
		return 0
	}
	return s.liveClients()
}

// newService wires the components of one replica on a connected store.
func newService(ctx context.Context, cfg *config.Config, store *rdb.Store, clk clock.Clock, log *slog.Logger) (*service, error) {
	base, err := baseCalendar(cfg)
	if err != nil {
		return nil, err
	}
	cals, err := engine.NewCalendars(ctx, store, base)
	if err != nil {
		return nil, fmt.Errorf("load run-time calendars: %w", err)
	}
	rules := func() engine.Rules {
		return engine.Rules{Catalog: cfg.Catalog, Calendar: cals.Current(), Loc: cfg.Location,
			ReportWithin: cfg.Rules.ReportWithin}
	}
	var hub *live.Hub // built below; the relay tells it when the figures moved
	relay, err := engine.NewRelay(engine.RelayOptions{Store: store, Clock: clk, Loc: cfg.Location,
		Catalog: func() *monitor.Catalog { return cfg.Catalog }, FaultThreshold: cfg.Rules.FaultThreshold, Logger: log,
		Relayed: func(int) { hub.OverviewChanged() }})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	figs, err := figures.New(figures.Options{Store: store, Catalog: func() *monitor.Catalog { return cfg.Catalog },
		Clock: clk, Loc: cfg.Location})
	if err != nil {
		return nil, err
	}
	svc := &service{cfg: cfg, store: store, log: log, cals: cals}
	rankings := &figures.Rankings{Figures: figs, Method: rankingMethod(cfg)}
	js, err := jobs(cfg, store, clk, cals, rankings)
	if err != nil {
		return nil, err
	}
	svc.sched, err = schedule.New(schedule.Options{Store: store, Clock: clk, Loc: cfg.Location, Jobs: js,
		Owner: owner(), Logger: log})
	if err != nil {
		return nil, err
	}
	mx, err := metrics.New(reg, metrics.Options{Version: buildVersion(),
		Shared: func(ctx context.Context) (metrics.Shared, error) {
			return sharedFigures(ctx, store, cals)
		},
		Clients: func() float64 { return float64(svc.clients()) }})
	if err != nil {
		return nil, err
	}
	var timers *engine.Timers
	applier, err := engine.NewApplier(engine.ApplierOptions{Store: store, Rules: rules, Clock: clk, Logger: log,
		Committed: func(cs []rdb.Commit) {
			for i := range cs {
				timers.Schedule(cs[i].NextTimer)
				if len(cs[i].Transitions) > 0 {
					relay.Wake()
				}
				observe(mx, &cs[i], clk.RealSince)
			}
		}})
	if err != nil {
		return nil, err
	}
	timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: clk, Logger: log,
		HandedOver: func([]rdb.DueTimer) {
			applier.Wake()
			// A midnight burst is shared: the other replicas' appliers claim from it too.
			_ = store.Publish(context.WithoutCancel(ctx), rdb.NoticeDirty)
		}})
	if err != nil {
		return nil, err
	}
	events, err := httpin.New(httpin.Options{
		Store: store, Catalog: func() *monitor.Catalog { return cfg.Catalog }, Clock: clk, Wall: clock.Wall,
		Limits: httpin.Limits{BodyBytes: cfg.Limits.BodyBytes, BatchEvents: cfg.Limits.BatchEvents,
			EventsPerSecondPerToken: cfg.Limits.EventsPerSecondPerToken, InflightBytes: cfg.Limits.InflightBytes},
		OnStored: func(int) {
			applier.Wake()
			// Other replicas learn from the notice; a lost notice only costs their poll.
			_ = store.Publish(context.WithoutCancel(ctx), rdb.NoticeDirty)
		},
		Logger: log, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	tokens := make([]web.Token, len(cfg.Auth.Tokens))
	for i, t := range cfg.Auth.Tokens {
		role, _ := web.ParseRole(string(t.Role))
		tokens[i] = web.Token{SHA256: [32]byte(t.Hash), Role: role, Department: t.Department}
	}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	if svc.out, err = newOutbound(cfg, store, clk, reg, log); err != nil {
		return nil, err
	}
	auth := web.NewAuthenticator(tokens, anonymousViewers(ctx)) // true only in duban demo
	wall, err := screen.New(screen.Options{Auth: auth, Open: anonymousViewers(ctx), Logger: log})
	if err != nil {
		return nil, err
	}
	a, err := api.New(api.Options{
		Store: store, Rules: rules, Calendars: cals, Clock: clk, Wall: clock.Wall, Logger: log,
		Auth: auth, Events: events, Wake: applier.Wake, Relay: relay.Wake,
		FaultThreshold: cfg.Rules.FaultThreshold, Figures: figs, Rankings: rankings,
		Extra: map[string]http.Handler{"GET /metrics": metricsGuard(cfg.MetricsToken, metrics)},
	})
	if err != nil {
		return nil, err
	}
	for pattern, h := range wall.Routes() { // the wall screen: /, /login, /logout, /assets/
		a.Handle(pattern, h)
	}
	svc.out.mount(a)
	// The live feed, outside /api/: one hub per replica, fed by the alert stream, with the
	// screen's figures (duban_websocket_clients comes from internal/metrics, above).
	hub, err = live.New(live.Options{Store: store, Auth: auth, Session: wall.Session, AllowedOrigins: cfg.Auth.AllowedOrigins,
		Logger: log, Overview: func(ctx context.Context, dept string) (any, error) { return figs.Overview(ctx, dept) }})
	if err != nil {
		return nil, err
	}
	a.Handle("GET /ws", hub)
	svc.hub, svc.liveClients = hub, func() int { return int(hub.Clients()) }
	svc.applier, svc.timers, svc.relay, svc.handler = applier, timers, relay, hookHandler(ctx, a)
	svc.rankings = rankings
	return svc, nil
}

// baseCalendar is the built-in years plus the configured year files.
func baseCalendar(cfg *config.Config) (*workday.Calendar, error) {
	cal := workday.Builtin()
	for i, path := range cfg.Calendars {
		doc, err := os.ReadFile(path)
		if err == nil {
			var y *workday.YearFile
			if y, err = workday.ParseYear(doc); err == nil {
				cal = cal.With(y)
				continue
			}
		}
		return nil, &config.Error{Key: fmt.Sprintf("calendars[%d]", i), Message: fmt.Sprintf("%s: %v", path, err)}
	}
	return cal, nil
}

// metricsGuard protects /metrics with metrics_token when one is configured.
func metricsGuard(token *config.Hash, h http.Handler) http.Handler {
	if token == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !token.Matches(web.BearerToken(r)) {
			web.WriteError(w, r, web.Errorf(web.Unauthorized, "", "/metrics needs the metrics token"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// run serves until ctx ends, then shuts down in order: stop taking requests and let those
// in flight finish, then stop the background loops — all within drainTimeout.
func (s *service) run(ctx context.Context, onListen func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err // "listen tcp :8080: bind: address already in use": net says it all
	}
	srv := &http.Server{
		Handler:           web.Secure(s.handler, s.log), // headers and the logger on every answer
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cmp.Or(s.cfg.Limits.BodyTimeout, config.DefaultBodyTimeout), // limits.body_timeout
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	s.log.Info("listening", "addr", ln.Addr().String())
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.applier.Run(bg) })
	wg.Go(func() { _ = s.timers.Run(bg) })
	wg.Go(func() { _ = s.relay.Run(bg) })
	wg.Go(func() { _ = s.sched.Run(bg) })
	wg.Go(func() { _ = s.hub.Run(bg) }) // closes its clients with 1001: Shutdown leaves hijacked ones
	s.out.start(bg, &wg)
	wg.Go(func() {
		_ = s.store.Listen(bg, func(notice string) {
			switch notice {
			case rdb.NoticeDirty:
				s.applier.Wake()
			case rdb.NoticeCalendar:
				if err := s.cals.Reload(bg); err != nil {
					s.log.Error("calendar_reload_failed", "component", "calendars", "err", err)
				}
			}
		})
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		stopBG()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("draining", "timeout", drainTimeout)
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	err = srv.Shutdown(drain)
	stopBG()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-drain.Done():
		return errors.New("shutdown: background work did not stop within 10 s")
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
