package ranking

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
)

//go:embed page.html.tmpl
var pageText string

// page is parsed once; html/template escapes every value by its context.
var page = template.Must(template.New("page").Parse(pageText))

// WriteHTML writes r as a printable, self-contained HTML page: the title ("2026年3月
// 行政审批绩效排名"), the period and generation time, the table, an inline SVG bar chart of
// the ranked departments' scores, and the method with its weights. CSS is inline with print
// rules (A4 landscape); there are no scripts and no external assets. The page is also
// well-formed XML, which the tests check. A provisional ranking says so in its title
// ("（暂定）"), its period (up to the instant computed, "截至 …") and a banner under the
// heading that it is not final and must not be published as the result.
func WriteHTML(w io.Writer, r Ranking) error {
	if err := page.Execute(w, newView(r)); err != nil {
		return fmt.Errorf("ranking: write html: %w", err)
	}
	return nil
}

// view is what page.html.tmpl shows; every figure is formatted here.
type view struct {
	Title, Period, Month    string
	Generated, GeneratedISO string
	Banner                  string // the provisional ranking's warning; empty when published
	MinCases                int
	WeightSum               string
	Terms                   []termView
	Rows                    []rowView
	Chart                   *chartView // nil when no department is ranked
}

type termView struct{ Name, Weight, Formula, Meaning string }

type rowView struct {
	cells
	Ranked bool
}

// The chart's geometry, in SVG user units (pixels at 100%).
const (
	chartWidth = 720
	labelRight = 180 // department names end here
	barLeft    = 190
	barMax     = 440 // the width of a bar at score 100
	rowHeight  = 28
	barHeight  = 18
	chartTop   = 4
)

type chartView struct {
	Width, Height, Top, Bottom, TickY int
	LabelX, BarX, BarHeight           int
	Ticks                             []tickView
	Bars                              []barView
}

type tickView struct{ X, Label string }

type barView struct {
	Rank, Label, Score string
	Y, TextY           int
	Width, ScoreX      string
}

func newView(r Ranking) view {
	w := r.Method.Weights
	v := view{
		Title:     r.title(),
		Period:    r.period(),
		Banner:    r.provisionalNote(),
		Month:     r.Month.String(),
		MinCases:  r.Method.MinCases,
		WeightSum: number(w.OnTime + w.TimeRatio + w.Early + w.Red + w.OpenOverdue),
		Terms: []termView{
			{"按时办结率", number(w.OnTime), "按时办结率", "在承诺时限内作出决定的办件所占比例"},
			{"平均用时比", number(w.TimeRatio), "1 − min(平均用时比, 1)",
				"各办件审查决定阶段已用工作日 ÷ 承诺时限的平均数，延期不扩大分母；即办件当日办结为 0，其后每用 1 个工作日计 1"},
			{"提前办结率", number(w.Early), "提前办结率", "用时不超过承诺时限一半的办件所占比例"},
			{"红牌", number(w.Red), "max(0, 1 − 每百件红牌 ÷ 10)",
				"每百件办结对应的本月红色预警数（不含过错累计预警；已豁免、已被取代的不计）；黄牌（临期、迟报预警）只列示，不计分"},
			{"超期未办结", number(w.OpenOverdue), "max(0, 1 − 超期未办结 ÷ 10)", "承诺时限在月末前届满而月末仍未办结的办件数"},
		},
	}
	if !r.GeneratedAt.IsZero() {
		v.Generated = stamp(r.GeneratedAt)
		v.GeneratedISO = r.GeneratedAt.Format("2006-01-02T15:04:05Z07:00")
	}
	var bars []barView
	for _, s := range r.Departments {
		c := display(s)
		v.Rows = append(v.Rows, rowView{cells: c, Ranked: s.Ranked})
		if !s.Ranked {
			continue
		}
		top := chartTop + len(bars)*rowHeight
		width := min(max(s.Score, 0), 100) / 100 * barMax
		bars = append(bars, barView{
			Rank: c.Rank, Label: c.Name, Score: oneDecimal(s.Score),
			Y: top + (rowHeight-barHeight)/2, TextY: top + rowHeight/2 + 5,
			Width: oneDecimal(width), ScoreX: oneDecimal(barLeft + width + 6),
		})
	}
	if len(bars) > 0 {
		bottom := chartTop + len(bars)*rowHeight
		ch := &chartView{
			Width: chartWidth, Height: bottom + 20, Top: chartTop, Bottom: bottom, TickY: bottom + 15,
			LabelX: labelRight, BarX: barLeft, BarHeight: barHeight, Bars: bars,
		}
		for t := 0; t <= 100; t += 20 {
			ch.Ticks = append(ch.Ticks, tickView{X: strconv.Itoa(barLeft + t*barMax/100), Label: strconv.Itoa(t)})
		}
		v.Chart = ch
	}
	return v
}

// number shows a weight as written: 40, 12.5.
func number(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
