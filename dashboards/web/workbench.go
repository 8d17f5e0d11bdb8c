package web

import (
	"net/http"
	"net/url"

	iweb "github.com/duban-gov/duban/internal/web"
)

// The 督办工作台 (supervision workbench) at /workbench: where supervisors open supervision
// orders from an alert or a case, review the departments' replies (accept, or return with a
// reason) and withdraw orders, and where department liaisons see their department's orders
// and reply. The page is static (workbench.html, workbench.js); it reads and writes
// /api/v1/orders with the session cookie, and every write carries the session's CSRF token
// (iweb.CSRFToken, which the API's authenticator checks on every write made with the
// cookie), written into the page here. Viewers may sign in too and read what their token
// reads, without the forms. Unlike the wall screen, the workbench always needs a session,
// demo mode included: its forms act in someone's name.

// workbenchData is what workbench.html is rendered with.
type workbenchData struct {
	// Role is the session's role (viewer, liaison, supervisor): which forms the page offers.
	// The API decides what each may do; the page only leaves out what would be refused.
	Role string
	// Department is the one department the session may see, or "" for all.
	Department string
	Who        string
	// CSRF is the session's CSRF token, which the page's writes carry (X-CSRF-Token).
	CSRF string
	V    string
}

// workbench serves /workbench for a signed-in session, else sends the browser to /login
// and back here, query and all.
func (s *Screen) workbench(w http.ResponseWriter, r *http.Request) {
	p, ok, stale := s.session(r)
	if stale {
		clearSession(w, r)
	}
	if !ok {
		next := "/workbench"
		if r.URL.RawQuery != "" {
			next += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	c, _ := r.Cookie(iweb.SessionCookie)
	s.render(w, s.bench, workbenchData{
		Role: p.Role.String(), Department: p.Department, Who: p.Actor(),
		CSRF: iweb.CSRFToken(c.Value), V: s.assets.digest,
	})
}
