package api

import (
	"net/http"
	"strconv"

	"github.com/duban-gov/duban/internal/web"
)

// overview answers GET /api/v1/overview?department= from the counters the relay keeps.
func (a *API) overview(w http.ResponseWriter, r *http.Request) {
	dept, ok := scopeDepartment(w, r, r.URL.Query().Get("department"))
	if !ok {
		return
	}
	ov, err := a.o.Figures.Overview(r.Context(), dept)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ov)
}

// maxTrendDays bounds GET /api/v1/trend.
const maxTrendDays = 366

// trend answers GET /api/v1/trend?days=30&department=: one row per day, oldest first,
// ending today.
func (a *API) trend(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dept, ok := scopeDepartment(w, r, q.Get("department"))
	if !ok {
		return
	}
	days := 30
	if s := q.Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTrendDays {
			web.WriteError(w, r, web.Errorf(web.Invalid, "days", "must be an integer from 1 to %d", maxTrendDays))
			return
		}
		days = n
	}
	rows, err := a.o.Figures.Trend(r.Context(), days, dept)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	// One row per day (docs/api.md): the answer is the array of rows itself.
	web.WriteJSON(w, http.StatusOK, rows)
}
