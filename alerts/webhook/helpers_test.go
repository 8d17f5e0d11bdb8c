package webhook_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts/webhook"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var cst = time.FixedZone("CST", 8*3600)

// fast is a retry schedule for tests: plumbing delays of milliseconds, never a business
// deadline.
var fast = webhook.Retry{First: 2 * time.Millisecond, Max: 20 * time.Millisecond, For: time.Hour}

// env is one test's Redis store, subscriptions API and dispatchers.
type env struct {
	t     testing.TB
	store *rdb.Store
	api   *httptest.Server
	reg   *prometheus.Registry
	wake  func()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, store: rdbtest.Store(t), reg: prometheus.NewRegistry(), wake: func() {}}
	h, err := webhook.NewHandler(webhook.HandlerOptions{Store: e.store,
		Clock: clock.Manual(time.Date(2026, 3, 20, 9, 0, 0, 0, cst)), Loc: cst,
		KnownDepartment: func(d string) bool { return d == "env" || d == "transport" },
		Changed:         func() { e.wake() }})
	if err != nil {
		t.Fatal(err)
	}
	auth := web.NewAuthenticator([]web.Token{
		{SHA256: sha256.Sum256([]byte("supervisor-secret")), Role: web.Supervisor},
		{SHA256: sha256.Sum256([]byte("viewer-secret")), Role: web.Viewer},
	}, false)
	e.api = httptest.NewServer(auth.Authenticate(h))
	t.Cleanup(e.api.Close)
	return e
}

// call sends one request to the subscriptions API and decodes its JSON answer.
func (e *env) call(method, path, token, body string) (int, map[string]any, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

// subscribe registers a subscription through the API and returns its id.
func (e *env) subscribe(url, secret string, filters string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"url": %q, "secret": %q%s}`, url, secret, filters)
	code, out, raw := e.call("POST", "/api/v1/subscriptions", "supervisor-secret", body)
	if code != http.StatusCreated {
		e.t.Fatalf("subscribe: %d %s", code, raw)
	}
	return out["id"].(string)
}

// delivery reads one subscription's delivery state through the API.
func (e *env) delivery(id string) map[string]any {
	e.t.Helper()
	code, out, raw := e.call("GET", "/api/v1/subscriptions/"+id, "supervisor-secret", "")
	if code != http.StatusOK {
		e.t.Fatalf("GET subscription: %d %s", code, raw)
	}
	return out["delivery"].(map[string]any)
}

// dispatcher runs a dispatcher until the returned stop is called (or the test ends).
func (e *env) dispatcher(o webhook.Options) (d *webhook.Dispatcher, stop func()) {
	e.t.Helper()
	o.Store = e.store
	if o.Poll == 0 {
		o.Poll, o.Lease = 20*time.Millisecond, time.Second
	}
	if o.Retry == (webhook.Retry{}) {
		o.Retry = fast
	}
	d, err := webhook.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				e.t.Error("dispatcher did not stop")
			}
		})
	}
	e.t.Cleanup(stop)
	return d, stop
}

// fire appends alert records to the alert stream and returns their cursors.
func (e *env) fire(recs ...alerting.Record) []string {
	e.t.Helper()
	var out []string
	for _, r := range recs {
		doc, err := json.Marshal(&r)
		if err != nil {
			e.t.Fatal(err)
		}
		cs, err := e.store.AppendAlerts(context.Background(), [][]byte{doc}, time.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, cs[0])
	}
	return out
}

// alert builds the n-th test alert of a department and kind.
func alert(n int, dept string, kind monitor.AlertKind) alerting.Record {
	caseID := fmt.Sprintf("%s-2026-%06d", dept, n)
	at := time.Date(2026, 3, 18, 0, 0, 0, 0, cst)
	return alerting.Record{ID: alerting.CaseAlertID(caseID, string(kind)), Kind: kind, Level: kind.Level(),
		State: alerting.Firing, CaseID: caseID, Department: dept, Matter: "ENV-EIA-001", Instant: at,
		FiredAt: at, Message: "办件 " + caseID + " 超过承诺时限", Updated: at, Revision: 1}
}

func many(n int, dept string, kind monitor.AlertKind) []alerting.Record {
	out := make([]alerting.Record, n)
	for i := range out {
		out[i] = alert(i+1, dept, kind)
	}
	return out
}

// got is one delivery as a receiver saw it.
type got struct {
	DeliveryID string
	AlertID    string
	Status     int
}

// receiver is a webhook endpoint that checks every delivery (method, content type,
// signature, payload) and records it; answer decides the status of each (nil: 200).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	sub    string // the subscription id, once known; checked against the payload

	mu       sync.Mutex
	answer   func(n int, p webhook.Payload) int
	all      []got
	inFlight int
	maxIn    int
}

func newReceiver(t *testing.T, secret string, answer func(n int, p webhook.Payload) int) *receiver {
	r := &receiver{t: t, secret: secret, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("delivery: %s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
	}
	if sig := req.Header.Get(webhook.SignatureHeader); !webhook.Verify(body, r.secret, sig) {
		r.t.Errorf("delivery with a bad signature %q", sig)
	}
	var p webhook.Payload
	var a alerting.Record
	if err := json.Unmarshal(body, &p); err != nil || json.Unmarshal(p.Alert, &a) != nil || a.ID == "" {
		r.t.Errorf("delivery body: %s", body)
	}
	r.mu.Lock()
	if r.sub != "" && (p.Subscription != r.sub || !strings.HasPrefix(p.DeliveryID, r.sub+":")) {
		r.t.Errorf("delivery %q for subscription %q, want %q", p.DeliveryID, p.Subscription, r.sub)
	}
	if req.Header.Get("X-Duban-Delivery") != p.DeliveryID {
		r.t.Errorf("X-Duban-Delivery %q, body %q", req.Header.Get("X-Duban-Delivery"), p.DeliveryID)
	}
	n := len(r.all)
	r.inFlight++
	r.maxIn = max(r.maxIn, r.inFlight)
	answer := r.answer
	r.mu.Unlock()
	status := http.StatusOK
	if answer != nil {
		status = answer(n, p)
	}
	r.mu.Lock()
	r.inFlight--
	r.all = append(r.all, got{DeliveryID: p.DeliveryID, AlertID: a.ID, Status: status})
	r.mu.Unlock()
	w.WriteHeader(status)
}

// ok lists the deliveries answered 2xx, in the order received.
func (r *receiver) ok() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []got
	for _, g := range r.all {
		if g.Status/100 == 2 {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// deliveryIDs are the delivery ids a subscription gets for the given cursors.
func deliveryIDs(sub string, cursors []string) []string {
	out := make([]string, len(cursors))
	for i, c := range cursors {
		out[i] = sub + ":" + c
	}
	return out
}

func ids(gs []got) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.DeliveryID
	}
	return out
}

// counter reads a sample of a counter vector from the registry (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// before reports whether delivery id a names an earlier stream entry than b (cursors are
// "<ms>-<seq>", compared as numbers).
func before(a, b string) bool {
	num := func(id string) (int64, int64) {
		_, c, _ := strings.Cut(id, ":")
		ms, seq, _ := strings.Cut(c, "-")
		m, _ := strconv.ParseInt(ms, 10, 64)
		q, _ := strconv.ParseInt(seq, 10, 64)
		return m, q
	}
	am, aq := num(a)
	bm, bq := num(b)
	return am < bm || am == bm && aq < bq
}
