package ranking

import (
	"fmt"
	"strconv"
	"time"
)

// The column headings of the CSV and the HTML table, in Chinese for the public.
const (
	hRank      = "排名"
	hCode      = "部门代码"
	hName      = "部门"
	hDecided   = "办结数"
	hOnTime    = "按时办结率"
	hStatutory = "法定时限内办结率"
	hEarly     = "提前办结率"
	hRatio     = "平均用时比"
	hRed       = "每百件红牌"
	hYellow    = "每百件黄牌"
	hOpen      = "超期未办结"
	hScore     = "综合得分"
)

// smallSample is shown for a department not ranked for want of decided cases.
const smallSample = "样本不足"

// cells are one standing's figures as displayed; the rate-like ones are empty when the
// department decided nothing, since they are then undefined.
type cells struct {
	Rank, Code, Name, Decided                    string
	OnTime, Statutory, Early, Ratio, Red, Yellow string
	Open, Score                                  string
}

func display(s Standing) cells {
	c := cells{
		Rank:    smallSample,
		Code:    s.Department,
		Name:    s.Name,
		Decided: strconv.Itoa(s.Decided),
		Open:    strconv.Itoa(s.OpenOverdue),
	}
	if s.Ranked && s.Rank != nil {
		c.Rank = strconv.Itoa(*s.Rank)
	}
	if c.Name == "" {
		c.Name = s.Department
	}
	if s.Decided > 0 {
		c.OnTime, c.Statutory, c.Early = percent(s.OnTimeRate), percent(s.StatutoryRate), percent(s.EarlyRate)
		c.Ratio = strconv.FormatFloat(s.AvgTimeRatio, 'f', 3, 64)
		c.Red, c.Yellow = oneDecimal(s.RedPer100), oneDecimal(s.YellowPer100)
		c.Score = oneDecimal(s.Score)
	}
	return c
}

// percent shows a rate, already rounded to 3 decimals, as a percentage with 1 decimal
// (0.833 → "83.3%"): the same precision, read more easily, and taken by Excel and WPS as
// the number 0.833 formatted as a percentage.
func percent(rate float64) string { return strconv.FormatFloat(rate*100, 'f', 1, 64) + "%" }

func oneDecimal(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// stamp shows an instant in its own zone, which for a computed ranking is the configured
// one: "2026-04-02 02:00:00（UTC+08:00）". The zero time shows as "—".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05") + "（UTC" + t.Format("-07:00") + "）"
}

// title is the ranking's title: "2026年3月 行政审批绩效排名", with "（暂定）" when provisional.
func (r Ranking) title() string {
	t := r.Month.title() + " 行政审批绩效排名"
	if r.Provisional {
		t += "（暂定）"
	}
	return t
}

// inProgress reports whether r's figures stand at an instant before the month's end (in
// the zone of that instant, the configured one).
func (r Ranking) inProgress() bool {
	return !r.GeneratedAt.IsZero() && r.GeneratedAt.Before(r.Month.End(r.GeneratedAt.Location()))
}

// period is the period the figures cover: the whole month for a published ranking
// ("2026年3月1日至3月31日"); for a provisional one, up to the instant they were computed
// ("2026年3月1日起，截至 2026-03-18 10:30:00（UTC+08:00）"), or the whole month and that
// instant when the month has ended but is not published yet.
func (r Ranking) period() string {
	whole := fmt.Sprintf("%s1日至%d月%d日", r.Month.title(), int(r.Month.Month), r.Month.lastDay())
	switch {
	case !r.Provisional:
		return whole
	case r.inProgress():
		return r.Month.title() + "1日起，截至 " + stamp(r.GeneratedAt)
	default:
		return whole + "，数据截至 " + stamp(r.GeneratedAt)
	}
}

// provisionalNote is the warning a provisional ranking carries, in the HTML's banner and the
// CSV's first line; empty for a published ranking.
func (r Ranking) provisionalNote() string {
	switch {
	case !r.Provisional:
		return ""
	case r.inProgress():
		return "暂定排名：" + r.Month.title() + "尚未结束，数据截至 " + stamp(r.GeneratedAt) + "，不得作为正式结果公布。正式排名于月末后公布。"
	default:
		return "暂定排名：" + r.Month.title() + "的排名尚未正式公布，数据截至 " + stamp(r.GeneratedAt) + "，迟报的数据仍可能改变结果，不得作为正式结果公布。"
	}
}
