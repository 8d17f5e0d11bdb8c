package supervision

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor/workday"
)

// The reply clock is the case clock's rule: the starting day never counts, the limit ends at
// 24:00 of the N-th working day after it, 0 days at 24:00 of the start day if it is a working
// day; holidays are skipped and make-up Saturdays count.
func TestReplyClock(t *testing.T) {
	for _, c := range []struct {
		name     string
		start    time.Time
		days     int
		due, esc workday.Date
		prov     bool
	}{
		{"five days over a weekend", at(2026, 3, 2, 10, 0), 5, date(2026, 3, 9), date(2026, 3, 16), false},
		{"started at 00:00 still does not count its day", at(2026, 3, 2, 0, 0), 1, date(2026, 3, 3), date(2026, 3, 10), false},
		{"started late on Friday", at(2026, 3, 6, 23, 59), 1, date(2026, 3, 9), date(2026, 3, 16), false},
		// 9-30 counts, 10-01..07 are 国庆节, 10-08 and 10-09 count, Saturday 10-10 is a
		// make-up working day, then Monday 10-12.
		{"across 国庆节 and a make-up Saturday", at(2026, 9, 29, 9, 0), 5, date(2026, 10, 12), date(2026, 10, 19), false},
		{"ending on a make-up Saturday", at(2026, 2, 26, 16, 0), 2, date(2026, 2, 28), date(2026, 3, 6), false},
		// Saturday 02-14 is a make-up working day, 02-15..23 are 春节.
		{"across 春节", at(2026, 2, 13, 9, 0), 2, date(2026, 2, 24), date(2026, 3, 2), false},
		{"0 days on a working day", at(2026, 3, 2, 15, 0), 0, date(2026, 3, 2), date(2026, 3, 9), false},
		{"0 days on a Saturday", at(2026, 3, 7, 11, 0), 0, date(2026, 3, 9), date(2026, 3, 16), false},
		{"0 days on a make-up Saturday", at(2026, 2, 28, 11, 0), 0, date(2026, 2, 28), date(2026, 3, 6), false},
		{"0 days on a holiday", at(2026, 10, 2, 11, 0), 0, date(2026, 10, 8), date(2026, 10, 14), false},
		// 2027 is not loaded: weekends and the fixed-date holidays (01-01) are off.
		{"into a year without a calendar", at(2026, 12, 28, 9, 0), 5, date(2027, 1, 5), date(2027, 1, 12), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := openAt(t, c.start, c.days)
			rd, _ := o.CurrentRound()
			if o.ReplyDue.Date != c.due || !o.ReplyDue.At.Equal((c.due + 1).Start(shanghai)) {
				t.Errorf("reply_due %s %s, want %s ending at 24:00", o.ReplyDue.Date, o.ReplyDue.At, c.due)
			}
			if rd.EscalateDue.Date != c.esc || !rd.EscalateDue.At.Equal((c.esc + 1).Start(shanghai)) {
				t.Errorf("escalate_due %s, want %s", rd.EscalateDue.Date, c.esc)
			}
			if o.Provisional != c.prov || rd.Provisional != c.prov {
				t.Errorf("provisional %v, want %v", o.Provisional, c.prov)
			}
			if o.ReplyDays != c.days || rd.Days != c.days {
				t.Errorf("days %d/%d, want %d", o.ReplyDays, rd.Days, c.days)
			}
		})
	}
}

// Without reply_days the order takes supervision.reply_days.
func TestReplyDaysDefault(t *testing.T) {
	o := openAt(t, at(2026, 3, 2, 10, 0), -1)
	if o.ReplyDays != DefaultReplyDays || o.ReplyDue.Date != date(2026, 3, 9) {
		t.Errorf("reply_days %d due %s", o.ReplyDays, o.ReplyDue.Date)
	}
}

// A return starts a new round on the day it is returned, with supervision.return_days.
func TestReturnStartsNewRound(t *testing.T) {
	for _, c := range []struct {
		name          string
		open, replyAt time.Time
		returnAt      time.Time
		due, esc      workday.Date
	}{
		{"three days from Friday", at(2026, 3, 2, 10, 0), at(2026, 3, 5, 9, 0), at(2026, 3, 6, 15, 0), date(2026, 3, 11), date(2026, 3, 18)},
		{"three days across 国庆节 to a make-up Saturday", at(2026, 9, 24, 10, 0), at(2026, 9, 28, 9, 0), at(2026, 9, 30, 17, 0), date(2026, 10, 10), date(2026, 10, 16)},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := openAt(t, c.open, -1)
			first := o.ReplyDue
			o, _ = must(t, o, reply("王芳"), c.replyAt)
			o, ts := must(t, o, Action{Type: ActReturn, By: "李督查", Note: "原因不清"}, c.returnAt)
			if got := kinds(ts); len(got) != 1 || got[0] != "changed:returned" {
				t.Errorf("transitions %v", got)
			}
			if o.State != Open || o.Round != 2 || len(o.Rounds) != 2 {
				t.Fatalf("state %s round %d rounds %d", o.State, o.Round, len(o.Rounds))
			}
			rd, _ := o.CurrentRound()
			if rd.Days != DefaultReturnDays || !rd.StartedAt.Equal(c.returnAt) {
				t.Errorf("round 2: %+v", rd)
			}
			if o.ReplyDue.Date != c.due || rd.EscalateDue.Date != c.esc {
				t.Errorf("round 2 due %s escalate %s, want %s %s", o.ReplyDue.Date, rd.EscalateDue.Date, c.due, c.esc)
			}
			if o.Rounds[0].ReplyDue != first {
				t.Errorf("round 1's deadline changed: %+v", o.Rounds[0].ReplyDue)
			}
			if o.Review == nil || o.Review.Decision != Returned || o.Review.Note != "原因不清" {
				t.Errorf("review %+v", o.Review)
			}
			if at, k, ok := NextDue(o); !ok || k != OrderOverdue || !at.Equal(o.ReplyDue.At) {
				t.Errorf("NextDue %s %s %v", at, k, ok)
			}
		})
	}
}

// Loading the missing year moves a provisional deadline that has not fired; one that fired
// stays where it fired.
func TestRecompute(t *testing.T) {
	y2027, err := workday.ParseYear([]byte("year: 2027\noff: [2027-01-01..2027-01-05]\n"))
	if err != nil {
		t.Fatal(err)
	}
	loaded := rules()
	loaded.Calendar = workday.Builtin().With(y2027)

	o := openAt(t, at(2026, 12, 28, 9, 0), 5)
	got, changed := Recompute(o, loaded)
	if !changed || got.ReplyDue.Date != date(2027, 1, 7) || got.Provisional || got.Revision != o.Revision+1 {
		t.Errorf("recomputed: due %s provisional %v changed %v", got.ReplyDue.Date, got.Provisional, changed)
	}
	if o.ReplyDue.Date != date(2027, 1, 5) {
		t.Error("Recompute changed its input")
	}
	if _, again := Recompute(got, loaded); again {
		t.Error("a second Recompute changed something")
	}

	// Fired on the fallback calendar: the reply deadline stays where it fired (and the
	// escalation, computed from it, falls on the same day on both calendars); the round is
	// no longer provisional.
	fired, _ := must(t, o, Action{Type: ActTick}, o.ReplyDue.At)
	got, changed = Recompute(fired, loaded)
	rd, _ := got.CurrentRound()
	if !changed || got.ReplyDue.Date != date(2027, 1, 5) || rd.EscalateDue.Date != date(2027, 1, 12) || got.Provisional {
		t.Errorf("after firing: due %s escalate %s changed %v", got.ReplyDue.Date, rd.EscalateDue.Date, changed)
	}
	// A replied order has nothing to recompute.
	replied, _ := must(t, o, reply("王芳"), at(2026, 12, 29, 9, 0))
	if _, changed := Recompute(replied, loaded); changed {
		t.Error("recomputed a replied order")
	}
}
