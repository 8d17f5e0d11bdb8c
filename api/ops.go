package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/duban-gov/duban/monitor/alerting"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// listDeadLetters answers GET /api/v1/deadletters (admin).
func (a *API) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	if _, ok := web.Require(w, r, web.Admin); !ok {
		return
	}
	after, limit, err := pageParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	list, next, err := a.o.Store.DeadLetters(r.Context(), after, limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if list == nil {
		list = []rdb.DeadLetter{}
	}
	loc := a.o.Rules().Loc
	for i := range list {
		list[i].At = monitor.InZone(list[i].At, loc)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"deadletters": list, "next_cursor": encodeCursor(next)})
}

// replayDeadLetter answers POST /api/v1/deadletters/{id}/replay (admin): the case is marked
// for applying again (after the catalogue was fixed, say). The answer says whether it applied
// now or is still parked, and why.
func (a *API) replayDeadLetter(w http.ResponseWriter, r *http.Request) {
	p, ok := web.Require(w, r, web.Admin)
	if !ok {
		return
	}
	id, found := strings.CutSuffix(r.PathValue("id"), "/replay")
	if !found {
		web.WriteError(w, r, web.Errorf(web.NotFound, "", "use POST /api/v1/deadletters/{id}/replay"))
		return
	}
	d, ok, err := a.o.Store.DeadLetterByID(r.Context(), id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "id", "no dead letter %q", id))
		return
	}
	if d.Source != "" {
		web.WriteError(w, r, web.Errorf(web.Conflict, "id", "%q is a row of the exchange database %s that is not a valid event: write the corrected step there as a new row", id, d.Source))
		return
	}
	if err := a.o.Store.MarkDirty(r.Context(), a.o.Wall(), id); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if _, err := a.o.Store.Audit(r.Context(), rdb.AuditEntry{At: a.o.Clock.Now(), Actor: p.Name,
		Action: "deadletter_replay", Target: id, Note: d.Reason}); err != nil {
		web.WriteError(w, r, err)
		return
	}
	a.o.Wake()
	web.WriteJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": "replaying", "previous_reason": d.Reason})
}

// getCalendar answers GET /api/v1/calendar/{year} in the year-file YAML shape (or JSON when
// asked with Accept: application/json). A year that is not loaded is 404.
func (a *API) getCalendar(w http.ResponseWriter, r *http.Request) {
	if _, ok := web.Require(w, r, web.Viewer); !ok {
		return
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 1900 || year > 2299 {
		web.WriteError(w, r, web.Errorf(web.Invalid, "year", "must be a year such as 2026"))
		return
	}
	y, ok := a.o.Calendars.Current().Year(year)
	if !ok {
		web.WriteError(w, r, web.Errorf(web.NotFound, "year", "the calendar of %d is not loaded; deadlines in it are provisional", year))
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		web.WriteJSON(w, http.StatusOK, y)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(y.Marshal())
}

// maxCalendarBytes bounds a year file: a real one is under 2 KiB.
const maxCalendarBytes = 64 << 10

// putCalendar answers PUT /api/v1/calendar/{year} (admin): load a year file, tell every
// replica, and recompute every open case whose clocks it touches.
func (a *API) putCalendar(w http.ResponseWriter, r *http.Request) {
	p, ok := web.Require(w, r, web.Admin)
	if !ok {
		return
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 1900 || year > 2299 {
		web.WriteError(w, r, web.Errorf(web.Invalid, "year", "must be a year such as 2027"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCalendarBytes))
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.TooLarge, "", "a year file is at most %d bytes", maxCalendarBytes))
		return
	}
	y, err := a.o.Calendars.Load(r.Context(), year, body)
	if err != nil {
		if web.IsUnavailable(err) { // the file was fine; Redis could not keep it: 503
			web.WriteError(w, r, err)
			return
		}
		web.WriteError(w, r, calendarError(err))
		return
	}
	if err := engine.ResolveSystemAlert(r.Context(), a.o.Store, alerting.CalendarMissingID(year), alerting.Closed,
		a.o.Clock.Now().In(a.o.Rules().Loc), a.o.Wall()); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.o.Store.Publish(r.Context(), rdb.NoticeCalendar); err != nil {
		a.o.Logger.Warn("calendar_notice_failed", "component", "api", "err", err)
	}
	n, err := engine.Affected(r.Context(), a.o.Store, year, a.o.Wall())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	detail, _ := json.Marshal(map[string]any{"source": y.Source, "recomputed": n})
	if _, err := a.o.Store.Audit(r.Context(), rdb.AuditEntry{At: a.o.Clock.Now(), Actor: p.Name,
		Action: "calendar_load", Target: strconv.Itoa(year), Detail: detail}); err != nil {
		web.WriteError(w, r, err)
		return
	}
	a.o.Wake()
	web.WriteJSON(w, http.StatusOK, map[string]any{"year": year, "loaded": true, "recomputed": n})
}

// calendarError turns a year-file error into a 400 naming the field.
func calendarError(err error) error {
	msg := err.Error()
	field := "body"
	if i := strings.IndexAny(msg, ":"); i > 0 && !strings.ContainsAny(msg[:i], " \t") {
		field = msg[:i]
	}
	return web.Errorf(web.Invalid, field, "%s", msg)
}

// auditLog answers GET /api/v1/audit (supervisor), oldest first.
func (a *API) auditLog(w http.ResponseWriter, r *http.Request) {
	if _, ok := web.Require(w, r, web.Supervisor); !ok {
		return
	}
	after, limit, err := pageParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	list, next, err := a.o.Store.AuditLog(r.Context(), after, limit)
	if err != nil {
		web.WriteError(w, r, fmt.Errorf("api: audit: %w", err))
		return
	}
	loc := a.o.Rules().Loc
	for i := range list {
		list[i].At = monitor.InZone(list[i].At, loc)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"entries": list, "next_cursor": encodeCursor(next)})
}
