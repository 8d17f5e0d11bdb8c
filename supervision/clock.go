package supervision

import (
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/workday"
)

// Settings are the `supervision` section of the configuration.
type Settings struct {
	// ReplyDays is the default reply limit of a new order, in working days (0–60).
	ReplyDays int
	// ReturnDays is the limit of a new round after a reply is returned (0–60).
	ReturnDays int
	// EscalateDays is how many working days after a missed reply deadline order_escalated
	// fires (1–60).
	EscalateDays int
	// AutoOpen lists the red alert kinds that open an order by themselves.
	AutoOpen []monitor.AlertKind
}

// The defaults of Settings.
const (
	DefaultReplyDays    = 5
	DefaultReturnDays   = 3
	DefaultEscalateDays = 5
	// MaxDays bounds reply_days, return_days and escalate_days.
	MaxDays = 60
)

// DefaultSettings returns the settings with every default: no automatic opening.
func DefaultSettings() Settings {
	return Settings{ReplyDays: DefaultReplyDays, ReturnDays: DefaultReturnDays, EscalateDays: DefaultEscalateDays}
}

// Rules is what the order rules read besides the order and the instant: the working-day
// calendar, the configured zone (day boundaries) and the settings.
type Rules struct {
	Calendar *workday.Calendar
	Loc      *time.Location
	Settings Settings
}

// ReplyDeadline is the reply clock: a limit of days working days on a clock started at
// start. The starting day never counts; the limit ends at 24:00 of the days-th working day
// after it, and a limit of 0 at 24:00 of the starting day if that is a working day, else of
// the next one — the clock rule of a case (monitor/deadline), with no stops. provisional is
// true when the answer depended on a year whose calendar is not loaded.
func ReplyDeadline(cal *workday.Calendar, loc *time.Location, start time.Time, days int) (deadline.Deadline, bool) {
	d, prov := cal.NthWorkdayAfter(workday.DateOf(start, loc), days)
	return endOf(d, loc), prov
}

// EscalateDeadline is when order_escalated falls due: the end of the days-th working day
// after the reply deadline's day.
func EscalateDeadline(cal *workday.Calendar, loc *time.Location, replyDue workday.Date, days int) (deadline.Deadline, bool) {
	d, prov := cal.NthWorkdayAfter(replyDue, max(days, 1))
	return endOf(d, loc), prov
}

// endOf is the Deadline ending with day d: 00:00 of the next calendar day.
func endOf(d workday.Date, loc *time.Location) deadline.Deadline {
	return deadline.Deadline{Date: d, At: (d + 1).Start(loc)}
}

// newRound computes round n starting at start with a limit of days.
func newRound(r Rules, n int, start time.Time, days int) Round {
	rd := Round{Round: n, StartedAt: start, Days: days, EscalateDays: max(r.Settings.EscalateDays, 1)}
	var p1, p2 bool
	rd.ReplyDue, p1 = ReplyDeadline(r.Calendar, r.Loc, start, days)
	rd.EscalateDue, p2 = EscalateDeadline(r.Calendar, r.Loc, rd.ReplyDue.Date, rd.EscalateDays)
	rd.Provisional = p1 || p2
	return rd
}

// Recompute recomputes the current round's deadlines with a newly loaded calendar. A
// deadline whose alert has already fired stays where it was (it fired once, on the clock
// then known); one that has not fired moves. changed reports whether anything moved;
// the timer engine then reschedules from NextDue. Orders that are not open have nothing
// to recompute.
func Recompute(o Order, r Rules) (Order, bool) {
	cur := o.current()
	if cur == nil || o.State != Open || !cur.Provisional {
		return o, false
	}
	out := o.clone()
	c := out.current()
	before := *c
	var p1, p2 bool
	if !c.Overdue {
		c.ReplyDue, p1 = ReplyDeadline(r.Calendar, r.Loc, c.StartedAt, c.Days)
	} else {
		_, p1 = ReplyDeadline(r.Calendar, r.Loc, c.StartedAt, c.Days)
	}
	if !c.Escalated {
		c.EscalateDue, p2 = EscalateDeadline(r.Calendar, r.Loc, c.ReplyDue.Date, c.EscalateDays)
	} else {
		_, p2 = EscalateDeadline(r.Calendar, r.Loc, c.ReplyDue.Date, c.EscalateDays)
	}
	c.Provisional = p1 || p2
	if *c == before {
		return o, false
	}
	out.syncRound()
	out.Revision++
	return out, true
}

// syncRound copies the current round's figures to the order's top-level fields.
func (o *Order) syncRound() {
	c := o.current()
	if c == nil {
		return
	}
	o.Round = c.Round
	o.ReplyDue = c.ReplyDue
	o.Provisional = c.Provisional
	o.Overdue = c.Overdue
	o.Escalated = c.Escalated
}

// NextDue returns the next instant at which the order's alerts change, and which alert
// then falls due: the current round's reply deadline (order_overdue) while the order is
// open and that alert has not fired, then its escalation deadline (order_escalated). ok is
// false when nothing is due: the order is replied, closed or withdrawn, or both alerts of
// the round have fired. A timer engine schedules the order at that instant and then calls
// Apply with a Tick.
func NextDue(o Order) (at time.Time, kind monitor.AlertKind, ok bool) {
	c := o.current()
	if c == nil || o.State != Open {
		return time.Time{}, "", false
	}
	switch {
	case !c.Overdue:
		return c.ReplyDue.At, OrderOverdue, true
	case !c.Escalated:
		return c.EscalateDue.At, OrderEscalated, true
	}
	return time.Time{}, "", false
}
