package service

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duban-gov/duban/api"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/openapitest"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
)

// sampleParams fill the path templates of docs/openapi.yaml with values the server's
// patterns must route.
var sampleParams = strings.NewReplacer(
	"{case_id}", "env-2026-000123",
	"{alert_id}", "env-2026-000123~promise_overdue:2026-03-16",
	"{month}", "2026-03",
	"{year}", "2026",
	"{subscription_id}", "sub-0123456789abcdef",
	"{file}", "screen.js",
	"{order_id}", "DB-2026-000001",
	"{quarter}", "2026-Q4",
)

// notFoundPattern is the API's catch-all: every other path under /api/ is a JSON 404.
// routesConfig is enough configuration for every route to be registered.
const routesConfig = `
catalog:
  departments: [{ code: env, name: 区生态环境局 }]
  matters: [{ code: ENV-EIA-001, name: 建设项目环境影响报告表审批, department: env, statutory_days: 20, promised_days: 10 }]
auth:
  tokens: [{ token: admin-secret, role: admin }]
`

const notFoundPattern = "/api/"

// TestOpenAPIDescribesEveryRoute builds the service as `duban serve` does and compares the
// routes it registers with docs/openapi.yaml, both ways: every documented operation reaches
// a registered route (not the catch-all 404), and every registered route is reached by a
// documented operation. Request and answer bodies are checked by the end-to-end tests,
// whose servers run behind openapitest.Middleware.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	url, prefix := testredis.New(t)
	path := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(path, []byte(routesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": prefix}
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := New(ctx, Options{Config: cfg, Store: store, Clock: clock.Real(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a, ok := svc.handler.(*api.API)
	if !ok {
		t.Fatalf("the service's handler is a %T, not the API", svc.handler)
	}
	routes := a.Routes()
	for _, want := range []string{"GET /api/v1/cases", "GET /ws", "GET /metrics", "POST /login", "/api/v1/subscriptions"} {
		if !slices.Contains(routes, want) {
			t.Fatalf("Routes() lacks %q: %v", want, routes)
		}
	}

	// The server's own patterns, on a mux of their own, say where a request would go.
	mux := http.NewServeMux()
	for _, p := range routes {
		mux.Handle(p, http.NotFoundHandler())
	}
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	reached := map[string]bool{}
	for _, op := range openapitest.Operations(doc) {
		req := httptest.NewRequest(op.Method, sampleParams.Replace(op.Path), nil)
		_, pattern := mux.Handler(req)
		switch pattern {
		case "":
			t.Errorf("docs/openapi.yaml has %s %s, which the server does not route", op.Method, op.Path)
		case notFoundPattern:
			t.Errorf("docs/openapi.yaml has %s %s, which only reaches the server's catch-all 404", op.Method, op.Path)
		default:
			reached[pattern] = true
		}
	}
	for _, p := range routes {
		if !reached[p] && p != notFoundPattern {
			t.Errorf("the server registers %q, which no operation of docs/openapi.yaml reaches", p)
		}
	}
}
