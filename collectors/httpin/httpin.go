package httpin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Defaults of Limits (the `limits` keys of docs/configuration.md).
const (
	DefaultBodyBytes               = 8 << 20
	DefaultBatchEvents             = 10_000
	DefaultEventsPerSecondPerToken = 2000
)

// Limits bound what one token may send.
type Limits struct {
	// BodyBytes is the largest body taken, in bytes. Zero means DefaultBodyBytes (8 MiB).
	BodyBytes int64
	// BatchEvents is the most events one request may carry. Zero means DefaultBatchEvents.
	BatchEvents int
	// EventsPerSecondPerToken is each token's sustained rate in events per second, with a
	// burst of one second's worth (web.RateLimiter). Zero means
	// DefaultEventsPerSecondPerToken.
	EventsPerSecondPerToken float64
	// InflightBytes bounds the request body bytes held at once across all requests; a
	// request that does not fit is answered 503 with Retry-After before its body is read.
	// Zero means DefaultInflightBytes (16 MiB). It must be at least BodyBytes.
	InflightBytes int64
}

// Options configure a Handler. Store, Catalog and Clock are required.
type Options struct {
	Store Store
	// Catalog returns the current catalogue; it is read once per request, so a reloaded
	// catalogue applies from the next request on. A nil catalogue is answered 503.
	Catalog func() *monitor.Catalog
	// Clock is the business clock: an `at` more than 5 minutes past its Now is rejected, and
	// its Now is each stored event's ReceivedAt. It is read once per request.
	Clock interface{ Now() time.Time }
	// Wall is the real time (plumbing): the dirty-set score of Store.Ingest and the rate
	// limiter. Nil means clock.Wall.
	Wall   func() time.Time
	Limits Limits
	// OnStored is called once per request, before the answer is written, with the number of
	// newly stored events when there are any (the applier's Wake). It must not block. Nil
	// means nothing is called.
	OnStored func(n int)
	// Logger gets the handler's logs (component=httpin). Nil means slog.Default().
	Logger *slog.Logger
	// Registerer takes the handler's metrics. Nil means no metrics.
	Registerer prometheus.Registerer
}

// Handler serves POST /api/v1/events. It expects web.Authenticator.Authenticate to have run
// before it. It is safe for concurrent use.
type Handler struct {
	store    Store
	catalog  func() *monitor.Catalog
	clock    interface{ Now() time.Time }
	wall     func() time.Time
	limits   Limits
	limiter  *web.RateLimiter
	inflight *inflight
	onStored func(int)
	log      *slog.Logger
	received *prometheus.CounterVec // nil without a Registerer

	storeDown atomic.Bool // the last Ingest failed: log the recovery, not every failure
	mismatch  sync.Map    // principal name → the other department it last reported for (logged)
}

// New checks the options and builds a Handler.
func New(o Options) (*Handler, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("httpin: Options.Store is required")
	case o.Catalog == nil:
		return nil, errors.New("httpin: Options.Catalog is required")
	case o.Clock == nil:
		return nil, errors.New("httpin: Options.Clock is required")
	case o.Limits.BodyBytes < 0, o.Limits.BatchEvents < 0, o.Limits.InflightBytes < 0,
		o.Limits.EventsPerSecondPerToken < 0, math.IsNaN(o.Limits.EventsPerSecondPerToken):
		return nil, fmt.Errorf("httpin: limits must not be negative: %+v", o.Limits)
	}
	if o.Limits.BodyBytes == 0 {
		o.Limits.BodyBytes = DefaultBodyBytes
	}
	if o.Limits.InflightBytes == 0 {
		o.Limits.InflightBytes = max(DefaultInflightBytes, o.Limits.BodyBytes)
	}
	if o.Limits.InflightBytes < o.Limits.BodyBytes {
		return nil, fmt.Errorf("httpin: the in-flight budget (%d bytes) is smaller than one body (%d bytes)", o.Limits.InflightBytes, o.Limits.BodyBytes)
	}
	if o.Limits.BatchEvents == 0 {
		o.Limits.BatchEvents = DefaultBatchEvents
	}
	if o.Limits.EventsPerSecondPerToken == 0 {
		o.Limits.EventsPerSecondPerToken = DefaultEventsPerSecondPerToken
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{
		store:    o.Store,
		catalog:  o.Catalog,
		clock:    o.Clock,
		wall:     o.Wall,
		limits:   o.Limits,
		limiter:  web.NewRateLimiter(o.Limits.EventsPerSecondPerToken, o.Wall),
		inflight: newInflight(o.Limits.InflightBytes),
		onStored: o.OnStored,
		log:      o.Logger.With("component", "httpin"),
	}
	if o.Registerer != nil {
		c, err := registerReceived(o.Registerer)
		if err != nil {
			return nil, err
		}
		h.received = c
	}
	return h, nil
}

// ServeHTTP takes one batch of events; see the package documentation for each step.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		web.WriteError(w, r, web.Errorf(web.MethodNotAllowed, "", "method %s is not allowed; events are sent with POST", quote(r.Method)))
		return
	}
	p, werr := canPost(r)
	if werr != nil {
		web.WriteError(w, r, werr)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		web.WriteError(w, r, web.Errorf(web.Invalid, "", "Content-Encoding %s is not supported: send the body uncompressed", quote(ce)))
		return
	}
	if r.ContentLength > h.limits.BodyBytes {
		web.WriteError(w, r, tooLarge(h.limits.BodyBytes))
		return
	}
	// The body's bytes are reserved until the answer is written: decoding and storing
	// cost a few times the body, and the budget bounds them all.
	need := reservation(r, h.limits.BodyBytes)
	if !h.inflight.take(need) {
		web.WriteError(w, r, busy(h.limits.InflightBytes))
		return
	}
	defer h.inflight.give(need)
	body, err := readBody(w, r, h.limits.BodyBytes)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	raws, werr := splitBody(body, formatOf(r.Header.Get("Content-Type")), h.limits.BatchEvents)
	if werr != nil {
		web.WriteError(w, r, werr)
		return
	}
	if len(raws) > 0 {
		if ok, wait := h.limiter.Take(p.Name, len(raws)); !ok {
			web.WriteError(w, r, &web.Error{Code: web.RateLimited, RetryAfter: retrySeconds(wait),
				Message: fmt.Sprintf("token %s is over its %g events per second; retry after the time in Retry-After", p.Name, h.limits.EventsPerSecondPerToken)})
			return
		}
	}
	cat := h.catalog()
	if cat == nil {
		web.WriteError(w, r, web.Errorf(web.Unavailable, "", "the catalogue is not loaded yet; retry later"))
		return
	}
	now := h.clock.Now()
	b := parseBatch(raws, cat, now)
	if reported, werr := checkDepartments(p, b); werr != nil {
		// Logged once per principal and reported department, not on every retry.
		if prev, _ := h.mismatch.Swap(p.Name, reported); prev != reported {
			h.log.Warn("events_for_other_department", "principal", p.Name,
				"department", p.Department, "reported", reported)
		}
		web.WriteError(w, r, werr)
		return
	}
	if p.Role == web.Collector {
		h.mismatch.Delete(p.Name)
	}
	var stored []rdb.IngestResult
	if len(b.valid) > 0 {
		var err error
		stored, err = h.store.Ingest(context.WithoutCancel(r.Context()), b.valid, h.wall())
		if err != nil {
			if !h.storeDown.Swap(true) {
				h.log.Error("ingest_failed", "principal", p.Name, "events", len(b.valid), "err", err)
			}
			web.WriteError(w, r, web.Unavailablef(err,
				"the event store is unavailable and nothing was accepted; retry the whole batch after the time in Retry-After (events already stored are answered as duplicates)"))
			return
		}
		if h.storeDown.Swap(false) {
			h.log.Info("ingest_recovered")
		}
	}
	ans := b.answer(stored)
	h.count(cat, b, ans)
	if ans.Accepted > 0 && h.onStored != nil {
		h.onStored(ans.Accepted)
	}
	h.log.Debug("events_received", "principal", p.Name, "accepted", ans.Accepted,
		"duplicates", ans.Duplicates, "rejected", ans.Rejected)
	web.WriteJSON(w, http.StatusAccepted, ans)
}

// canPost returns the principal when it may post events at all: a department collector
// (for its department only, checked per event later), a supervisor or an admin. The demo's
// tokenless viewer gets 401, as writes need a token there too; a viewer token 403.
func canPost(r *http.Request) (web.Principal, *web.Error) {
	p, ok := web.PrincipalOf(r.Context())
	if !ok || p.Anonymous() {
		return p, web.Errorf(web.Unauthorized, "", "a bearer token is required to post events (Authorization: Bearer <token>)")
	}
	switch p.Role {
	case web.Collector:
		if p.Department == "" {
			return p, web.Errorf(web.Forbidden, "", "this collector token names no department")
		}
		return p, nil
	case web.Supervisor, web.Admin:
		return p, nil
	}
	return p, web.Errorf(web.Forbidden, "", "posting events needs a department collector, supervisor or admin token; this token is a %s", p.Role)
}

// checkDepartments answers 403 when a collector reports for a department other than its
// own. The whole request is refused, nothing stored: a collector configured with the wrong
// token or department code must be noticed at once, not half-accepted with the mismatching
// events quietly rejected among the others. Events whose department is missing or
// unreadable are ordinary per-event rejections. It also returns the department reported,
// for the log.
func checkDepartments(p web.Principal, b *batch) (string, *web.Error) {
	if p.Role != web.Collector {
		return "", nil
	}
	for i := range b.events {
		d := b.events[i].ev.Department
		if d != "" && d != p.Department {
			return monitor.Shorten(d, monitor.MaxIDLen), web.Errorf(web.Forbidden, "department",
				"event %d reports for department %s; this token is the collector of department %s, so nothing of this request was stored",
				i, quote(d), p.Department)
		}
	}
	return "", nil
}

// retrySeconds turns a wait into Retry-After's whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	return max(s, 1)
}

// quote quotes a client's value for a message, cut to 40 characters.
func quote(s string) string {
	return fmt.Sprintf("%q", monitor.Shorten(s, 40))
}
