package deadline

import (
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// Timeline kinds (TimelineEntry.Kind).
const (
	TLStart          = "start"
	TLCounted        = "counted"
	TLStopped        = "stopped"
	TLOff            = "off"
	TLExtension      = "extension"
	TLDeadline       = "deadline"
	TLSupplementWait = "supplement_wait"
	TLProvisional    = "provisional"
)

// Timeline clocks (TimelineEntry.Clock).
const (
	ClockAcceptance = "acceptance"
	ClockDecision   = "decision"
	ClockDelivery   = "delivery"
)

// maxTimelineDays bounds the days listed per clock: a case spans a few months, and a
// clock listed this far is cut with a note rather than growing without end.
const maxTimelineDays = 731

// Timeline explains, for the case view, why each deadline of in's case falls where it
// does: for each clock that ran, its start day, every following day up to its deadline
// (or to the end of the stage, or today, if later) as counted, stopped or not a working
// day, each extension and each deadline. It is computed on demand, not on the hot path.
func Timeline(in Input) []TimelineEntry {
	e := new(engine)
	e.init(&in)
	defer e.done()
	e.run()
	t := tl{e: e, today: e.dateOf(e.now), seenYear: -1}

	if e.accPrev.on {
		t.acceptance(e.accPrev, e.prevDue, 1)
	}
	if e.acc.on {
		t.acceptance(e.acc, e.accDue, e.accRound)
	}
	if e.dec.on {
		t.decision()
	}
	if e.del.on {
		t.days(ClockDelivery, e.del, nil, e.lastDay(&e.del, e.delDue), func(d workday.Date) {
			if d == e.delDue {
				t.add(d, ClockDelivery, TLDeadline, 0, "送达期限届满（"+days(e.m.DeliveryDays)+"），至 "+(d+1).String()+" 00:00")
			}
		})
	}
	return t.out
}

// tl builds a timeline.
type tl struct {
	e        *engine
	today    workday.Date
	out      []TimelineEntry
	seenYear int // the last unloaded year noted
}

func (t *tl) add(d workday.Date, clk, kind string, count int, note string) {
	t.out = append(t.out, TimelineEntry{Date: d, Clock: clk, Kind: kind, Count: count, Note: note})
}

// lastDay is the last day to list for clock c with deadline due: the deadline, or the
// day the stage ended, or today while it runs, whichever is later.
func (e *engine) lastDay(c *clock, due workday.Date) workday.Date {
	last := due
	if c.ended {
		last = max(last, e.dateOf(c.endAt))
	} else {
		last = max(last, e.dateOf(e.now))
	}
	return last
}

func (t *tl) acceptance(c clock, due workday.Date, round int) {
	e := t.e
	note := "提交申请，受理期限起算（当日不计入）"
	if round > 1 {
		note = "收到补正材料，重新起算受理期限（当日不计入）"
	}
	// The period ends early with an acceptance decision or the supplement notice.
	last := due
	var endAt time.Time
	switch {
	case round == 1 && e.suppLegit:
		endAt = e.suppAt
	case e.hasAccepted && !e.deemed:
		endAt = e.acceptedAt
	case e.ph == phClosed && e.closePhase == phAcceptance:
		endAt = e.closedAt
	case e.decided && e.dec.implied:
		endAt = e.decidedAt
	}
	if !endAt.IsZero() && !endAt.Before(c.startAt) {
		last = min(last, e.dateOf(endAt))
	}
	t.add(c.start, ClockAcceptance, TLStart, 0, note)
	t.days(ClockAcceptance, c, nil, last, nil)
	dl := "受理期限（" + days(e.m.AcceptanceDays) + "）至 " + (due + 1).String() + " 00:00"
	if round == 1 && e.suppLegit {
		t.add(e.dateOf(e.suppAt), ClockAcceptance, TLSupplementWait, 0, "一次性告知补正，受理期限终止，等待补正材料（不计时）")
		dl += "；已因补正告知终止"
	}
	if e.deemed && due == e.accOverdueDue {
		dl += "；期限届满未作受理决定，视为受理"
	}
	t.add(due, ClockAcceptance, TLDeadline, 0, dl)
}

func (t *tl) decision() {
	e := t.e
	note := "受理，审查期限起算（当日不计入）"
	switch {
	case e.deemed:
		note = "视为受理（受理期限届满未作受理决定），审查期限自收到申请材料之日起算（当日不计入）"
	case e.dec.implied:
		note = "未受理即作出决定：审查期限按受理期限起算日推算（当日不计入）"
	}
	t.add(e.dec.start, ClockDecision, TLStart, 0, note)
	extAt := func(d workday.Date) {
		for _, x := range e.exts {
			if e.dateOf(e.evs[x.ev].At) != d {
				continue
			}
			t.add(d, ClockDecision, TLExtension, 0, extNote(x, &e.evs[x.ev]))
		}
	}
	last := e.lastDay(&e.dec, e.statDue)
	t.days(ClockDecision, e.dec, e.spans, last, func(d workday.Date) {
		extAt(d)
		if d == e.promDue {
			t.add(d, ClockDecision, TLDeadline, 0, "承诺时限届满（"+days(e.promLimit)+"），至 "+(d+1).String()+" 00:00")
		}
		if d == e.statDue {
			t.add(d, ClockDecision, TLDeadline, 0, "法定时限届满（"+days(e.statLimit)+"），至 "+(d+1).String()+" 00:00")
		}
	})
}

func extNote(x extRec, ev *monitor.Event) string {
	if x.violation != "" && x.granted == 0 {
		return "延期" + days(ev.Days) + "不予计入：" + ruleText(&finding{rule: x.violation, n1: int64(ev.Days)}, ev)
	}
	s := "延期" + days(x.granted) + "（批准人 " + ev.Approver + "），计入法定时限"
	if x.promised {
		s += "和承诺时限"
	} else {
		s += "；承诺时限已届满，不再延长"
	}
	if x.violation != "" {
		s += "；申请" + days(ev.Days) + "，超出上限部分不予计入"
	}
	return s
}

// days lists the days after c's start up to last, calling at(d) after each day's entry.
func (t *tl) days(clk string, c clock, spans []span, last workday.Date, at func(workday.Date)) {
	e := t.e
	n := 0
	if last-c.start > maxTimelineDays {
		last = c.start + maxTimelineDays
		defer t.add(last, clk, TLOff, 0, "（以下从略）")
	}
	for d := c.start + 1; d <= last; d++ {
		w, known := e.cal.IsWorkday(d)
		if !known && d.Year() != t.seenYear {
			t.seenYear = d.Year()
			t.add(d, clk, TLProvisional, 0, strconv.Itoa(d.Year())+"年节假日安排未发布，暂按周末及元旦、劳动节、国庆节固定日期推算")
		}
		wd := d.Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		switch {
		case !w && weekend:
			t.add(d, clk, TLOff, 0, "周末，不计入")
		case !w:
			t.add(d, clk, TLOff, 0, "法定节假日，不计入")
		case inSpans(spans, d):
			t.add(d, clk, TLStopped, 0, "暂停（"+reasonName(e.stopReason(d))+"），不计入")
		default:
			n++
			note := "第" + strconv.Itoa(n) + "个工作日"
			if weekend {
				note += "（调休上班）"
			}
			if r := e.capResumed(d); r != "" {
				note += "（暂停（" + reasonName(r) + "）超过上限，恢复计时）"
			}
			t.add(d, clk, TLCounted, n, note)
		}
		if at != nil {
			at(d)
		}
	}
}

func inSpans(spans []span, d workday.Date) bool {
	for _, s := range spans {
		if d >= s.a && d < s.e {
			return true
		}
	}
	return false
}

// stopReason returns the reason of the stop that removed day d.
func (e *engine) stopReason(d workday.Date) string {
	for k := range e.stops {
		if st := &e.stops[k]; d >= st.a && d < st.e {
			return st.reason
		}
	}
	return ""
}

// capResumed returns the reason of a stop in force on d that counts again past its cap.
func (e *engine) capResumed(d workday.Date) string {
	for k := range e.stops {
		if st := &e.stops[k]; st.capped && d >= st.e && d < st.b {
			return st.reason
		}
	}
	return ""
}
