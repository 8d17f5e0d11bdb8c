package web

import (
	"encoding/json"
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
		if got := csrfMeta(t, page); got != iweb.CSRFToken(tc.secret) || len(got) < 32 {
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

// The token the page carries is the one the API's authenticator asks of a write made with
// the session cookie: with it the write goes through, without it (or with another
// session's) it is refused naming the header and never reaches the handler.
func TestWorkbenchTokenPassesTheAPI(t *testing.T) {
	t.Parallel()
	_, h := newScreen(t, false)
	page := request(h, "GET", "/workbench", "", withCookie("supervisor-secret")).Body.String()
	token := csrfMeta(t, page)
	var reached int
	api := iweb.NewAuthenticator(testTokens, false).Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.WriteHeader(299)
	}))
	for _, tc := range []struct {
		name, header string
		status       int
	}{
		{"the page's token", token, 299},
		{"no token", "", 403},
		{"another session's token", iweb.CSRFToken("viewer-secret"), 403},
		{"the secret itself", "supervisor-secret", 403},
	} {
		before := reached
		w := request(api, "POST", "/api/v1/orders", "", func(r *http.Request) {
			withCookie("supervisor-secret")(r)
			if tc.header != "" {
				r.Header.Set(iweb.CSRFHeader, tc.header)
			}
		})
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, w.Code, tc.status, w.Body)
			continue
		}
		if tc.status == 403 {
			var e struct{ Error, Field string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Field != iweb.CSRFHeader || reached != before {
				t.Errorf("%s: answer %s, reached %v", tc.name, w.Body, reached != before)
			}
		}
	}
}

// A liaison (部门联络员) signs in like a viewer; collector and admin tokens still do not.
func TestSignInRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role iweb.Role
		ok   bool
	}{{iweb.Viewer, true}, {iweb.Liaison, true}, {iweb.Supervisor, true}, {iweb.Collector, false}, {iweb.Admin, false}} {
		if got := browserRole(tc.role); got != tc.ok {
			t.Errorf("%v: %v, want %v", tc.role, got, tc.ok)
		}
	}
}
