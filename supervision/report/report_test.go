package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/golden"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/supervision"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, shanghai)
}

var rules = supervision.Rules{Calendar: workday.Builtin(), Loc: shanghai, Settings: supervision.DefaultSettings()}

// generated is when the fixture report is made: early in the next quarter.
var generated = at(2027, 1, 5, 9, 0)

type builder struct {
	t *testing.T
	o supervision.Order
}

func (b *builder) do(a supervision.Action, now time.Time) *builder {
	b.t.Helper()
	o, _, err := supervision.Apply(b.o, a, now, rules)
	if err != nil {
		b.t.Fatalf("%s at %s: %v", a.Type, now, err)
	}
	b.o = o
	return b
}

func opened(t *testing.T, seq int, dept, caseID string, now time.Time) *builder {
	al := supervision.AlertRef{ID: caseID + "~promise_overdue:x", Kind: monitor.PromiseOverdue, Level: monitor.Red,
		CaseID: caseID, Department: dept, Instant: now.Add(-2 * time.Hour), FiredAt: now.Add(-2 * time.Hour)}
	b := &builder{t: t}
	return b.do(supervision.Action{Type: supervision.ActOpen, By: "李督查", Number: supervision.Number{Year: now.Year(), Seq: seq},
		Kind: supervision.Rectify, Opinion: "请限期办结。", Alerts: []supervision.AlertRef{al}}, now)
}

func replyAct(resp ...supervision.Responsible) supervision.Action {
	return supervision.Action{Type: supervision.ActReply, By: "王芳", Reply: &supervision.ReplyInput{
		Cause: "专家评审拖延", Measures: "已办结并约谈承办人", Completed: true, Responsible: resp}}
}

var (
	accept = supervision.Action{Type: supervision.ActAccept, By: "李督查", Note: "同意"}
	tick   = supervision.Action{Type: supervision.ActTick}
)

// fixture is a quarter's orders, made through the state machine.
func fixture(t *testing.T) Input {
	direct := func(h string) supervision.Responsible {
		return supervision.Responsible{Handler: h, Responsibility: supervision.Direct}
	}
	o1 := opened(t, 2, "env", "env-2026-000101", at(2026, 10, 12, 9, 0)).
		do(replyAct(direct("zhang.san")), at(2026, 10, 15, 10, 0)).do(accept, at(2026, 10, 16, 9, 0)).o
	b2 := opened(t, 3, "env", "env-2026-000102", at(2026, 10, 12, 10, 0))
	b2.do(tick, b2.o.ReplyDue.At).
		do(replyAct(direct("li.si"), supervision.Responsible{Handler: "wang.wu", Responsibility: supervision.Leadership}), at(2026, 10, 21, 9, 0)).
		do(supervision.Action{Type: supervision.ActReturn, By: "李督查", Note: "责任认定不准确"}, at(2026, 10, 22, 9, 0)).
		do(replyAct(direct("li.si"), direct("zhang.san")), at(2026, 10, 26, 9, 0)).
		do(supervision.Action{Type: supervision.ActAccept, By: "李督查", Responsible: []supervision.Responsible{direct("zhang.san"), direct("li.si")}}, at(2026, 10, 27, 9, 0))
	b3 := opened(t, 4, "env", "env-2026-000103", at(2026, 11, 2, 9, 0))
	b3.do(tick, b3.o.ReplyDue.At) // the escalation's timer has not run yet
	o4 := opened(t, 5, "transport", "trn-2026-000001", at(2026, 11, 20, 9, 0)).
		do(supervision.Action{Type: supervision.ActWithdraw, By: "李督查", Note: "误开"}, at(2026, 11, 21, 9, 0)).o
	o5 := opened(t, 6, "transport", "trn-2026-000002", at(2026, 12, 28, 9, 0)).o
	q3 := opened(t, 1, "env", "env-2026-000099", at(2026, 9, 30, 9, 0)).o
	old := opened(t, 7, "old", "old-2026-000001", at(2026, 12, 1, 9, 0)).do(replyAct(), at(2026, 12, 2, 9, 0)).o
	return Input{
		Quarter: Quarter{2026, 4}, GeneratedAt: generated.UTC(), Loc: shanghai,
		Departments: []Department{{"env", "区生态环境局"}, {"transport", "区交通运输局"}, {"market", "区市场监督管理局"}},
		Orders:      []supervision.Order{o5, o4, b3.o, b2.o, o1, q3, old},
	}
}

func TestParseQuarter(t *testing.T) {
	for s, want := range map[string]Quarter{"2026-Q1": {2026, 1}, "2026-Q4": {2026, 4}, "1999-Q2": {1999, 2}} {
		q, err := ParseQuarter(s)
		if err != nil || q != want || q.String() != s {
			t.Errorf("%s: %v %v", s, q, err)
		}
	}
	for _, s := range []string{"", "2026-Q0", "2026-Q5", "2026-q4", "2026Q4", "2026-Q44", "26-Q4", "0999-Q1", " 2026-Q4", "2026-04"} {
		_, err := ParseQuarter(s)
		var fe *supervision.FieldError
		if !errors.As(err, &fe) || fe.Field != "quarter" {
			t.Errorf("%q: %v", s, err)
		}
	}
	q := Quarter{2026, 4}
	if !q.Start(shanghai).Equal(at(2026, 10, 1, 0, 0)) || !q.End(shanghai).Equal(at(2027, 1, 1, 0, 0)) {
		t.Errorf("bounds %s %s", q.Start(shanghai), q.End(shanghai))
	}
	// The zone decides: 2026-09-30 16:30 UTC is 1 October 00:30 in Shanghai.
	if !q.Contains(time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC), shanghai) || q.Contains(at(2027, 1, 1, 0, 0), shanghai) {
		t.Error("Contains")
	}
	if q.title() != "2026年第四季度" || q.period() != "2026年10月1日至12月31日" || (Quarter{2026, 1}).period() != "2026年1月1日至3月31日" {
		t.Errorf("%s %s", q.title(), q.period())
	}
	var back Quarter
	if raw, err := json.Marshal(q); err != nil || string(raw) != `"2026-Q4"` || json.Unmarshal(raw, &back) != nil || back != q {
		t.Errorf("json %s %v", raw, err)
	}
}

func TestBuild(t *testing.T) {
	r := Build(fixture(t))
	want := []DepartmentRow{
		{Department: "env", Name: "区生态环境局", Opened: 3, RepliedOnTime: 1, RepliedLate: 1, Overdue: 2, Escalated: 1, Closed: 2, Open: 1, ConfirmedFaults: 2},
		{Department: "transport", Name: "区交通运输局", Opened: 2, Withdrawn: 1, Open: 1},
		{Department: "market", Name: "区市场监督管理局"},
		{Department: "old", Name: "old", Opened: 1, RepliedOnTime: 1, Open: 1},
	}
	if !slices.Equal(r.Departments, want) {
		t.Errorf("departments\n got %+v\nwant %+v", r.Departments, want)
	}
	if !slices.Equal(r.Handlers, []HandlerRow{{"zhang.san", "env", "区生态环境局", 2}, {"li.si", "env", "区生态环境局", 1}}) {
		t.Errorf("handlers %+v", r.Handlers)
	}
	if len(r.Escalated) != 1 || r.Escalated[0].ID != "DB-2026-000004" || r.Escalated[0].Name != "区生态环境局" {
		t.Errorf("escalated %+v", r.Escalated)
	}
	for _, d := range r.Departments {
		if d.Closed+d.Withdrawn+d.Open != d.Opened {
			t.Errorf("%s: states do not add up", d.Department)
		}
	}
	// Before the escalation deadline, the same order is overdue but not escalated.
	in := fixture(t)
	in.GeneratedAt = at(2026, 11, 12, 9, 0)
	if r := Build(in); r.Departments[0].Escalated != 0 || len(r.Escalated) != 0 {
		t.Errorf("escalated early: %+v", r.Departments[0])
	}
}

func TestGolden(t *testing.T) {
	r := Build(fixture(t))
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "orders-2026-Q4.json", append(raw, '\n'))
	var c, h bytes.Buffer
	if err := WriteCSV(&c, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "orders-2026-Q4.csv", c.Bytes())
	if err := WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "orders-2026-Q4.html", h.Bytes())
	wellFormed(t, h.Bytes())
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, Build(fixture(t))); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\uFEFF2026年第四季度 责任追究情况报告（2026年10月1日至12月31日，数据截至 2027-01-05 09:00:00（UTC+08:00））\r\n部门代码,部门,督办件数,") {
		t.Errorf("head %q", out[:min(len(out), 200)])
	}
	if strings.Count(out, "\r\n") != strings.Count(out, "\n") {
		t.Error("not all lines end in CRLF")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// csv skips the empty line between the tables.
	for i, want := range [][]string{
		2: {"env", "区生态环境局", "3", "1", "1", "2", "1", "2", "0", "1", "2"},
		6: {"", "合计", "6", "2", "1", "2", "1", "2", "1", "3", "2"},
		7: {"承办人", "部门代码", "部门", "确认过错（直接责任）"},
		8: {"zhang.san", "env", "区生态环境局", "2"},
	} {
		if want != nil && !slices.Equal(rows[i], want) {
			t.Errorf("row %d: %q, want %q", i, rows[i], want)
		}
	}
	if !strings.Contains(out, "\r\n\r\n承办人,") {
		t.Error("no empty line between the tables")
	}
	// A name that would be a formula is defused.
	r := Build(Input{Quarter: Quarter{2026, 4}, Loc: shanghai, Departments: []Department{{"x", "=HYPERLINK(1)"}}})
	b.Reset()
	if err := WriteCSV(&b, r); err != nil || !strings.Contains(b.String(), "x,'=HYPERLINK(1),0,") {
		t.Errorf("injection: %v %q", err, b.String())
	}
}

func TestHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, Build(fixture(t))); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<title>2026年第四季度 责任追究情况报告</title>", "size: A4 portrait",
		"本季度共发出督办单6件：按期反馈2件，逾期反馈1件，曾逾期未反馈2件，升级督办1件；已办结2件，已撤销1件，仍在督办中3件。经督办确认负有直接责任的过错2起，涉及承办人2人。",
		"<td>督〔2026〕000004号</td><td>区生态环境局</td><td>env-2026-000103</td><td>2026年11月2日</td><td>待反馈</td>",
		"<tr><td>zhang.san</td><td>区生态环境局</td><td class=\"num\">2</td></tr>", "抄送：人事部门",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Names, not codes, in the Chinese text.
	if strings.Contains(page, ">env<") || strings.Contains(page, ">transport<") {
		t.Error("a department shown by its code")
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http") {
		t.Error("scripts or external assets")
	}
	// Values are escaped.
	b.Reset()
	if err := WriteHTML(&b, Build(Input{Quarter: Quarter{2026, 4}, Loc: shanghai, Departments: []Department{{"x", "<b>&"}}})); err != nil ||
		!strings.Contains(b.String(), "&lt;b&gt;&amp;") {
		t.Errorf("escaping: %v", err)
	}
	wellFormed(t, b.Bytes())
}

// noticeOrder is an order in its second round, returned once.
func noticeOrder(t *testing.T) supervision.Order {
	b := opened(t, 12, "env", "env-2026-000123", at(2026, 3, 2, 10, 0))
	b.o.Opinion = "你单位办理的建设项目环境影响报告表审批超过法定时限。\n请立即办结，并对相关责任人员提出处理意见。"
	return b.do(replyAct(), at(2026, 3, 5, 9, 0)).
		do(supervision.Action{Type: supervision.ActReturn, By: "李督查", Note: "未说明延误原因"}, at(2026, 3, 6, 15, 0)).o
}

func noticeInput(o supervision.Order) NoticeInput {
	due := o.Rounds[0].ReplyDue // any deadline, for the fact
	return NoticeInput{Order: o, DepartmentName: "区生态环境局", Loc: shanghai, Facts: []Fact{
		{CaseID: "env-2026-000123", Matter: "建设项目环境影响报告表审批", Kind: monitor.StatutoryOverdue, Due: &due, Instant: due.At},
		{CaseID: "env-2026-000123", Matter: "建设项目环境影响报告表审批", Kind: monitor.ProcedureViolate, Instant: at(2026, 2, 20, 14, 5)},
	}}
}

func TestNotice(t *testing.T) {
	o := noticeOrder(t)
	var b bytes.Buffer
	if err := WriteNotice(&b, noticeInput(o)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "notice-DB-2026-000012.html", b.Bytes())
	wellFormed(t, b.Bytes())
	page := b.String()
	for _, want := range []string{
		"<h1>督办通知书</h1>", "督〔2026〕000012号", "<p class=\"addressee\">区生态环境局：</p>",
		"<td>env-2026-000123</td><td>建设项目环境影响报告表审批</td><td>超法定时限</td><td>2026年3月9日</td><td>2026-03-10 00:00</td>",
		"<td>程序违规</td><td>—</td><td>2026-02-20 14:05</td>",
		"请你单位查明原因，限期办结，落实整改措施，并于2026年3月11日（3个工作日内）前将原因、整改措施、是否办结及相关责任人员的责任认定情况书面反馈区监察局。",
		"本督办单为第2轮：你单位前次反馈已于2026年3月6日被退回，退回理由：未说明延误原因",
		"<p class=\"sign\" style=\"margin-top: 0\">2026年3月2日</p>", "size: A4 portrait",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("notice lacks %s", want)
		}
	}
	if strings.Contains(page, "已撤销") || strings.Contains(page, "暂定") {
		t.Error("an open, final-dated order says withdrawn or provisional")
	}

	// Withdrawn, 0 days, provisional, no facts: the notice says each.
	w := opened(t, 13, "env", "env-2026-000124", at(2026, 12, 28, 9, 0)).o
	w.ReplyDays, w.Rounds[0].Days = 0, 0
	w.Kind = supervision.Explain
	w, _, _ = supervision.Apply(w, supervision.Action{Type: supervision.ActWithdraw, By: "李督查", Note: "误开"}, at(2026, 12, 28, 10, 0), rules)
	b.Reset()
	if err := WriteNotice(&b, NoticeInput{Order: w, Loc: shanghai, Bureau: "市监察局"}); err != nil {
		t.Fatal(err)
	}
	page = b.String()
	for _, want := range []string{"本督办单已撤销", "为暂定期限", "（当日）", "书面说明情况", "反馈市监察局", "<p class=\"addressee\">env：</p>",
		"经审查，你单位办理的下列办件需要督办：", "<td>1</td><td>env-2026-000124</td><td>—</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("withdrawn notice lacks %s", want)
		}
	}
	wellFormed(t, b.Bytes())
}

// wellFormed checks that a page parses as XML, so that no tag is left open.
func wellFormed(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Entity = xml.HTMLEntity
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Errorf("depth %d at the end", depth)
	}
}
