package api

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/internal/web"
)

// listRankings answers GET /api/v1/rankings: the published months, oldest first.
func (a *API) listRankings(w http.ResponseWriter, r *http.Request) {
	if _, ok := scopeDepartment(w, r, ""); !ok {
		return
	}
	months, err := a.o.Store.RankingMonths(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if months == nil {
		months = []string{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"months": months})
}

// rankingDoc is a ranking as JSON, saying whether it is the published one or computed now.
type rankingDoc struct {
	ranking.Ranking
	Provisional bool `json:"provisional"`
}

// getRanking answers GET /api/v1/rankings/{YYYY-MM}[.csv|.html]: the published ranking, or
// for a month not yet published (this month, say) the provisional one computed now, marked
// `provisional: true` with `generated_at` the instant computed (and the header
// X-Duban-Provisional); its CSV's first line and its page's title, period and banner say
// 暂定 too, so that a printed or forwarded copy cannot pass for the result. A ranking is
// public information for the media: every reader sees every department.
func (a *API) getRanking(w http.ResponseWriter, r *http.Request) {
	if p, _ := web.PrincipalOf(r.Context()); p.Role < web.Viewer && p.Department == "" {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "", "this token may not read"))
		return
	}
	name := r.PathValue("month")
	format := "json"
	for _, f := range []string{"csv", "html", "json"} {
		if s, ok := strings.CutSuffix(name, "."+f); ok {
			name, format = s, f
			break
		}
	}
	m, err := ranking.ParseMonth(name)
	if err != nil {
		web.WriteError(w, r, web.Errorf(web.Invalid, "month", "%v", err))
		return
	}
	loc := a.o.Rules().Loc
	if m.Start(loc).After(a.o.Clock.Now()) {
		web.WriteError(w, r, web.Errorf(web.NotFound, "month", "%s has not begun", m))
		return
	}
	rk, published, err := a.o.Rankings.Get(r.Context(), m)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !published {
		w.Header().Set("X-Duban-Provisional", "true")
	}
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := ranking.WriteCSV(&buf, rk); err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="duban-ranking-`+m.String()+`.csv"`)
	case "html":
		if err := ranking.WriteHTML(&buf, rk); err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page's one inline style, and nothing else inline.
		w.Header().Set("Content-Security-Policy", web.PolicyWithStyle(ranking.StyleHash))
	default:
		web.WriteJSON(w, http.StatusOK, rankingDoc{Ranking: rk, Provisional: !published})
		return
	}
	w.Header().Set("Last-Modified", rk.GeneratedAt.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
