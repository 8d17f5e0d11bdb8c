package supervision

import (
	"errors"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func rules() Rules {
	return Rules{Calendar: workday.Builtin(), Loc: shanghai, Settings: DefaultSettings()}
}

// at is an instant in Asia/Shanghai.
func at(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, shanghai)
}

func date(y int, m time.Month, d int) workday.Date { return workday.NewDate(y, m, d) }

// redAlert is a supervisable promise_overdue alert of case c in department env at instant.
func redAlert(id, c string, instant time.Time) AlertRef {
	return AlertRef{ID: c + "~" + id, Kind: monitor.PromiseOverdue, Level: monitor.Red, CaseID: c,
		Department: "env", Instant: instant, FiredAt: instant, Message: "办件 " + c + " 超过承诺时限（10个工作日）"}
}

// openAt opens order 1 of now's year on one alert, with the default limit unless days is ≥ 0.
func openAt(t *testing.T, now time.Time, days int) Order {
	t.Helper()
	a := Action{Type: ActOpen, By: "李督查", Number: Number{Year: now.In(shanghai).Year(), Seq: 1}, Kind: Rectify,
		Opinion: "请限期办结", Alerts: []AlertRef{redAlert("promise_overdue:2026-02-27", "env-2026-000123", now.Add(-time.Hour))}}
	if days >= 0 {
		a.ReplyDays = &days
	}
	o, ts, err := Apply(Order{}, a, now, rules())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Kind != TChanged || ts[0].Action != HOpened {
		t.Fatalf("open: transitions %+v", ts)
	}
	return o
}

// must applies a and fails the test on an error.
func must(t *testing.T, o Order, a Action, now time.Time) (Order, []Transition) {
	t.Helper()
	out, ts, err := Apply(o, a, now, rules())
	if err != nil {
		t.Fatalf("%s at %s: %v", a.Type, now, err)
	}
	return out, ts
}

func reply(by string, resp ...Responsible) Action {
	return Action{Type: ActReply, By: by, Reply: &ReplyInput{Cause: "专家评审拖延", Measures: "已督促办结", Completed: true, Responsible: resp}}
}

func isConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

func fieldOf(err error) string {
	var f *FieldError
	if errors.As(err, &f) {
		return f.Field
	}
	return ""
}

// kinds lists the transitions' kinds with their action or alert kind, for comparisons.
func kinds(ts []Transition) []string {
	var out []string
	for _, t := range ts {
		s := string(t.Kind)
		switch {
		case t.Alert != nil:
			s += ":" + string(t.Alert.Kind)
		case t.Fault != nil:
			if t.Fault.Confirmed {
				s += ":confirmed"
			} else {
				s += ":missed"
			}
			if t.Fault.Delta > 0 {
				s += "+"
			} else {
				s += "-"
			}
		case t.Action != "":
			s += ":" + string(t.Action)
		}
		out = append(out, s)
	}
	return out
}
