package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// Every answer carries nosniff and the frame ban; pages carry the content security policy;
// the printable ranking allows its one inline style and nothing else inline.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url, prefix, "2026-03-20T10:00:00+08:00", "")
	for _, path := range []string{"/api/v1/cases", "/api/v1/nope", "/api/v1/rankings/2026-02.html", "/login", "/healthz"} {
		req, _ := http.NewRequest("GET", in.Base+path, nil)
		req.Header.Set("Authorization", "Bearer supervisor-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s (%d): nosniff %q, CSP %q, X-Frame-Options %q", path, resp.StatusCode, h.Get("X-Content-Type-Options"), csp, h.Get("X-Frame-Options"))
		}
		if strings.HasSuffix(path, ".html") && (resp.StatusCode != 200 || !strings.Contains(csp, "style-src 'self' 'sha256-")) {
			t.Errorf("the ranking page's CSP does not allow its inline style: %q", csp)
		}
	}
}
