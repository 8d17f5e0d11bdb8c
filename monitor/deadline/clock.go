package deadline

import (
	"time"

	"github.com/duban-gov/duban/monitor/workday"
)

// This file holds the clock rule (docs/rules.md, section 2) as arithmetic on civil dates:
//
//	A working day counts for a clock if it comes after the day the clock started and the
//	clock was running at its start (00:00).
//
// A stop from s to r removes every day whose 00:00 lies in [s, r). Because only the 00:00
// instants matter, a stop is kept as the half-open range of calendar days it removes,
// [firstDayFrom(s), firstDayFrom(r)), and every question about a clock becomes a question
// about working days outside a few such ranges, which the calendar answers without walking
// the days.

// span is a range of calendar days [a, e) on which a clock was stopped at 00:00. The spans
// of a clock are ascending, disjoint and all after its start day.
type span struct {
	a, e workday.Date
}

// clock is one stage's clock: the day it started (never counted) and, for the decision
// clock, the days it was stopped.
type clock struct {
	on      bool
	startAt time.Time
	start   workday.Date
	// ended is set when the stage ended (decision, closing); endAt is that instant.
	ended bool
	endAt time.Time
	// implied is set for a decision clock that never ran in real time: the case was
	// decided with no acceptance. Its deadlines serve the decision facts only.
	implied bool
}

// secPerDay is the length of a civil day in a zone without daylight saving; the fast
// paths below check that assumption on each answer and fall back to time.Date.
const secPerDay = 86400

// local returns t's local time in the engine's zone as seconds since 1970-01-01 00:00
// local, and the zone offset.
func (e *engine) local(t time.Time) (int64, int) {
	_, off := t.In(e.loc).Zone()
	return t.Unix() + int64(off), off
}

// dateOf returns the civil date of t in the engine's zone.
func (e *engine) dateOf(t time.Time) workday.Date {
	sec, _ := e.local(t)
	return workday.Date(floorDiv(sec, secPerDay))
}

// firstDayFrom returns the first calendar day whose 00:00 is at or after t: t's own day if
// t is exactly its 00:00, else the next one. A stop beginning at t removes days from there.
func (e *engine) firstDayFrom(t time.Time) workday.Date {
	sec, _ := e.local(t)
	day := workday.Date(floorDiv(sec, secPerDay))
	into := sec - int64(day)*secPerDay
	if into == 0 && t.Nanosecond() == 0 {
		return day
	}
	// In a zone where a daylight-saving change skips midnight the day starts later than
	// 00:00; Start knows where. Asia/Shanghai never needs this.
	if into < 3*3600 && t.Equal(day.Start(e.loc)) {
		return day
	}
	return day + 1
}

// startOf returns 00:00 of d in the engine's zone, as d.Start does, without going through
// the civil calendar when the zone's offset at that instant is the usual one.
func (e *engine) startOf(d workday.Date) time.Time {
	t := time.Unix(int64(d)*secPerDay-int64(e.off), 0).In(e.loc)
	if _, off := t.Zone(); off == e.off {
		return t
	}
	return d.Start(e.loc)
}

// endOf returns the instant a deadline day ends: 00:00 of the next calendar day.
func (e *engine) endOf(d workday.Date) time.Time { return e.startOf(d + 1) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// deadlineOf returns the Deadline ending with day d.
func (e *engine) deadlineOf(d workday.Date) Deadline { return Deadline{Date: d, At: e.endOf(d)} }

// work reports whether d is a working day (the fallback answer for an unloaded year).
func (e *engine) work(d workday.Date) bool {
	w, _ := e.cal.IsWorkday(d)
	return w
}

// workdays returns the working days in (from, to].
func (e *engine) workdays(from, to workday.Date) (int, bool) {
	if to <= from {
		return 0, false
	}
	return e.cal.CountWorkdays(from, to)
}

// counted returns the number of days in (from, to] that count for a clock started on
// start and stopped on spans.
func (e *engine) counted(start workday.Date, spans []span, from, to workday.Date) int {
	if from < start {
		from = start
	}
	if to <= from {
		return 0
	}
	n, _ := e.cal.CountWorkdays(from, to)
	for _, s := range spans {
		lo, hi := max(s.a, from+1), min(s.e-1, to)
		if lo <= hi {
			k, _ := e.cal.CountWorkdays(lo-1, hi)
			n -= k
		}
	}
	return n
}

// nth returns the last day of a limit of n working days on a clock started on start and
// stopped on spans: the n-th counted day. A limit of 0 ends on the start day if it is a
// working day, else on the first counted day after it. provisional is true when the
// answer depended on a year whose calendar is not loaded.
func (e *engine) nth(start workday.Date, spans []span, n int) (workday.Date, bool) {
	if n <= 0 {
		w, known := e.cal.IsWorkday(start)
		if w {
			return start, !known
		}
		d, p := e.nth(start, spans, 1)
		return d, p || !known
	}
	cur, prov := start, false
	for _, s := range spans {
		if s.e <= cur+1 || s.e <= s.a {
			continue // entirely on or before days already consumed, or empty
		}
		lo := max(s.a, cur+1)
		k, p := e.workdays(cur, lo-1)
		if k >= n {
			break // the answer lies before this stop: only the days up to it matter
		}
		prov = prov || p
		n -= k
		cur = s.e - 1
	}
	d, p := e.cal.NthWorkdayAfter(cur, n)
	return d, prov || p
}

// dayCounts returns used_days and remaining_days (docs/rules.md, section 6) for a clock whose limit ends
// on deadline day due, on the civil day today: used = counted days before today;
// remaining = counted days from today (if it counts) to due inclusive, 1 on the last day
// (also for a 0-day limit on its start day); once due has passed, minus the counted days
// since it, today included, and at most -1.
func (e *engine) dayCounts(start workday.Date, spans []span, limit int, due, today workday.Date) (used, remaining int) {
	used = e.counted(start, spans, start, today-1)
	if today <= due {
		if limit <= 0 && due == start {
			return used, 1
		}
		return used, e.counted(start, spans, today-1, due)
	}
	return used, -max(1, e.counted(start, spans, due, today))
}
