// Package web is the HTTP plumbing shared by duban's handlers: who is asking (bearer
// tokens and roles), the one client-facing error type and its status table, JSON answers and
// per-token rate limits.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Role is what a token may do. Each role includes the ones before it, except Collector,
// which only reports and reads its own department.
type Role int

// The roles of `auth.tokens` (docs/configuration.md).
const (
	Collector Role = iota + 1
	Viewer
	// Liaison is a department's liaison: it reads as a viewer of its department and
	// replies to its department's supervision orders.
	Liaison
	Supervisor
	Admin
)

// ParseRole maps a configuration role name ("" is a department collector).
func ParseRole(s string) (Role, bool) {
	switch s {
	case "", "collector":
		return Collector, true
	case "viewer":
		return Viewer, true
	case "liaison":
		return Liaison, true
	case "supervisor":
		return Supervisor, true
	case "admin":
		return Admin, true
	}
	return 0, false
}

func (r Role) String() string {
	switch r {
	case Collector:
		return "collector"
	case Viewer:
		return "viewer"
	case Liaison:
		return "liaison"
	case Supervisor:
		return "supervisor"
	case Admin:
		return "admin"
	}
	return "anonymous"
}

// Principal is who a request acts for.
type Principal struct {
	// Name identifies the token in logs and the audit log without revealing it: the role,
	// the department if any, and the first 8 hex digits of the token's SHA-256.
	Name       string
	Role       Role
	Department string // a collector's department, or the one department a viewer may see
	// Display is the token's configured name, if any (see Actor).
	Display string
}

// Actor is who acted, as records show it: the token's configured name, else Name.
func (p Principal) Actor() string {
	if p.Display != "" {
		return p.Display
	}
	return p.Name
}

// anonymousName is the Name of the demo's tokenless principal.
const anonymousName = "anonymous"

// Anonymous reports whether p is the demo's tokenless viewer rather than a token's holder:
// it may read, but anything that writes still needs a token (401, not 403).
func (p Principal) Anonymous() bool { return p.Name == anonymousName }

// CanRead reports whether p may read data of the given department ("" = all departments).
func (p Principal) CanRead(dept string) bool {
	if p.Department == "" {
		return p.Role >= Viewer
	}
	return dept == p.Department
}

// Token is one configured token, kept as the SHA-256 of its secret.
type Token struct {
	SHA256     [32]byte
	Role       Role
	Department string
	Name       string // the holder's name, shown as who acted (Principal.Actor)
}

// Authenticator resolves bearer tokens.
type Authenticator struct {
	tokens []Token
	// anonymous, when set, is the principal of requests without a token (duban demo:
	// viewer-level reads need no token there).
	anonymous *Principal
}

// NewAuthenticator builds an authenticator over configured tokens. anonymousViewer lets
// requests without a token read as a viewer (demo mode only).
func NewAuthenticator(tokens []Token, anonymousViewer bool) *Authenticator {
	a := &Authenticator{tokens: tokens}
	if anonymousViewer {
		a.anonymous = &Principal{Name: anonymousName, Role: Viewer}
	}
	return a
}

// Resolve finds the principal of a clear-text token. Every configured hash is compared, in
// constant time, so the answer's timing says nothing about which token is near.
func (a *Authenticator) Resolve(secret string) (Principal, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].SHA256[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	t := a.tokens[found]
	name := t.Role.String()
	if t.Department != "" {
		name += ":" + t.Department
	}
	const hexd = "0123456789abcdef"
	var short [8]byte
	for i := range 4 {
		short[2*i], short[2*i+1] = hexd[sum[i]>>4], hexd[sum[i]&15]
	}
	return Principal{Name: name + ":" + string(short[:]), Role: t.Role, Department: t.Department, Display: t.Name}, true
}

// BearerToken extracts the token of a request: the Authorization header, or the session
// cookie. A `token` query parameter is not read here: tokens in URLs end up in proxy and
// access logs, so only the live feed takes one (AuthenticateWS), for WebSocket clients that
// cannot set headers.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if v, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(v)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// SessionCookie is the HttpOnly cookie a browser session keeps its token in.
const SessionCookie = "duban_session"

// CSRFCookie holds the session's CSRF token for the site's own pages, which send it back in
// CSRFHeader with every write made with the session cookie.
const (
	CSRFCookie = "duban_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// CSRFToken is the CSRF token of a session whose token is sessionToken: derived from it, so
// any replica checks it without shared state, and useless without the cookie it goes with.
func CSRFToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("duban-csrf\x00" + sessionToken))
	const hexd = "0123456789abcdef"
	out := make([]byte, 32)
	for i := range 16 {
		out[2*i], out[2*i+1] = hexd[sum[i]>>4], hexd[sum[i]&15]
	}
	return string(out)
}

// csrfOK reports whether a request authenticated by its session cookie may go on: reads
// always; writes only with the session's CSRF token in CSRFHeader.
func csrfOK(r *http.Request, sessionToken string) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(CSRFToken(sessionToken))) == 1
}

type principalKey struct{}

// Authenticate resolves the request's token (BearerToken) and stores the principal in the
// context. A request without a valid token (and no anonymous principal) is answered 401
// here; one that carries its token in the URL is told to use the header.
func (a *Authenticator) Authenticate(next http.Handler) http.Handler {
	return a.authenticate(next, false)
}

// AuthenticateWS is Authenticate that also takes the token from the `token` query parameter,
// for the live feed (GET /ws): a browser's WebSocket cannot set headers.
func (a *Authenticator) AuthenticateWS(next http.Handler) http.Handler {
	return a.authenticate(next, true)
}

func (a *Authenticator) authenticate(next http.Handler, query bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p Principal
		tok := BearerToken(r)
		if tok != "" && r.Header.Get("Authorization") == "" && !csrfOK(r, tok) {
			WriteError(w, r, Errorf(Forbidden, CSRFHeader, "a write made with a browser session needs the session's CSRF token in the %s header", CSRFHeader))
			return
		}
		inURL := r.URL.Query().Get("token")
		switch {
		case tok == "" && inURL != "" && query:
			tok = inURL
		case tok == "" && inURL != "" && a.anonymous == nil:
			WriteError(w, r, Errorf(Unauthorized, "token",
				"a token in the URL is accepted on /ws only; send it as Authorization: Bearer <token>"))
			return
		}
		switch {
		case tok != "":
			var ok bool
			if p, ok = a.Resolve(tok); !ok {
				WriteError(w, r, Errorf(Unauthorized, "", "unknown token"))
				return
			}
		case a.anonymous != nil:
			p = *a.anonymous
		default:
			WriteError(w, r, Errorf(Unauthorized, "", "a bearer token is required (Authorization: Bearer <token>)"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// PrincipalOf returns the principal Authenticate stored.
func PrincipalOf(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Require checks the caller's role; it answers 403 (a valid token used beyond its role) and
// returns false when the role is too low. Collectors pass only where minRole is Collector.
func Require(w http.ResponseWriter, r *http.Request, minRole Role) (Principal, bool) {
	p, ok := PrincipalOf(r.Context())
	if !ok {
		WriteError(w, r, Errorf(Unauthorized, "", "a bearer token is required"))
		return p, false
	}
	if p.Role < minRole && p.Anonymous() {
		WriteError(w, r, Errorf(Unauthorized, "", "a bearer token is required for this"))
		return p, false
	}
	if p.Role < minRole {
		WriteError(w, r, Errorf(Forbidden, "", "this needs the %s role; the token is %s", minRole, p.Role))
		return p, false
	}
	return p, true
}
