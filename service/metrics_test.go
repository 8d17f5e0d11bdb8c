package service

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/duban-gov/duban/internal/config"
)

func TestMetricsToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := config.HashToken("scrape-secret")
	for _, c := range []struct {
		name   string
		guard  *config.Hash
		header string
		want   int
	}{
		{"open by default", nil, "", 200},
		{"token required", &h, "", 401},
		{"wrong token", &h, "Bearer nope", 401},
		{"right token", &h, "Bearer scrape-secret", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			rec := httptest.NewRecorder()
			metricsGuard(c.guard, ok).ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Errorf("status %d, want %d", rec.Code, c.want)
			}
		})
	}
}
