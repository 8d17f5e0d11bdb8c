package service

import (
	"context"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts/alertmanager"
	"github.com/duban-gov/duban/alerts/webhook"
	"github.com/duban-gov/duban/api"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// outbound is the wiring of outbound alert delivery (docs/webhooks.md):
// the webhook dispatcher and its API, and the Alertmanager forwarder when alertmanager.url
// is set.
type outbound struct {
	hooks *webhook.Dispatcher
	api   *webhook.Handler
	am    *alertmanager.Forwarder // nil without alertmanager.url
}

func newOutbound(cfg *config.Config, store *rdb.Store, clk clock.Clock, reg prometheus.Registerer, log *slog.Logger) (*outbound, error) {
	id := owner()
	hooks, err := webhook.New(webhook.Options{Store: store, Owner: id, Wall: clock.Wall, Logger: log, Registerer: reg})
	if err != nil {
		return nil, err
	}
	api, err := webhook.NewHandler(webhook.HandlerOptions{Store: store, Clock: clk, Loc: cfg.Location,
		KnownDepartment: func(d string) bool {
			if cfg.Catalog == nil {
				return true
			}
			_, ok := cfg.Catalog.Department(d)
			return ok
		},
		Changed: hooks.Wake})
	if err != nil {
		return nil, err
	}
	out := &outbound{hooks: hooks, api: api}
	if cfg.Alertmanager.URL != "" {
		out.am, err = alertmanager.New(alertmanager.Options{Store: store, URL: cfg.Alertmanager.URL,
			SendHandlerNames: cfg.Alertmanager.SendHandlerNames, Owner: id, Wall: clock.Wall, Loc: cfg.Location,
			Logger: log, Registerer: reg})
		if err != nil {
			return nil, &config.Error{Key: "alertmanager.url", Message: err.Error()}
		}
	}
	return out, nil
}

// mount serves the subscriptions API at /api/v1/subscriptions and below, behind the API's
// token check.
func (o *outbound) mount(a *api.API) {
	a.Handle("/api/v1/subscriptions", a.Authenticate(o.api))
	a.Handle("/api/v1/subscriptions/", a.Authenticate(o.api))
}

// start runs the background parts on wg until ctx ends.
func (o *outbound) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { _ = o.hooks.Run(ctx) })
	if o.am != nil {
		wg.Go(func() { _ = o.am.Run(ctx) })
	}
}
