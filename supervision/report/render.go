package report

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

// The column headings of the department table, in Chinese.
var deptHeading = []string{"部门代码", "部门", "督办件数", "按期反馈", "逾期反馈", "曾逾期未反馈", "升级督办", "已办结", "已撤销", "督办中", "确认过错"}

func (d DepartmentRow) cells() []string {
	return []string{
		strconv.Itoa(d.Opened), strconv.Itoa(d.RepliedOnTime), strconv.Itoa(d.RepliedLate), strconv.Itoa(d.Overdue),
		strconv.Itoa(d.Escalated), strconv.Itoa(d.Closed), strconv.Itoa(d.Withdrawn), strconv.Itoa(d.Open),
		strconv.Itoa(d.ConfirmedFaults),
	}
}

// title is the report's title, "2026年第四季度 责任追究情况报告".
func (r Report) title() string { return r.Quarter.title() + " 责任追究情况报告" }

// WriteCSV writes r for Excel and WPS: UTF-8 with a byte-order mark, CRLF line endings. The
// first line is the title with the period and the instant the figures stand at; then the
// department table with a 合计 row; an empty line; then the handlers' confirmed faults. A
// cell a spreadsheet would take for a formula is prefixed with an apostrophe.
func WriteCSV(w io.Writer, r Report) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rows := [][]string{{r.title() + "（" + r.Quarter.period() + "，数据截至 " + stamp(r.GeneratedAt) + "）"}, deptHeading}
	for _, d := range r.Departments {
		rows = append(rows, append([]string{inert(d.Department), inert(d.Name)}, d.cells()...))
	}
	t := r.totals()
	rows = append(rows, append([]string{"", t.Name}, t.cells()...), []string{}, []string{"承办人", "部门代码", "部门", "确认过错（直接责任）"})
	for _, h := range r.Handlers {
		rows = append(rows, []string{inert(h.Handler), inert(h.Department), inert(h.Name), strconv.Itoa(h.ConfirmedFaults)})
	}
	for _, row := range rows {
		// An empty row is an empty record: encoding/csv writes it as an empty line.
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	return nil
}

// inert defuses a text cell that Excel or WPS would evaluate as a formula (CSV injection).
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// stamp shows an instant in its own zone: "2027-01-05 09:00:00（UTC+08:00）".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05") + "（UTC" + t.Format("-07:00") + "）"
}

// chineseDate shows a date as "2026年3月9日".
func chineseDate(y int, m time.Month, d int) string {
	return fmt.Sprintf("%d年%d月%d日", y, int(m), d)
}

//go:embed report.html.tmpl
var reportText string

var reportPage = template.Must(template.New("report").Parse(reportText))

type reportView struct {
	Title, Period, Generated, GeneratedISO, Quarter string
	Summary                                         string
	Heading                                         []string
	Rows                                            []rowView
	Total                                           rowView
	Escalated                                       []escalatedView
	Handlers                                        []HandlerRow
}

type rowView struct {
	Name  string
	Cells []string
}

type escalatedView struct{ Number, Name, Cases, Opened, State string }

// WriteHTML writes r as a printable, self-contained page (A4 portrait; no scripts, no
// external assets): the title and period, a summary in words, the departments' table with
// totals, the escalated orders (for 通报批评), the handlers' confirmed faults, and how each
// figure is counted. Departments are shown by name.
func WriteHTML(w io.Writer, r Report) error {
	t := r.totals()
	v := reportView{
		Title: r.title(), Period: r.Quarter.period(), Generated: stamp(r.GeneratedAt),
		GeneratedISO: r.GeneratedAt.Format(time.RFC3339), Quarter: r.Quarter.String(),
		Heading: deptHeading[1:], Total: rowView{Name: t.Name, Cells: t.cells()}, Handlers: r.Handlers,
		Summary: fmt.Sprintf("本季度共发出督办单%d件：按期反馈%d件，逾期反馈%d件，曾逾期未反馈%d件，升级督办%d件；已办结%d件，已撤销%d件，仍在督办中%d件。经督办确认负有直接责任的过错%d起，涉及承办人%d人。",
			t.Opened, t.RepliedOnTime, t.RepliedLate, t.Overdue, t.Escalated, t.Closed, t.Withdrawn, t.Open, t.ConfirmedFaults, len(r.Handlers)),
	}
	for _, d := range r.Departments {
		v.Rows = append(v.Rows, rowView{Name: d.Name, Cells: d.cells()})
	}
	for _, e := range r.Escalated {
		y, m, d := e.OpenedAt.Date()
		v.Escalated = append(v.Escalated, escalatedView{Number: e.Number, Name: e.Name, Cases: strings.Join(e.CaseIDs, "、"),
			Opened: chineseDate(y, m, d), State: stateName(e.State)})
	}
	if err := reportPage.Execute(w, v); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}
