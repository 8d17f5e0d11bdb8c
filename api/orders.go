package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/supervision"
	"github.com/duban-gov/duban/supervision/report"
)

// Supervision orders (督办单) under /api/v1/orders: opening, the department's reply, the
// bureau's review, the listings, the printable notice and the quarterly report. The rules
// are package supervision's; the storage and the clock are engine.Orders'.

// maxOrderBody bounds an order request's body (an opinion of 4,000 characters is ~12 KB).
const maxOrderBody = 64 << 10

// idempotencyTTL is how long the answer to a request with an Idempotency-Key is kept.
const idempotencyTTL = 24 * time.Hour

func (a *API) mountOrders() {
	authed := func(h http.HandlerFunc) http.Handler { return a.o.Auth.Authenticate(h) }
	a.mux.Handle("POST /api/v1/orders", authed(a.createOrder))
	a.mux.Handle("GET /api/v1/orders", authed(a.listOrders))
	a.mux.Handle("GET /api/v1/orders/{id}", authed(a.getOrder))
	a.mux.Handle("POST /api/v1/orders/{id}/{action}", authed(a.orderAction))
	a.mux.Handle("GET /api/v1/orders/report/{quarter}", authed(a.orderReport))
}

// orderErr turns the orders' errors into client errors: bad input 400 naming the field, an
// action that does not fit the state 409, an unknown order 404.
func orderErr(err error) error {
	var fe *supervision.FieldError
	var ce *supervision.ConflictError
	switch {
	case errors.As(err, &fe):
		return web.Errorf(web.Invalid, fe.Field, "%s", fe.Message)
	case errors.As(err, &ce):
		return web.Errorf(web.Conflict, "state", "%s", ce.Error())
	case errors.Is(err, engine.ErrNoOrder):
		return web.Errorf(web.NotFound, "id", "no such order")
	}
	return err
}

// readBody reads a JSON body into v; a field of the wrong type is a 400 naming it.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOrderBody))
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.TooLarge, "", "the body is at most %d bytes", maxOrderBody))
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			web.WriteError(w, r, web.Errorf(web.Invalid, te.Field, "must be a %s, not a JSON %s", jsonType(te.Type.Kind().String()), te.Value))
			return false
		}
		web.WriteError(w, r, web.Errorf(web.Invalid, "", "the body is not a JSON object: %v", err))
		return false
	}
	return true
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "struct", "map", "ptr":
		return "object"
	}
	return "number"
}

// showOrder is an order as principal p may see it: times in the configured zone, and the
// `responsible` statements only for supervisors, admins and the order's own department.
func (a *API) showOrder(p web.Principal, o supervision.Order) supervision.Order {
	o = o.Clone()
	if !(p.Role >= web.Supervisor || (p.Department != "" && p.Department == o.Department)) {
		o.HideResponsible()
	}
	o.InZone(a.o.Rules().Loc)
	return o
}

// idempotent answers a write with the stored answer of an earlier request from the same
// principal with the same Idempotency-Key (24 h), or runs h and keeps its answer.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, p web.Principal, h func(w http.ResponseWriter)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		h(w)
		return
	}
	if len(key) > 255 {
		web.WriteError(w, r, web.Errorf(web.Invalid, "Idempotency-Key", "must be at most 255 characters"))
		return
	}
	// The key is bound to the request too: the same key on another route is another request.
	scope := r.Method + " " + r.URL.Path + "\x00" + key
	prev, ok, err := a.o.Store.IdempotentGet(r.Context(), p.Name, scope)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if ok {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(prev.Status)
		_, _ = w.Write(prev.Body)
		return
	}
	rec := &captured{ResponseWriter: w}
	h(rec)
	if rec.status < 500 && rec.status != 0 {
		if err := a.o.Store.IdempotentPut(context.WithoutCancel(r.Context()), p.Name, scope,
			rdb.IdempotentAnswer{Status: rec.status, Body: rec.buf.Bytes()}, idempotencyTTL); err != nil {
			a.o.Logger.Error("idempotency_keep_failed", "err", err)
		}
	}
}

// captured is a ResponseWriter that keeps a copy of the answer.
type captured struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captured) WriteHeader(s int) { c.status = s; c.ResponseWriter.WriteHeader(s) }
func (c *captured) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

// audit writes an order action to the audit log.
func (a *API) auditOrder(ctx context.Context, p web.Principal, action, id, note string) error {
	_, err := a.o.Store.Audit(ctx, rdb.AuditEntry{At: a.o.Clock.Now().In(a.o.Rules().Loc), Actor: p.Actor(),
		Action: action, Target: id, Note: note})
	return err
}

// openRequest is the body of POST /api/v1/orders.
type openRequest struct {
	Alerts    []string `json:"alerts"`
	CaseID    string   `json:"case_id"`
	Kind      string   `json:"kind"`
	Opinion   string   `json:"opinion"`
	ReplyDays *int     `json:"reply_days"`
}

// createOrder answers POST /api/v1/orders (supervisor).
func (a *API) createOrder(w http.ResponseWriter, r *http.Request) {
	p, ok := web.Require(w, r, web.Supervisor)
	if !ok {
		return
	}
	a.idempotent(w, r, p, func(w http.ResponseWriter) {
		var in openRequest
		if !readBody(w, r, &in) {
			return
		}
		act := supervision.Action{Type: supervision.ActOpen, By: p.Actor(), Kind: supervision.Kind(in.Kind),
			Opinion: in.Opinion, ReplyDays: in.ReplyDays}
		ctx := r.Context()
		switch {
		case len(in.Alerts) > 0 && in.CaseID != "":
			web.WriteError(w, r, web.Errorf(web.Invalid, "case_id", "give either alerts or case_id, not both"))
			return
		case in.CaseID != "":
			if !monitor.ValidID(in.CaseID) {
				web.WriteError(w, r, web.Errorf(web.Invalid, "case_id", "not a valid case id"))
				return
			}
			rec, found, err := a.o.Store.Case(ctx, in.CaseID)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			if !found || rec.Department == "" {
				web.WriteError(w, r, web.Errorf(web.NotFound, "case_id", "no case %q", in.CaseID))
				return
			}
			docs, err := a.o.Store.CaseAlerts(ctx, in.CaseID)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			c := &supervision.CaseRef{ID: in.CaseID, Department: rec.Department}
			for _, d := range docs {
				var al alerting.Record
				if json.Unmarshal(d.Doc, &al) == nil {
					c.Alerts = append(c.Alerts, engine.RefOf(&al))
				}
			}
			act.Case = c
		default:
			for i, id := range in.Alerts {
				field := fmt.Sprintf("alerts[%d]", i)
				if _, _, _, ok := alerting.SplitID(id); !ok {
					web.WriteError(w, r, web.Errorf(web.Invalid, field, "%q is not an alert id", id))
					return
				}
				doc, found, err := a.o.Store.Alert(ctx, id)
				if err != nil {
					web.WriteError(w, r, err)
					return
				}
				if !found {
					web.WriteError(w, r, web.Errorf(web.NotFound, field, "no alert %q", id))
					return
				}
				var al alerting.Record
				if err := json.Unmarshal(doc, &al); err != nil {
					web.WriteError(w, r, fmt.Errorf("api: decode alert %s: %w", id, err))
					return
				}
				act.Alerts = append(act.Alerts, engine.RefOf(&al))
			}
		}
		o, err := a.o.Orders.Open(ctx, act)
		if err != nil {
			web.WriteError(w, r, orderErr(err))
			return
		}
		if err := a.auditOrder(ctx, p, "order_open", o.ID, o.Opinion); err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/orders/"+o.ID)
		web.WriteJSON(w, http.StatusCreated, a.showOrder(p, o))
	})
}

// orderList is the answer of GET /api/v1/orders.
type orderList struct {
	Orders     []supervision.Order `json:"orders"`
	NextCursor string              `json:"next_cursor"`
}

// listOrders answers GET /api/v1/orders?department=&state=&case_id=&year=&cursor=&limit=, in
// id order (year, then number).
func (a *API) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dept, ok := scopeDepartment(w, r, q.Get("department"))
	if !ok {
		return
	}
	p, _ := web.PrincipalOf(r.Context())
	state, caseID, year := q.Get("state"), q.Get("case_id"), q.Get("year")
	switch {
	case state != "" && !validOrderState(state):
		web.WriteError(w, r, web.Errorf(web.Invalid, "state", "must be open, replied, closed or withdrawn"))
		return
	case caseID != "" && !monitor.ValidID(caseID):
		web.WriteError(w, r, web.Errorf(web.Invalid, "case_id", "not a valid case id"))
		return
	case year != "" && !yearRE.MatchString(year):
		web.WriteError(w, r, web.Errorf(web.Invalid, "year", "must be a year such as 2026"))
		return
	}
	after, limit, err := pageParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	oq := rdb.OrderQuery{Department: dept, After: after, Limit: limit}
	var ofCase map[string]string
	if caseID != "" {
		if ofCase, err = a.o.Store.CaseOrders(r.Context(), caseID); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	if year != "" && oq.After < "DB-"+year+"-" {
		oq.After = "DB-" + year + "-"
	}
	stop := false
	oq.Match = func(doc []byte) bool {
		var h struct {
			ID         string `json:"id"`
			Department string `json:"department"`
			State      string `json:"state"`
		}
		if json.Unmarshal(doc, &h) != nil {
			return false
		}
		if year != "" && !strings.HasPrefix(h.ID, "DB-"+year+"-") {
			stop = true
			return false
		}
		_, linked := ofCase[h.ID]
		return !stop && (dept == "" || h.Department == dept) && (state == "" || h.State == state) &&
			(caseID == "" || linked)
	}
	var docs [][]byte
	var next string
	if caseID != "" && len(ofCase) == 0 {
		docs = nil
	} else if docs, next, err = a.o.Store.ListOrders(r.Context(), oq); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if stop {
		next = ""
	}
	out := orderList{Orders: make([]supervision.Order, 0, len(docs)), NextCursor: encodeCursor(next)}
	for _, d := range docs {
		var o supervision.Order
		if err := json.Unmarshal(d, &o); err != nil {
			web.WriteError(w, r, fmt.Errorf("api: decode order: %w", err))
			return
		}
		out.Orders = append(out.Orders, a.showOrder(p, o))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

var yearRE = regexp.MustCompile(`^[0-9]{4}$`)

func validOrderState(s string) bool {
	switch supervision.State(s) {
	case supervision.Open, supervision.Replied, supervision.Closed, supervision.Withdrawn:
		return true
	}
	return false
}

// readOrder reads an order the principal may see; it answers the error itself.
func (a *API) readOrder(w http.ResponseWriter, r *http.Request, id string) (supervision.Order, bool) {
	if _, err := supervision.ParseID(id); err != nil {
		web.WriteError(w, r, web.Errorf(web.NotFound, "id", "no order %q: order ids look like DB-2026-000001", id))
		return supervision.Order{}, false
	}
	o, err := a.o.Orders.Get(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, orderErr(err))
		return o, false
	}
	if !canRead(w, r, o.Department) {
		return o, false
	}
	return o, true
}

// getOrder answers GET /api/v1/orders/{id} and, with the suffix .html, the printable
// notice (督办通知书).
func (a *API) getOrder(w http.ResponseWriter, r *http.Request) {
	p, _ := web.PrincipalOf(r.Context())
	if p.Role < web.Viewer && p.Department == "" {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "", "this token may not read"))
		return
	}
	id, html := strings.CutSuffix(r.PathValue("id"), ".html")
	o, ok := a.readOrder(w, r, id)
	if !ok {
		return
	}
	if !html {
		web.WriteJSON(w, http.StatusOK, a.showOrder(p, o))
		return
	}
	in := report.NoticeInput{Order: a.showOrder(p, o), DepartmentName: a.deptName(o.Department), Loc: a.o.Rules().Loc}
	for _, aid := range o.Alerts {
		doc, found, err := a.o.Store.Alert(r.Context(), aid)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		var al alerting.Record
		if !found || json.Unmarshal(doc, &al) != nil {
			continue
		}
		f := report.Fact{CaseID: al.CaseID, Kind: al.Kind, Due: al.Due, Instant: al.Instant}
		if cat := a.o.Rules().Catalog; cat != nil {
			if m, ok := cat.Matter(al.Matter); ok {
				f.Matter = m.Name
			}
		}
		in.Facts = append(in.Facts, f)
	}
	var buf bytes.Buffer
	if err := report.WriteNotice(&buf, in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	writePage(w, buf.Bytes(), "text/html; charset=utf-8")
}

// writePage sends a printable page, allowing its own <style> element and its few style
// attributes by hash (and nothing else inline).
func writePage(w http.ResponseWriter, page []byte, ctype string) {
	var hashes []string
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	if i := bytes.Index(page, []byte("<style>")); i >= 0 {
		if j := bytes.Index(page[i:], []byte("</style>")); j >= 0 {
			hashes = append(hashes, hash(page[i+len("<style>"):i+j]))
		}
	}
	attrs := styleAttr.FindAllSubmatch(page, -1)
	if len(attrs) > 0 {
		hashes = append(hashes, "'unsafe-hashes'")
		for _, m := range attrs {
			hashes = append(hashes, hash(m[1]))
		}
	}
	if len(hashes) > 0 {
		w.Header().Set("Content-Security-Policy", web.PolicyWithStyle(strings.Join(hashes, " ")))
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(page)
}

var styleAttr = regexp.MustCompile(` style="([^"]*)"`)

func (a *API) deptName(code string) string {
	if cat := a.o.Rules().Catalog; cat != nil {
		if d, ok := cat.Department(code); ok && d.Name != "" {
			return d.Name
		}
	}
	return code
}

// actionRequest is the body of an order action; which fields count depends on the action.
type actionRequest struct {
	Cause       string                     `json:"cause"`
	Measures    string                     `json:"measures"`
	Completed   bool                       `json:"completed"`
	Responsible *[]supervision.Responsible `json:"responsible"`
	Note        string                     `json:"note"`
}

// orderAction answers POST /api/v1/orders/{id}/reply (the department's liaison or
// collector), /accept, /return and /withdraw (supervisor).
func (a *API) orderAction(w http.ResponseWriter, r *http.Request) {
	p, ok := web.PrincipalOf(r.Context())
	if !ok {
		web.WriteError(w, r, web.Errorf(web.Unauthorized, "", "a bearer token is required"))
		return
	}
	action := r.PathValue("action")
	var typ supervision.ActionType
	switch action {
	case "reply":
		typ = supervision.ActReply
		if p.Anonymous() {
			web.WriteError(w, r, web.Errorf(web.Unauthorized, "", "a bearer token is required for this"))
			return
		}
		if (p.Role != web.Liaison && p.Role != web.Collector) || p.Department == "" {
			web.WriteError(w, r, web.Errorf(web.Forbidden, "", "replying needs the department's liaison or collector token; the token is %s", p.Role))
			return
		}
	case "accept", "return", "withdraw":
		typ = map[string]supervision.ActionType{"accept": supervision.ActAccept, "return": supervision.ActReturn,
			"withdraw": supervision.ActWithdraw}[action]
		if _, ok := web.Require(w, r, web.Supervisor); !ok {
			return
		}
	default:
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "unknown order action %q: reply, accept, return or withdraw", action))
		return
	}
	id := r.PathValue("id")
	a.idempotent(w, r, p, func(w http.ResponseWriter) {
		o, ok := a.readOrder(w, r, id)
		if !ok {
			return
		}
		if typ == supervision.ActReply && o.Department != p.Department {
			web.WriteError(w, r, web.Errorf(web.Forbidden, "", "order %s is for department %s", id, o.Department))
			return
		}
		var in actionRequest
		if !readBody(w, r, &in) {
			return
		}
		act := supervision.Action{Type: typ, By: p.Actor(), Note: in.Note}
		switch typ {
		case supervision.ActReply:
			act.Reply = &supervision.ReplyInput{Cause: in.Cause, Measures: in.Measures, Completed: in.Completed}
			if in.Responsible != nil {
				act.Reply.Responsible = *in.Responsible
			}
		case supervision.ActAccept:
			if in.Responsible != nil {
				act.Responsible = append([]supervision.Responsible{}, *in.Responsible...)
			}
		}
		out, err := a.o.Orders.Act(r.Context(), id, act)
		if err != nil {
			web.WriteError(w, r, orderErr(err))
			return
		}
		if out.Revision != o.Revision { // something changed: audit it (a retry changes nothing)
			note := in.Note
			if typ == supervision.ActReply {
				note = in.Cause
			}
			if err := a.auditOrder(r.Context(), p, "order_"+action, id, note); err != nil {
				web.WriteError(w, r, err)
				return
			}
		}
		web.WriteJSON(w, http.StatusOK, a.showOrder(p, out))
	})
}

// actOnOrderAlert is a supervisor's action on an order alert: acknowledge or exempt; a
// reply or a withdrawal resolves them, so resolve is a 409.
func (a *API) actOnOrderAlert(w http.ResponseWriter, r *http.Request, p web.Principal, id string, act alerting.Action, note string) {
	_, rec, ok := a.readAlert(w, r, id)
	if !ok {
		return
	}
	if act == alerting.Resolve {
		web.WriteError(w, r, web.Errorf(web.Conflict, "state",
			"%s is an alert of supervision order %s: a reply or a withdrawal resolves it, not a supervisor", id, rec.OrderID))
		return
	}
	out, changed, err := a.o.Orders.ActOnAlert(r.Context(), id, act, p.Actor(), note)
	switch {
	case errors.Is(err, alerting.ErrNoteRequired):
		web.WriteError(w, r, web.Errorf(web.Invalid, "note", "%v", err))
		return
	case errors.Is(err, alerting.ErrState):
		web.WriteError(w, r, web.Errorf(web.Conflict, "state", "%v", err))
		return
	case err != nil:
		web.WriteError(w, r, orderErr(err))
		return
	}
	if changed {
		if _, err := a.o.Store.Audit(r.Context(), rdb.AuditEntry{At: a.o.Clock.Now().In(a.o.Rules().Loc), Actor: p.Name,
			Action: "alert_" + string(act), Target: id, Note: note}); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	web.WriteJSON(w, http.StatusOK, &out)
}

// isOrderAlert reports whether an alert id names an order's alert ("DB-2026-000001~…").
func isOrderAlert(id string) bool {
	orderID, _, ok := strings.Cut(id, alerting.Sep)
	if !ok {
		return false
	}
	_, err := supervision.ParseID(orderID)
	return err == nil
}

// orderReport answers GET /api/v1/orders/report/{YYYY}-Q{n}[.json|.csv|.html] (supervisor):
// the quarterly report (责任追究情况报告).
func (a *API) orderReport(w http.ResponseWriter, r *http.Request) {
	if _, ok := web.Require(w, r, web.Supervisor); !ok {
		return
	}
	name, format := r.PathValue("quarter"), "json"
	for _, f := range []string{"csv", "html", "json"} {
		if s, ok := strings.CutSuffix(name, "."+f); ok {
			name, format = s, f
			break
		}
	}
	q, err := report.ParseQuarter(name)
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.Invalid, "quarter", "%v", err))
		return
	}
	orders, err := engine.AllOrders(r.Context(), a.o.Store)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	loc := a.o.Rules().Loc
	rep := report.Build(report.Input{Quarter: q, GeneratedAt: a.o.Clock.Now().In(loc), Loc: loc,
		Departments: Departments(a.o.Rules().Catalog), Orders: orders})
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := report.WriteCSV(&buf, rep); err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="orders-`+q.String()+`.csv"`)
		writePage(w, buf.Bytes(), "text/csv; charset=utf-8")
	case "html":
		if err := report.WriteHTML(&buf, rep); err != nil {
			web.WriteError(w, r, err)
			return
		}
		writePage(w, buf.Bytes(), "text/html; charset=utf-8")
	default:
		web.WriteJSON(w, http.StatusOK, rep)
	}
}

// Departments are the catalogue's departments for the report, in its order.
func Departments(cat *monitor.Catalog) []report.Department {
	if cat == nil {
		return nil
	}
	out := make([]report.Department, 0, len(cat.Departments))
	for _, d := range cat.Departments {
		out = append(out, report.Department{Code: d.Code, Name: d.Name})
	}
	return out
}
