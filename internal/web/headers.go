package web

import (
	"log/slog"
	"net/http"
	"strings"
)

// ContentSecurityPolicy is the policy of every answer: scripts, styles and connections
// from this origin only, no plugins, no framing by any page. HTML pages that need more
// (the printable ranking's inline style) set their own with PolicyWithStyle.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// PolicyWithStyle is ContentSecurityPolicy also allowing the inline style of the given CSP
// hash source ('sha256-…').
func PolicyWithStyle(hash string) string {
	return strings.Replace(ContentSecurityPolicy, "style-src 'self'", "style-src 'self' "+hash, 1)
}

// Secure wraps the service's whole handler: every answer — JSON, HTML, CSV, assets, errors
// — carries nosniff, a frame ban (frame-ancestors and X-Frame-Options for old browsers),
// the referrer policy and the content security policy, set before the handler runs so a
// page may narrow or extend them; and every request's context carries log, which
// WriteError's 500s use (Logger).
func Secure(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		if log != nil {
			r = r.WithContext(WithLogger(r.Context(), log))
		}
		h.ServeHTTP(w, r)
	})
}
