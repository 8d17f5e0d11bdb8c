package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/rdb"
)

// BacklogMax caps the backlog count shown per subscription (the API and the metric): a
// subscription that far behind shows this number, which then means "at least".
const BacklogMax = 1000

// maxRequestBytes bounds a POST body.
const maxRequestBytes = 64 << 10

// HandlerOptions configure the subscriptions API.
type HandlerOptions struct {
	Store *rdb.Store
	// Clock is the business clock: created_at, and the audit log's times.
	Clock interface{ Now() time.Time }
	// Loc is the zone times are shown in; nil means UTC.
	Loc *time.Location
	// KnownDepartment, when set, says whether a department is in the catalogue; filters
	// naming another are refused.
	KnownDepartment func(string) bool
	// Changed, when set, is told that a subscription was created or deleted, so the local
	// dispatcher need not wait for its poll.
	Changed func()
}

// Handler serves POST and GET /api/v1/subscriptions and GET and DELETE
// /api/v1/subscriptions/{id}, for supervisors. It expects to run behind the API's token
// check (web.Authenticator).
type Handler struct{ o HandlerOptions }

// NewHandler builds the subscriptions API.
func NewHandler(o HandlerOptions) (*Handler, error) {
	if o.Store == nil || o.Clock == nil {
		return nil, errors.New("webhook: handler needs a store and a clock")
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Changed == nil {
		o.Changed = func() {}
	}
	return &Handler{o: o}, nil
}

const basePath = "/api/v1/subscriptions"

// ServeHTTP routes the request by method and path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := web.Require(w, r, web.Supervisor)
	if !ok {
		return
	}
	id, hasID := strings.CutPrefix(r.URL.Path, basePath+"/")
	switch {
	case r.URL.Path == basePath && r.Method == http.MethodPost:
		h.create(w, r, p)
	case r.URL.Path == basePath && r.Method == http.MethodGet:
		h.list(w, r)
	case hasID && id != "" && r.Method == http.MethodGet:
		h.get(w, r, id)
	case hasID && id != "" && r.Method == http.MethodDelete:
		h.delete(w, r, p, id)
	case r.URL.Path == basePath || hasID:
		allow := "GET, POST"
		if hasID {
			allow = "GET, DELETE"
		}
		w.Header().Set("Allow", allow)
		web.WriteError(w, r, web.Errorf(web.MethodNotAllowed, "", "%s is not allowed here; use %s", r.Method, allow))
	default:
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "no such endpoint: %s %s", r.Method, r.URL.Path))
	}
}

// View is a subscription as the API shows it: never its secret.
type View struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Departments []string  `json:"departments"`
	Levels      []string  `json:"levels"`
	Kinds       []string  `json:"kinds"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	Delivery    Delivery  `json:"delivery"`
}

// Delivery is a subscription's delivery state. Its times are real (wall-clock) times, even
// when the service runs on a simulated business clock: retries and backoff are plumbing.
type Delivery struct {
	// Position is the alert stream cursor of the last entry delivered, dropped or passed
	// over; delivery resumes after it.
	Position string `json:"position"`
	// Backlog is the number of alert stream entries after Position (matching the filters or
	// not), at most BacklogMax.
	Backlog     int64      `json:"backlog"`
	Delivered   int64      `json:"delivered"`
	Dropped     int64      `json:"dropped"`
	LastSuccess *time.Time `json:"last_success"`
	LastAttempt *time.Time `json:"last_attempt"`
	LastError   string     `json:"last_error,omitempty"`
	// FailingSince is when the entry now being retried first failed; null when none is.
	FailingSince *time.Time `json:"failing_since"`
	Attempts     int64      `json:"attempts,omitempty"`
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, p web.Principal) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.TooLarge, "", "a subscription is at most %d bytes", maxRequestBytes))
		return
	}
	var req Request
	if err := json.Unmarshal(raw, &req); err != nil {
		web.WriteError(w, r, web.Errorf(web.Invalid, fieldOf(err), "the body must be a JSON object {\"url\", \"departments\", \"levels\", \"kinds\", \"secret\"}: %v", err))
		return
	}
	if e := req.Validate(h.o.KnownDepartment); e != nil {
		web.WriteError(w, r, e)
		return
	}
	now := h.o.Clock.Now().In(h.o.Loc)
	sub := Subscription{URL: req.URL, Departments: orEmpty(req.Departments), Levels: orEmpty(req.Levels),
		Kinds: orEmpty(req.Kinds), Secret: req.Secret, CreatedAt: now, CreatedBy: p.Name}
	for range 3 { // a random 64-bit id collides only in theory
		sub.ID = newID()
		doc, err := json.Marshal(&sub)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		pos, ok, err := h.o.Store.CreateSubscription(r.Context(), sub.ID, doc)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if !ok {
			continue
		}
		if _, err := h.o.Store.Audit(r.Context(), rdb.AuditEntry{At: now, Actor: p.Name,
			Action: "subscription_create", Target: sub.ID, Note: sub.URL}); err != nil {
			web.WriteError(w, r, err)
			return
		}
		h.o.Changed()
		v := h.view(&sub, rdb.DeliveryState{Position: pos}, 0)
		w.Header().Set("Location", basePath+"/"+sub.ID)
		web.WriteJSON(w, http.StatusCreated, v)
		return
	}
	web.WriteError(w, r, errors.New("webhook: could not draw a free subscription id"))
}

// fieldOf names the field a JSON decoding error is about, when it is about one.
func fieldOf(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f, _, _ := strings.Cut(te.Field, ".")
		return f
	}
	return ""
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// listAnswer is the answer of GET /api/v1/subscriptions.
type listAnswer struct {
	Subscriptions []View `json:"subscriptions"`
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	docs, err := h.o.Store.Subscriptions(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	views, err := h.views(r, docs)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, listAnswer{Subscriptions: views})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, id string) {
	doc, ok, err := h.o.Store.Subscription(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "id", "no subscription %q", id))
		return
	}
	views, err := h.views(r, []rdb.SubscriptionDoc{{ID: id, Doc: doc}})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, views[0])
}

// views turns stored subscriptions into views with their delivery state and backlog.
func (h *Handler) views(r *http.Request, docs []rdb.SubscriptionDoc) ([]View, error) {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	states, err := h.o.Store.DeliveryStates(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	positions := make([]string, len(states))
	for i, st := range states {
		positions[i] = st.Position
	}
	backlogs, err := h.o.Store.AlertBacklogs(r.Context(), positions, BacklogMax)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(docs))
	for i, d := range docs {
		var sub Subscription
		if err := json.Unmarshal(d.Doc, &sub); err != nil {
			return nil, fmt.Errorf("webhook: decode subscription %s: %w", d.ID, err)
		}
		out = append(out, h.view(&sub, states[i], backlogs[i]))
	}
	return out, nil
}

func (h *Handler) view(s *Subscription, st rdb.DeliveryState, backlog int64) View {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.In(h.o.Loc)
		return &t
	}
	return View{ID: s.ID, URL: s.URL, Departments: orEmpty(s.Departments), Levels: orEmpty(s.Levels),
		Kinds: orEmpty(s.Kinds), CreatedAt: s.CreatedAt.In(h.o.Loc), CreatedBy: s.CreatedBy,
		Delivery: Delivery{Position: st.Position, Backlog: backlog, Delivered: st.Delivered,
			Dropped: st.Dropped, LastSuccess: at(st.LastSuccess), LastAttempt: at(st.LastAttempt),
			LastError: st.LastError, FailingSince: at(st.FailSince), Attempts: st.Attempts}}
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, p web.Principal, id string) {
	ok, err := h.o.Store.DeleteSubscription(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "id", "no subscription %q", id))
		return
	}
	if _, err := h.o.Store.Audit(r.Context(), rdb.AuditEntry{At: h.o.Clock.Now().In(h.o.Loc), Actor: p.Name,
		Action: "subscription_delete", Target: id}); err != nil {
		web.WriteError(w, r, err)
		return
	}
	h.o.Changed()
	w.WriteHeader(http.StatusNoContent)
}
