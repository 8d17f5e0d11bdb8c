package service

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/duban-gov/duban/api"
	"github.com/duban-gov/duban/collectors/httpin"
	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/live"
	screen "github.com/duban-gov/duban/dashboards/web"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/workday"
)

// routes builds the HTTP surface: the API under /api/v1/ (the push API among it), the
// subscriptions, /metrics, the wall screen and the live feed at /ws.
func (s *Service) routes(ctx context.Context, anonymousViewers bool, figs *figures.Source) (http.Handler, error) {
	cfg, store, p := s.cfg, s.store, s.pipe
	events, err := httpin.New(httpin.Options{
		Store: store, Catalog: p.catalog, Clock: p.clk, Wall: clock.Wall,
		Limits: httpin.Limits{BodyBytes: cfg.Limits.BodyBytes, BatchEvents: cfg.Limits.BatchEvents,
			EventsPerSecondPerToken: cfg.Limits.EventsPerSecondPerToken, InflightBytes: cfg.Limits.InflightBytes},
		OnStored: p.stored, Logger: s.log, Registerer: p.reg,
	})
	if err != nil {
		return nil, err
	}
	tokens := make([]web.Token, len(cfg.Auth.Tokens))
	for i, t := range cfg.Auth.Tokens {
		role, _ := web.ParseRole(string(t.Role))
		tokens[i] = web.Token{SHA256: [32]byte(t.Hash), Role: role, Department: t.Department, Name: t.Name}
	}
	auth := web.NewAuthenticator(tokens, anonymousViewers)
	wall, err := screen.New(screen.Options{Auth: auth, Open: anonymousViewers, Logger: s.log})
	if err != nil {
		return nil, err
	}
	metricsHandler := promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{Registry: p.reg})
	a, err := api.New(api.Options{
		Store: store, Rules: p.rules, Calendars: p.cals, Clock: p.clk, Wall: clock.Wall, Logger: s.log,
		Auth: auth, Events: events, Wake: p.applier.Wake, Relay: p.relay.Wake, Orders: p.orders,
		FaultThreshold: cfg.Rules.FaultThreshold, Figures: figs, Rankings: s.rankings,
		Extra:   map[string]http.Handler{"GET /metrics": metricsGuard(cfg.MetricsToken, metricsHandler)},
		Sources: s.pollers.Status,
	})
	if err != nil {
		return nil, err
	}
	for pattern, h := range wall.Routes() { // the wall screen: /, /login, /logout, /assets/
		a.Handle(pattern, h)
	}
	s.out.mount(a)
	// The live feed, outside /api/: one hub per replica, fed by the alert stream, with the
	// screen's figures.
	if p.hub, err = live.New(live.Options{Store: store, Auth: auth, Session: wall.Session,
		AllowedOrigins: cfg.Auth.AllowedOrigins, Logger: s.log,
		Overview: func(ctx context.Context, dept string) (any, error) { return figs.Overview(ctx, dept) }}); err != nil {
		return nil, err
	}
	a.Handle("GET /ws", p.hub)
	return a, nil
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

// BaseCalendar is the built-in years plus the configured year files (calendars:); the
// years loaded at run time (PUT /api/v1/calendar/{year}) come on top, from Redis.
func BaseCalendar(cfg *config.Config) (*workday.Calendar, error) {
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
