package web

import (
	"net/http"
	"net/url"
	"strings"

	iweb "github.com/duban-gov/duban/internal/web"
)

// The session cookie holds the viewer token itself, as typed at /login (iweb.SessionCookie,
// read by iweb.BearerToken, so the API and /ws accept it with no other change). Why the
// token and not a signed session id: the token is already a secret the bureau issued for
// this screen, replicas are stateless and share no signing key or session store
// (docs/architecture.md, invariant 6), and revoking the token in the configuration ends every session
// made with it at once. The cookie is HttpOnly (no script reads it), SameSite=Strict (no
// other site's page can make the browser send it) and Secure when the request came over TLS.

// maxTokenBytes bounds what /login reads of a token.
const maxTokenBytes = 512

// session resolves the request's session cookie. stale reports a cookie that no longer
// resolves to a viewer (a revoked token), which the caller clears.
func (s *Screen) session(r *http.Request) (p iweb.Principal, ok, stale bool) {
	c, err := r.Cookie(iweb.SessionCookie)
	if err != nil || c.Value == "" {
		return p, false, false
	}
	p, ok = s.resolveViewer(c.Value)
	return p, ok, !ok
}

// Session is the hook the live feed (/ws) uses to accept a browser's session: the principal
// of the request's session cookie, if it names a viewer token.
func (s *Screen) Session(r *http.Request) (iweb.Principal, bool) {
	p, ok, _ := s.session(r)
	return p, ok
}

// resolveViewer resolves a token for a browser session: viewer, liaison and supervisor
// tokens (a supervisor reviews supervision orders, a liaison replies, from the browser). A
// collector token is a department system's credential, and an admin's must not sit in a
// browser. Writes made with a session need its CSRF token (iweb.CSRFToken), which a page
// on another site cannot read.
func (s *Screen) resolveViewer(token string) (iweb.Principal, bool) {
	p, ok := s.o.Auth.Resolve(token)
	if !ok || !browserRole(p.Role) {
		return iweb.Principal{}, false
	}
	return p, true
}

func browserRole(r iweb.Role) bool {
	return r == iweb.Viewer || r == iweb.Liaison || r == iweb.Supervisor
}

// loginData is what login.html is rendered with.
type loginData struct {
	Next  string
	Error string
	V     string
}

func (s *Screen) loginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, ok, _ := s.session(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, s.login, loginData{Next: next, V: s.assets.digest})
}

// loginSubmit checks the token typed in the form and, if it is a viewer token, keeps it in
// the session cookie and goes on to the page asked for.
func (s *Screen) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site form", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := localPath(r.PostForm.Get("next"))
	token := strings.TrimSpace(r.PostForm.Get("token"))
	fail := func(msg string) {
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, s.login, loginData{Next: next, Error: msg, V: s.assets.digest})
	}
	switch {
	case token == "":
		fail("请输入令牌。")
		return
	case len(token) > maxTokenBytes || !cookieSafe(token):
		fail("令牌无效。")
		return
	}
	p, ok := s.o.Auth.Resolve(token)
	switch {
	case !ok:
		s.o.Logger.Info("login_refused", "reason", "unknown_token", "remote", r.RemoteAddr)
		fail("令牌无效，请核对后重新输入。")
		return
	case !browserRole(p.Role):
		s.o.Logger.Info("login_refused", "reason", "role", "who", p.Name)
		fail("浏览器只接受查看令牌、部门联络员令牌和督办令牌；采集和管理令牌不能保存在浏览器中。")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: iweb.SessionCookie, Value: token, Path: "/",
		MaxAge: int(s.o.SessionMaxAge.Seconds()), HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteStrictMode,
	})
	if p.Role != iweb.Viewer {
		// The session's CSRF token, readable by this site's pages (not HttpOnly), which send
		// it back as X-CSRF-Token with every write (double submit). A viewer writes nothing.
		http.SetCookie(w, &http.Cookie{
			Name: iweb.CSRFCookie, Value: iweb.CSRFToken(token), Path: "/",
			MaxAge: int(s.o.SessionMaxAge.Seconds()), Secure: isTLS(r), SameSite: http.SameSiteStrictMode,
		})
	}
	s.o.Logger.Info("login", "who", p.Name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Screen) logoutForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, s.logout, loginData{V: s.assets.digest})
}

// logoutSubmit clears the session. It is a POST (the form at GET /logout), so a link on
// another site cannot sign a wall screen out.
func (s *Screen) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site form", http.StatusForbidden)
		return
	}
	clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: iweb.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteStrictMode,
	})
}

// isTLS: the request reached us over TLS, or through a TLS-terminating proxy that says so.
// A forged header can only make the cookie Secure, which costs the forger their session.
func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sameOrigin refuses a form posted from another site (login CSRF: signing a screen in with
// someone else's token). Browsers send Origin on every cross-site POST, so a request
// without one is not a browser led by another site's page (curl, a test client).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// cookieSafe reports whether token can be a cookie value unchanged (RFC 6265 cookie-octet),
// so the browser sends back exactly what was typed.
func cookieSafe(token string) bool {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}
