// Package service assembles one duban replica from its parts and runs it: the push API,
// the applier, the timers, the relay, the scheduled jobs, the live feed, the outbound
// deliveries and the wall screen, all on one store and one business clock. `duban serve`
// and `duban demo` start it, and so do the end-to-end tests, from their own package.
//
// pipeline.go holds the wake-up graph (which stage tells which that there is work),
// routes.go the HTTP surface, jobs.go the scheduled jobs, observe.go the metrics fed from
// commits, outbound.go the webhook and Alertmanager deliveries.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/duban-gov/duban/collectors/sqlpoll"
	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/schedule"
)

// drainTimeout is how long a shutdown (SIGTERM, SIGINT) waits for in-flight requests and work.
const drainTimeout = 10 * time.Second

// Options are what a replica is built from.
type Options struct {
	Config *config.Config // loaded and validated (config.Load)
	Store  *rdb.Store     // connected (Open); the caller closes it after Run returns
	Clock  clock.Clock    // the business clock (BusinessClock)
	Logger *slog.Logger
	// Version is reported by duban_build_info.
	Version string
	// AnonymousViewers lets requests without a token read as a viewer: the wall screen, the
	// GET APIs and /ws need no token (writes still do). Only `duban demo` sets it.
	AnonymousViewers bool
	// OnListen, when set, is told the address once the service listens (tests listen on
	// 127.0.0.1:0; the demo prints its banner).
	OnListen func(addr string)
	// WrapHandler, when set, wraps the whole HTTP handler (the tests check every answer
	// against docs/openapi.yaml).
	WrapHandler func(http.Handler) http.Handler
}

// Service is one assembled replica, not yet running.
type Service struct {
	cfg      *config.Config
	store    *rdb.Store
	log      *slog.Logger
	pipe     *pipeline
	sched    *schedule.Scheduler
	out      *outbound
	handler  http.Handler
	rankings *figures.Rankings
	pollers  *sqlpoll.Pollers // the exchange-database sources (collectors.sql)
	onListen func(string)
}

// New wires the components of one replica on a connected store.
func New(ctx context.Context, o Options) (*Service, error) {
	cfg, store, clk, log := o.Config, o.Store, o.Clock, o.Logger
	if cfg == nil || store == nil || clk == nil || log == nil {
		return nil, errors.New("service: Config, Store, Clock and Logger are required")
	}
	base, err := BaseCalendar(cfg)
	if err != nil {
		return nil, err
	}
	cals, err := engine.NewCalendars(ctx, store, base)
	if err != nil {
		return nil, fmt.Errorf("load run-time calendars: %w", err)
	}
	s := &Service{cfg: cfg, store: store, log: log, onListen: o.OnListen}
	if s.pipe, err = newPipeline(ctx, cfg, store, clk, cals, log); err != nil {
		return nil, err
	}
	figs, err := s.pipe.figures()
	if err != nil {
		return nil, err
	}
	s.rankings = &figures.Rankings{Figures: figs, Method: RankingMethod(cfg)}
	js, err := jobs(cfg, store, clk, cals, s.rankings)
	if err != nil {
		return nil, err
	}
	if s.sched, err = schedule.New(schedule.Options{Store: store, Clock: clk, Loc: cfg.Location, Jobs: js,
		Owner: owner(), Logger: log}); err != nil {
		return nil, err
	}
	if s.pipe.mx, err = newMetrics(s.pipe.reg, o.Version, store, cals, s.pipe.clients); err != nil {
		return nil, err
	}
	// Rows read from the exchange databases are stored as the push API stores events, and
	// wake the appliers the same way.
	if s.pollers, err = sqlpoll.ForService(cfg, store, clk, owner(), s.pipe.stored, log, s.pipe.reg); err != nil {
		return nil, err
	}
	if s.out, err = newOutbound(cfg, store, clk, s.pipe.reg, log); err != nil {
		return nil, err
	}
	h, err := s.routes(ctx, o.AnonymousViewers, figs)
	if err != nil {
		return nil, err
	}
	if o.WrapHandler != nil {
		h = o.WrapHandler(h)
	}
	s.handler = h
	return s, nil
}

// Rankings builds and publishes the monthly rankings (the scheduled job's path; the demo
// publishes the months it backfills through it).
func (s *Service) Rankings() *figures.Rankings { return s.rankings }

// Config is the configuration the service runs on.
func (s *Service) Config() *config.Config { return s.cfg }

// Store is the store the service runs on.
func (s *Service) Store() *rdb.Store { return s.store }

// Run serves until ctx ends, then shuts down in order: stop taking requests and let those
// in flight finish, then stop the background loops — all within drainTimeout. It returns nil
// on a clean shutdown.
//
// The background loops all stop together when the requests have drained: each finishes the
// step it is in (an applier's commit, a timer hand-over, a relay batch, a delivery) and
// returns; what they leave undone is in Redis, where another replica or the next start
// takes it up. The live hub closes its clients with 1001 (going away), which Shutdown alone
// would not, as it leaves hijacked connections be.
func (s *Service) Run(ctx context.Context) error {
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
	if s.onListen != nil {
		s.onListen(ln.Addr().String())
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	s.pipe.start(bg, &wg)
	wg.Go(func() { _ = s.sched.Run(bg) })
	wg.Go(func() { _ = s.pollers.Run(bg) })
	s.out.start(bg, &wg)
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
