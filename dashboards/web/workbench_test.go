package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	iweb "github.com/duban-gov/duban/internal/web"
)

// csrfMeta reads the CSRF token a page carries.
func csrfMeta(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no csrf-token meta:\n%s", page)
	}
	return m[1]
}

func TestWorkbenchPage(t *testing.T) {
	t.Parallel()
	for _, open := range []bool{false, true} {
		_, h := newScreen(t, open)
		// Without a session, even in demo mode, the workbench sends the browser to sign in
		// and back, query and all.
		w := request(h, "GET", "/workbench?alert=env%2FA%2Fpromise_overdue", "", nil)
		if w.Code != 303 || w.Header().Get("Location") != "/login?next=%2Fworkbench%3Falert%3Denv%252FA%252Fpromise_overdue" {
			t.Errorf("open=%v: no session: %d %q", open, w.Code, w.Header().Get("Location"))
		}
		// A revoked token's cookie is cleared.
		w = request(h, "GET", "/workbench", "", withCookie("revoked"))
		if c := sessionCookie(t, w); w.Code != 303 || c == nil || c.MaxAge >= 0 {
			t.Errorf("open=%v: stale cookie: %d %v", open, w.Code, c)
		}
	}
	_, h := newScreen(t, false)
	for _, tc := range []struct{ secret, role, dept string }{
		{"supervisor-secret", "supervisor", ""},
		{"env-screen-secret", "viewer", "env"},
		{"env-liaison-secret", "liaison", "env"},
	} {
		w := request(h, "GET", "/workbench", "", withCookie(tc.secret))
		if w.Code != 200 {
			t.Fatalf("%s: %d", tc.secret, w.Code)
		}
		page := w.Body.String()
		for _, want := range []string{
			`<meta name="duban-role" content="` + tc.role + `">`,
			`<meta name="duban-department" content="` + tc.dept + `">`,
			"督办工作台", "/assets/workbench.js?v=",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", tc.secret, want)
			}
		}
		if got := csrfMeta(t, page); got != csrfToken(tc.secret) || len(got) < 40 {
			t.Errorf("%s: csrf %q, want the session's", tc.secret, got)
		}
		hd := w.Header()
		if hd.Get("Cache-Control") != "no-store" || hd.Get("Content-Security-Policy") != iweb.ContentSecurityPolicy {
			t.Errorf("%s: headers %v", tc.secret, hd)
		}
		// No inline script: the policy allows none.
		if regexp.MustCompile(`<script[^>]*>[^<]`).MatchString(page) || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
			t.Errorf("%s: the page has inline script", tc.secret)
		}
	}
	// The wall screen tells the page the session's role (a supervisor's case view links
	// to the form that opens an order).
	if page := request(h, "GET", "/", "", withCookie("supervisor-secret")).Body.String(); !strings.Contains(page, `<meta name="duban-role" content="supervisor">`) {
		t.Error("the wall screen does not carry the session's role")
	}
}

func TestCSRFTokens(t *testing.T) {
	t.Parallel()
	a, b := csrfToken("supervisor-secret"), csrfToken("viewer-secret")
	if a == b || a != csrfToken("supervisor-secret") {
		t.Errorf("tokens: %q %q", a, b)
	}
	if strings.Contains(a, "supervisor") {
		t.Error("the CSRF token shows the secret")
	}
}

func TestGuardWrites(t *testing.T) {
	t.Parallel()
	var reached int
	h := GuardWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.WriteHeader(299)
	}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	good := csrfToken("supervisor-secret")
	for _, tc := range []struct {
		name, method, path string
		setup              func(*http.Request)
		status             int
		field              string
	}{
		{name: "a read with the cookie", method: "GET", path: "/api/v1/orders", setup: withCookie("supervisor-secret"), status: 299},
		{name: "a write with the cookie and its token", method: "POST", path: "/api/v1/orders", status: 299, setup: func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			r.Header.Set(CSRFHeader, good)
			r.Header.Set("Origin", "http://example.com")
		}},
		{name: "a write with the cookie, no token", method: "POST", path: "/api/v1/orders/DB-2026-000001/accept", setup: withCookie("supervisor-secret"),
			status: 403, field: CSRFHeader},
		{name: "another session's token", method: "POST", path: "/api/v1/orders", status: 403, field: CSRFHeader, setup: func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			r.Header.Set(CSRFHeader, csrfToken("viewer-secret"))
		}},
		{name: "the secret itself as the token", method: "POST", path: "/api/v1/orders", status: 403, field: CSRFHeader, setup: func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			r.Header.Set(CSRFHeader, "supervisor-secret")
		}},
		{name: "another site's page, even with the token", method: "POST", path: "/api/v1/orders", status: 403, field: "Origin", setup: func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			r.Header.Set(CSRFHeader, good)
			r.Header.Set("Origin", "http://evil.example")
		}},
		{name: "DELETE and PUT too", method: "PUT", path: "/api/v1/calendar/2027", setup: withCookie("supervisor-secret"), status: 403, field: CSRFHeader},
		{name: "a bearer token needs no CSRF token", method: "POST", path: "/api/v1/orders", status: 299, setup: func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			r.Header.Set("Authorization", "Bearer supervisor-secret")
		}},
		{name: "no cookie: the API answers", method: "POST", path: "/api/v1/events", status: 299},
		{name: "the sign-in form checks the origin itself", method: "POST", path: "/login", setup: withCookie("viewer-secret"), status: 299},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached
			w := request(h, tc.method, "http://example.com"+tc.path, "", tc.setup)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 403 {
				var e struct{ Error, Field string }
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Field != tc.field || e.Error == "" {
					t.Errorf("answer %s, want field %q", w.Body, tc.field)
				}
				if reached != before {
					t.Error("a refused write reached the API")
				}
			}
		})
	}
}

// A liaison (部门联络员) signs in like a viewer; collector and admin tokens still do not.
func TestSignInRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role iweb.Role
		ok   bool
	}{{iweb.Viewer, true}, {iweb.Liaison, true}, {iweb.Supervisor, true}, {iweb.Collector, false}, {iweb.Admin, false}} {
		if got := signInRole(tc.role); got != tc.ok {
			t.Errorf("%v: %v, want %v", tc.role, got, tc.ok)
		}
	}
}
