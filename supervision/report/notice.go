package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/supervision"
)

// DefaultBureau is the issuer printed on a notice when none is given.
const DefaultBureau = "区监察局"

// Fact is one fact an order is about: an alert of a case, with its deadline.
type Fact struct {
	CaseID string
	// Matter is the matter's name (事项名称); empty when unknown.
	Matter string
	Kind   monitor.AlertKind
	// Due is the deadline the alert is about; nil for an event alert.
	Due *deadline.Deadline
	// Instant is the alert's instant.
	Instant time.Time
}

// NoticeInput is what a notice (督办通知书) is printed from.
type NoticeInput struct {
	Order supervision.Order
	// DepartmentName is the addressee, the department's name.
	DepartmentName string
	// Facts are the order's alerts; when empty, the notice lists the order's cases.
	Facts []Fact
	// Bureau is the issuing bureau; DefaultBureau when empty.
	Bureau string
	Loc    *time.Location
}

//go:embed notice.html.tmpl
var noticeText string

var noticePage = template.Must(template.New("notice").Parse(noticeText))

type noticeView struct {
	Title, Number, ID, Addressee, Bureau string
	Intro                                string
	Facts                                []factView
	Opinion                              string
	Requirement, Returned, Provisional   string
	Banner                               string
	Signed                               string
}

type factView struct{ N, Case, Matter, Kind, Due, Instant string }

func dateOf(t time.Time, loc *time.Location) string {
	y, m, d := t.In(loc).Date()
	return chineseDate(y, m, d)
}

// WriteNotice writes the printable notice of one order (A4 portrait, the bureau's layout):
// the title, the number, the addressee department by name, the facts with their deadlines,
// the opinion, what is asked and by which day, the issuing bureau and the date. A returned
// order's notice is the current round's: it says which round and why the reply came back.
// A withdrawn or closed order says so across the top.
func WriteNotice(w io.Writer, in NoticeInput) error {
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	o := in.Order
	bureau := in.Bureau
	if bureau == "" {
		bureau = DefaultBureau
	}
	v := noticeView{
		Title: "督办通知书", Number: o.Number, ID: o.ID, Addressee: nameOr(in.DepartmentName, o.Department),
		Bureau: bureau, Opinion: o.Opinion, Signed: dateOf(o.OpenedAt, loc),
		Intro: "经行政审批电子监察系统监测，你单位办理的下列事项存在以下问题：",
	}
	for i, f := range in.Facts {
		fv := factView{N: strconv.Itoa(i + 1), Case: f.CaseID, Matter: f.Matter, Kind: supervision.AlertKindName(f.Kind)}
		if f.Due != nil {
			y, m, d := f.Due.Date.YMD()
			fv.Due = chineseDate(y, m, d)
		}
		if !f.Instant.IsZero() {
			fv.Instant = f.Instant.In(loc).Format("2006-01-02 15:04")
		}
		v.Facts = append(v.Facts, fv)
	}
	if len(in.Facts) == 0 {
		v.Intro = "经审查，你单位办理的下列办件需要督办："
		for i, c := range o.CaseIDs {
			v.Facts = append(v.Facts, factView{N: strconv.Itoa(i + 1), Case: c})
		}
	}
	y, m, d := o.ReplyDue.Date.YMD()
	ask := "查明原因，限期办结，落实整改措施"
	if o.Kind == supervision.Explain {
		ask = "查明原因，书面说明情况，落实整改措施"
	}
	days := o.ReplyDays
	if rd, ok := o.CurrentRound(); ok {
		days = rd.Days
	}
	limit := strconv.Itoa(days) + "个工作日内"
	if days == 0 {
		limit = "当日"
	}
	v.Requirement = fmt.Sprintf("请你单位%s，并于%s（%s）前将原因、整改措施、是否办结及相关责任人员的责任认定情况书面反馈%s。逾期未反馈的，将予以催办并升级督办。",
		ask, chineseDate(y, m, d), limit, bureau)
	if o.Round > 1 && o.Review != nil && o.Review.Decision == supervision.Returned {
		note := strings.TrimSpace(o.Review.Note)
		if !strings.HasSuffix(note, "。") && !strings.HasSuffix(note, "！") && !strings.HasSuffix(note, "？") {
			note += "。"
		}
		v.Returned = fmt.Sprintf("本督办单为第%d轮：你单位前次反馈已于%s被退回，退回理由：%s", o.Round, dateOf(o.Review.At, loc), note)
	}
	if o.Provisional {
		v.Provisional = "注：反馈期限涉及尚未公布节假日安排的年度，为暂定期限，节假日安排公布后将重新计算。"
	}
	switch o.State {
	case supervision.Withdrawn:
		v.Banner = "本督办单已撤销"
	case supervision.Closed:
		v.Banner = "本督办单已办结"
	}
	if err := noticePage.Execute(w, v); err != nil {
		return fmt.Errorf("report: write notice: %w", err)
	}
	return nil
}
