package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/live"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// pipeline is the wake-up graph of one replica: the stages that move a case from a stored
// event to an alert on the screen, and which stage tells which that there is work. Every
// arrow is one method below; no stage knows another but through them.
//
//	POST /events   --stored-->      applier (and, by the Redis notice "dirty", the
//	                                 other replicas' appliers)
//	timers         --handedOver-->  applier (and the notice: a midnight is shared)
//	applier        --committed-->   timers.Schedule (the case's next instant)
//	                                relay (the case has transitions to relay)
//	                                metrics (fired, decided, latencies)
//	orders         --ordersSaved--> timers.Schedule (the order's next instant), relay
//	relay          --relayed-->     live hub (the screens' figures moved)
//	Redis notice "calendar"  -->    calendars reloaded
//
// A lost wake-up costs latency only: each stage also polls (the applier once a second per
// replica, the timers at their next instant, the relay on its tick).
type pipeline struct {
	ctx   context.Context // the service's: notices are published after it ends too
	cfg   *config.Config
	store *rdb.Store
	clk   clock.Clock
	log   *slog.Logger
	cals  *engine.Calendars
	reg   *prometheus.Registry

	applier *engine.Applier
	timers  *engine.Timers
	relay   *engine.Relay
	orders  *engine.Orders   // supervision orders: the second kind of clocked subject
	hub     *live.Hub        // set by routes; nil until then
	mx      *metrics.Metrics // set by New once the hub can count its clients
}

// newPipeline builds the applier, the timers and the relay, wired to each other through p.
func newPipeline(ctx context.Context, cfg *config.Config, store *rdb.Store, clk clock.Clock,
	cals *engine.Calendars, log *slog.Logger) (*pipeline, error) {
	p := &pipeline{ctx: ctx, cfg: cfg, store: store, clk: clk, log: log, cals: cals, reg: prometheus.NewRegistry()}
	p.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if p.orders, err = engine.NewOrders(engine.OrderOptions{Store: store, Rules: p.rules, Settings: cfg.Supervision,
		Clock: clk, Logger: log, Saved: p.ordersSaved}); err != nil {
		return nil, err
	}
	ro := engine.RelayOptions{Store: store, Clock: clk, Loc: cfg.Location,
		Catalog: p.catalog, FaultThreshold: cfg.Rules.FaultThreshold, Logger: log,
		Relayed: p.relayed}
	if len(cfg.Supervision.AutoOpen) > 0 {
		ro.AutoOpen, ro.AutoKinds = p.orders.AutoOpen, cfg.Supervision.AutoOpen
	}
	if p.relay, err = engine.NewRelay(ro); err != nil {
		return nil, err
	}
	if p.applier, err = engine.NewApplier(engine.ApplierOptions{Store: store, Rules: p.rules, Clock: clk,
		Logger: log, Committed: p.committed, Subjects: []engine.Subject{p.orders.Subject()}}); err != nil {
		return nil, err
	}
	if p.timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: clk, Logger: log,
		HandedOver: p.handedOver}); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pipeline) catalog() *monitor.Catalog { return p.cfg.Catalog }

// rules are the rules a fold applies, read afresh for each fold (calendars load at run time).
func (p *pipeline) rules() fold.Rules {
	return fold.Rules{Catalog: p.cfg.Catalog, Calendar: p.cals.Current(), Loc: p.cfg.Location,
		ReportWithin: p.cfg.Rules.ReportWithin}
}

// figures reads the screen's and the ranking's figures.
func (p *pipeline) figures() (*figures.Source, error) {
	return figures.New(figures.Options{Store: p.store, Catalog: p.catalog, Clock: p.clk, Loc: p.cfg.Location})
}

// stored: the push API stored events; this replica's applier and, through a notice, the
// other replicas' take them up. A lost notice only costs the others their poll.
func (p *pipeline) stored(int) { p.wakeAppliers() }

// handedOver: the timers handed due cases to the applier. A midnight burst is shared: the
// other replicas' appliers claim from it too.
func (p *pipeline) handedOver([]rdb.DueTimer) { p.wakeAppliers() }

func (p *pipeline) wakeAppliers() {
	p.applier.Wake()
	_ = p.store.Publish(context.WithoutCancel(p.ctx), rdb.NoticeDirty)
}

// committed: the applier committed cases; each one's next instant goes to the timers, its
// transitions to the relay, its work to the metrics.
func (p *pipeline) committed(cs []rdb.Commit) {
	for i := range cs {
		p.timers.Schedule(cs[i].NextTimer)
		if len(cs[i].Transitions) > 0 {
			p.relay.Wake()
		}
		if p.mx != nil {
			observe(p.mx, &cs[i], p.clk.RealSince)
		}
	}
}

// ordersSaved: supervision orders were written (an action, a tick, automatic opening);
// their next instants go to the timers, their outbox entries to the relay.
func (p *pipeline) ordersSaved(next []time.Time) {
	for _, t := range next {
		p.timers.Schedule(t)
	}
	p.relay.Wake()
}

// relayed: the relay moved transitions into the figures; the screens' overview changed.
func (p *pipeline) relayed(int) {
	if p.hub != nil {
		p.hub.OverviewChanged()
	}
}

// notice handles a Redis notice from any replica.
func (p *pipeline) notice(ctx context.Context, n string) {
	switch n {
	case rdb.NoticeDirty:
		p.applier.Wake()
	case rdb.NoticeCalendar:
		if err := p.cals.Reload(ctx); err != nil {
			p.log.Error("calendar_reload_failed", "component", "calendars", "err", err)
		}
	}
}

// clients counts this replica's WebSocket clients (duban_websocket_clients).
func (p *pipeline) clients() float64 {
	if p.hub == nil {
		return 0
	}
	return p.hub.Clients()
}

// start runs the stages on wg until ctx ends.
func (p *pipeline) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { _ = p.applier.Run(ctx) })
	wg.Go(func() { _ = p.timers.Run(ctx) })
	wg.Go(func() { _ = p.relay.Run(ctx) })
	wg.Go(func() { _ = p.hub.Run(ctx) })
	wg.Go(func() { _ = p.store.Listen(ctx, func(n string) { p.notice(ctx, n) }) })
}
