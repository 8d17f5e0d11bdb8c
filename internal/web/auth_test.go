package web_test

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/web"
)

func TestTokensOnlyWhereTheyBelong(t *testing.T) {
	auth := web.NewAuthenticator([]web.Token{{SHA256: sha256.Sum256([]byte("viewer-secret")), Role: web.Viewer}}, false)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := web.PrincipalOf(r.Context())
		w.Write([]byte(p.Role.String()))
	})
	for _, c := range []struct {
		name   string
		ws     bool
		url    string
		header string
		cookie string
		status int
		says   string
	}{
		{name: "header", url: "/api/v1/cases", header: "Bearer viewer-secret", status: 200},
		{name: "session cookie", url: "/api/v1/cases", cookie: "viewer-secret", status: 200},
		{name: "token in the URL of the API", url: "/api/v1/cases?token=viewer-secret", status: 401, says: "accepted on /ws only"},
		{name: "token in the URL of a write", url: "/api/v1/events?token=viewer-secret", status: 401, says: "Authorization: Bearer"},
		{name: "token in the URL of /ws", ws: true, url: "/ws?token=viewer-secret", status: 200},
		{name: "header wins on /ws", ws: true, url: "/ws?token=wrong", header: "Bearer viewer-secret", status: 200},
		{name: "unknown token in the URL of /ws", ws: true, url: "/ws?token=wrong", status: 401},
		{name: "none", url: "/api/v1/cases", status: 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", c.url, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			if c.cookie != "" {
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: c.cookie})
			}
			h := auth.Authenticate(ok)
			if c.ws {
				h = auth.AuthenticateWS(ok)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.url, rec.Code, rec.Body, c.status, c.says)
			}
		})
	}
}
