// Package web serves the wall screen (监察大屏): the page at /, its embedded assets under
// /assets/, and the sign-in at /login and /logout that keeps a viewer's, liaison's or
// supervisor's token in an HttpOnly cookie; and the 督办工作台 at /workbench (workbench.go),
// whose writes carry the session's CSRF token. The pages themselves read
// /api/v1 and /ws with that cookie; this package only serves files and manages the session.
// See docs/screen.md and docs/supervision.md.
package web

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	iweb "github.com/duban-gov/duban/internal/web"
)

// Options configure the screen.
type Options struct {
	// Auth resolves the tokens typed at /login and the session cookie. Required.
	Auth *iweb.Authenticator
	// Open is demo mode: reads need no token, so / never redirects to /login (a signed-in
	// session still scopes the page to its department).
	Open bool
	// SessionMaxAge is how long the browser keeps the session cookie; zero means 180 days,
	// so a wall screen survives weeks of reboots without someone typing the token again.
	SessionMaxAge time.Duration
	Logger        *slog.Logger
}

// Screen serves the wall screen.
type Screen struct {
	o      Options
	assets *assetSet
	index  *template.Template
	login  *template.Template
	logout *template.Template
	bench  *template.Template
}

// New validates options and loads the embedded assets.
func New(o Options) (*Screen, error) {
	if o.Auth == nil {
		return nil, errors.New("screen: an authenticator is required")
	}
	if o.SessionMaxAge <= 0 {
		o.SessionMaxAge = 180 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "screen")
	set, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Screen{o: o, assets: set}
	for _, t := range []struct {
		dst  **template.Template
		name string
	}{{&s.index, "index.html"}, {&s.login, "login.html"}, {&s.logout, "logout.html"}, {&s.bench, "workbench.html"}} {
		if *t.dst, err = template.ParseFS(assetFS, "assets/"+t.name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Routes are the screen's handlers by http.ServeMux pattern, to mount beside the API.
func (s *Screen) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /{$}":       http.HandlerFunc(s.page),
		"GET /login":     http.HandlerFunc(s.loginForm),
		"POST /login":    http.HandlerFunc(s.loginSubmit),
		"GET /logout":    http.HandlerFunc(s.logoutForm),
		"POST /logout":   http.HandlerFunc(s.logoutSubmit),
		"GET /workbench": http.HandlerFunc(s.workbench),
		"GET /assets/":   http.HandlerFunc(s.asset),
	}
}

// pageData is what index.html is rendered with.
type pageData struct {
	// Department is the one department the session may see, or "" (the page then follows
	// ?department= itself).
	Department string
	// Who names the session for the footer ("" in demo mode without a session).
	Who string
	// Role is the session's role ("" without one): a supervisor's case view links to the
	// workbench's form that opens an order on the case.
	Role string
	// V is the assets' digest, appended to their URLs so a new build is fetched at once
	// and an unchanged one comes from the browser's cache.
	V string
}

// page serves / : the screen for a signed-in session (or anyone in demo mode), else a
// redirect to /login that comes back here, query and all.
func (s *Screen) page(w http.ResponseWriter, r *http.Request) {
	p, ok, stale := s.session(r)
	if stale {
		clearSession(w, r)
	}
	if !ok && !s.o.Open {
		target := "/login"
		if r.URL.RawQuery != "" {
			target += "?next=" + url.QueryEscape("/?"+r.URL.RawQuery)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	d := pageData{V: s.assets.digest}
	if ok {
		d.Department, d.Who, d.Role = p.Department, p.Name, p.Role.String()
	}
	s.render(w, s.index, d)
}

// render executes a page template into a buffer first, so a failure is a clean 500.
func (s *Screen) render(w http.ResponseWriter, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.o.Logger.Error("render_failed", "template", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w.Header())
	_, _ = w.Write(buf.Bytes())
}

// pageHeaders: pages carry the session's department and are never cached; scripts and
// connections stay on this origin (the supervision network is offline anyway, and a
// script from elsewhere must not read the figures).
func pageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin") // "no-referrer" would make forms send Origin: null
	h.Set("Content-Security-Policy", iweb.ContentSecurityPolicy)
}

// localPath returns next when it is a path on this site, else "/": the login form must not
// become an open redirect.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
