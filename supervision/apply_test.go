package supervision

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
)

var (
	opened   = at(2026, 3, 2, 10, 0) // due 2026-03-09, escalation 2026-03-16
	repliedT = at(2026, 3, 5, 9, 0)
	actT     = at(2026, 3, 6, 12, 0)
)

// orderIn returns an order in the named state: open, replied, closed, withdrawn, or
// reopened (open in round 2 after a return).
func orderIn(t *testing.T, state string) Order {
	t.Helper()
	o := openAt(t, opened, -1)
	switch state {
	case "open":
		return o
	case "withdrawn":
		o, _ = must(t, o, Action{Type: ActWithdraw, By: "李督查", Note: "误开"}, repliedT)
		return o
	}
	o, _ = must(t, o, reply("王芳", Responsible{"zhang.san", Direct}), repliedT)
	switch state {
	case "replied":
		return o
	case "closed":
		o, _ = must(t, o, Action{Type: ActAccept, By: "李督查"}, repliedT.Add(time.Hour))
	case "reopened":
		o, _ = must(t, o, Action{Type: ActReturn, By: "李督查", Note: "措施不具体"}, repliedT.Add(time.Hour))
	}
	return o
}

// Every action in every state: allowed ones move the order, refused ones are conflicts and
// change nothing.
func TestStateMachine(t *testing.T) {
	other := redAlert("statutory_overdue:2026-03-04", "env-2026-000200", at(2026, 3, 5, 0, 0))
	actions := map[string]Action{
		"open":     {Type: ActOpen, By: "李督查", Number: Number{2026, 2}, Kind: Explain, Opinion: "说明情况", Alerts: []AlertRef{other}},
		"attach":   {Type: ActAttach, By: SystemPrincipal, Alerts: []AlertRef{other}},
		"reply":    {Type: ActReply, By: "王芳", Reply: &ReplyInput{Cause: "另一个原因", Measures: "另一项措施"}},
		"accept":   {Type: ActAccept, By: "李督查", Note: "同意"},
		"return":   {Type: ActReturn, By: "李督查", Note: "退回"},
		"withdraw": {Type: ActWithdraw, By: "李督查", Note: "撤销"},
		"exempt":   {Type: ActExempt, By: "李督查", Note: "免责", Round: 1, AlertKind: OrderOverdue},
		"tick":     {Type: ActTick},
	}
	// want: "→state" for an allowed action, "409" for a conflict, "=" for no change.
	table := map[string]map[string]string{
		"open":      {"open": "409", "attach": "→open", "reply": "→replied", "accept": "409", "return": "409", "withdraw": "→withdrawn", "exempt": "409", "tick": "="},
		"replied":   {"open": "409", "attach": "→replied", "reply": "409", "accept": "→closed", "return": "→open", "withdraw": "→withdrawn", "exempt": "409", "tick": "="},
		"closed":    {"open": "409", "attach": "409", "reply": "409", "accept": "409", "return": "409", "withdraw": "409", "exempt": "409", "tick": "="},
		"withdrawn": {"open": "409", "attach": "409", "reply": "409", "accept": "409", "return": "409", "withdraw": "409", "exempt": "409", "tick": "="},
		"reopened":  {"open": "409", "attach": "→open", "reply": "→replied", "accept": "409", "return": "409", "withdraw": "→withdrawn", "exempt": "409", "tick": "="},
	}
	for state, row := range table {
		for name, want := range row {
			t.Run(state+"/"+name, func(t *testing.T) {
				o := orderIn(t, state)
				keep, _ := json.Marshal(o)
				got, ts, err := Apply(o, actions[name], actT, rules())
				after, _ := json.Marshal(o)
				if string(keep) != string(after) {
					t.Fatal("Apply changed the order it was given")
				}
				switch {
				case want == "409":
					if !isConflict(err) {
						t.Fatalf("got %v, want a conflict", err)
					}
					if got.Revision != o.Revision || ts != nil {
						t.Error("a refused action changed the order")
					}
				case want == "=":
					if err != nil || ts != nil || got.Revision != o.Revision {
						t.Fatalf("got %v %v, want no change", err, kinds(ts))
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					if "→"+string(got.State) != want {
						t.Errorf("state %s, want %s", got.State, want)
					}
					if got.Revision != o.Revision+1 || !got.UpdatedAt.Equal(actT) {
						t.Errorf("revision %d→%d updated %s", o.Revision, got.Revision, got.UpdatedAt)
					}
					last := got.History[len(got.History)-1]
					if len(got.History) != len(o.History)+1 || !last.At.Equal(actT) || last.By != actions[name].By {
						t.Errorf("history %+v", got.History)
					}
					if ts[0].Kind != TChanged || ts[0].Action != last.Action || ts[0].From != o.State || ts[0].To != got.State {
						t.Errorf("first transition %+v", ts[0])
					}
				}
			})
		}
	}
}

// Every action but open on an order that does not exist is a conflict.
func TestActionOnNoOrder(t *testing.T) {
	for _, typ := range []ActionType{ActAttach, ActReply, ActAccept, ActReturn, ActWithdraw, ActExempt, ActTick} {
		if _, _, err := Apply(Order{}, Action{Type: typ, By: "x"}, actT, rules()); !isConflict(err) {
			t.Errorf("%s: %v", typ, err)
		}
	}
	if _, _, err := Apply(orderIn(t, "open"), Action{Type: "promote", By: "x"}, actT, rules()); fieldOf(err) != "action" {
		t.Errorf("unknown action: %v", err)
	}
}

// Bad input names its field and changes nothing.
func TestFieldErrors(t *testing.T) {
	days := func(n int) *int { return &n }
	ok := redAlert("promise_overdue:2026-02-27", "env-2026-000123", opened)
	withKind := func(k monitor.AlertKind) AlertRef { a := ok; a.Kind = k; a.ID += string(k); return a }
	opening := func(f func(*Action)) Action {
		a := Action{Type: ActOpen, By: "李督查", Number: Number{2026, 1}, Kind: Rectify, Opinion: "请限期办结", Alerts: []AlertRef{ok}}
		f(&a)
		return a
	}
	for _, c := range []struct {
		name  string
		state string
		a     Action
		field string
	}{
		{"no kind", "", opening(func(a *Action) { a.Kind = "" }), "kind"},
		{"bad kind", "", opening(func(a *Action) { a.Kind = "punish" }), "kind"},
		{"no opinion", "", opening(func(a *Action) { a.Opinion = "  \n" }), "opinion"},
		{"long opinion", "", opening(func(a *Action) { a.Opinion = strings.Repeat("督", MaxTextLen+1) }), "opinion"},
		{"control character", "", opening(func(a *Action) { a.Opinion = "a\x00b" }), "opinion"},
		{"reply_days -1", "", opening(func(a *Action) { a.ReplyDays = days(-1) }), "reply_days"},
		{"reply_days 61", "", opening(func(a *Action) { a.ReplyDays = days(61) }), "reply_days"},
		{"nothing supervised", "", opening(func(a *Action) { a.Alerts = nil }), "alerts"},
		{"alerts and a case", "", opening(func(a *Action) { a.Case = &CaseRef{ID: "env-1", Department: "env"} }), "case_id"},
		{"bad case id", "", opening(func(a *Action) { a.Alerts = nil; a.Case = &CaseRef{ID: "a b", Department: "env"} }), "case_id"},
		{"alert without id", "", opening(func(a *Action) { a.Alerts = append(a.Alerts, AlertRef{}) }), "alerts[1]"},
		{"alert without a case", "", opening(func(a *Action) { b := ok; b.ID, b.CaseID = "x", ""; a.Alerts = append(a.Alerts, b) }), "alerts[1]"},
		{"exempted alert", "", opening(func(a *Action) { b := ok; b.ID, b.Exempted = "x", true; a.Alerts = append(a.Alerts, b) }), "alerts[1]"},
		{"superseded alert", "", opening(func(a *Action) { b := ok; b.ID, b.Superseded = "x", true; a.Alerts = []AlertRef{b} }), "alerts[0]"},
		{"calendar_missing", "", opening(func(a *Action) { a.Alerts = []AlertRef{withKind(monitor.CalendarMissing)} }), "alerts[0]"},
		{"fault_threshold", "", opening(func(a *Action) { a.Alerts = []AlertRef{withKind(monitor.FaultThreshold)} }), "alerts[0]"},
		{"an order's alert", "", opening(func(a *Action) { a.Alerts = []AlertRef{withKind(OrderOverdue)} }), "alerts[0]"},
		{"two departments", "", opening(func(a *Action) {
			b := redAlert("x", "trn-1", opened)
			b.Department = "transport"
			a.Alerts = append(a.Alerts, b)
		}), "alerts[1]"},
		{"no one acting", "", opening(func(a *Action) { a.By = "" }), "by"},
		{"reply without cause", "open", Action{Type: ActReply, By: "王芳", Reply: &ReplyInput{Measures: "m"}}, "cause"},
		{"reply without anything", "open", Action{Type: ActReply, By: "王芳"}, "cause"},
		{"reply without measures", "open", Action{Type: ActReply, By: "王芳", Reply: &ReplyInput{Cause: "c", Measures: " "}}, "measures"},
		{"blank handler", "open", reply("王芳", Responsible{" ", Direct}), "responsible[0].handler"},
		{"handler twice", "open", reply("王芳", Responsible{"a", Direct}, Responsible{"a", None}), "responsible[1].handler"},
		{"bad responsibility", "open", reply("王芳", Responsible{"a", "main"}), "responsible[0].responsibility"},
		{"return without a reason", "replied", Action{Type: ActReturn, By: "李督查"}, "note"},
		{"withdraw without a reason", "open", Action{Type: ActWithdraw, By: "李督查", Note: " "}, "note"},
		{"accept restating badly", "replied", Action{Type: ActAccept, By: "李督查", Responsible: []Responsible{{"a", "all"}}}, "responsible[0].responsibility"},
		{"accept with a long note", "replied", Action{Type: ActAccept, By: "李督查", Note: strings.Repeat("x", MaxNoteLen+1)}, "note"},
		{"attach two", "open", Action{Type: ActAttach, By: "system", Alerts: []AlertRef{ok, ok}}, "alerts"},
		{"attach another department's", "open", Action{Type: ActAttach, By: "system", Alerts: []AlertRef{func() AlertRef {
			b := redAlert("x", "trn-1", opened)
			b.Department = "transport"
			return b
		}()}}, "alerts[0]"},
		{"exempt a round that is not", "open", Action{Type: ActExempt, By: "李督查", Note: "n", Round: 3, AlertKind: OrderOverdue}, "round"},
		{"exempt a case kind", "open", Action{Type: ActExempt, By: "李督查", Note: "n", Round: 1, AlertKind: monitor.PromiseOverdue}, "kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o Order
			if c.state != "" {
				o = orderIn(t, c.state)
			}
			got, ts, err := Apply(o, c.a, actT, rules())
			if fieldOf(err) != c.field {
				t.Fatalf("error %v, want one naming %s", err, c.field)
			}
			if ts != nil || got.Revision != o.Revision {
				t.Error("bad input changed the order")
			}
		})
	}
}

// An order number of another year, or out of range, is the caller's bug, not bad input.
func TestOpenNumber(t *testing.T) {
	a := Action{Type: ActOpen, By: "李督查", Kind: Rectify, Opinion: "o", Alerts: []AlertRef{redAlert("k", "c-1", opened)}}
	for _, n := range []Number{{2025, 7}, {2026, 0}, {2026, MaxSeq + 1}} {
		a.Number = n
		if _, _, err := Apply(Order{}, a, opened, rules()); err == nil || isConflict(err) || fieldOf(err) != "" {
			t.Errorf("%v: %v", n, err)
		}
	}
	// The year is the configured zone's: 2026-12-31 23:30 in Shanghai is 15:30 UTC.
	a.Number = Number{2026, 9}
	if _, _, err := Apply(Order{}, a, time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC), rules()); err != nil {
		t.Errorf("zone: %v", err)
	}
	a.Number = Number{2027, 1}
	if _, _, err := Apply(Order{}, a, time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), rules()); err != nil {
		t.Errorf("zone: %v", err)
	}
}

func TestOpen(t *testing.T) {
	a1 := redAlert("promise_overdue:2026-02-27", "env-2026-000123", at(2026, 2, 28, 0, 0))
	a2 := redAlert("statutory_overdue:2026-02-20", "env-2026-000099", at(2026, 2, 21, 0, 0))
	o, _ := must(t, Order{}, Action{Type: ActOpen, By: "李督查", Number: Number{2026, 42}, Kind: Rectify,
		Opinion: "请限期办结", Alerts: []AlertRef{a1, a2, a1}}, opened)
	if o.ID != "DB-2026-000042" || o.Number != "督〔2026〕000042号" || o.Department != "env" || o.State != Open ||
		o.Round != 1 || o.OpenedBy != "李督查" || !o.OpenedAt.Equal(opened) || o.Auto {
		t.Errorf("order %+v", o)
	}
	if !slices.Equal(o.Alerts, []string{a1.ID, a2.ID}) || !slices.Equal(o.CaseIDs, []string{"env-2026-000123", "env-2026-000099"}) {
		t.Errorf("alerts %v cases %v", o.Alerts, o.CaseIDs)
	}
	if o.EarliestAlertAt == nil || !o.EarliestAlertAt.Equal(a2.Instant) {
		t.Errorf("earliest %v", o.EarliestAlertAt)
	}
	if len(o.History) != 1 || o.History[0].Action != HOpened || o.History[0].Note != "请限期办结" {
		t.Errorf("history %+v", o.History)
	}

	// On a case: its supervisable alerts come along, the others stay out.
	ex := redAlert("x", "env-2026-000123", at(2026, 2, 1, 0, 0))
	ex.Exempted = true
	cal := AlertRef{ID: "~calendar_missing~2027", Kind: monitor.CalendarMissing}
	o, _ = must(t, Order{}, Action{Type: ActOpen, By: "李督查", Number: Number{2026, 43}, Kind: Explain, Opinion: "说明",
		Case: &CaseRef{ID: "env-2026-000123", Department: "env", Alerts: []AlertRef{a1, ex, cal}}}, opened)
	if !slices.Equal(o.Alerts, []string{a1.ID}) || !slices.Equal(o.CaseIDs, []string{"env-2026-000123"}) || o.Kind != Explain {
		t.Errorf("on a case: %+v", o)
	}
	// A case without alerts: no earliest instant, the fault year is the year opened.
	o, _ = must(t, Order{}, Action{Type: ActOpen, By: "李督查", Number: Number{2026, 44}, Kind: Explain, Opinion: "说明",
		Case: &CaseRef{ID: "env-2026-000777", Department: "env"}}, opened)
	if len(o.Alerts) != 0 || o.EarliestAlertAt != nil || FaultYear(o, shanghai) != 2026 {
		t.Errorf("case without alerts: %+v", o)
	}
}

// A reply at or after the deadline's instant is late, and still taken.
func TestLateReply(t *testing.T) {
	o := openAt(t, opened, -1)
	due := o.ReplyDue.At // 2026-03-10 00:00
	on, _ := must(t, o, reply("王芳"), due.Add(-time.Nanosecond))
	late, _ := must(t, o, reply("王芳"), due)
	if on.Replies[0].Late || !late.Replies[0].Late || late.State != Replied {
		t.Errorf("late: %v %v", on.Replies[0].Late, late.Replies[0].Late)
	}
	if late.History[1].Note != "逾期反馈" || on.History[1].Note != "" {
		t.Errorf("history notes %q %q", on.History[1].Note, late.History[1].Note)
	}
}

// Retries are safe: the identical reply in the same round is answered as the first was,
// in any later state; a different one is a conflict; the returned reply sent back unchanged
// in the next round is refused.
func TestReplyRetries(t *testing.T) {
	o := orderIn(t, "replied")
	same := reply("王芳", Responsible{"zhang.san", Direct})
	got, ts, err := Apply(o, same, actT, rules())
	if err != nil || ts != nil || !reflect.DeepEqual(got, o) {
		t.Errorf("identical reply: %v %v", err, kinds(ts))
	}
	if _, _, err := Apply(o, reply("王芳"), actT, rules()); !isConflict(err) {
		t.Errorf("different reply: %v", err)
	}
	closed := orderIn(t, "closed")
	if _, ts, err := Apply(closed, same, actT, rules()); err != nil || ts != nil {
		t.Errorf("identical reply to the accepted order: %v", err)
	}
	re := orderIn(t, "reopened")
	if _, _, err := Apply(re, same, actT, rules()); !isConflict(err) {
		t.Errorf("returned reply resent: %v", err)
	}
	got, _ = must(t, re, reply("王芳", Responsible{"zhang.san", Leadership}), actT)
	if got.State != Replied || len(got.Replies) != 2 || got.Replies[1].Round != 2 {
		t.Errorf("round 2 reply: %+v", got.Replies)
	}
	// A retried attach changes nothing either.
	a := Action{Type: ActAttach, By: SystemPrincipal, Alerts: []AlertRef{redAlert("k", "env-2026-000500", actT)}}
	once, _ := must(t, o, a, actT)
	twice, ts, err := Apply(once, a, actT.Add(time.Minute), rules())
	if err != nil || ts != nil || !reflect.DeepEqual(once, twice) {
		t.Errorf("second attach: %v %v", err, kinds(ts))
	}
}

// The timer: nothing before the deadline; order_overdue once at it; order_escalated once at
// the escalation deadline; a late timer fires both at once; a reply resolves them.
func TestTick(t *testing.T) {
	o := openAt(t, opened, -1)
	due, _ := o.CurrentRound()
	if at, k, ok := NextDue(o); !ok || k != OrderOverdue || !at.Equal(due.ReplyDue.At) {
		t.Fatalf("NextDue %s %s %v", at, k, ok)
	}
	if _, ts := must(t, o, Action{Type: ActTick}, due.ReplyDue.At.Add(-time.Nanosecond)); ts != nil {
		t.Errorf("early tick: %v", kinds(ts))
	}
	o1, ts := must(t, o, Action{Type: ActTick}, due.ReplyDue.At)
	if got := kinds(ts); !slices.Equal(got, []string{"changed:overdue", "alert_fired:order_overdue", "fault:missed+"}) {
		t.Fatalf("overdue: %v", got)
	}
	al := ts[1].Alert
	if al.ID != "DB-2026-000001~order_overdue:1" || al.Level != monitor.Red || al.OrderID != o.ID || al.Department != "env" ||
		!slices.Equal(al.CaseIDs, o.CaseIDs) || *al.Due != due.ReplyDue || !al.Instant.Equal(due.ReplyDue.At) ||
		al.Message != "督办单 督〔2026〕000001号 逾期未反馈（回复期限 2026-03-09）" {
		t.Errorf("alert %+v", al)
	}
	if f := ts[2].Fault; f.Year != 2026 || f.Department != "env" || f.Handler != "" || f.Confirmed {
		t.Errorf("fault %+v", f)
	}
	if !o1.Overdue || o1.Escalated || !o1.Rounds[0].Overdue {
		t.Errorf("flags %+v", o1.Rounds[0])
	}
	if _, ts := must(t, o1, Action{Type: ActTick}, due.ReplyDue.At.Add(time.Hour)); ts != nil {
		t.Errorf("second tick: %v", kinds(ts))
	}
	if at, k, ok := NextDue(o1); !ok || k != OrderEscalated || !at.Equal(due.EscalateDue.At) || due.EscalateDue.Date != date(2026, 3, 16) {
		t.Fatalf("NextDue after overdue %s %s %v", at, k, ok)
	}
	o2, ts := must(t, o1, Action{Type: ActTick}, due.EscalateDue.At)
	if got := kinds(ts); !slices.Equal(got, []string{"changed:escalated", "alert_fired:order_escalated"}) {
		t.Fatalf("escalated: %v (order_escalated adds no fault)", got)
	}
	if e := ts[1].Alert; e.ID != "DB-2026-000001~order_escalated:1" || e.Due.Date != date(2026, 3, 16) ||
		e.Message != "督办单 督〔2026〕000001号 逾期5个工作日仍未反馈，升级督办（回复期限 2026-03-09）" {
		t.Errorf("escalated alert %+v", e)
	}
	if _, _, ok := NextDue(o2); ok {
		t.Error("NextDue after both fired")
	}
	// A timer that ran late (the service was down) fires both, in order.
	_, ts = must(t, o, Action{Type: ActTick}, due.EscalateDue.At.Add(48*time.Hour))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:overdue", "alert_fired:order_overdue", "changed:escalated", "alert_fired:order_escalated", "fault:missed+"}) {
		t.Errorf("catch-up: %v", got)
	}
	// A reply resolves both, and is late; the missed reply stays a fault.
	o3, ts := must(t, o2, reply("王芳"), due.EscalateDue.At.Add(time.Hour))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:replied", "alert_resolved:order_overdue", "alert_resolved:order_escalated"}) {
		t.Errorf("reply: %v", got)
	}
	if ts[1].Alert.Resolution != ResolvedReplied || !o3.Replies[0].Late {
		t.Errorf("resolution %q late %v", ts[1].Alert.Resolution, o3.Replies[0].Late)
	}
	if _, _, ok := NextDue(o3); ok {
		t.Error("NextDue of a replied order")
	}
	// A replied order does not go overdue.
	r := orderIn(t, "replied")
	if _, ts := must(t, r, Action{Type: ActTick}, at(2026, 4, 1, 0, 0)); ts != nil {
		t.Errorf("replied order ticked: %v", kinds(ts))
	}
	// A return: the new round has its own alerts.
	re := orderIn(t, "reopened")
	rd, _ := re.CurrentRound()
	_, ts = must(t, re, Action{Type: ActTick}, rd.ReplyDue.At)
	if ts[1].Alert.ID != "DB-2026-000001~order_overdue:2" || !strings.HasSuffix(ts[1].Alert.Message, "，第2轮") {
		t.Errorf("round 2 alert %+v", ts[1].Alert)
	}
}

// A withdrawal resolves the fired alerts as withdrawn, and the missed replies of the order
// count nowhere.
func TestWithdrawAfterOverdue(t *testing.T) {
	o := openAt(t, opened, -1)
	o, _ = must(t, o, Action{Type: ActTick}, o.ReplyDue.At)
	w, ts := must(t, o, Action{Type: ActWithdraw, By: "李督查", Note: "误开"}, o.ReplyDue.At.Add(time.Hour))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:withdrawn", "alert_resolved:order_overdue", "fault:missed-"}) {
		t.Errorf("withdraw: %v", got)
	}
	if ts[1].Alert.Resolution != ResolvedWithdrawn || w.Review.Decision != WithdrawnOrder || w.Review.Note != "误开" {
		t.Errorf("resolution %q review %+v", ts[1].Alert.Resolution, w.Review)
	}
	if len(Faults(w, shanghai)) != 0 {
		t.Errorf("faults of a withdrawn order: %v", Faults(w, shanghai))
	}
}

// Exempting an order_overdue takes the department's fault away; exempting again changes
// nothing; exempting order_escalated changes no count.
func TestExempt(t *testing.T) {
	o := openAt(t, opened, -1)
	o, _ = must(t, o, Action{Type: ActTick}, o.ReplyDue.At)
	ex := Action{Type: ActExempt, By: "李督查", Note: "系统故障", Round: 1, AlertKind: OrderOverdue}
	if _, _, err := Apply(o, Action{Type: ActExempt, By: "李督查", Round: 1, AlertKind: OrderOverdue}, actT, rules()); fieldOf(err) != "note" {
		t.Errorf("exempt without a reason: %v", err)
	}
	if _, _, err := Apply(o, Action{Type: ActExempt, By: "李督查", Note: "n", Round: 1, AlertKind: OrderEscalated}, actT, rules()); !isConflict(err) {
		t.Errorf("exempt an alert that has not fired: %v", err)
	}
	e, ts := must(t, o, ex, o.ReplyDue.At.Add(time.Hour))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:exempted", "fault:missed-"}) {
		t.Errorf("exempt: %v", got)
	}
	if h := e.History[len(e.History)-1]; h.Alert != "DB-2026-000001~order_overdue:1" || h.Note != "系统故障" {
		t.Errorf("history %+v", h)
	}
	if _, ts, err := Apply(e, ex, actT, rules()); err != nil || ts != nil {
		t.Errorf("exempt again: %v %v", err, kinds(ts))
	}
	// The reply then resolves nothing that is exempted.
	_, ts = must(t, e, reply("王芳"), e.ReplyDue.At.Add(2*time.Hour))
	if got := kinds(ts); !slices.Equal(got, []string{"changed:replied"}) {
		t.Errorf("reply after exemption: %v", got)
	}
}

// Attaching keeps the deadline and takes in the alert's case and instant.
func TestAttach(t *testing.T) {
	o := openAt(t, opened, -1)
	earlier := redAlert("statutory_overdue:2025-12-30", "env-2025-000900", at(2025, 12, 31, 0, 0))
	got, ts := must(t, o, Action{Type: ActAttach, By: SystemPrincipal, Alerts: []AlertRef{earlier}}, actT)
	if got.ReplyDue != o.ReplyDue || got.Round != 1 {
		t.Error("attaching moved the deadline")
	}
	if !slices.Equal(got.CaseIDs, []string{"env-2026-000123", "env-2025-000900"}) || got.Alerts[1] != earlier.ID {
		t.Errorf("cases %v alerts %v", got.CaseIDs, got.Alerts)
	}
	if h := got.History[1]; h.Action != HAttached || h.By != SystemPrincipal || h.Alert != earlier.ID || h.Note != earlier.Message {
		t.Errorf("history %+v", h)
	}
	if got := kinds(ts); !slices.Equal(got, []string{"changed:attached"}) {
		t.Errorf("transitions %v", got)
	}
	if FaultYear(got, shanghai) != 2025 {
		t.Errorf("fault year %d", FaultYear(got, shanghai))
	}
}

// The JSON shape: every field the interface lists, and responsible statements that can be
// hidden (absent, not empty).
func TestJSONShape(t *testing.T) {
	o := orderIn(t, "closed")
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "number", "department", "case_ids", "alerts", "kind", "opinion", "state", "round",
		"opened_at", "opened_by", "reply_due", "provisional", "replies", "review", "overdue", "escalated", "history"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, raw)
		}
	}
	if due := m["reply_due"].(map[string]any); due["date"] != "2026-03-09" || due["at"] != "2026-03-10T00:00:00+08:00" {
		t.Errorf("reply_due %v", due)
	}
	rep := m["replies"].([]any)[0].(map[string]any)
	for _, k := range []string{"round", "at", "by", "late", "cause", "measures", "completed", "responsible"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("reply has no %q", k)
		}
	}
	if rev := m["review"].(map[string]any); rev["decision"] != "accepted" || rev["responsible"] == nil {
		t.Errorf("review %v", rev)
	}
	var back Order
	if err := json.Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(roundTrip(t, back), string(raw)) {
		t.Errorf("round trip: %v", err)
	}

	o.HideResponsible()
	hidden, _ := json.Marshal(o)
	if strings.Contains(string(hidden), "responsible") || strings.Contains(string(hidden), "zhang.san") {
		t.Errorf("hidden order still names officials: %s", hidden)
	}
	// An empty statement is shown as empty, not hidden.
	e := orderIn(t, "open")
	e, _ = must(t, e, reply("王芳"), repliedT)
	shown, _ := json.Marshal(e)
	if !strings.Contains(string(shown), `"responsible":[]`) {
		t.Errorf("empty statement: %s", shown)
	}
	// Times in another zone are put in the configured one.
	u := orderIn(t, "closed")
	for i := range u.History {
		u.History[i].At = u.History[i].At.UTC()
	}
	u.InZone(shanghai)
	if _, off := u.History[0].At.Zone(); off != 8*3600 {
		t.Errorf("InZone: %s", u.History[0].At)
	}
}

func roundTrip(t *testing.T, o Order) string {
	t.Helper()
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
