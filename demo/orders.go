package demo

import (
	"context"
	"log/slog"
	"sync"

	"github.com/duban-gov/duban/collectors/simulate"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
)

// The demo's supervision loop (督办): red cards open supervision orders by themselves, the
// simulated departments answer them through the orders API, and a simulated supervisor
// reviews the answers (collectors/simulate, orders.go). People can take part: the banner
// prints a supervisor's token and a department liaison's, both good for the 督办工作台.

// demoAutoOpen are the red kinds that open an order by themselves in the demo, unless the
// configuration names its own.
var demoAutoOpen = []monitor.AlertKind{monitor.StatutoryOverdue, monitor.PromiseOverdue}

// supervisionTokens are the demo's tokens for the loop.
type supervisionTokens struct {
	Supervisor string
	// Liaison is a liaison token of LiaisonDept.
	Liaison, LiaisonDept string
	// Departments are the collector tokens the simulated departments reply with.
	Departments map[string]string
}

// setUpSupervision turns automatic opening on and adds the loop's tokens to cfg.
func setUpSupervision(cfg *config.Config, log *slog.Logger) supervisionTokens {
	if len(cfg.Supervision.AutoOpen) == 0 {
		cfg.Supervision.AutoOpen = demoAutoOpen
		log.Info("demo_auto_open", "kinds", demoAutoOpen,
			"why", "the demo shows the whole supervision loop: red cards open orders by themselves")
	}
	t := supervisionTokens{Supervisor: randomToken(), Liaison: randomToken(),
		LiaisonDept: demoExchangeDepartment(cfg.Catalog), Departments: map[string]string{}}
	cfg.Auth.Tokens = append(cfg.Auth.Tokens,
		config.Token{Hash: config.HashToken(t.Supervisor), Role: config.RoleSupervisor, Name: "演示督办员"},
		config.Token{Hash: config.HashToken(t.Liaison), Role: config.RoleLiaison, Department: t.LiaisonDept,
			Name: "演示联络员（" + t.LiaisonDept + "）"})
	for _, d := range cfg.Catalog.Departments {
		tok := randomToken()
		t.Departments[d.Code] = tok
		cfg.Auth.Tokens = append(cfg.Auth.Tokens, config.Token{Hash: config.HashToken(tok), Role: config.RoleCollector, Department: d.Code})
	}
	return t
}

// runSupervision starts the simulated departments and supervisor on bg until ctx ends.
func runSupervision(ctx context.Context, bg *sync.WaitGroup, log *slog.Logger, base string, clk clock.Clock, t supervisionTokens) {
	sim, err := simulate.NewOrders(simulate.OrdersOptions{URL: base, Departments: t.Departments,
		Supervisor: t.Supervisor, Clock: clk, Logger: log})
	if err != nil {
		log.Error("simulate_orders_not_started", "component", "simulate_orders", "err", err)
		return
	}
	bg.Go(func() { _ = sim.Run(ctx) })
}

// autoOpenText lists the automatic kinds for the banner.
func autoOpenText(kinds []monitor.AlertKind) string {
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += string(k)
	}
	return s
}
