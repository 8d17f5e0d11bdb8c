package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
)

// getCase answers GET /api/v1/cases/{id}: the case recomputed from its events at this
// instant (day counts move with the calendar day even when no event arrives), with its
// events and the timeline that explains each deadline.
func (a *API) getCase(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !monitor.ValidID(id) {
		web.WriteError(w, r, web.Errorf(web.Invalid, "case_id", "not a valid case id"))
		return
	}
	rec, ok, err := a.o.Store.Case(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "case_id", "no case %q", id))
		return
	}
	if !canRead(w, r, rec.Department) {
		return
	}
	evs, err := a.o.Store.Events(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	now := a.o.Clock.Now()
	rules := a.o.Rules()
	st, err := rules.Fold(id, rec.Department, evs, now, true)
	if errors.Is(err, fold.ErrNotApplicable) {
		web.WriteError(w, r, web.Errorf(web.NotFound, "case_id", "case %q has events but cannot be shown yet: %v", id, err))
		return
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	docs, err := a.o.Store.AlertsOf(r.Context(), []string{id})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := withRecords(&st, docs[0], now); err != nil {
		web.WriteError(w, r, err)
		return
	}
	view := caseView{CaseState: &st}
	if d, ok := rules.Catalog.Department(st.Department); ok {
		view.DepartmentName = d.Name
	}
	if m, ok := rules.Catalog.Matter(st.Matter); ok {
		view.MatterName = m.Name
	}
	web.WriteJSON(w, http.StatusOK, view)
}

// caseView is the answer of GET /api/v1/cases/{id}: the case with its department's and
// matter's names from the catalogue, for the people who read it (the wall screen's case
// view shows names, not codes).
type caseView struct {
	*fold.CaseState
	DepartmentName string `json:"department_name,omitempty"`
	MatterName     string `json:"matter_name,omitempty"`
}

// withRecords gives a case folded at now the level and alert ids of its alert records, as
// the next commit would (an alert due a moment ago shows before its record is written).
func withRecords(st *fold.CaseState, docs map[string][]byte, now time.Time) error {
	recs, err := engine.DecodeRecords(st.CaseID, docs)
	if err != nil {
		return err
	}
	st.WithRecords(recs, now)
	return nil
}

// caseList is the answer of GET /api/v1/cases.
type caseList struct {
	Cases      []fold.CaseState `json:"cases"`
	NextCursor string           `json:"next_cursor"`
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

// listCases answers GET /api/v1/cases?department=&stage=&level=&due_before=&cursor=&limit=
// from the indexes, in case_id order. due_before keeps cases whose current stage's deadline
// ends before the given instant (RFC 3339) or whose deadline day is before the given date
// (YYYY-MM-DD).
func (a *API) listCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dept, ok := scopeDepartment(w, r, q.Get("department"))
	if !ok {
		return
	}
	cq := rdb.CaseQuery{Department: dept, Stage: q.Get("stage"), Level: q.Get("level")}
	if s := cq.Stage; s != "" && s != string(monitor.StageAcceptance) && s != string(monitor.StageDecision) &&
		s != string(monitor.StageDelivery) && s != string(monitor.StageClosed) {
		web.WriteError(w, r, web.Errorf(web.Invalid, "stage", "must be acceptance, decision, delivery or closed"))
		return
	}
	if l := cq.Level; l != "" && l != string(monitor.Green) && l != string(monitor.Yellow) && l != string(monitor.Red) {
		web.WriteError(w, r, web.Errorf(web.Invalid, "level", "must be green, yellow or red"))
		return
	}
	var err error
	if cq.After, cq.Limit, err = pageParams(r); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if s := q.Get("due_before"); s != "" {
		match, err := dueBefore(s, a.o.Rules().Loc)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		cq.Match = match
	}
	recs, next, err := a.o.Store.ListCases(r.Context(), cq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := caseList{Cases: make([]fold.CaseState, 0, len(recs)), NextCursor: encodeCursor(next)}
	ids := make([]string, len(recs))
	for i := range recs {
		ids[i] = recs[i].CaseID
	}
	evs, err := a.o.Store.EventsOf(r.Context(), ids)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	docs, err := a.o.Store.AlertsOf(r.Context(), ids)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rules, now := a.o.Rules(), a.o.Clock.Now()
	for i := range recs {
		st, err := rules.Fold(recs[i].CaseID, recs[i].Department, evs[i], now, false)
		if err != nil {
			continue // dead-lettered since it was listed; it shows under /deadletters
		}
		if err := withRecords(&st, docs[i], now); err != nil {
			web.WriteError(w, r, err)
			return
		}
		out.Cases = append(out.Cases, st)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// dueBefore builds the due_before filter on stored states.
func dueBefore(s string, loc *time.Location) (func(rdb.CaseRecord) bool, error) {
	var limit time.Time
	if d, err := workday.ParseDate(s); err == nil {
		limit = d.Start(loc)
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		limit = t
	} else {
		return nil, web.Errorf(web.Invalid, "due_before", "must be a date (2006-01-02) or an RFC 3339 instant")
	}
	return func(rec rdb.CaseRecord) bool {
		var st fold.CaseState
		if json.Unmarshal(rec.State, &st) != nil {
			return false
		}
		d := st.CurrentDue()
		return d != nil && !d.At.After(limit)
	}, nil
}

// pageParams reads the `cursor` and `limit` of a paged listing.
func pageParams(r *http.Request) (after string, limit int, err error) {
	q := r.URL.Query()
	if limit, err = parseLimit(q.Get("limit")); err != nil {
		return "", 0, err
	}
	after, err = decodeCursor(q.Get("cursor"))
	return after, limit, err
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, web.Errorf(web.Invalid, "limit", "must be an integer from 1 to %d", maxLimit)
	}
	return n, nil
}

// Cursors are opaque to clients: base64url of the position (a case id or a stream id), so
// ids with '/' or ':' travel safely in a query string.
func encodeCursor(pos string) string {
	if pos == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

func decodeCursor(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", web.Errorf(web.Invalid, "cursor", "not a cursor this service issued")
	}
	return string(b), nil
}
