package httpin_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/collectors/httpin"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// t0 is the business time every test starts at (a Monday).
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// The tokens of the test server.
const (
	envToken        = "env-collector"
	transportToken  = "transport-collector"
	viewerToken     = "viewer"
	supervisorToken = "supervisor"
)

func testCatalog() *monitor.Catalog {
	return monitor.NewCatalog(
		[]monitor.Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}},
		[]monitor.Matter{
			monitor.NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10),
			monitor.NewMatter("TRN-ROAD-001", "公路超限运输许可", "transport", 15, 5),
		})
}

// env is one handler behind the authenticator, on a real Redis under a fresh prefix.
type env struct {
	srv    *httptest.Server
	h      *httpin.Handler
	store  *rdb.Store
	clock  *clock.ManualClock // business time
	wall   *clock.ManualClock // real time, for the rate limiter
	reg    *prometheus.Registry
	stored atomic.Int64 // sum of OnStored's n
	calls  atomic.Int64 // OnStored calls
	// accepted holds the [case_id, event_id] pairs answered accepted so far (fuzzing).
	accepted sync.Map
}

// newEnv starts a test server; tweak may change the options before New.
func newEnv(t testing.TB, tweak func(*httpin.Options)) *env {
	t.Helper()
	e := &env{
		store: rdbtest.Store(t),
		clock: clock.Manual(t0),
		wall:  clock.Manual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		reg:   prometheus.NewRegistry(),
	}
	cat := testCatalog()
	o := httpin.Options{
		Store:   e.store,
		Catalog: func() *monitor.Catalog { return cat },
		Clock:   e.clock,
		Wall:    e.wall.Now,
		OnStored: func(n int) {
			e.calls.Add(1)
			e.stored.Add(int64(n))
		},
		Logger:     testLogger(t),
		Registerer: e.reg,
	}
	if tweak != nil {
		tweak(&o)
	}
	h, err := httpin.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	tok := func(secret string, role web.Role, dept string) web.Token {
		return web.Token{SHA256: sha256.Sum256([]byte(secret)), Role: role, Department: dept}
	}
	auth := web.NewAuthenticator([]web.Token{
		tok(envToken, web.Collector, "env"),
		tok(transportToken, web.Collector, "transport"),
		tok(viewerToken, web.Viewer, ""),
		tok(supervisorToken, web.Supervisor, ""),
	}, false)
	e.srv = httptest.NewServer(auth.Authenticate(h))
	t.Cleanup(e.srv.Close)
	return e
}

// reply is an answer as the client sees it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) answer(t testing.TB) httpin.Answer {
	t.Helper()
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", r.status, r.body)
	}
	var a httpin.Answer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
	if len(a.Results) != a.Accepted+a.Duplicates+a.Rejected {
		t.Errorf("counts %d+%d+%d do not add up to %d results", a.Accepted, a.Duplicates, a.Rejected, len(a.Results))
	}
	for i, res := range a.Results {
		if res.Index != i {
			t.Errorf("result %d has index %d", i, res.Index)
		}
	}
	return a
}

func (e *env) post(t testing.TB, token, contentType, body string) reply {
	t.Helper()
	return e.do(t, http.MethodPost, token, contentType, body)
}

func (e *env) do(t testing.TB, method, token, contentType, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// events returns the stored events of a case.
func (e *env) events(t testing.TB, caseID string) []monitor.Event {
	t.Helper()
	evs, err := e.store.Events(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// ev is an event as a department sends it: a submitted event of env by default, changed by
// the key/value pairs of kv (a nil value deletes the key).
func ev(caseID, eventID string, kv ...any) map[string]any {
	m := map[string]any{
		"event_id": eventID, "case_id": caseID, "department": "env", "matter": "ENV-EIA-001",
		"type": "submitted", "at": t0.Add(-time.Hour).Format(time.RFC3339),
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
		} else {
			m[k] = kv[i+1]
		}
	}
	return m
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ndjson encodes each value on its own line.
func ndjson(t testing.TB, lines ...any) string {
	t.Helper()
	var sb strings.Builder
	for _, l := range lines {
		if s, ok := l.(string); ok {
			sb.WriteString(s) // a raw line, broken on purpose
		} else {
			sb.WriteString(jsonOf(t, l))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// statuses lists the results' statuses, in order.
func statuses(a httpin.Answer) []string {
	out := make([]string, len(a.Results))
	for i, r := range a.Results {
		out[i] = r.Status
	}
	return out
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter sends log lines to t.Log, so they show only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// raw posts a body without a Content-Length (chunked) or claiming to be gzip-compressed.
func (e *env) raw(t testing.TB, how, token, contentType, body string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/events", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	if how == "gzip" {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}
