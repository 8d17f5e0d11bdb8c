package httpin_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/collectors/httpin"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	small := func(o *httpin.Options) { o.Limits.BodyBytes = 2048; o.Limits.BatchEvents = 3 }
	tests := []struct {
		name        string
		tweak       func(*httpin.Options)
		method      string
		token       string
		contentType string
		body        func(t testing.TB) string
		status      int
		msg         string // part of the error message
	}{
		{
			name: "collector for another department", token: envToken, contentType: "application/json",
			body: func(t testing.TB) string {
				return jsonOf(t, []any{ev("x-1", "e1"), ev("x-2", "e1", "department", "transport", "matter", "TRN-ROAD-001")})
			},
			status: 403, msg: `event 1 reports for department "transport"`,
		},
		{
			name: "viewer", token: viewerToken, contentType: "application/json",
			body:   func(t testing.TB) string { return jsonOf(t, ev("x-1", "e1")) },
			status: 403, msg: "viewer",
		},
		{
			name:   "no token",
			body:   func(t testing.TB) string { return jsonOf(t, ev("x-1", "e1")) },
			status: 401,
		},
		{
			name: "unknown token", token: "nobody",
			body:   func(t testing.TB) string { return jsonOf(t, ev("x-1", "e1")) },
			status: 401,
		},
		{
			name: "body over the limit", tweak: small, token: envToken, contentType: "application/json",
			body: func(t testing.TB) string {
				return jsonOf(t, ev("x-1", "e1", "note", strings.Repeat("x", 3000)))
			},
			status: 413, msg: "2048 bytes",
		},
		{
			name: "body over the limit without a Content-Length", tweak: small, token: envToken,
			contentType: "application/x-ndjson", method: "chunked",
			body: func(t testing.TB) string {
				return ndjson(t, ev("x-1", "e1", "note", strings.Repeat("x", 3000)))
			},
			status: 413,
		},
		{
			name: "too many events in an array", tweak: small, token: envToken, contentType: "application/json",
			body: func(t testing.TB) string {
				return jsonOf(t, []any{ev("x-1", "e1"), ev("x-1", "e2"), ev("x-1", "e3"), ev("x-1", "e4")})
			},
			status: 413, msg: "4 events; at most 3",
		},
		{
			name: "too many NDJSON lines", tweak: small, token: envToken, contentType: "application/x-ndjson",
			body: func(t testing.TB) string {
				return ndjson(t, ev("x-1", "e1"), ev("x-1", "e2"), "", ev("x-1", "e3"), "garbage")
			},
			status: 413, msg: "4 events",
		},
		{
			name: "garbage", token: envToken, contentType: "application/json",
			body:   func(testing.TB) string { return "hello, duban" },
			status: 400, msg: "must be a JSON object, a JSON array of objects, or NDJSON",
		},
		{
			name: "array broken by garbage", token: envToken, contentType: "application/json",
			body:   func(t testing.TB) string { return "[" + jsonOf(t, ev("x-1", "e1")) + ", garbage]" },
			status: 400, msg: "not a readable JSON array",
		},
		{
			name: "truncated object", token: envToken, contentType: "application/json",
			body:   func(t testing.TB) string { s := jsonOf(t, ev("x-1", "e1")); return s[:len(s)-5] },
			status: 400, msg: "truncated",
		},
		{
			name: "two objects declared as one JSON value", token: envToken, contentType: "application/json",
			body:   func(t testing.TB) string { return ndjson(t, ev("x-1", "e1"), ev("x-1", "e2")) },
			status: 400, msg: "more than one JSON value",
		},
		{
			name: "NDJSON with no JSON line", token: envToken, contentType: "application/x-ndjson",
			body:   func(testing.TB) string { return "{\n  \"event_id\": \"e1\",\n}\n" },
			status: 400, msg: "no line is valid JSON",
		},
		{
			name: "sniffed body with no JSON line", token: envToken, contentType: "text/plain",
			body:   func(testing.TB) string { return "{nope}\n{nope}" },
			status: 400, msg: "not one readable JSON object",
		},
		{
			name: "empty body", token: envToken, contentType: "application/json",
			body:   func(testing.TB) string { return "" },
			status: 400, msg: "empty",
		},
		{
			name: "blank NDJSON", token: envToken, contentType: "application/x-ndjson",
			body:   func(testing.TB) string { return "\n  \r\n\n" },
			status: 400, msg: "empty",
		},
		{
			name: "compressed body", token: envToken, contentType: "application/json", method: "gzip",
			body:   func(t testing.TB) string { return jsonOf(t, ev("x-1", "e1")) },
			status: 400, msg: "Content-Encoding",
		},
		{
			name: "GET", token: envToken, method: http.MethodGet,
			body:   func(testing.TB) string { return "" },
			status: 405, msg: "POST",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.tweak)
			var r reply
			switch tc.method {
			case "", http.MethodGet:
				r = e.do(t, cmp.Or(tc.method, http.MethodPost), tc.token, tc.contentType, tc.body(t))
			case "chunked", "gzip":
				r = e.raw(t, tc.method, tc.token, tc.contentType, tc.body(t))
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var we struct{ Error, Field string }
			if err := json.Unmarshal(r.body, &we); err != nil || we.Error == "" {
				t.Fatalf("error body %q: %v", r.body, err)
			}
			if !strings.Contains(we.Error, tc.msg) {
				t.Errorf("error %q does not say %q", we.Error, tc.msg)
			}
			if tc.status == 405 && r.header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow: %q", r.header.Get("Allow"))
			}
			if tc.status == 403 && tc.token == envToken && we.Field != "department" {
				t.Errorf("field %q, want department", we.Field)
			}
			for _, id := range []string{"x-1", "x-2"} {
				if evs := e.events(t, id); len(evs) != 0 {
					t.Errorf("case %s: %d events stored by a refused request", id, len(evs))
				}
			}
			if e.calls.Load() != 0 {
				t.Errorf("OnStored called for a refused request")
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpin.Options) { o.Limits.EventsPerSecondPerToken = 2 })
	batch := func(from int) string {
		evs := make([]any, 10)
		for i := range evs {
			evs[i] = ev(fmt.Sprintf("r-%d", from+i), "e1")
		}
		return jsonOf(t, evs)
	}
	// The bucket holds one second's worth (2): a batch of 10 is taken whole, leaving a debt
	// of 8 events, repaid in 4 s; a request must then wait until the bucket holds 1 again.
	if a := e.post(t, envToken, "", batch(0)).answer(t); a.Accepted != 10 {
		t.Fatalf("first batch: %+v", a)
	}
	r := e.post(t, envToken, "", batch(10))
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", r.status, r.body)
	}
	if got := r.header.Get("Retry-After"); got != "5" { // (8+1)/2 = 4.5 s, rounded up
		t.Errorf("Retry-After %q, want 5", got)
	}
	if evs := e.events(t, "r-10"); len(evs) != 0 {
		t.Errorf("a rate-limited batch was stored")
	}
	// Other tokens have their own bucket.
	if a := e.post(t, supervisorToken, "", jsonOf(t, ev("r-99", "e1"))).answer(t); a.Accepted != 1 {
		t.Errorf("supervisor: %+v", a)
	}
	e.wall.Advance(2 * time.Second) // still 4 in debt
	if r := e.post(t, envToken, "", batch(10)); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "3" {
		t.Errorf("after 2 s: status %d, Retry-After %q; want 429 and 3", r.status, r.header.Get("Retry-After"))
	}
	e.wall.Advance(3 * time.Second)
	if a := e.post(t, envToken, "", batch(10)).answer(t); a.Accepted != 10 {
		t.Errorf("after the debt is repaid: %+v", a)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.post(t, supervisorToken, "application/json", jsonOf(t, []any{
		ev("m-1", "e1"),
		ev("m-1", "e1"), // duplicate
		ev("m-1", "e2", "type", "accepted", "matter", nil),
		ev("m-2", "e1", "department", "transport", "matter", "TRN-ROAD-001"),
		ev("m-3", "e1", "type", "approve"),                                            // unknown type
		ev("m-4", "e1", "department", "finance"),                                      // unknown department
		ev("m-1", "e3", "department", "transport", "matter", nil, "type", "accepted"), // case of env
	})).answer(t)
	const want = `
# HELP duban_events_received_total Events received over POST /api/v1/events, by outcome (accepted, duplicate, rejected); department and type are "unknown" outside the catalogue and the contract.
# TYPE duban_events_received_total counter
duban_events_received_total{department="env",outcome="accepted",type="accepted"} 1
duban_events_received_total{department="env",outcome="accepted",type="submitted"} 1
duban_events_received_total{department="env",outcome="duplicate",type="submitted"} 1
duban_events_received_total{department="env",outcome="rejected",type="unknown"} 1
duban_events_received_total{department="transport",outcome="accepted",type="submitted"} 1
duban_events_received_total{department="transport",outcome="rejected",type="accepted"} 1
duban_events_received_total{department="unknown",outcome="rejected",type="submitted"} 1
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want), "duban_events_received_total"); err != nil {
		t.Error(err)
	}
}

func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.store.Close() // every Redis call now fails
	r := e.post(t, envToken, "application/json", jsonOf(t, []any{ev("u-1", "e1"), ev("u-1", "e2", "type", "bogus")}))
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "accepted\":") || !strings.Contains(string(r.body), "nothing was accepted") {
		t.Errorf("body %s", r.body)
	}
	if e.calls.Load() != 0 {
		t.Errorf("OnStored called although nothing was stored")
	}
	// A batch with nothing to store needs no Redis: its rejections are still answered.
	a := e.post(t, envToken, "application/json", jsonOf(t, ev("u-1", "e2", "type", "bogus"))).answer(t)
	if a.Rejected != 1 {
		t.Errorf("got %+v, want one rejection", a)
	}
}

func TestNewChecksOptions(t *testing.T) {
	t.Parallel()
	cat := func() *monitor.Catalog { return testCatalog() }
	store := rdb.NewWithClient(nil, "x:") // never used: New does no I/O
	tests := []struct {
		name string
		o    httpin.Options
	}{
		{"no store", httpin.Options{Catalog: cat, Clock: clock.Manual(t0)}},
		{"no catalogue", httpin.Options{Store: store, Clock: clock.Manual(t0)}},
		{"no clock", httpin.Options{Store: store, Catalog: cat}},
		{"negative limit", httpin.Options{Store: store, Catalog: cat, Clock: clock.Manual(t0), Limits: httpin.Limits{BatchEvents: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := httpin.New(tc.o); err == nil {
				t.Error("New accepted the options")
			}
		})
	}
	// Two handlers on one registry share the counter instead of failing.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := httpin.New(httpin.Options{Store: store, Catalog: cat, Clock: clock.Manual(t0), Registerer: reg}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDemoAnonymousCannotPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// duban demo: reads need no token, writes still do.
	srv := httptest.NewServer(web.NewAuthenticator(nil, true).Authenticate(e.h))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(jsonOf(t, ev("a-1", "e1"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}
