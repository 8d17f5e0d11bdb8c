package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	iweb "github.com/duban-gov/duban/internal/web"
)

func token(secret string, role iweb.Role, dept string) iweb.Token {
	return iweb.Token{SHA256: sha256.Sum256([]byte(secret)), Role: role, Department: dept}
}

var testTokens = []iweb.Token{
	token("viewer-secret", iweb.Viewer, ""),
	token("env-screen-secret", iweb.Viewer, "env"),
	token("env-collector-secret", iweb.Collector, "env"),
	token("supervisor-secret", iweb.Supervisor, ""),
	token("admin-secret", iweb.Admin, ""),
	token("env-liaison-secret", iweb.Liaison, "env"),
}

func newScreen(t testing.TB, open bool) (*Screen, http.Handler) {
	t.Helper()
	s, err := New(Options{Auth: iweb.NewAuthenticator(testTokens, open), Open: open,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for pattern, h := range s.Routes() {
		mux.Handle(pattern, h)
	}
	return s, mux
}

// request runs one request through h; setup may change it first (headers, cookies, TLS).
func request(h http.Handler, method, target, form string, setup func(*http.Request)) *httptest.ResponseRecorder {
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	r := httptest.NewRequest(method, target, body)
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if setup != nil {
		setup(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func withCookie(v string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: iweb.SessionCookie, Value: v}) }
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == iweb.SessionCookie {
			return c
		}
	}
	return nil
}

func TestLogin(t *testing.T) {
	t.Parallel()
	_, h := newScreen(t, false)
	for _, tc := range []struct {
		name, form string
		setup      func(*http.Request)
		status     int
		location   string // on success
		secure     bool
		says       string // in the page, on failure
		check      func(*testing.T, *httptest.ResponseRecorder)
	}{
		{name: "viewer token", form: "token=viewer-secret&next=%2F%3Fdepartment%3Denv", status: 303, location: "/?department=env"},
		{name: "spaces around the token", form: "token=++viewer-secret+&next=/", status: 303, location: "/"},
		{name: "department screen token", form: "token=env-screen-secret", status: 303, location: "/"},
		{name: "over TLS the cookie is Secure", form: "token=viewer-secret", status: 303, location: "/", secure: true,
			setup: func(r *http.Request) { r.TLS = &tls.ConnectionState{} }},
		{name: "behind a TLS proxy too", form: "token=viewer-secret", status: 303, location: "/", secure: true,
			setup: func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }},
		{name: "same-origin form", form: "token=viewer-secret", status: 303, location: "/",
			setup: func(r *http.Request) { r.Header.Set("Origin", "http://example.com") }},
		{name: "no open redirect", form: "token=viewer-secret&next=//evil.example/x", status: 303, location: "/"},
		{name: "no open redirect by scheme", form: "token=viewer-secret&next=https://evil.example/", status: 303, location: "/"},
		{name: "unknown token", form: "token=wrong", status: 401, says: "令牌无效"},
		{name: "empty token", form: "token=", status: 401, says: "请输入令牌"},
		{name: "liaison token", form: "token=env-liaison-secret&next=/workbench", status: 303, location: "/workbench"},
		{name: "collector token refused", form: "token=env-collector-secret", status: 401, says: "采集和管理令牌"},
		{name: "supervisor token accepted", form: "token=supervisor-secret", status: 303, location: "/",
			check: func(t *testing.T, w *httptest.ResponseRecorder) {
				for _, c := range w.Result().Cookies() {
					if c.Name == iweb.CSRFCookie && c.Value == iweb.CSRFToken("supervisor-secret") && !c.HttpOnly {
						return
					}
				}
				t.Errorf("no CSRF cookie for a supervisor's session: %v", w.Result().Cookies())
			}},
		{name: "admin token refused", form: "token=admin-secret", status: 401, says: "采集和管理令牌"},
		{name: "cross-site form", form: "token=viewer-secret", status: 403,
			setup: func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := request(h, "POST", "http://example.com/login", tc.form, tc.setup)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			c := sessionCookie(t, w)
			if tc.status != 303 {
				if c != nil {
					t.Errorf("a refused login set a cookie: %v", c)
				}
				if !strings.Contains(w.Body.String(), tc.says) {
					t.Errorf("page lacks %q:\n%s", tc.says, w.Body)
				}
				return
			}
			if loc := w.Header().Get("Location"); loc != tc.location {
				t.Errorf("Location %q, want %q", loc, tc.location)
			}
			if tc.check != nil {
				tc.check(t, w)
			}
			if c == nil {
				t.Fatal("no session cookie")
			}
			want := strings.TrimSpace(strings.SplitN(strings.SplitN(tc.form, "&", 2)[0], "=", 2)[1])
			want = strings.Trim(strings.ReplaceAll(want, "+", " "), " ")
			if c.Value != want || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" ||
				c.Secure != tc.secure || c.MaxAge < 30*24*3600 {
				t.Errorf("cookie %+v: want the token, HttpOnly, SameSite=Strict, Path=/, Secure=%v, kept for weeks", c, tc.secure)
			}
			raw := w.Header().Get("Set-Cookie")
			for _, attr := range []string{"HttpOnly", "SameSite=Strict"} {
				if !strings.Contains(raw, attr) {
					t.Errorf("Set-Cookie %q lacks %s", raw, attr)
				}
			}
		})
	}
}

func TestLoginFormAndLogout(t *testing.T) {
	t.Parallel()
	_, h := newScreen(t, false)
	w := request(h, "GET", "/login?next=%2F%3Fcase%3DA", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="next" value="/?case=A"`) ||
		!strings.Contains(w.Body.String(), `type="password"`) {
		t.Errorf("login form: %d\n%s", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login form Cache-Control %q", cc)
	}
	// Signed in already: straight on.
	w = request(h, "GET", "/login?next=/", "", withCookie("viewer-secret"))
	if w.Code != 303 || w.Header().Get("Location") != "/" {
		t.Errorf("login when signed in: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := request(h, "GET", "/logout", "", withCookie("viewer-secret")); w.Code != 200 ||
		!strings.Contains(w.Body.String(), `action="/logout"`) || sessionCookie(t, w) != nil {
		t.Errorf("GET /logout must only show the form: %d %v", w.Code, w.Header())
	}
	w = request(h, "POST", "/logout", "", withCookie("viewer-secret"))
	c := sessionCookie(t, w)
	if w.Code != 303 || w.Header().Get("Location") != "/login" || c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout: %d %v cookie %+v", w.Code, w.Header(), c)
	}
	if w := request(h, "POST", "/logout", "", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }); w.Code != 403 {
		t.Errorf("cross-site logout: %d", w.Code)
	}
}

func TestPageNeedsASession(t *testing.T) {
	t.Parallel()
	_, h := newScreen(t, false)
	for _, tc := range []struct {
		name, target, cookie string
		status               int
		location             string
		cleared              bool
		dept                 string
	}{
		{name: "no session", target: "/", status: 303, location: "/login"},
		{name: "no session keeps the query", target: "/?department=env&case=A", status: 303,
			location: "/login?next=" + url.QueryEscape("/?department=env&case=A")},
		{name: "revoked token", target: "/", cookie: "gone", status: 303, location: "/login", cleared: true},
		{name: "collector token in the cookie", target: "/", cookie: "env-collector-secret", status: 303, location: "/login", cleared: true},
		{name: "viewer", target: "/", cookie: "viewer-secret", status: 200},
		{name: "department screen", target: "/?department=transport", cookie: "env-screen-secret", status: 200, dept: "env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var setup func(*http.Request)
			if tc.cookie != "" {
				setup = withCookie(tc.cookie)
			}
			w := request(h, "GET", tc.target, "", setup)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.location != "" && w.Header().Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", w.Header().Get("Location"), tc.location)
			}
			if c := sessionCookie(t, w); tc.cleared != (c != nil && c.MaxAge < 0) {
				t.Errorf("cookie cleared: %v, want %v", c, tc.cleared)
			}
			if tc.status != 200 {
				return
			}
			body := w.Body.String()
			if want := `<meta name="duban-department" content="` + tc.dept + `">`; !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
			hd := w.Header()
			if hd.Get("Content-Type") != "text/html; charset=utf-8" || hd.Get("Cache-Control") != "no-store" ||
				!strings.Contains(hd.Get("Content-Security-Policy"), "default-src 'self'") || hd.Get("X-Frame-Options") != "DENY" {
				t.Errorf("page headers %v", hd)
			}
		})
	}
}

func TestOpenModeNeedsNoSession(t *testing.T) {
	t.Parallel()
	_, h := newScreen(t, true)
	if w := request(h, "GET", "/", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `content=""`) {
		t.Errorf("demo page: %d", w.Code)
	}
	// A session still scopes the page.
	if w := request(h, "GET", "/", "", withCookie("env-screen-secret")); !strings.Contains(w.Body.String(), `content="env"`) {
		t.Errorf("demo page with a department session:\n%s", w.Body)
	}
}

func TestSessionHookAndAPICookie(t *testing.T) {
	t.Parallel()
	s, _ := newScreen(t, false)
	r := httptest.NewRequest("GET", "/ws", nil)
	if _, ok := s.Session(r); ok {
		t.Error("a request without a cookie has a session")
	}
	r.AddCookie(&http.Cookie{Name: iweb.SessionCookie, Value: "env-screen-secret"})
	if p, ok := s.Session(r); !ok || p.Role != iweb.Viewer || p.Department != "env" {
		t.Errorf("session %+v %v", p, ok)
	}
	r = httptest.NewRequest("GET", "/ws", nil)
	r.AddCookie(&http.Cookie{Name: iweb.SessionCookie, Value: "admin-secret"})
	if _, ok := s.Session(r); ok {
		t.Error("an admin token in the cookie is a browser session")
	}
	r = httptest.NewRequest("GET", "/ws", nil)
	r.AddCookie(&http.Cookie{Name: iweb.SessionCookie, Value: "supervisor-secret"})
	if p, ok := s.Session(r); !ok || p.Role != iweb.Supervisor {
		t.Errorf("a supervisor's session: %+v %v", p, ok)
	}
	r = httptest.NewRequest("GET", "/ws", nil)
	r.AddCookie(&http.Cookie{Name: iweb.SessionCookie, Value: "env-collector-secret"})
	if _, ok := s.Session(r); ok {
		t.Error("a collector token in the cookie is a browser session")
	}
	// The API's authenticator reads the same cookie (iweb.BearerToken), so the page's reads
	// need nothing else.
	var got iweb.Principal
	h := iweb.NewAuthenticator(testTokens, false).Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = iweb.PrincipalOf(r.Context())
	}))
	w := request(h, "GET", "/api/v1/overview", "", withCookie("viewer-secret"))
	if w.Code != 200 || got.Role != iweb.Viewer {
		t.Errorf("API with the session cookie: %d %+v", w.Code, got)
	}
	// A write with the session cookie needs the session's CSRF token; a bearer token does not.
	got = iweb.Principal{}
	w = request(h, "POST", "/api/v1/orders", "{}", withCookie("supervisor-secret"))
	if w.Code != 403 || got.Role != 0 || !strings.Contains(w.Body.String(), iweb.CSRFHeader) {
		t.Errorf("a cookie write without the CSRF token: %d %s", w.Code, w.Body)
	}
	w = request(h, "POST", "/api/v1/orders", "{}", func(r *http.Request) {
		withCookie("supervisor-secret")(r)
		r.Header.Set(iweb.CSRFHeader, iweb.CSRFToken("viewer-secret"))
	})
	if w.Code != 403 {
		t.Errorf("a cookie write with another session's CSRF token: %d", w.Code)
	}
	w = request(h, "POST", "/api/v1/orders", "{}", func(r *http.Request) {
		withCookie("supervisor-secret")(r)
		r.Header.Set(iweb.CSRFHeader, iweb.CSRFToken("supervisor-secret"))
	})
	if w.Code != 200 || got.Role != iweb.Supervisor {
		t.Errorf("a cookie write with its CSRF token: %d %+v", w.Code, got)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	s, h := newScreen(t, false)
	v := s.assets.digest
	for _, tc := range []struct {
		path, ctype, cache string
		status             int
	}{
		{"/assets/app.js?v=" + v, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{"/assets/screen.css?v=" + v, "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{"/assets/favicon.svg?v=" + v, "image/svg+xml", "public, max-age=31536000, immutable", 200},
		{"/assets/fonts/noto-sans-sc-regular.woff2", "font/woff2", "no-cache", 200}, // named by screen.css
		{"/assets/fonts/noto-sans-sc-bold.woff2", "font/woff2", "no-cache", 200},
		{"/assets/fonts/OFL.txt", "text/plain; charset=utf-8", "no-cache", 200},     // the font's licence
		{"/assets/live.js", "text/javascript; charset=utf-8", "no-cache", 200},      // a module import
		{"/assets/app.js?v=old", "text/javascript; charset=utf-8", "no-cache", 200}, // an older page
		{"/assets/index.html", "", "", 404},                                         // templates are not files
		{"/assets/nope.js", "", "", 404},
		{"/assets/../screen.go", "", "", 307}, // the mux cleans the path: /screen.go, not found
	} {
		w := request(h, "GET", tc.path, "", nil) // assets need no session: the login page uses them
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, w.Code, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		hd := w.Header()
		if hd.Get("Content-Type") != tc.ctype || hd.Get("Cache-Control") != tc.cache ||
			hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("ETag") == "" || w.Body.Len() == 0 {
			t.Errorf("%s: headers %v, %d bytes", tc.path, hd, w.Body.Len())
		}
		// Revalidation.
		etag := hd.Get("ETag")
		if w := request(h, "GET", tc.path, "", func(r *http.Request) { r.Header.Set("If-None-Match", etag) }); w.Code != 304 || w.Body.Len() != 0 {
			t.Errorf("%s with If-None-Match: %d", tc.path, w.Code)
		}
	}
}

// Every asset the pages name, and every module the scripts import, is embedded: a renamed
// file fails here, not on the wall.
func TestAssetReferencesResolve(t *testing.T) {
	t.Parallel()
	s, h := newScreen(t, true)
	page := request(h, "GET", "/", "", nil).Body.String()
	login := request(h, "GET", "/login", "", nil).Body.String()
	login += request(h, "GET", "/workbench", "", withCookie("supervisor-secret")).Body.String()
	refs := regexp.MustCompile(`/assets/([a-z0-9_.-]+)\?v=([0-9a-f]+)`)
	n := 0
	for _, m := range refs.FindAllStringSubmatch(page+login, -1) {
		n++
		if _, ok := s.assets.files[m[1]]; !ok || m[2] != s.assets.digest {
			t.Errorf("page names %s?v=%s; embedded: %v, digest %s", m[1], m[2], ok, s.assets.digest)
		}
	}
	if n < 4 {
		t.Errorf("only %d asset references in the pages", n)
	}
	imports := regexp.MustCompile(`(?m)^\s*(?:import|export)[^'"]*from\s+'\./([a-z0-9_.-]+)'`)
	for name, a := range s.assets.files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imports.FindAllStringSubmatch(string(a.body), -1) {
			if _, ok := s.assets.files[m[1]]; !ok {
				t.Errorf("%s imports ./%s, which is not embedded", name, m[1])
			}
		}
	}
	// The stylesheet's url()s: the shipped font, both weights, each a WOFF2 file.
	fonts := 0
	for _, m := range regexp.MustCompile(`url\("([^"]+)"\)`).FindAllStringSubmatch(string(s.assets.files["screen.css"].body), -1) {
		a, ok := s.assets.files[m[1]]
		if !ok {
			t.Errorf("screen.css names %s, which is not embedded", m[1])
			continue
		}
		if strings.HasSuffix(m[1], ".woff2") {
			fonts++
			if !bytes.HasPrefix(a.body, []byte("wOF2")) {
				t.Errorf("%s is not a WOFF2 file", m[1])
			}
		}
	}
	if fonts != 2 {
		t.Errorf("screen.css names %d font files, want 2 (regular and bold)", fonts)
	}
}

// The shipped font is cut to a character list (fonts/chars.txt, written by fonts/build.sh):
// every character of the screen's own text and of the text the server sends it — alert
// messages, timeline notes, calendar and demo district names, all from the repository's
// non-test sources — must be in it, or a machine without a Chinese font shows a box. A new
// string with a new character fails here until build.sh is run again.
func TestShippedFontCoversTheText(t *testing.T) {
	t.Parallel()
	list, err := os.ReadFile("fonts/chars.txt")
	if err != nil {
		t.Fatal(err)
	}
	have := map[rune]bool{}
	for _, r := range string(list) {
		have[r] = true
	}
	for _, r := range "监察红牌黄牌预警办件已超期个工作日区生态环境局" {
		if !have[r] {
			t.Fatalf("chars.txt lacks %q: not the screen's list", r)
		}
	}
	missing := map[rune][]string{}
	files := 0
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != "../.." || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".js", ".html", ".css", ".yaml":
		default:
			return nil
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, r := range string(b) {
			if r >= 0x80 && !have[r] {
				missing[r] = append(missing[r], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d source files scanned: not the repository", files)
	}
	for r, where := range missing {
		t.Errorf("%q (U+%04X) is not in the shipped font (run dashboards/web/fonts/build.sh): %s", r, r, strings.Join(where, ", "))
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                      "/",
		"/":                     "/",
		"/?department=env":      "/?department=env",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"relative":              "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
