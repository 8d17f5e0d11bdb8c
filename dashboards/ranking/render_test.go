package ranking

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/golden"
)

func TestGolden(t *testing.T) {
	r := marchRanking()
	golden.Check(t, "2026-03.json", append(marshal(t, r), '\n'))
	var c, h bytes.Buffer
	if err := WriteCSV(&c, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "2026-03.csv", c.Bytes())
	if err := WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "2026-03.html", h.Bytes())
}

// midMarch is when the provisional fixture is computed: 10:30 on 18 March, mid-month.
var midMarch = time.Date(2026, time.March, 18, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))

// provisionalMarch is March computed mid-month and not published: the API's ranking of the
// month in progress.
func provisionalMarch() Ranking {
	r := Compute(march, midMarch, DefaultMethod(), marchAggregates())
	r.Provisional = true
	return r
}

// A provisional month looks provisional in every form; the published month's golden files
// above stay as they were.
func TestGoldenProvisional(t *testing.T) {
	r := provisionalMarch()
	var c, h bytes.Buffer
	if err := WriteCSV(&c, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "2026-03-provisional.csv", c.Bytes())
	if err := WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "2026-03-provisional.html", h.Bytes())
	// JSON is the published month's document: Provisional is the API's to write.
	if got := string(marshal(t, r)); strings.Contains(got, "provisional") {
		t.Errorf("the stored document carries provisional: %s", got)
	}
}

func TestCSVProvisional(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, provisionalMarch()); err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(b.String(), "\r\n")
	want := "\uFEFF暂定排名：2026年3月尚未结束，数据截至 2026-03-18 10:30:00（UTC+08:00），不得作为正式结果公布。正式排名于月末后公布。"
	if first != want {
		t.Errorf("first line\n got %q\nwant %q", first, want)
	}
	// Then the table, as a published month has it.
	var final bytes.Buffer
	if err := WriteCSV(&final, Compute(march, midMarch, DefaultMethod(), marchAggregates())); err != nil {
		t.Fatal(err)
	}
	if "\uFEFF"+rest != final.String() {
		t.Errorf("after the first line:\n%s\nwant the published form:\n%s", rest, final.String())
	}
}

func TestHTMLProvisional(t *testing.T) {
	raw, doc := renderHTML(t, provisionalMarch())
	const title = "2026年3月 行政审批绩效排名（暂定）"
	if titles := doc.all("title"); len(titles) != 1 || titles[0].text != title {
		t.Errorf("title: %+v", titles)
	}
	if h1 := doc.all("h1"); len(h1) != 1 || h1[0].text != title {
		t.Errorf("h1: %+v", h1)
	}
	var banners []*element
	for _, p := range doc.all("p") {
		if p.attrs["class"] == "provisional" {
			banners = append(banners, p)
		}
	}
	// The banner's border comes from the page's one <style> element (the CSP allows no
	// inline style attribute).
	if len(banners) != 1 || banners[0].attrs["role"] != "note" || banners[0].attrs["style"] != "" ||
		!strings.Contains(pageText, ".provisional { margin: 12px 0 0; padding: 8px 12px; border: 2px solid #b22222") ||
		banners[0].text != "暂定排名：2026年3月尚未结束，数据截至 2026-03-18 10:30:00（UTC+08:00），不得作为正式结果公布。正式排名于月末后公布。" {
		t.Errorf("banner: %+v", banners)
	}
	if got := meta(doc); got != "统计期间：2026年3月1日起，截至 2026-03-18 10:30:00（UTC+08:00） · 生成时间：" {
		t.Errorf("the period does not end at the instant computed: %q", got)
	}
	if bytes.Contains(raw, []byte("3月31日")) {
		t.Error("the page names the month's end as if the period reached it")
	}
	if f := doc.all("footer"); len(f) != 1 || !strings.HasPrefix(f[0].text, title) {
		t.Errorf("footer: %+v", f)
	}
	// A published month has none of it.
	raw, doc = renderHTML(t, marchRanking())
	if bytes.Contains(raw, []byte("暂定")) || bytes.Contains(raw, []byte("截至")) || bytes.Contains(raw, []byte(`class="provisional"`)) {
		t.Error("a published month says 暂定")
	}
}

// meta is the text of the page's period line, without its <time>.
func meta(doc *element) string {
	for _, p := range doc.all("p") {
		if p.attrs["class"] == "meta" {
			return p.text
		}
	}
	return ""
}

// A month that has ended but is not published yet (before the monthly job, or when it
// failed) covers the whole month, and still says it is not the published result.
func TestProvisionalEndedMonth(t *testing.T) {
	r := Compute(march, built, DefaultMethod(), marchAggregates())
	r.Provisional = true
	_, doc := renderHTML(t, r)
	if titles := doc.all("title"); len(titles) != 1 || titles[0].text != "2026年3月 行政审批绩效排名（暂定）" {
		t.Errorf("title: %+v", titles)
	}
	if got := meta(doc); got != "统计期间：2026年3月1日至3月31日，数据截至 2026-04-02 02:00:00（UTC+08:00） · 生成时间：" {
		t.Errorf("the period is not the whole month with the instant computed: %q", got)
	}
	note := "暂定排名：2026年3月的排名尚未正式公布，数据截至 2026-04-02 02:00:00（UTC+08:00），迟报的数据仍可能改变结果，不得作为正式结果公布。"
	var banner string
	for _, p := range doc.all("p") {
		if p.attrs["class"] == "provisional" {
			banner = p.text
		}
	}
	if banner != note {
		t.Errorf("banner %q, want %q", banner, note)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\uFEFF"+note+"\r\n排名,部门代码,") {
		t.Errorf("csv: %q", b.String()[:min(b.Len(), 300)])
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, marchRanking()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\uFEFF排名,部门代码,部门,办结数,按时办结率,") {
		t.Errorf("no BOM and Chinese heading: %q", out[:min(len(out), 60)])
	}
	if strings.Count(out, "\r\n") != strings.Count(out, "\n") || strings.Count(out, "\r\n") != 8 {
		t.Errorf("want 8 lines, all ending in CRLF: %q", out)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{
		{"排名", "部门代码", "部门", "办结数", "按时办结率", "法定时限内办结率", "提前办结率", "平均用时比", "每百件红牌", "每百件黄牌", "超期未办结", "综合得分"},
		{"1", "housing", "区住房和城乡建设局", "40", "95.0%", "100.0%", "50.0%", "0.400", "2.5", "7.5", "0", "80.0"},
		{"2", "market", "区市场监督管理局", "20", "90.0%", "100.0%", "30.0%", "0.500", "0.0", "5.0", "1", "78.0"},
		{"2", "transport", "区交通运输局", "20", "90.0%", "95.0%", "20.0%", "0.500", "0.0", "0.0", "0", "78.0"},
		{"4", "env", "区生态环境局", "12", "83.3%", "100.0%", "25.0%", "0.610", "8.3", "16.7", "0", "57.0"},
		{"5", "agri", "区农业农村局", "10", "50.0%", "80.0%", "10.0%", "1.400", "30.0", "10.0", "12", "21.0"},
		{"样本不足", "culture", "区文化和旅游局", "6", "100.0%", "100.0%", "50.0%", "0.500", "0.0", "0.0", "0", "85.0"},
		{"样本不足", "sports", "区体育局", "0", "", "", "", "", "", "", "3", ""},
	} {
		if strings.Join(rows[i], "|") != strings.Join(want, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	r := Compute(march, built, DefaultMethod(), []Aggregate{
		{Department: "=cmd", Name: `=HYPERLINK("http://x","点我")`},
		{Department: "ok", Name: "区\"财政\"局, 一科"},
		{Department: "-a", Name: "@b"},
	})
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := [][2]string{{rows[1][1], rows[1][2]}, {rows[2][1], rows[2][2]}, {rows[3][1], rows[3][2]}}
	want := [][2]string{{"'-a", "'@b"}, {"'=cmd", `'=HYPERLINK("http://x","点我")`}, {"ok", "区\"财政\"局, 一科"}}
	if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %q, want %q", got, want)
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	r := marchRanking()
	for _, after := range []int{0, 1} {
		if err := WriteCSV(&failingWriter{after: after}, r); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("WriteCSV after %d writes: %v", after, err)
		}
	}
	if err := WriteHTML(&failingWriter{}, r); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteHTML: %v", err)
	}
}

// element is a parsed XML element: the rendered page is well-formed XML (polyglot markup),
// so encoding/xml checks its structure without an HTML parser.
type element struct {
	name     string
	attrs    map[string]string
	text     string // the text directly inside
	children []*element
}

func parsePage(t *testing.T, page []byte) *element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true // unbalanced tags, unquoted attributes, stray & or < are errors
	root := &element{name: "#document"}
	stack := []*element{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, e)
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(stack) != 1 || len(root.children) != 1 || root.children[0].name != "html" {
		t.Fatalf("the page is not one html element")
	}
	return root.children[0]
}

// all lists the elements named name under e, depth first.
func (e *element) all(name string) []*element {
	var out []*element
	for _, c := range e.children {
		if c.name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

func renderHTML(t *testing.T, r Ranking) ([]byte, *element) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), parsePage(t, b.Bytes())
}

func TestHTML(t *testing.T) {
	raw, doc := renderHTML(t, marchRanking())
	if titles := doc.all("title"); len(titles) != 1 || titles[0].text != "2026年3月 行政审批绩效排名" {
		t.Errorf("title: %+v", titles)
	}
	if h1 := doc.all("h1"); len(h1) != 1 || h1[0].text != "2026年3月 行政审批绩效排名" {
		t.Errorf("h1: %+v", h1)
	}
	styles := doc.all("style")
	if len(styles) != 1 || !strings.Contains(styles[0].text, "@media print") {
		t.Error("no inline style with print rules")
	}
	// Self-contained: no scripts, no linked or fetched resources.
	for _, name := range []string{"script", "link", "img", "iframe", "object"} {
		if n := len(doc.all(name)); n != 0 {
			t.Errorf("%d <%s> elements", n, name)
		}
	}
	for _, s := range []string{"http:", "https:", "url(", "@import", "src="} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the page contains %q", s)
		}
	}
	// The ranking table: one row per department, in order, with its rank.
	tables := doc.all("table")
	if len(tables) != 2 {
		t.Fatalf("%d tables, want the ranking and the method", len(tables))
	}
	rows := tables[0].all("tbody")[0].all("tr")
	var ranks []string
	for _, tr := range rows {
		tds := tr.all("td")
		ranks = append(ranks, tds[0].text+" "+tds[1].text+" "+tds[10].text)
	}
	wantRanks := "1 区住房和城乡建设局 80.0|2 区市场监督管理局 78.0|2 区交通运输局 78.0|4 区生态环境局 57.0|" +
		"5 区农业农村局 21.0|样本不足 区文化和旅游局 85.0|样本不足 区体育局 —"
	if got := strings.Join(ranks, "|"); got != wantRanks {
		t.Errorf("rows:\n got %s\nwant %s", got, wantRanks)
	}
	// The chart: one bar per ranked department, as wide as its score on a 0–100 scale.
	svgs := doc.all("svg")
	if len(svgs) != 1 {
		t.Fatalf("%d svg elements", len(svgs))
	}
	var widths []string
	for _, r := range svgs[0].all("rect") {
		widths = append(widths, r.attrs["width"])
	}
	// 440 · score/100: 80 → 352, 78 → 343.2, 57 → 250.8, 21 → 92.4.
	if got := strings.Join(widths, " "); got != "352.0 343.2 343.2 250.8 92.4" {
		t.Errorf("bar widths %s", got)
	}
	// The method with its weights.
	var terms []string
	for _, tr := range tables[1].all("tbody")[0].all("tr") {
		tds := tr.all("td")
		terms = append(terms, tds[0].text+" "+tds[1].text)
	}
	if got := strings.Join(terms, ", "); got != "按时办结率 40, 平均用时比 20, 提前办结率 10, 红牌 20, 超期未办结 10" {
		t.Errorf("weights: %s", got)
	}
	for _, s := range []string{"办结数少于 10 件", "权重合计 100", "2026年3月1日至3月31日"} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("the page does not say %q", s)
		}
	}
	times := doc.all("time")
	if len(times) != 1 || times[0].attrs["datetime"] != "2026-04-02T02:00:00+08:00" || times[0].text != "2026-04-02 02:00:00（UTC+08:00）" {
		t.Errorf("generation time: %+v", times)
	}
}

func TestHTMLEscapes(t *testing.T) {
	evil := `<script>alert("x")</script> & 局`
	r := Compute(march, built, DefaultMethod(), []Aggregate{
		{Department: "evil", Name: evil, Decided: 10, OnTime: 10, WithinStatutory: 10},
		{Department: "quote", Name: `a" onmouseover="x`, Decided: 10, OnTime: 9, WithinStatutory: 10},
	})
	raw, doc := renderHTML(t, r)
	if n := len(doc.all("script")); n != 0 {
		t.Fatalf("a name became %d script elements", n)
	}
	if bytes.Contains(raw, []byte("<script>")) || bytes.Contains(raw, []byte(`" onmouseover`)) {
		t.Error("a name is in the page unescaped")
	}
	var cells, labels []string
	for _, tr := range doc.all("tbody")[0].all("tr") {
		cells = append(cells, tr.all("td")[1].text)
	}
	for _, text := range doc.all("svg")[0].all("text") {
		if strings.Contains(text.text, ". ") {
			labels = append(labels, text.text)
		}
	}
	want := []string{evil, `a" onmouseover="x`}
	if strings.Join(cells, "|") != strings.Join(want, "|") {
		t.Errorf("table names %q, want %q", cells, want)
	}
	if strings.Join(labels, "|") != "1. "+evil+"|2. "+want[1] {
		t.Errorf("chart labels %q", labels)
	}
	if n := len(doc.all("rect")); n != 2 {
		t.Errorf("%d bars, want 2", n)
	}
}

func TestHTMLNothingRanked(t *testing.T) {
	raw, doc := renderHTML(t, Compute(march, built, DefaultMethod(), []Aggregate{{Department: "x", Name: "X", Decided: 3}}))
	if n := len(doc.all("svg")); n != 0 {
		t.Errorf("%d charts with nothing ranked", n)
	}
	if !bytes.Contains(raw, []byte("本月没有参与排名的部门")) {
		t.Error("no word that nothing is ranked")
	}
	raw, _ = renderHTML(t, Compute(march, built, DefaultMethod(), nil))
	if !bytes.Contains(raw, []byte("本月没有部门数据")) {
		t.Error("no word that there are no departments")
	}
}

func TestHTMLCustomWeights(t *testing.T) {
	m := Method{Weights: Weights{OnTime: 50, TimeRatio: 12.5, Early: 0, Red: 25, OpenOverdue: 12.5}, MinCases: 5}
	raw, doc := renderHTML(t, Compute(march, built, m, marchAggregates()))
	var terms []string
	for _, tr := range doc.all("table")[1].all("tbody")[0].all("tr") {
		terms = append(terms, tr.all("td")[1].text)
	}
	if got := strings.Join(terms, " "); got != "50 12.5 0 25 12.5" {
		t.Errorf("weights shown: %s", got)
	}
	if !bytes.Contains(raw, []byte("办结数少于 5 件")) || !bytes.Contains(raw, []byte("权重合计 100")) {
		t.Error("the method shown is not the one used")
	}
	// culture (6 decided) is ranked with min_cases 5: six bars.
	if n := len(doc.all("rect")); n != 6 {
		t.Errorf("%d bars, want 6", n)
	}
}
