package supervision

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
)

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		n      Number
		id, zh string
	}{
		{Number{2026, 1}, "DB-2026-000001", "督〔2026〕000001号"},
		{Number{2026, 42}, "DB-2026-000042", "督〔2026〕000042号"},
		{Number{2027, MaxSeq}, "DB-2027-999999", "督〔2027〕999999号"},
	} {
		if c.n.ID() != c.id || c.n.Chinese() != c.zh || c.n.String() != c.id {
			t.Errorf("%v: %s %s", c.n, c.n.ID(), c.n.Chinese())
		}
		if p, err := ParseID(c.id); err != nil || p != c.n {
			t.Errorf("ParseID(%s) = %v, %v", c.id, p, err)
		}
	}
	// The brackets are U+3014 and U+3015.
	if zh := []rune(Number{2026, 1}.Chinese()); zh[1] != '\u3014' || zh[6] != '\u3015' {
		t.Errorf("brackets %q", string(zh))
	}
	for _, bad := range []string{"", "DB-2026-1", "DB-2026-0000001", "db-2026-000001", "DB-2026-000000", "DB-0999-000001",
		"DB-2026_000001", "DB-2026-00000a", "DB-+026-000001", "XX-2026-000001"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
	// Fixed widths: ids sort as they were given, across years too.
	ids := []string{Number{2027, 1}.ID(), Number{2026, 10}.ID(), Number{2026, 9}.ID(), Number{2026, 100000}.ID()}
	sort.Strings(ids)
	if !slices.Equal(ids, []string{"DB-2026-000009", "DB-2026-000010", "DB-2026-100000", "DB-2027-000001"}) {
		t.Errorf("order %v", ids)
	}
}

func TestAutoOpen(t *testing.T) {
	s := DefaultSettings()
	s.AutoOpen = []monitor.AlertKind{monitor.StatutoryOverdue, monitor.ProcedureViolate}
	fired := at(2026, 3, 17, 0, 0)
	alert := func(kind monitor.AlertKind, f func(*AlertRef)) AlertRef {
		a := AlertRef{ID: "env-2026-000123~" + string(kind), Kind: kind, Level: kind.Level(), CaseID: "env-2026-000123",
			Department: "env", Instant: fired, FiredAt: fired.Add(120 * time.Millisecond), Message: "办件 env-2026-000123 超过法定时限（20个工作日）"}
		if f != nil {
			f(&a)
		}
		return a
	}
	for _, c := range []struct {
		name    string
		a       AlertRef
		active  []string
		verdict Verdict
		orderID string
		kind    Kind
	}{
		{"listed kind, no order", alert(monitor.StatutoryOverdue, nil), nil, NewOrder, "", Rectify},
		{"procedure violation asks for an explanation", alert(monitor.ProcedureViolate, nil), nil, NewOrder, "", Explain},
		{"kind not listed", alert(monitor.PromiseOverdue, nil), nil, NoOrder, "", ""},
		{"yellow", alert(monitor.StatutoryOverdue, func(a *AlertRef) { a.Level = monitor.Yellow }), nil, NoOrder, "", ""},
		{"exempted", alert(monitor.StatutoryOverdue, func(a *AlertRef) { a.Exempted = true }), nil, NoOrder, "", ""},
		{"no case", alert(monitor.StatutoryOverdue, func(a *AlertRef) { a.CaseID = "" }), nil, NoOrder, "", ""},
		{"just within report_within", alert(monitor.StatutoryOverdue, func(a *AlertRef) { a.FiredAt = a.Instant.Add(24 * time.Hour) }), nil, NewOrder, "", Rectify},
		{"a backfill", alert(monitor.StatutoryOverdue, func(a *AlertRef) { a.FiredAt = a.Instant.Add(24*time.Hour + time.Second) }), nil, NoOrder, "", ""},
		{"the case has an order", alert(monitor.StatutoryOverdue, nil), []string{"DB-2026-000007"}, AttachTo, "DB-2026-000007", ""},
		{"the case has several: the first", alert(monitor.StatutoryOverdue, nil), []string{"DB-2026-000031", "DB-2025-000900", "DB-2026-000007"}, AttachTo, "DB-2025-000900", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := AutoOpen(c.a, c.active, s, 24*time.Hour)
			if d.Verdict != c.verdict || d.OrderID != c.orderID {
				t.Fatalf("got %s %s (%s), want %s %s", d.Verdict, d.OrderID, d.Reason, c.verdict, c.orderID)
			}
			switch d.Verdict {
			case NoOrder:
				if d.Reason == "" {
					t.Error("no reason")
				}
			case AttachTo:
				if d.Action.Type != ActAttach || len(d.Action.Alerts) != 1 || d.Action.Alerts[0].ID != c.a.ID {
					t.Errorf("action %+v", d.Action)
				}
			case NewOrder:
				a := d.Action
				if a.Type != ActOpen || a.Kind != c.kind || !a.Auto || a.By != SystemPrincipal || a.ReplyDays != nil {
					t.Errorf("action %+v", a)
				}
				// Applied at the firing, with the store's number, it is a valid order.
				a.Number = Number{2026, 8}
				o, _ := must(t, Order{}, a, c.a.FiredAt)
				if !o.Auto || o.OpenedBy != SystemPrincipal || !o.OpenedAt.Equal(c.a.FiredAt) || o.ReplyDays != s.ReplyDays ||
					o.Opinion != AutoOpinion(c.a, c.kind) {
					t.Errorf("order %+v", o)
				}
			}
		})
	}
	if got := AutoOpinion(alert(monitor.StatutoryOverdue, nil), Rectify); got != "经行政审批电子监察系统监测：办件 env-2026-000123 超过法定时限（20个工作日）。请查明原因，限期办结，落实整改措施，认定相关责任人员的责任，并按期书面反馈。" {
		t.Errorf("opinion %q", got)
	}
	if got := AutoOpinion(alert(monitor.FeeViolation, func(a *AlertRef) { a.Message = "" }), Rectify); got != "经行政审批电子监察系统监测：办件 env-2026-000123 违规收费。请查明原因，限期办结，落实整改措施，认定相关责任人员的责任，并按期书面反馈。" {
		t.Errorf("opinion without a message %q", got)
	}
	// Every auto-openable kind is a red kind of a case.
	for _, k := range AutoOpenable {
		if k.Level() != monitor.Red || !k.Valid() || k == monitor.FaultThreshold {
			t.Errorf("auto-openable %s", k)
		}
	}
}

// Confirmed faults: an accepted order whose determination names handlers with direct
// responsibility is one fault of each and one of the department, in the year of its
// earliest alert; the supervisor's restatement is what counts.
func TestConfirmedFaults(t *testing.T) {
	o := openAt(t, at(2026, 1, 5, 10, 0), -1)
	// Its alert's instant lies in 2026; attach one of 2025.
	o, _ = must(t, o, Action{Type: ActAttach, By: SystemPrincipal, Alerts: []AlertRef{redAlert("k", "env-2025-000001", at(2025, 12, 31, 0, 0))}}, at(2026, 1, 6, 9, 0))
	o, _ = must(t, o, reply("王芳", Responsible{"zhang.san", Direct}, Responsible{"li.si", Direct}, Responsible{"wang.wu", Leadership}), at(2026, 1, 7, 9, 0))

	// The department's statement stands when the supervisor restates nothing.
	acc, ts := must(t, o, Action{Type: ActAccept, By: "李督查", Note: "同意"}, at(2026, 1, 8, 9, 0))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:accepted", "fault:confirmed+", "fault:confirmed+", "fault:confirmed+"}) {
		t.Fatalf("accept: %v", got)
	}
	var handlers []string
	for _, tr := range ts[1:] {
		if tr.Fault.Year != 2025 || tr.Fault.Department != "env" {
			t.Errorf("fault %+v", tr.Fault)
		}
		handlers = append(handlers, tr.Fault.Handler)
	}
	if !slices.Equal(handlers, []string{"", "li.si", "zhang.san"}) {
		t.Errorf("handlers %v", handlers)
	}
	if acc.Review.Decision != Accepted || len(acc.Review.Responsible) != 3 {
		t.Errorf("review %+v", acc.Review)
	}
	if !slices.Equal(DirectHandlers(acc), []string{"zhang.san", "li.si"}) {
		t.Errorf("direct %v", DirectHandlers(acc))
	}

	// The bureau's determination is final: it replaces the department's.
	acc2, ts := must(t, o, Action{Type: ActAccept, By: "李督查", Responsible: []Responsible{{"wang.wu", Direct}, {"zhang.san", None}}}, at(2026, 1, 8, 9, 0))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:accepted", "fault:confirmed+", "fault:confirmed+"}) || ts[2].Fault.Handler != "wang.wu" {
		t.Errorf("restated: %v %+v", got, ts)
	}
	if acc2.Replies[0].Responsible[0].Handler != "zhang.san" {
		t.Error("the restatement changed the department's reply")
	}
	// Nobody directly responsible: no confirmed fault at all.
	_, ts = must(t, o, Action{Type: ActAccept, By: "李督查", Responsible: []Responsible{}}, at(2026, 1, 8, 9, 0))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:accepted"}) {
		t.Errorf("nobody responsible: %v", got)
	}
	// Returned, withdrawn, or replied and not yet reviewed: none either.
	for _, s := range []string{"replied", "reopened", "withdrawn"} {
		if f := Faults(orderIn(t, s), shanghai); len(f) != 0 {
			t.Errorf("%s: %v", s, f)
		}
	}
}

// A missed reply counts in the year of its alert's instant: a deadline ending at 24:00 on
// 31 December belongs to the next year, as a case's does.
func TestMissedReplyYear(t *testing.T) {
	o := openAt(t, at(2026, 12, 24, 10, 0), 5) // due 2026-12-31, instant 2027-01-01 00:00
	o, ts := must(t, o, Action{Type: ActTick}, o.ReplyDue.At)
	if o.ReplyDue.Date != date(2026, 12, 31) || ts[2].Fault.Year != 2027 {
		t.Errorf("due %s fault %+v", o.ReplyDue.Date, ts[2].Fault)
	}
}

func TestTallyAndThreshold(t *testing.T) {
	accepted := func(seq int, opened time.Time, resp ...Responsible) Order {
		o := openAt(t, opened, -1)
		o.ID = Number{opened.Year(), seq}.ID()
		o, _ = must(t, o, reply("王芳", resp...), opened.Add(time.Hour))
		o, _ = must(t, o, Action{Type: ActAccept, By: "李督查"}, opened.Add(2*time.Hour))
		return o
	}
	missed := openAt(t, at(2026, 3, 2, 10, 0), -1)
	missed, _ = must(t, missed, Action{Type: ActTick}, missed.ReplyDue.At)
	orders := []Order{
		accepted(1, at(2026, 3, 2, 10, 0), Responsible{"zhang.san", Direct}),
		accepted(2, at(2026, 4, 1, 10, 0), Responsible{"zhang.san", Direct}, Responsible{"li.si", Leadership}),
		accepted(3, at(2026, 5, 6, 10, 0), Responsible{"zhang.san", Direct}, Responsible{"li.si", Direct}),
		accepted(4, at(2026, 6, 1, 10, 0), Responsible{"li.si", None}),
		missed,
	}
	depts, handlers := Tally(orders, shanghai, 2026, 3)
	if len(depts) != 1 || depts[0] != (DepartmentTally{Department: "env", Missed: 1, Confirmed: 3}) {
		t.Errorf("departments %+v", depts)
	}
	want := []HandlerTally{{"li.si", "env", 1, false}, {"zhang.san", "env", 3, true}}
	if !slices.Equal(handlers, want) {
		t.Errorf("handlers %+v", handlers)
	}
	if d, h := Tally(orders, shanghai, 2025, 3); d != nil || h != nil {
		t.Errorf("2025: %v %v", d, h)
	}
	for _, c := range []struct {
		before, after, threshold int
		want                     bool
	}{{2, 3, 3, true}, {3, 4, 3, false}, {1, 2, 3, false}, {0, 5, 3, true}, {0, 1, 0, false}} {
		if got := ThresholdCrossed(c.before, c.after, c.threshold); got != c.want {
			t.Errorf("ThresholdCrossed(%d, %d, %d) = %v", c.before, c.after, c.threshold, got)
		}
	}
	a := ConfirmedThresholdAlert(2026, "env", "zhang.san", 3, at(2026, 5, 6, 12, 0))
	if a.ID != "~fault_threshold_confirmed~2026~env~zhang.san" || a.Kind != FaultThresholdConfirmed || a.Level != monitor.Red ||
		a.Year != 2026 || a.Handler != "zhang.san" || a.Due != nil || a.Message != "承办人 zhang.san 2026年经督办确认负直接责任的过错已达3次" {
		t.Errorf("alert %+v", a)
	}
}
