package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// alertList is the answer of GET /api/v1/alerts.
type alertList struct {
	Alerts     []json.RawMessage `json:"alerts"`
	NextCursor string            `json:"next_cursor"`
}

// listAlerts answers GET /api/v1/alerts?department=&case_id=&level=&kind=&state=&cursor=&limit=
// in alert id order. A token bound to one department sees only its alerts (system alerts,
// which belong to no department, only show to tokens that read every department).
func (a *API) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dept, ok := scopeDepartment(w, r, q.Get("department"))
	if !ok {
		return
	}
	level, kind, state, caseID := q.Get("level"), q.Get("kind"), q.Get("state"), q.Get("case_id")
	switch {
	case level != "" && level != string(monitor.Yellow) && level != string(monitor.Red):
		web.WriteError(w, r, web.Errorf(web.Invalid, "level", "must be yellow or red"))
		return
	case kind != "" && !monitor.AlertKind(kind).Valid():
		web.WriteError(w, r, web.Errorf(web.Invalid, "kind", "unknown alert kind %q", kind))
		return
	case state != "" && !validState(state):
		web.WriteError(w, r, web.Errorf(web.Invalid, "state", "must be firing, acknowledged, resolved or exempted"))
		return
	case caseID != "" && !monitor.ValidID(caseID):
		web.WriteError(w, r, web.Errorf(web.Invalid, "case_id", "not a valid case id"))
		return
	}
	aq := rdb.AlertQuery{CaseID: caseID, Department: dept, State: state}
	var err error
	if aq.After, aq.Limit, err = pageParams(r); err != nil {
		web.WriteError(w, r, err)
		return
	}
	aq.Match = func(d rdb.AlertDoc) bool {
		var h alertHead
		if json.Unmarshal(d.Doc, &h) != nil {
			return false
		}
		return (dept == "" || h.Department == dept) && (level == "" || string(h.Level) == level) &&
			(kind == "" || string(h.Kind) == kind) && (state == "" || string(h.State) == state)
	}
	docs, next, err := a.o.Store.ListAlerts(r.Context(), aq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := alertList{Alerts: make([]json.RawMessage, len(docs)), NextCursor: encodeCursor(next)}
	loc := a.o.Rules().Loc
	for i, d := range docs {
		if out.Alerts[i], err = zoned(d.ID, d.Doc, loc); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// zoned returns a stored alert record with its times in the configured zone: a record an
// earlier version stored may carry another (UTC), and the API shows every time in this one.
func zoned(id string, doc []byte, loc *time.Location) ([]byte, error) {
	var rec alerting.Record
	if err := json.Unmarshal(doc, &rec); err != nil {
		return nil, fmt.Errorf("api: decode alert %s: %w", id, err)
	}
	rec.InZone(loc)
	return json.Marshal(&rec)
}

// alertHead is what listings filter on.
type alertHead struct {
	Department string            `json:"department"`
	Level      monitor.Level     `json:"level"`
	Kind       monitor.AlertKind `json:"kind"`
	State      alerting.State    `json:"state"`
}

func validState(s string) bool {
	for _, v := range alerting.States {
		if string(v) == s {
			return true
		}
	}
	return false
}

// alertRoute answers GET /api/v1/alerts/{id} and POST /api/v1/alerts/{id}/ack, /resolve and
// /exempt. Alert ids may contain '/' (case ids may), so the action is the last segment.
func (a *API) alertRoute(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if r.Method == http.MethodGet {
		a.getAlert(w, r, id)
		return
	}
	i := strings.LastIndex(id, "/")
	if i < 0 {
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "POST /api/v1/alerts/{id}/ack, /resolve or /exempt"))
		return
	}
	act := alerting.Action(id[i+1:])
	if act != alerting.Ack && act != alerting.Resolve && act != alerting.Exempt {
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "unknown alert action %q: ack, resolve or exempt", act))
		return
	}
	a.actOnAlert(w, r, id[:i], act)
}

// readAlert reads an alert the principal may see: the stored document (for a
// compare-and-set) and the record, with its times in the configured zone. It answers the
// error itself.
func (a *API) readAlert(w http.ResponseWriter, r *http.Request, id string) ([]byte, alerting.Record, bool) {
	var rec alerting.Record
	if _, _, _, ok := alerting.SplitID(id); !ok {
		web.WriteError(w, r, web.Errorf(web.Invalid, "id", "not an alert id"))
		return nil, rec, false
	}
	doc, ok, err := a.o.Store.Alert(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return nil, rec, false
	}
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "id", "no alert %q", id))
		return nil, rec, false
	}
	if err := json.Unmarshal(doc, &rec); err != nil {
		web.WriteError(w, r, fmt.Errorf("api: decode alert %s: %w", id, err))
		return nil, rec, false
	}
	if !canRead(w, r, rec.Department) {
		return nil, rec, false
	}
	rec.InZone(a.o.Rules().Loc)
	return doc, rec, true
}

func (a *API) getAlert(w http.ResponseWriter, r *http.Request, id string) {
	if _, rec, ok := a.readAlert(w, r, id); ok {
		web.WriteJSON(w, http.StatusOK, &rec)
	}
}

// maxNoteBytes bounds an action's body.
const maxNoteBytes = 16 << 10

// actOnAlert performs a supervisor's ack, resolve or exempt, with a compare-and-set on the
// record (a concurrent change is retried on the fresh record), and writes the audit log.
func (a *API) actOnAlert(w http.ResponseWriter, r *http.Request, id string, act alerting.Action) {
	p, ok := web.Require(w, r, web.Supervisor)
	if !ok {
		return
	}
	var body struct {
		Note string `json:"note"`
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNoteBytes))
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.TooLarge, "", "an action's body is at most %d bytes", maxNoteBytes))
		return
	}
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			web.WriteError(w, r, web.Errorf(web.Invalid, "note", "the body must be {\"note\": \"…\"}"))
			return
		}
	}
	body.Note = strings.TrimSpace(body.Note)
	if a.o.Orders != nil && isOrderAlert(id) {
		a.actOnOrderAlert(w, r, p, id, act, body.Note)
		return
	}
	for range 5 {
		old, rec, ok := a.readAlert(w, r, id)
		if !ok {
			return
		}
		now := a.o.Clock.Now().In(a.o.Rules().Loc)
		oldState, wasCounting, wasSuperseded := rec.State, rec.Counts(), rec.Superseded()
		changed, err := alerting.Apply(&rec, act, p.Name, body.Note, now)
		switch {
		case errors.Is(err, alerting.ErrNoteRequired):
			web.WriteError(w, r, web.Errorf(web.Invalid, "note", "%v", err))
			return
		case errors.Is(err, alerting.ErrState):
			web.WriteError(w, r, web.Errorf(web.Conflict, "state", "%v", err))
			return
		case err != nil:
			web.WriteError(w, r, err)
			return
		}
		if !changed {
			web.WriteJSON(w, http.StatusOK, &rec)
			return
		}
		doc, err := json.Marshal(&rec)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		var done bool
		if rec.CaseID == "" {
			done, err = a.o.Store.UpdateSystemAlert(r.Context(), id, old, doc, a.o.Wall())
		} else {
			t := fold.Transition{CaseID: rec.CaseID, Department: rec.Department,
				Matter: rec.Matter, At: now, WasCounting: wasCounting, WasOpen: oldState.Open(), WasSuperseded: wasSuperseded}
			t.SetAlert(&rec, doc)
			done, err = a.o.Store.ActOnCaseAlert(r.Context(), id, old, doc, string(oldState), string(rec.State), a.o.Wall(), t)
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if !done {
			continue // changed meanwhile: act on the fresh record
		}
		if _, err := a.o.Store.Audit(r.Context(), rdb.AuditEntry{At: now, Actor: p.Name,
			Action: "alert_" + string(act), Target: id, Note: body.Note}); err != nil {
			web.WriteError(w, r, err)
			return
		}
		a.o.Wake()
		if a.o.Relay != nil {
			a.o.Relay()
		}
		web.WriteJSON(w, http.StatusOK, &rec)
		return
	}
	web.WriteError(w, r, web.Errorf(web.Conflict, "id", "alert %q keeps changing; try again", id))
}

// accountability answers GET /api/v1/accountability?year= (supervisor): the year's fault
// counts of departments and handlers (docs/rules.md, "Alert records, levels and accountability").
func (a *API) accountability(w http.ResponseWriter, r *http.Request) {
	if _, ok := web.Require(w, r, web.Supervisor); !ok {
		return
	}
	year := a.o.Clock.Now().In(a.o.Rules().Loc).Year()
	if s := r.URL.Query().Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1900 || y > 2299 {
			web.WriteError(w, r, web.Errorf(web.Invalid, "year", "must be a year such as 2026"))
			return
		}
		year = y
	}
	counts, err := a.o.Store.FaultCounts(r.Context(), year)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, alerting.Accountability(year, counts, a.o.FaultThreshold))
}
