// Package api is duban's HTTP API under /api/v1 (cases, dead letters, calendars, audit,
// health) and the router that mounts every HTTP component of the service. Handlers parse and
// authorise; the work is done by engine and rdb.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor/fold"
)

// Options configure the API.
type Options struct {
	Store Store
	// Rules returns the rules in force (catalogue, calendar, zone).
	Rules     func() fold.Rules
	Calendars *engine.Calendars
	Clock     interface{ Now() time.Time }
	Auth      *web.Authenticator
	// Events is the push API (collectors/httpin), mounted at POST /api/v1/events.
	Events http.Handler
	// Wake tells the local applier that cases were marked dirty.
	Wake func()
	// Relay, when set, tells the local relay that an outbox has news (an alert action).
	Relay func()
	// Figures answers the overview and the trend; Rankings the monthly rankings.
	Figures  *figures.Source
	Rankings *figures.Rankings
	// Orders, when set, serves the supervision orders under /api/v1/orders (orders.go).
	Orders *engine.Orders
	// FaultThreshold is rules.fault_threshold (accountability's threshold_reached).
	FaultThreshold int
	Wall           func() time.Time
	Logger         *slog.Logger
	// Extra handlers mounted as they are (metrics, the WebSocket feed, the wall screen),
	// by pattern.
	Extra map[string]http.Handler
	// Sources tells the state of each exchange-database source on this replica, for
	// /readyz (collectors/sqlpoll); nil or empty when none is configured.
	Sources func() map[string]string
}

// API serves the HTTP API.
type API struct {
	o   Options
	mux *routes
}

// routes is the API's http.ServeMux, remembering every pattern mounted on it.
type routes struct {
	*http.ServeMux
	patterns []string
}

func (m *routes) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// New builds the API and its routes.
func New(o Options) (*API, error) {
	if o.Store == nil || o.Rules == nil || o.Clock == nil || o.Auth == nil || o.Calendars == nil {
		return nil, errors.New("api: store, rules, calendars, clock and auth are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.FaultThreshold <= 0 {
		o.FaultThreshold = 3
	}
	a := &API{o: o, mux: &routes{ServeMux: http.NewServeMux()}}
	authed := func(h http.HandlerFunc) http.Handler { return o.Auth.Authenticate(h) }
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	if o.Events != nil {
		a.mux.Handle("/api/v1/events", o.Auth.Authenticate(o.Events))
	}
	a.mux.Handle("GET /api/v1/cases", authed(a.listCases))
	a.mux.Handle("GET /api/v1/cases/{id...}", authed(a.getCase))
	a.mux.Handle("GET /api/v1/deadletters", authed(a.listDeadLetters))
	a.mux.Handle("POST /api/v1/deadletters/{id...}", authed(a.replayDeadLetter))
	a.mux.Handle("GET /api/v1/calendar/{year}", authed(a.getCalendar))
	a.mux.Handle("PUT /api/v1/calendar/{year}", authed(a.putCalendar))
	a.mux.Handle("GET /api/v1/audit", authed(a.auditLog))
	a.mux.Handle("GET /api/v1/alerts", authed(a.listAlerts))
	a.mux.Handle("GET /api/v1/alerts/{id...}", authed(a.alertRoute))
	a.mux.Handle("POST /api/v1/alerts/{id...}", authed(a.alertRoute))
	a.mux.Handle("GET /api/v1/accountability", authed(a.accountability))
	if o.Figures != nil {
		a.mux.Handle("GET /api/v1/overview", authed(a.overview))
		a.mux.Handle("GET /api/v1/trend", authed(a.trend))
	}
	if o.Orders != nil {
		a.mountOrders()
	}
	if o.Rankings != nil {
		a.mux.Handle("GET /api/v1/rankings", authed(a.listRankings))
		a.mux.Handle("GET /api/v1/rankings/{month}", authed(a.getRanking))
	}
	a.mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "no such endpoint: %s %s", r.Method, r.URL.Path))
	}))
	for pattern, h := range o.Extra {
		a.mux.Handle(pattern, h)
	}
	return a, nil
}

// ServeHTTP routes a request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Handle mounts a further handler (components built after the API).
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// Routes lists the http.ServeMux patterns mounted so far ("GET /api/v1/cases", "/api/"),
// sorted: what the test of docs/openapi.yaml compares the document with. Mount everything
// before serving; Routes and Handle are not safe to call while requests are served.
func (a *API) Routes() []string { return slices.Sorted(slices.Values(a.mux.patterns)) }

// Authenticate wraps h with the API's token check, for components mounted with Handle.
func (a *API) Authenticate(h http.Handler) http.Handler { return a.o.Auth.Authenticate(h) }

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz: Redis answers and a catalogue is loaded — what a load balancer needs to send
// traffic here.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.o.Store.Ping(ctx); err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(web.DefaultRetryAfter))
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "redis: " + err.Error()})
		return
	}
	if cat := a.o.Rules().Catalog; cat == nil || len(cat.Matters) == 0 {
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "no catalogue loaded"})
		return
	}
	if a.o.Sources != nil {
		// A source's trouble never makes the replica unready: the push API still works.
		if src := a.o.Sources(); len(src) > 0 {
			web.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "sources": src})
			return
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// canRead answers 403 when the principal may not read the department's data.
func canRead(w http.ResponseWriter, r *http.Request, dept string) bool {
	p, _ := web.PrincipalOf(r.Context())
	if !p.CanRead(dept) {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "department", "this token may not read department %q", dept))
		return false
	}
	return true
}

// scopeDepartment resolves the `department` filter of a listing for the principal: a token
// bound to one department sees only that one.
func scopeDepartment(w http.ResponseWriter, r *http.Request, asked string) (string, bool) {
	p, _ := web.PrincipalOf(r.Context())
	if p.Department == "" {
		if p.Role < web.Viewer {
			web.WriteError(w, r, web.Errorf(web.Forbidden, "", "this token may not read"))
			return "", false
		}
		return asked, true
	}
	if asked != "" && asked != p.Department {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "department", "this token may only read department %q", p.Department))
		return "", false
	}
	return p.Department, true
}
