package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	iweb "github.com/duban-gov/duban/internal/web"
)

// CSRF protection of the browser's writes. A signed-in supervisor or liaison acts through
// the API with the session cookie (the 督办工作台's open, accept, return, withdraw and reply),
// so a write that authenticates by the cookie must also carry the session's CSRF token in
// the X-CSRF-Token header. The token is an HMAC of a fixed label keyed by the session's own
// secret (the token in the cookie): every replica computes the same one with no shared key
// or session store, another site's page cannot compute it (it cannot read the cookie), and
// the page learns it only from the HTML this origin serves it (a <meta> element).

// CSRFHeader is the request header that carries the CSRF token.
const CSRFHeader = "X-CSRF-Token"

// csrfLabel is the HMAC's message: a version, so a change of scheme invalidates old pages.
const csrfLabel = "duban csrf v1"

// csrfToken is the CSRF token of a session whose cookie holds secret.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// unsafeMethod: the methods that change something.
func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// GuardWrites wraps the service's handler: a write under /api/ that authenticates by the
// session cookie (no Authorization header — a bearer header is never sent by a browser on
// another site's behalf) must come from this origin and carry the session's CSRF token, or
// it is answered 403 naming the header. Reads, writes with a bearer token, and /login and
// /logout (which check the origin themselves) pass unchanged.
func GuardWrites(h http.Handler, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unsafeMethod(r.Method) && strings.HasPrefix(r.URL.Path, "/api/") && r.Header.Get("Authorization") == "" {
			if c, err := r.Cookie(iweb.SessionCookie); err == nil && c.Value != "" {
				if !sameOrigin(r) {
					iweb.WriteError(w, r, iweb.Errorf(iweb.Forbidden, "Origin", "a write from another site's page is refused"))
					return
				}
				got := r.Header.Get(CSRFHeader)
				if got == "" || !hmac.Equal([]byte(got), []byte(csrfToken(c.Value))) {
					log.Info("csrf_refused", "component", "screen", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
					iweb.WriteError(w, r, iweb.Errorf(iweb.Forbidden, CSRFHeader,
						"a write with the session cookie needs the page's CSRF token in the %s header", CSRFHeader))
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}
