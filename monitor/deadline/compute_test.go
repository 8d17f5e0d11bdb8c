package deadline

import (
	"testing"

	"github.com/duban-gov/duban/monitor"
)

// Shorthands for the event types.
const (
	tSub     = monitor.Submitted
	tAcc     = monitor.Accepted
	tNotAcc  = monitor.NotAccepted
	tSuppReq = monitor.SupplementRequested
	tSuppRcv = monitor.SupplementReceived
	tSusp    = monitor.Suspended
	tRes     = monitor.Resumed
	tExt     = monitor.Extended
	tDec     = monitor.Decided
	tDel     = monitor.Delivered
	tFee     = monitor.FeeCharged
	tWd      = monitor.Withdrawn
	tStep    = monitor.Step
	tRetr    = monitor.Retracted
)

// The usual opening of a case in March 2026: submitted on Monday 03-02, accepted on
// Tuesday 03-03. Working days of March 2026 are every Monday–Friday (no holiday), so the
// decision clock counts 04,05,06,09,10,11,12,13,16,17 (promised 10 → 03-17) and on to
// 18,19,20,23,24,25,26,27,30,31 (statutory 20 → 03-31). The acceptance period from 03-02
// counts 03,04,05,06,09 (5 → 03-09).
var (
	sub = ev{typ: tSub, at: "2026-03-02 09:00", handler: "wang"}
	acc = ev{typ: tAcc, at: "2026-03-03 10:00", handler: "zhang"}
)

// The thresholds of the usual opening with nothing else: yellow on the 9th counted day
// (remaining 2 = warn_days) 03-16, promised ends 03-18 00:00, statutory 04-01 00:00.
var usualThresholds = []string{
	"T decision_due 2026-03-16T00:00",
	"T promise_overdue 2026-03-18T00:00",
	"T statutory_overdue 2026-04-01T00:00",
}

type computeCase struct {
	name   string
	matter func(*monitor.Matter)
	events []ev
	now    string
	want   []string
}

func runCases(t *testing.T, cases []computeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := stdMatter()
			if tc.matter != nil {
				tc.matter(&m)
			}
			r := Compute(input(t, m, tc.events, tc.now))
			checkSummary(t, r, tc.want)
		})
	}
}

func with(lines []string, more ...string) []string {
	return append(append([]string(nil), lines...), more...)
}

func TestComputeDayCounts(t *testing.T) {
	runCases(t, []computeCase{
		{
			name: "start day not counted", events: []ev{sub, acc}, now: "2026-03-03 15:00",
			want: with(usualThresholds, "stage=decision", "status=accepted", "acc=2026-03-09",
				"prom=2026-03-17", "stat=2026-03-31", "used=0", "rem=10", "level=green",
				"handler=zhang", "accepted_at=2026-03-03T10:00", "deemed=false", "applied=2",
				"prov=false", "decision=nil"),
		},
		{
			// used: 04,05,06,09; remaining: 10,11,12,13,16,17.
			name: "mid-way", events: []ev{sub, acc}, now: "2026-03-10 12:00",
			want: with(usualThresholds, "used=4", "rem=6"),
		},
		{
			// 03-16 is the 9th counted day: remaining 16,17 = 2 = warn_days.
			name: "decision_due on its day", events: []ev{sub, acc}, now: "2026-03-16 08:00",
			want: []string{"used=8", "rem=2", "level=yellow",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"T promise_overdue 2026-03-18T00:00", "T statutory_overdue 2026-04-01T00:00"},
		},
		{
			name: "last day remaining 1", events: []ev{sub, acc}, now: "2026-03-17 23:59",
			want: []string{"used=9", "rem=1", "level=yellow",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"T promise_overdue 2026-03-18T00:00", "T statutory_overdue 2026-04-01T00:00"},
		},
		{
			name: "promise overdue at exactly its instant", events: []ev{sub, acc}, now: "2026-03-18 00:00",
			want: []string{"used=10", "rem=-1", "level=red",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang",
				"T statutory_overdue 2026-04-01T00:00"},
		},
		{
			// since the deadline: 18, 19, 20 counted (Saturday 21 is not).
			name: "after the deadline counts back", events: []ev{sub, acc}, now: "2026-03-21 10:00",
			want: []string{"used=13", "rem=-3", "level=red",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang",
				"T statutory_overdue 2026-04-01T00:00"},
		},
		{
			// promised 8: 04,05,06,09,10,11,12,13 → Friday 03-13; Saturday counts nothing
			// since, yet remaining is at least -1.
			name: "weekend right after the deadline is -1", events: []ev{sub, acc}, now: "2026-03-14 10:00",
			matter: func(m *monitor.Matter) { m.PromisedDays = 8 },
			want: []string{"prom=2026-03-13", "used=8", "rem=-1",
				"A decision_due:2026-03-13 2026-03-12T00:00 active h=zhang",
				"A promise_overdue:2026-03-13 2026-03-14T00:00 active h=zhang",
				"T statutory_overdue 2026-04-01T00:00"},
		},
		{
			name: "start at exactly 00:00 is not counted", now: "2026-03-03 00:00",
			events: []ev{sub, {typ: tAcc, at: "2026-03-03 00:00", handler: "zhang"}},
			want:   with(usualThresholds, "prom=2026-03-17", "used=0", "rem=10"),
		},
		{
			// acceptance period from 03-02: used 03,04 before today 03-05; 05,06,09 left.
			name: "acceptance stage counts", events: []ev{sub}, now: "2026-03-05 10:00",
			want: []string{"stage=acceptance", "status=received", "acc=2026-03-09", "prom=nil",
				"used=2", "rem=3", "T acceptance_overdue 2026-03-10T00:00"},
		},
		{
			name: "no events", events: nil, now: "2026-03-05 10:00",
			want: []string{"stage=acceptance", "status=received", "acc=nil", "used=0", "rem=nil", "level=green"},
		},
	})
}

func TestComputeClosing(t *testing.T) {
	decidedOK := ev{typ: tDec, at: "2026-03-12 15:00", result: "approved", handler: "zhang"}
	runCases(t, []computeCase{
		{
			// decision used 04,05,06,09,10,11,12 = 7; delivery from 03-12: 13,16..20,23..26 → 03-26.
			name: "decided in time fires nothing", events: []ev{sub, acc, decidedOK}, now: "2026-03-13 10:00",
			want: []string{"stage=delivery", "status=decided", "del=2026-03-26", "used=0", "rem=10",
				"level=green", "decided_at=2026-03-12T15:00", "result=approved",
				"decision=2026-03-12 on_time=true statutory=true used=7 early=false",
				"T delivery_overdue 2026-03-27T00:00"},
		},
		{
			// delivery used 13,16,17,18,19,20 (the closing day included).
			name: "delivered closes", now: "2026-03-23 10:00",
			events: []ev{sub, acc, decidedOK, {typ: tDel, at: "2026-03-20 10:00"}},
			want: []string{"stage=closed", "status=delivered", "used=6", "rem=nil",
				"closed_at=2026-03-20T10:00", "level=green"},
		},
		{
			// used 04..13 (8 days) + 16..19 = 12; delivery from 03-19: 20,23..27,30,31,04-01,04-02.
			name: "late decision leaves promise_overdue inactive", now: "2026-03-20 10:00",
			events: []ev{sub, acc, {typ: tDec, at: "2026-03-19 10:00", result: "approved"}},
			want: []string{"stage=delivery", "del=2026-04-02", "level=green",
				"decision=2026-03-19 on_time=false statutory=true used=12 early=false",
				"A decision_due:2026-03-17 2026-03-16T00:00 inactive h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 inactive h=zhang",
				"T delivery_overdue 2026-04-03T00:00"},
		},
		{
			// decided at 00:00 of 03-18: the clock ended then, so 03-18 is not counted
			// (as with a stop at 00:00); still not before the deadline's end.
			name: "decided at the deadline's instant is late", now: "2026-03-18 10:00",
			events: []ev{sub, acc, {typ: tDec, at: "2026-03-18 00:00", result: "denied"}},
			want: []string{"stage=closed", "status=decided", "used=10", "rem=nil", "result=denied",
				"decision=2026-03-18 on_time=false statutory=true used=10 early=false",
				"A decision_due:2026-03-17 2026-03-16T00:00 inactive h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 inactive h=zhang"},
		},
		{
			// 04,05 counted up to the closing day.
			name: "withdrawn closes", now: "2026-03-06 10:00",
			events: []ev{sub, acc, {typ: tWd, at: "2026-03-05 10:00"}},
			want:   []string{"stage=closed", "status=withdrawn", "used=2", "rem=nil", "decision=nil"},
		},
		{
			name: "events after closing", now: "2026-03-13 12:00",
			events: []ev{sub, acc, {typ: tDec, at: "2026-03-12 15:00", result: "denied"},
				{typ: tFee, at: "2026-03-12 15:00", amount: "10.00"},
				{typ: tStep, at: "2026-03-13 10:00", handler: "li"}},
			want: []string{"stage=closed", "status=decided", "handler=li", "fees=1000", "level=red",
				"A procedure_violation:e5 2026-03-13T10:00 active rule=after_closing h=li"},
		},
		{
			// delivery 13,16..20,23..26 → 03-26; used 10 of them; 03-27 counted since.
			name: "delivery overdue", now: "2026-03-27 09:00", events: []ev{sub, acc, decidedOK},
			want: []string{"stage=delivery", "used=10", "rem=-1", "level=red",
				"A delivery_overdue:2026-03-26 2026-03-27T00:00 active h=zhang"},
		},
		{
			name: "late delivery resolves delivery_overdue", now: "2026-03-30 12:00",
			events: []ev{sub, acc, decidedOK, {typ: tDel, at: "2026-03-30 10:00"}},
			want: []string{"stage=closed", "status=delivered", "used=12", "level=green",
				"A delivery_overdue:2026-03-26 2026-03-27T00:00 inactive h=zhang"},
		},
		{
			// the implied decision clock starts at the submission (03-02): 03,04 used.
			name: "decided with no acceptance", now: "2026-03-05 10:00",
			events: []ev{sub, {typ: tDec, at: "2026-03-04 10:00", result: "denied"}},
			want: []string{"stage=closed", "status=decided", "acc=2026-03-09", "prom=2026-03-16",
				"used=2", "level=red", "decision=2026-03-04 on_time=true statutory=true used=2 early=true",
				"A procedure_violation:e2 2026-03-04T10:00 active rule=decided_without_acceptance h=wang"},
		},
		{
			name: "handler at the alert's instant", now: "2026-04-01 10:00",
			events: []ev{sub, acc, {typ: tStep, at: "2026-03-20 10:00", handler: "li"}},
			want: []string{"handler=li",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang",
				"A statutory_overdue:2026-03-31 2026-04-01T00:00 active h=li"},
		},
	})
}

func TestComputeSuspensions(t *testing.T) {
	capped := func(n int) func(*monitor.Matter) {
		return func(m *monitor.Matter) { m.MaxSuspensionDays = map[string]int{"expert_review": n} }
	}
	runCases(t, []computeCase{
		{
			name: "suspension within one day changes nothing", now: "2026-03-06 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-05 09:00", reason: "expert_review"},
				{typ: tRes, at: "2026-03-05 17:00"}},
			want: with(usualThresholds, "status=accepted", "prom=2026-03-17", "stat=2026-03-31",
				"susp=0", "stopped=false", "used=2", "rem=8"),
		},
		{
			// stops the 00:00 of 06, 07, 08, 09 (resumed 09 at 11:00): working 06, 09.
			// counted 04,05,10,11,12,13,16,17,18,19 → 03-19; yellow the 9th (03-18);
			// statutory 20,23..27,30,31,04-01,04-02 → 04-02.
			name: "suspension over a weekend", now: "2026-03-10 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-05 10:00", reason: "hearing"},
				{typ: tRes, at: "2026-03-09 11:00"}},
			want: []string{"prom=2026-03-19", "stat=2026-04-02", "susp=2", "used=2", "rem=8",
				"T decision_due 2026-03-18T00:00", "T promise_overdue 2026-03-20T00:00",
				"T statutory_overdue 2026-04-03T00:00"},
		},
		{
			// stopped at 00:00 of 03-05 removes 03-05; resumed at 00:00 of 03-06 counts
			// 03-06: counted 04,06,09,10,11,12,13,16,17,18 → 03-18.
			name: "stopped and resumed at exactly 00:00", now: "2026-03-06 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-05 00:00", reason: "hearing"},
				{typ: tRes, at: "2026-03-06 00:00"}},
			want: []string{"prom=2026-03-18", "stat=2026-04-01", "susp=1", "used=1", "rem=9",
				"T decision_due 2026-03-17T00:00", "T promise_overdue 2026-03-19T00:00",
				"T statutory_overdue 2026-04-02T00:00"},
		},
		{
			name: "stopped one second after 00:00 removes nothing", now: "2026-03-06 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-05 00:00:01", reason: "hearing"},
				{typ: tRes, at: "2026-03-06 00:00"}},
			want: with(usualThresholds, "prom=2026-03-17", "susp=0"),
		},
		{
			// accepted Tue 04-28; the stop covers 00:00 of 05-01..05-07, of which only
			// 05-06 and 05-07 are working days (05-01..05 is 劳动节). Counted: 29,30,
			// 05-08, 05-09 (Sat, 调休), 11,12,13,14,15,18 → 05-18; the 9th is 05-15;
			// statutory 19..22,25..29,06-01 → 06-01.
			name: "suspension spanning May Day 2026", now: "2026-05-07 10:00",
			events: []ev{{typ: tSub, at: "2026-04-27 09:00"}, {typ: tAcc, at: "2026-04-28 10:00", handler: "zhang"},
				{typ: tSusp, at: "2026-04-30 15:00", reason: "testing"}, {typ: tRes, at: "2026-05-07 09:00"}},
			want: []string{"prom=2026-05-18", "stat=2026-06-01", "susp=2", "used=2", "rem=8",
				"T decision_due 2026-05-15T00:00", "T promise_overdue 2026-05-19T00:00",
				"T statutory_overdue 2026-06-02T00:00"},
		},
		{
			// stops 05,06 and 12,13: counted 04,09,10,11,16,17,18,19,20,23 → 03-23;
			// statutory 24..27,30,31,04-01..03,04-07 (04-04..06 清明) → 04-07.
			name: "several suspensions", now: "2026-03-16 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-04 10:00", reason: "hearing"},
				{typ: tRes, at: "2026-03-06 10:00"},
				{typ: tSusp, at: "2026-03-11 12:00", reason: "testing"},
				{typ: tRes, at: "2026-03-13 08:00"}},
			want: []string{"prom=2026-03-23", "stat=2026-04-07", "susp=4", "used=4", "rem=6",
				"T decision_due 2026-03-20T00:00", "T promise_overdue 2026-03-24T00:00",
				"T statutory_overdue 2026-04-08T00:00"},
		},
		{
			// open since Mon 03-09 14:00; now Thu 03-12 10:00: as if resumed now, 10,11,12
			// are stopped and 13 counts: 04,05,06,09,13,16..20 → 03-20. The cap of 10
			// working days from 03-10 ends on 03-23.
			name: "open suspension", now: "2026-03-12 10:00", matter: capped(10),
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-09 14:00", reason: "expert_review"}},
			want: []string{"status=suspended", "stopped=true", "prom=2026-03-20", "stat=2026-04-03",
				"susp=3", "used=4", "rem=6", "level=green",
				"T suspension_overdue 2026-03-24T00:00"},
		},
		{
			// a day later the deadline moves by a day and the counts stay frozen.
			name: "open suspension a day later", now: "2026-03-13 10:00", matter: capped(10),
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-09 14:00", reason: "expert_review"}},
			want: []string{"status=suspended", "stopped=true", "prom=2026-03-23", "stat=2026-04-07",
				"susp=4", "used=4", "rem=6", "T suspension_overdue 2026-03-24T00:00"},
		},
		{
			name: "open uncapped suspension has no threshold", now: "2026-03-12 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-09 14:00", reason: "hearing"}},
			want:   []string{"status=suspended", "stopped=true", "prom=2026-03-20"},
		},
		{
			// suspended during the last day (03-17 counted, the clock ran at its 00:00):
			// the deadline is fixed and stays a threshold while stopped.
			name: "suspended during the last day", now: "2026-03-17 16:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-17 15:00", reason: "hearing"}},
			want: []string{"stopped=true", "prom=2026-03-17", "stat=2026-03-31", "used=9", "rem=1",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"T promise_overdue 2026-03-18T00:00"},
		},
		{
			name: "suspended during the last day, next day", now: "2026-03-18 10:00",
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-17 15:00", reason: "hearing"}},
			want: []string{"stopped=true", "prom=2026-03-17", "stat=2026-04-01", "used=10", "rem=-1",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang"},
		},
		{
			// cap 5: the first stop removes 05,06,09 (3); the second, from 03-12, may
			// remove 2 more: 12, 13. At 24:00 of 03-13 it runs past its cap; 16, 17, …
			// count again: 04,10,11,16,17,18,19,20,23,24 → 03-24 (9th 03-23); statutory
			// 25,26,27,30,31,04-01,02,03,07,08 → 04-08.
			name: "cumulative cap across two suspensions", now: "2026-03-18 10:00", matter: capped(5),
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-04 10:00", reason: "expert_review"},
				{typ: tRes, at: "2026-03-09 10:00"},
				{typ: tSusp, at: "2026-03-11 10:00", reason: "expert_review", handler: "chen"}},
			want: []string{"status=suspended", "stopped=false", "prom=2026-03-24", "stat=2026-04-08",
				"susp=5", "used=5", "rem=5", "level=red",
				"A suspension_overdue:expert_review:2026-03-13 2026-03-14T00:00 active h=chen",
				"T decision_due 2026-03-23T00:00", "T promise_overdue 2026-03-25T00:00",
				"T statutory_overdue 2026-04-09T00:00"},
		},
		{
			name: "cumulative cap before it is reached", now: "2026-03-13 10:00", matter: capped(5),
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-04 10:00", reason: "expert_review"},
				{typ: tRes, at: "2026-03-09 10:00"},
				{typ: tSusp, at: "2026-03-11 10:00", reason: "expert_review", handler: "chen"}},
			want: []string{"status=suspended", "stopped=true", "prom=2026-03-24", "susp=5", "used=3", "rem=7",
				"T suspension_overdue 2026-03-14T00:00"},
		},
		{
			name: "cap alert resolves on resume", now: "2026-03-19 10:00", matter: capped(5),
			events: []ev{sub, acc, {typ: tSusp, at: "2026-03-04 10:00", reason: "expert_review"},
				{typ: tRes, at: "2026-03-09 10:00"},
				{typ: tSusp, at: "2026-03-11 10:00", reason: "expert_review", handler: "chen"},
				{typ: tRes, at: "2026-03-18 12:00"}},
			want: []string{"status=accepted", "prom=2026-03-24", "susp=5", "level=green",
				"A suspension_overdue:expert_review:2026-03-13 2026-03-14T00:00 inactive h=chen",
				"T decision_due 2026-03-23T00:00", "T promise_overdue 2026-03-25T00:00",
				"T statutory_overdue 2026-04-09T00:00"},
		},
		{
			name: "resumed without suspended changes nothing", now: "2026-03-06 10:00",
			events: []ev{sub, acc, {typ: tRes, at: "2026-03-05 10:00"}},
			want:   with(usualThresholds, "prom=2026-03-17", "status=accepted", "level=green"),
		},
		{
			name: "suspension in the acceptance stage", now: "2026-03-03 10:00",
			events: []ev{sub, {typ: tSusp, at: "2026-03-02 10:00", reason: "hearing"}},
			want: []string{"stage=acceptance", "acc=2026-03-09", "level=red",
				"A procedure_violation:e2 2026-03-02T10:00 active rule=suspension_outside_decision h=wang",
				"T acceptance_overdue 2026-03-10T00:00"},
		},
	})
}

func TestComputeExtensions(t *testing.T) {
	ext := func(when string, n int) ev { return ev{typ: tExt, at: when, days: n, approver: "li.si"} }
	runCases(t, []computeCase{
		{
			// promised 20 → 03-31; statutory 30: 04-01,02,03,07..10,13,14,15 → 04-15.
			name: "valid extension", now: "2026-03-10 12:00", events: []ev{sub, acc, ext("2026-03-10 10:00", 10)},
			want: []string{"prom=2026-03-31", "stat=2026-04-15", "ext=10", "used=4", "rem=16", "level=green",
				"T decision_due 2026-03-30T00:00", "T promise_overdue 2026-04-01T00:00",
				"T statutory_overdue 2026-04-16T00:00"},
		},
		{
			name: "extension beyond the maximum", now: "2026-03-10 12:00", events: []ev{sub, acc, ext("2026-03-10 10:00", 15)},
			want: []string{"prom=2026-03-31", "stat=2026-04-15", "ext=10", "level=red",
				"A procedure_violation:e3 2026-03-10T10:00 active rule=extension_excess h=zhang",
				"T decision_due 2026-03-30T00:00", "T promise_overdue 2026-04-01T00:00",
				"T statutory_overdue 2026-04-16T00:00"},
		},
		{
			// +5 only: promised 15 → 03-24, statutory 25 → 04-08.
			name: "second extension", now: "2026-03-11 12:00",
			events: []ev{sub, acc, ext("2026-03-10 10:00", 5), ext("2026-03-11 10:00", 3)},
			want: []string{"prom=2026-03-24", "stat=2026-04-08", "ext=5", "used=5", "rem=10",
				"A procedure_violation:e4 2026-03-11T10:00 active rule=second_extension h=zhang",
				"T decision_due 2026-03-23T00:00", "T promise_overdue 2026-03-25T00:00",
				"T statutory_overdue 2026-04-09T00:00"},
		},
		{
			name: "extension after the promised, before the statutory deadline", now: "2026-03-20 12:00",
			events: []ev{sub, acc, ext("2026-03-20 10:00", 10)},
			want: []string{"prom=2026-03-17", "stat=2026-04-15", "ext=10", "level=red",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang",
				"T statutory_overdue 2026-04-16T00:00"},
		},
		{
			name: "extension after the statutory deadline", now: "2026-04-01 12:00",
			events: []ev{sub, acc, ext("2026-04-01 10:00", 10)},
			want: []string{"prom=2026-03-17", "stat=2026-03-31", "ext=0", "level=red",
				"A decision_due:2026-03-17 2026-03-16T00:00 active h=zhang",
				"A promise_overdue:2026-03-17 2026-03-18T00:00 active h=zhang",
				"A statutory_overdue:2026-03-31 2026-04-01T00:00 active h=zhang",
				"A procedure_violation:e3 2026-04-01T10:00 active rule=extension_late h=zhang"},
		},
		{
			// dated 23:00 of the promised deadline day: in time for both limits. The
			// yellow alert of the old deadline is gone (superseded); the new one is due
			// on the 14th counted day, 03-23.
			name: "extension on the promised deadline day", now: "2026-03-18 10:00",
			events: []ev{sub, acc, ext("2026-03-17 23:00", 5)},
			want: []string{"prom=2026-03-24", "stat=2026-04-08", "ext=5", "used=10", "rem=5", "level=green",
				"T decision_due 2026-03-23T00:00", "T promise_overdue 2026-03-25T00:00",
				"T statutory_overdue 2026-04-09T00:00"},
		},
		{
			name: "extension with no approver", now: "2026-03-10 12:00",
			events: []ev{sub, acc, {typ: tExt, at: "2026-03-10 10:00", days: 5}},
			want: with(usualThresholds, "prom=2026-03-17", "ext=0",
				"A procedure_violation:e3 2026-03-10T10:00 active rule=extension_invalid h=zhang"),
		},
		{
			name: "promised never later than statutory", now: "2026-03-04 10:00", events: []ev{sub, acc},
			matter: func(m *monitor.Matter) { m.PromisedDays, m.StatutoryDays = 12, 10 },
			want: []string{"prom=2026-03-17", "stat=2026-03-17",
				"T decision_due 2026-03-16T00:00", "T promise_overdue 2026-03-18T00:00",
				"T statutory_overdue 2026-03-18T00:00"},
		},
		{
			name: "warn_days not below the promised limit: no yellow", now: "2026-03-17 10:00", events: []ev{sub, acc},
			matter: func(m *monitor.Matter) { m.WarnDays = 10 },
			want:   []string{"level=green", "T promise_overdue 2026-03-18T00:00", "T statutory_overdue 2026-04-01T00:00"},
		},
	})
}

func TestComputeAcceptance(t *testing.T) {
	runCases(t, []computeCase{
		{
			name: "acceptance period running", events: []ev{sub}, now: "2026-03-09 23:00",
			want: []string{"stage=acceptance", "status=received", "acc=2026-03-09", "prom=nil",
				"used=4", "rem=1", "T acceptance_overdue 2026-03-10T00:00"},
		},
		{
			// decision clock from 03-02: 03..06,09..13,16 → 03-16 (9th: 03-13);
			// statutory 17..20,23..27,30 → 03-30.
			name: "deemed acceptance", events: []ev{sub}, now: "2026-03-10 08:00",
			want: []string{"stage=decision", "status=accepted", "deemed=true", "accepted_at=2026-03-02T09:00",
				"acc=2026-03-09", "prom=2026-03-16", "stat=2026-03-30", "used=5", "rem=5", "level=red",
				"A acceptance_overdue:2026-03-09 2026-03-10T00:00 active h=wang",
				"T decision_due 2026-03-13T00:00", "T promise_overdue 2026-03-17T00:00",
				"T statutory_overdue 2026-03-31T00:00"},
		},
		{
			name: "later accepted does not move the clock", now: "2026-03-11 12:00",
			events: []ev{sub, {typ: tAcc, at: "2026-03-11 10:00", handler: "zhang"}},
			want: []string{"deemed=true", "accepted_at=2026-03-02T09:00", "prom=2026-03-16", "used=6", "rem=4",
				"level=green",
				"A acceptance_overdue:2026-03-09 2026-03-10T00:00 inactive h=wang",
				"T decision_due 2026-03-13T00:00", "T promise_overdue 2026-03-17T00:00",
				"T statutory_overdue 2026-03-31T00:00"},
		},
		{
			name: "later not_accepted is a violation", now: "2026-03-11 12:00",
			events: []ev{sub, {typ: tNotAcc, at: "2026-03-11 10:00", handler: "zhang"}},
			want: []string{"stage=closed", "status=not_accepted", "used=7", "rem=nil", "level=red",
				"A acceptance_overdue:2026-03-09 2026-03-10T00:00 inactive h=wang",
				"A procedure_violation:e2 2026-03-11T10:00 active rule=not_accepted_after_acceptance h=zhang"},
		},
		{
			// promised 3 from 03-02: 03,04,05 → 03-05, passed before the deemed
			// acceptance at 03-10 00:00; its alerts carry their own earlier instants.
			name: "deemed promised deadline already passed", now: "2026-03-10 08:00", events: []ev{sub},
			matter: func(m *monitor.Matter) { m.PromisedDays = 3 },
			want: []string{"prom=2026-03-05", "stat=2026-03-30", "used=5", "rem=-3", "level=red",
				"A decision_due:2026-03-05 2026-03-04T00:00 active h=wang",
				"A promise_overdue:2026-03-05 2026-03-06T00:00 active h=wang",
				"A acceptance_overdue:2026-03-09 2026-03-10T00:00 active h=wang",
				"T statutory_overdue 2026-03-31T00:00"},
		},
		{
			name: "accepted in time", now: "2026-03-10 08:00",
			events: []ev{sub, {typ: tAcc, at: "2026-03-09 23:59", handler: "zhang"}},
			want: []string{"deemed=false", "accepted_at=2026-03-09T23:59", "prom=2026-03-23", "stat=2026-04-07",
				"level=green", "T decision_due 2026-03-20T00:00", "T promise_overdue 2026-03-24T00:00",
				"T statutory_overdue 2026-04-08T00:00"},
		},
		{
			name: "supplement notice: waiting with no deadline", now: "2026-03-05 10:00",
			events: []ev{sub, {typ: tSuppReq, at: "2026-03-04 10:00"}},
			want:   []string{"stage=acceptance", "status=supplementing", "acc=nil", "used=0", "rem=nil", "level=green"},
		},
		{
			// fresh period from Wed 03-11: 12,13,16,17,18 → 03-18.
			name: "supplement received starts a fresh period", now: "2026-03-12 10:00",
			events: []ev{sub, {typ: tSuppReq, at: "2026-03-04 10:00"}, {typ: tSuppRcv, at: "2026-03-11 14:00"}},
			want: []string{"stage=acceptance", "status=received", "acc=2026-03-18", "used=0", "rem=5",
				"T acceptance_overdue 2026-03-19T00:00"},
		},
		{
			// the fresh period from Thu 03-05 (06, 09, 10, 11, 12) runs out: deemed
			// accepted from 03-05, decision 06, 09..13, 16..19 → 03-19 (9th 03-18);
			// statutory → 04-02.
			name: "deemed acceptance in the second period", now: "2026-03-13 10:00",
			events: []ev{sub, {typ: tSuppReq, at: "2026-03-03 10:00"}, {typ: tSuppRcv, at: "2026-03-05 10:00"}},
			want: []string{"stage=decision", "deemed=true", "accepted_at=2026-03-05T10:00", "acc=2026-03-12",
				"prom=2026-03-19", "stat=2026-04-02", "used=5", "rem=5", "level=red",
				"A acceptance_overdue:2026-03-12 2026-03-13T00:00 active h=wang",
				"T decision_due 2026-03-18T00:00", "T promise_overdue 2026-03-20T00:00",
				"T statutory_overdue 2026-04-03T00:00"},
		},
		{
			name: "second supplement notice", now: "2026-03-12 11:00",
			events: []ev{sub, {typ: tSuppReq, at: "2026-03-04 10:00"}, {typ: tSuppRcv, at: "2026-03-11 14:00"},
				{typ: tSuppReq, at: "2026-03-12 10:00", handler: "zhao"}},
			want: []string{"status=received", "acc=2026-03-18", "level=red",
				"A procedure_violation:e4 2026-03-12T10:00 active rule=second_supplement h=zhao",
				"T acceptance_overdue 2026-03-19T00:00"},
		},
		{
			name: "late supplement notice", now: "2026-03-10 12:00",
			events: []ev{sub, {typ: tSuppReq, at: "2026-03-10 10:00"}},
			want: []string{"stage=decision", "deemed=true", "level=red",
				"A acceptance_overdue:2026-03-09 2026-03-10T00:00 active h=wang",
				"A procedure_violation:e2 2026-03-10T10:00 active rule=late_supplement h=wang",
				"T decision_due 2026-03-13T00:00", "T promise_overdue 2026-03-17T00:00",
				"T statutory_overdue 2026-03-31T00:00"},
		},
		{
			// accepted (08:00) dated before submitted (09:00): taken at the submission,
			// so the decision clock starts on 03-02.
			name: "event dated before submitted", now: "2026-03-03 10:00",
			events: []ev{{typ: tAcc, at: "2026-03-02 08:00", handler: "zhang"}, {typ: tSub, at: "2026-03-02 09:00", handler: "wang"}},
			want: []string{"stage=decision", "prom=2026-03-16", "accepted_at=2026-03-02T09:00", "handler=wang",
				"A procedure_violation:e1 2026-03-02T08:00 active rule=before_submitted h=zhang",
				"T decision_due 2026-03-13T00:00", "T promise_overdue 2026-03-17T00:00",
				"T statutory_overdue 2026-03-31T00:00"},
		},
		{
			// the same instant is not "before": sorted first (seq 0 < 1) but taken after it.
			name: "event at the submission's instant", now: "2026-03-03 10:00",
			events: []ev{{typ: tAcc, at: "2026-03-02 09:00", handler: "zhang"}, {typ: tSub, at: "2026-03-02 09:00", handler: "wang", seq: 1}},
			want: []string{"stage=decision", "prom=2026-03-16", "accepted_at=2026-03-02T09:00", "level=green",
				"T decision_due 2026-03-13T00:00", "T promise_overdue 2026-03-17T00:00",
				"T statutory_overdue 2026-03-31T00:00"},
		},
	})
}

func TestComputeCorrectionsAndFindings(t *testing.T) {
	susp := ev{typ: tSusp, at: "2026-03-05 10:00", reason: "hearing"}
	res := ev{typ: tRes, at: "2026-03-09 11:00"}
	fee := func(when, amount string) ev { return ev{typ: tFee, at: when, amount: amount} }
	feeCap := func(fen int64) func(*monitor.Matter) {
		return func(m *monitor.Matter) { m.FeeMaxFen = &fen }
	}
	runCases(t, []computeCase{
		{
			name: "retracted suspension", now: "2026-03-10 10:00",
			events: []ev{sub, acc, susp, res, {typ: tRetr, at: "2026-03-09 12:00", ref: "e3"}},
			want:   with(usualThresholds, "prom=2026-03-17", "susp=0", "status=accepted", "applied=3", "used=4", "rem=6"),
		},
		{
			name: "retracting a retraction does nothing", now: "2026-03-10 10:00",
			events: []ev{sub, acc, susp, res, {typ: tRetr, at: "2026-03-09 12:00", ref: "e3"},
				{typ: tRetr, at: "2026-03-09 13:00", ref: "e5"}},
			want: with(usualThresholds, "prom=2026-03-17", "susp=0", "applied=3"),
		},
		{
			name: "retracted acceptance", now: "2026-03-05 10:00",
			events: []ev{sub, acc, {typ: tRetr, at: "2026-03-04 12:00", ref: "e2"}},
			want: []string{"stage=acceptance", "acc=2026-03-09", "prom=nil", "used=2", "rem=3",
				"handler=wang", "applied=1", "T acceptance_overdue 2026-03-10T00:00"},
		},
		{
			name: "late report", now: "2026-03-04 12:00",
			events: []ev{
				{typ: tSub, at: "2026-03-02 09:00", handler: "wang", received: "2026-03-02 09:05"},
				{typ: tAcc, at: "2026-03-03 10:00", handler: "zhang", received: "2026-03-04 11:00"},
				{typ: tStep, at: "2026-03-03 12:00", handler: "zhang", received: "2026-03-04 12:00"},
			},
			want: with(usualThresholds, "level=green",
				"A late_report:e2 2026-03-03T10:00 active h=zhang"),
		},
		{
			// 60.00 + 50.5 = 110.50 > 100.00, and every fee after that too.
			name: "split fees exceed the cap", now: "2026-03-06 12:00", matter: feeCap(10000),
			events: []ev{sub, acc, fee("2026-03-04 10:00", "60.00"), fee("2026-03-05 10:00", "50.5"),
				fee("2026-03-06 10:00", "0.01"), fee("2026-03-06 11:00", "1,00")},
			want: with(usualThresholds, "fees=11051", "level=red",
				"A fee_violation:e4 2026-03-05T10:00 active h=zhang",
				"A fee_violation:e5 2026-03-06T10:00 active h=zhang"),
		},
		{
			name: "free matter", now: "2026-03-06 12:00", matter: feeCap(0),
			events: []ev{sub, acc, fee("2026-03-04 10:00", "0.00"), fee("2026-03-05 10:00", "1")},
			want: with(usualThresholds, "fees=100", "level=red",
				"A fee_violation:e4 2026-03-05T10:00 active h=zhang"),
		},
		{
			name: "fees not monitored", now: "2026-03-06 12:00",
			events: []ev{sub, acc, fee("2026-03-04 10:00", "5000")},
			want:   with(usualThresholds, "fees=500000", "level=green"),
		},
	})
}

func TestComputeZeroDayMatter(t *testing.T) {
	zero := func(m *monitor.Matter) { m.PromisedDays, m.StatutoryDays = 0, 5 }
	runCases(t, []computeCase{
		{
			// Wed 03-04: ends at 24:00 of the start day; statutory 05,06,09,10,11.
			name: "on a working day", matter: zero, now: "2026-03-04 11:00",
			events: []ev{{typ: tSub, at: "2026-03-04 09:00"}, {typ: tAcc, at: "2026-03-04 10:00"}},
			want: []string{"prom=2026-03-04", "stat=2026-03-11", "used=0", "rem=1",
				"T promise_overdue 2026-03-05T00:00", "T statutory_overdue 2026-03-12T00:00"},
		},
		{
			name: "decided on the start day", matter: zero, now: "2026-03-04 17:00",
			events: []ev{{typ: tSub, at: "2026-03-04 09:00"}, {typ: tAcc, at: "2026-03-04 10:00"},
				{typ: tDec, at: "2026-03-04 16:00", result: "approved"}},
			want: []string{"decision=2026-03-04 on_time=true statutory=true used=0 early=true",
				"del=2026-03-18", "T delivery_overdue 2026-03-19T00:00"},
		},
		{
			name: "overdue the next day", matter: zero, now: "2026-03-05 10:00",
			events: []ev{{typ: tSub, at: "2026-03-04 09:00"}, {typ: tAcc, at: "2026-03-04 10:00"}},
			want: []string{"used=0", "rem=-1", "level=red",
				"A promise_overdue:2026-03-04 2026-03-05T00:00 active h=",
				"T statutory_overdue 2026-03-12T00:00"},
		},
		{
			// Saturday 03-07: ends on the next working day, Monday 03-09.
			name: "on a Saturday", matter: zero, now: "2026-03-07 11:00",
			events: []ev{{typ: tSub, at: "2026-03-07 09:00"}, {typ: tAcc, at: "2026-03-07 10:00"}},
			want: []string{"prom=2026-03-09", "stat=2026-03-13", "used=0", "rem=1",
				"T promise_overdue 2026-03-10T00:00", "T statutory_overdue 2026-03-14T00:00"},
		},
		{
			name: "on a Saturday, decided Monday", matter: zero, now: "2026-03-09 11:00",
			events: []ev{{typ: tSub, at: "2026-03-07 09:00"}, {typ: tAcc, at: "2026-03-07 10:00"},
				{typ: tDec, at: "2026-03-09 10:00", result: "denied"}},
			want: []string{"stage=closed", "used=1", "decision=2026-03-09 on_time=true statutory=true used=1 early=false"},
		},
		{
			// 2026-02-14 is a make-up working Saturday; statutory 5: [02-15..23 春节], 24..28.
			name: "on a make-up Saturday", matter: zero, now: "2026-02-14 11:00",
			events: []ev{{typ: tSub, at: "2026-02-14 09:00"}, {typ: tAcc, at: "2026-02-14 10:00"}},
			want: []string{"prom=2026-02-14", "stat=2026-02-28", "used=0", "rem=1",
				"T promise_overdue 2026-02-15T00:00", "T statutory_overdue 2026-03-01T00:00"},
		},
	})
}

func TestComputeProvisional(t *testing.T) {
	// accepted Thu 2026-12-24: 25,28,29,30,31 (5), 2027-01-01 is off under the
	// fallback rule, 04..08 → 2027-01-08; the 9th is 01-07; statutory 11..15,18..22 → 01-22.
	runCases(t, []computeCase{{
		name: "deadline reaching into 2027", now: "2026-12-24 12:00",
		events: []ev{{typ: tSub, at: "2026-12-23 09:00"}, {typ: tAcc, at: "2026-12-24 10:00"}},
		want: []string{"acc=2026-12-30", "prom=2027-01-08", "stat=2027-01-22", "prov=true", "missing=[2027]",
			"used=0", "rem=10",
			"T decision_due 2027-01-07T00:00", "T promise_overdue 2027-01-09T00:00",
			"T statutory_overdue 2027-01-23T00:00"},
	}, {
		name: "deadline within loaded years", now: "2026-03-03 12:00", events: []ev{sub, acc},
		want: with(usualThresholds, "prov=false", "missing=[]"),
	}})
}

// TestDeadlinesAcrossHolidays checks the deadline dates across the holidays of 2025 and
// 2026 and their make-up working days (each counted by hand in the comment).
func TestDeadlinesAcrossHolidays(t *testing.T) {
	cases := []struct {
		name      string
		submitted string
		accepted  string
		promised  int
		wantAcc   string
		wantProm  string
	}{
		// 2025-01-24 (Fri) + 5: 01-26 (Sun, 调休), 27, [01-28..02-04 春节], 05, 06, 07.
		// Promised 10 from 01-24: 26, 27, 05, 06, 07, 08 (Sat, 调休), 10, 11, 12, 13.
		{"Spring Festival 2025", "2025-01-24 09:00", "2025-01-24 16:00", 10, "2025-02-07", "2025-02-13"},
		// 2026-02-09 (Mon) + 5: 10, 11, 12, 13, 14 (Sat, 调休). From 02-10: 11, 12, 13, 14,
		// [02-15..23 春节], 24, 25, 26, 27, 28 (Sat, 调休), 03-02.
		{"Spring Festival 2026", "2026-02-09 09:00", "2026-02-10 10:00", 10, "2026-02-14", "2026-03-02"},
		// Tue 2025-04-29 + 5: 30, [05-01..05 劳动节], 06, 07, 08, 09.
		// From Wed 2025-04-30: 06..09, 12..16, 19 (README example).
		{"May Day 2025", "2025-04-29 09:00", "2025-04-30 10:00", 10, "2025-05-09", "2025-05-19"},
		// From Fri 2025-04-25: 27 (Sun, 调休), 28, 29, 30, 05-06..09, 12, 13.
		{"make-up Sunday before May Day 2025", "2025-04-25 09:00", "2025-04-25 10:00", 10, "2025-05-06", "2025-05-13"},
		// From Wed 2026-04-29: 30, [05-01..05], 06, 07, 08, 09 (Sat, 调休), 11..15; the
		// acceptance period's 5th is that Saturday.
		{"May Day 2026", "2026-04-29 09:00", "2026-04-29 10:00", 10, "2026-05-09", "2026-05-15"},
		// From Fri 2025-09-26: 28 (Sun, 调休), 29, 30, [10-01..08], 09, 10, 11 (Sat, 调休), 13..16.
		{"National Day 2025", "2025-09-26 09:00", "2025-09-26 10:00", 10, "2025-10-10", "2025-10-16"},
		// From Fri 2026-09-18: 20 (Sun, 调休), 21..24, [25..27 中秋], 28, 29, 30, [10-01..07], 08, 09.
		{"National Day 2026", "2026-09-18 09:00", "2026-09-18 10:00", 10, "2026-09-24", "2026-10-09"},
		// From Wed 2025-12-31: [2026-01-01..03], 01-04 (Sun, 调休), 05, 06 (README example).
		{"New Year 2026", "2025-12-31 09:00", "2025-12-31 10:00", 3, "2026-01-08", "2026-01-06"},
		// From the make-up Saturday 2026-02-28: 03-02, 03, 04.
		{"start on a make-up Saturday", "2026-02-28 09:00", "2026-02-28 10:00", 3, "2026-03-06", "2026-03-04"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := stdMatter()
			m.PromisedDays, m.StatutoryDays = tc.promised, tc.promised
			r := Compute(input(t, m, []ev{{typ: tSub, at: tc.submitted}, {typ: tAcc, at: tc.accepted}}, tc.accepted))
			if r.AcceptanceDue == nil || r.AcceptanceDue.Date.String() != tc.wantAcc {
				t.Errorf("acceptance due = %v, want %s", r.AcceptanceDue, tc.wantAcc)
			}
			if r.DecisionDuePromised == nil || r.DecisionDuePromised.Date.String() != tc.wantProm {
				t.Fatalf("promised due = %v, want %s", r.DecisionDuePromised, tc.wantProm)
			}
			wantAt := at(t, tc.wantProm).AddDate(0, 0, 1)
			if !r.DecisionDuePromised.At.Equal(wantAt) {
				t.Errorf("promised at = %v, want %v", r.DecisionDuePromised.At, wantAt)
			}
			if r.Provisional {
				t.Errorf("provisional within loaded years")
			}
		})
	}
}

// TestWorkedExample is the first worked example of docs/rules.md (and the benchmark's case).
func TestWorkedExample(t *testing.T) {
	// The stop from Thu 03-05 10:00 to Thu 03-12 11:00 removes 06, 09, 10, 11, 12 (07, 08
	// are a weekend). Counted: 04, 05, 13, 16, 17, 18, 19, 20, 23, 24 → promised 03-24 and,
	// on 25..27, 30, 31, 04-01..03, 07, 08, statutory 04-08. The extension of 5 on 03-16 is
	// before both: promised 15 → 03-31, statutory 25 → 04-09, 10, 13, 14, 15 → 04-15.
	// Decided 03-24 15:00: 10 counted days used, on time. Delivery from 03-24: 25, 26, 27,
	// 30, 31, 04-01, 02, 03, 07, 08 → 04-08.
	r := Compute(typicalCase(t))
	checkSummary(t, r, []string{"stage=delivery", "status=decided", "prom=2026-03-31", "stat=2026-04-15",
		"del=2026-04-08", "susp=5", "ext=5", "used=0", "rem=10", "level=green",
		"decision=2026-03-24 on_time=true statutory=true used=10 early=false",
		"T delivery_overdue 2026-04-09T00:00"})
}
