package deadline

import (
	"time"

	"github.com/duban-gov/duban/monitor/workday"
)

// suspend handles a suspended event: it stops the decision clock from t. A suspension
// while already suspended changes the reason from t (the running stop ends and a new one
// begins); the same reason again changes nothing. Outside the decision stage it stops
// nothing and is a procedure violation.
func (e *engine) suspend(i int, t time.Time) {
	if e.ph != phDecision {
		e.violate(i, RuleSuspensionOutsideDecision, 0, 0)
		return
	}
	reason := e.evs[i].Reason
	if e.open >= 0 {
		if e.stops[e.open].reason == reason {
			return
		}
		e.closeStop(t)
	}
	a := max(e.firstDayFrom(t), e.dec.start+1)
	e.stops = append(e.stops, stopRec{reason: reason, ev: i, from: t, open: true, a: a, b: a, e: a})
	e.open = len(e.stops) - 1
}

// closeStop ends the open stop at t and commits its days to the clock and to its
// reason's cap.
func (e *engine) closeStop(t time.Time) {
	st := &e.stops[e.open]
	e.open = -1
	st.open, st.to = false, t
	e.evalStop(st, max(e.firstDayFrom(t), st.a), t, false)
	if st.e > st.a {
		e.spans = append(e.spans, span{st.a, st.e})
	}
	if st.hasCap {
		n, _ := e.workdays(st.a-1, st.e-1)
		e.addUsage(st.reason, n)
	}
}

// evalStop sets the end of st's effect if its removed days run to b (exclusive) and it is
// in force until `until` (through it, inclusive, if the stop is still open). A capped
// reason removes at most what is left of its cap; the stop is then past its cap if it is
// still in force at 24:00 of the last allowed day, and later days count again.
func (e *engine) evalStop(st *stopRec, b workday.Date, until time.Time, open bool) {
	st.b, st.e, st.hasCap, st.capped = b, b, false, false
	limit, ok := e.capOf(st.reason)
	if !ok {
		return
	}
	st.hasCap = true
	st.allow = max(limit-e.used(st.reason), 0)
	if st.allow == 0 {
		st.last = st.a - 1
	} else {
		st.last, _ = e.cal.NthWorkdayAfter(st.a-1, st.allow)
	}
	st.capAt = e.endOf(st.last)
	if until.After(st.capAt) || (open && until.Equal(st.capAt)) {
		st.capped = true
		st.e = min(st.e, st.last+1)
	}
}

// capOf returns the matter's cap for a suspension reason, in working days.
func (e *engine) capOf(reason string) (int, bool) {
	if len(e.m.MaxSuspensionDays) == 0 {
		return 0, false
	}
	n, ok := e.m.MaxSuspensionDays[reason]
	return n, ok
}

func (e *engine) used(reason string) int {
	for _, u := range e.usage {
		if u.reason == reason {
			return u.days
		}
	}
	return 0
}

func (e *engine) addUsage(reason string, n int) {
	for k := range e.usage {
		if e.usage[k].reason == reason {
			e.usage[k].days += n
			return
		}
	}
	e.usage = append(e.usage, usage{reason, n})
}

// spansAt returns the decision clock's stopped days as they stand at t: the closed stops,
// plus the open one as if it ended at t (the deadline "as if the clock resumed now").
// The returned slice aliases e.spans; it is valid until the next append to it.
func (e *engine) spansAt(t time.Time) []span {
	if e.open < 0 {
		return e.spans
	}
	st := e.stops[e.open] // a copy: evaluating it must not change the record
	e.evalStop(&st, max(e.firstDayFrom(t), st.a), t, true)
	if st.e <= st.a {
		return e.spans
	}
	return append(e.spans, span{st.a, st.e})
}

// limits returns the promised and statutory limits in force, in working days. The
// promised limit never exceeds the statutory one (its deadline is never later).
func (e *engine) limits() (prom, stat int) {
	stat = e.m.StatutoryDays + e.extStat
	prom = min(e.m.PromisedDays+e.extProm, stat)
	return prom, stat
}

// extend handles an extended event (Art. 42): the first one, dated before the statutory
// deadline, adds up to max_extension_days to the statutory limit, and to the promised
// limit too if dated before the promised deadline.
func (e *engine) extend(i int, t time.Time) {
	ev := &e.evs[i]
	if e.ph != phDecision {
		e.violate(i, RuleExtensionOutsideDecision, 0, 0)
		e.exts = append(e.exts, extRec{ev: i, violation: RuleExtensionOutsideDecision})
		return
	}
	if ev.Days <= 0 || ev.Approver == "" {
		e.violate(i, RuleExtensionInvalid, 0, 0)
		e.exts = append(e.exts, extRec{ev: i, violation: RuleExtensionInvalid})
		return
	}
	e.extCount++
	if e.extCount > 1 {
		e.violate(i, RuleSecondExtension, 0, 0)
		e.exts = append(e.exts, extRec{ev: i, violation: RuleSecondExtension})
		return
	}
	spans := e.spansAt(t)
	prom, stat := e.limits()
	ds, _ := e.nth(e.dec.start, spans, stat)
	if !t.Before(e.endOf(ds)) {
		e.violate(i, RuleExtensionLate, 0, 0)
		e.exts = append(e.exts, extRec{ev: i, violation: RuleExtensionLate})
		return
	}
	dp, _ := e.nth(e.dec.start, spans, prom)
	g := ev.Days
	rec := extRec{ev: i}
	if maxExt := max(e.m.MaxExtensionDays, 0); g > maxExt {
		e.violate(i, RuleExtensionExcess, int64(ev.Days), int64(maxExt))
		g = maxExt
		rec.violation = RuleExtensionExcess
	}
	e.extStat += g
	if t.Before(e.endOf(dp)) {
		e.extProm += g
		rec.promised = true
	}
	rec.granted = g
	e.exts = append(e.exts, rec)
}
