package openapitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestDocumentLoadsAndValidates: docs/openapi.yaml is valid OpenAPI 3.1 and describes the
// API's parts.
func TestDocumentLoadsAndValidates(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi: %s, want 3.1", doc.OpenAPI)
	}
	ops := Operations(doc)
	for _, want := range []Operation{{"POST", "/api/v1/events"}, {"GET", "/api/v1/cases/{case_id}"},
		{"GET", "/healthz"}, {"GET", "/ws"}, {"POST", "/login"}} {
		if !slices.Contains(ops, want) {
			t.Errorf("no operation %s %s", want.Method, want.Path)
		}
	}
	for _, name := range []string{"Error", "Case", "Alert", "Event"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("no schema %s", name)
		}
	}
	if len(doc.Webhooks) == 0 {
		t.Error("no webhooks: the outbound alert POST is not described")
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Scheme != "bearer" {
		t.Errorf("no bearer security scheme: %+v", s)
	}
}

// TestCheck: the validator passes an answer the document describes and catches one it does
// not, an undocumented status, an undocumented route that answered, and a request the
// document calls invalid that was taken.
func TestCheck(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	answerAs := func(ctype string, status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	answer := func(status int, body string) http.Handler {
		return answerAs("application/json; charset=utf-8", status, body)
	}
	for _, c := range []struct {
		name, method, path string
		h                  http.Handler
		wantErr            string // "" for none
	}{
		{"documented", "GET", "/healthz", answer(200, `{"status":"ok"}`), ""},
		{"error body", "GET", "/api/v1/cases?limit=0", answer(400, `{"error":"must be an integer from 1 to 500","field":"limit"}`), ""},
		{"wrong body", "GET", "/healthz", answer(200, `{"status":"fine"}`), "does not describe"},
		{"error without error", "GET", "/api/v1/cases/x", answer(404, `{"message":"no"}`), "does not describe"},
		{"undocumented status", "GET", "/api/v1/trend", answer(418, `{"error":"teapot"}`), "does not describe"},
		{"undocumented route answered", "GET", "/api/v1/nowhere", answer(200, `{}`), "not in docs/openapi.yaml"},
		{"undocumented route refused", "GET", "/api/v1/nowhere", answer(404, `{"error":"no"}`), ""},
		{"invalid request taken", "GET", "/api/v1/trend?days=0", answer(200, `[]`), "calls invalid"},
		{"csv by suffix", "GET", "/api/v1/rankings/2026-03.csv", answerAs("text/csv; charset=utf-8", 200, "\ufeff部门\n"), ""},
		{"json for csv", "GET", "/api/v1/rankings/2026-03.csv", answer(200, `{}`), "does not describe"},
		{"encoded id", "GET", "/api/v1/alerts/a%2Fb~late_report:e1", answer(404, `{"error":"no","field":"id"}`), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, nil)
			req.Header.Set("Authorization", "Bearer x")
			_, err := v.Record(c.h, req)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("unexpected: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("got %v, want an error with %q", err, c.wantErr)
			}
		})
	}
}

// recordingTB is a testing.TB whose failures and cleanups are kept, to test Middleware's
// reporting.
type recordingTB struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

// TestMiddlewareReportsAtCleanup: an answer the document does not describe passes through
// to the client unchanged and fails the test when its cleanups run.
func TestMiddlewareReportsAtCleanup(t *testing.T) {
	tb := &recordingTB{TB: t}
	h := Middleware(tb)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"fine"}`))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `{"status":"fine"}` || resp.StatusCode != 200 {
			t.Errorf("%s: the client got %d %s", path, resp.StatusCode, b)
		}
	}
	if len(tb.errs) != 0 {
		t.Fatalf("reported before cleanup: %v", tb.errs)
	}
	for _, f := range tb.cleanups {
		f()
	}
	if all := strings.Join(tb.errs, "\n"); len(tb.errs) != 2 || !strings.Contains(all, "GET /healthz answered 200") ||
		!strings.Contains(all, "GET /readyz answered 200") {
		t.Errorf("reports: %q", tb.errs)
	}
}
