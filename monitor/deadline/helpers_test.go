package deadline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// The expected values in these tests are counted by hand from the facts in
// shared/calendar/CN-2025.yaml and CN-2026.yaml (each test says which days count); none
// is obtained by calling the code under test.

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// at parses "2006-01-02 15:04" (or with seconds) in Asia/Shanghai.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t
		}
	}
	tb.Fatalf("bad time %q", s)
	return time.Time{}
}

func date(tb testing.TB, s string) workday.Date {
	tb.Helper()
	d, err := workday.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// ev is a compact event description for tables; ids are given by position (e1, e2, …)
// unless set.
type ev struct {
	typ      monitor.EventType
	at       string
	handler  string
	reason   string
	days     int
	approver string
	amount   string
	result   string
	ref      string
	id       string
	received string // ReceivedAt
	seq      int64
}

const caseID = "env-2026-000123"

func events(tb testing.TB, list []ev) []monitor.Event {
	tb.Helper()
	out := make([]monitor.Event, len(list))
	for i, x := range list {
		id := x.id
		if id == "" {
			id = fmt.Sprintf("e%d", i+1)
		}
		out[i] = monitor.Event{
			EventID: id, CaseID: caseID, Department: "env", Type: x.typ, At: at(tb, x.at),
			Seq: x.seq, Handler: x.handler, Reason: x.reason, Days: x.days, Approver: x.approver,
			AmountYuan: x.amount, Result: x.result, Ref: x.ref,
		}
		if x.typ == monitor.Submitted {
			out[i].Matter = "ENV-EIA-001"
		}
		if x.received != "" {
			out[i].ReceivedAt = at(tb, x.received)
		}
	}
	return out
}

// stdMatter is the catalogue's example matter: 20 statutory, 10 promised working days.
func stdMatter() monitor.Matter {
	return monitor.Matter{
		Code: "ENV-EIA-001", Department: "env", StatutoryDays: 20, PromisedDays: 10,
		WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10, MaxExtensionDays: 10,
	}
}

func input(tb testing.TB, m monitor.Matter, list []ev, now string) Input {
	tb.Helper()
	return Input{
		Events: events(tb, list), Matter: &m, Calendar: workday.Builtin(), Loc: shanghai,
		Now: at(tb, now), ReportWithin: 24 * time.Hour,
	}
}

func ts(t time.Time) string { return t.In(shanghai).Format("2006-01-02T15:04") }

// summary renders a Result as lines "key=value", one "A …" line per alert and one "T …"
// line per threshold, in the Result's order.
func summary(r Result) []string {
	dl := func(d *Deadline) string {
		if d == nil {
			return "nil"
		}
		return d.Date.String()
	}
	tp := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return ts(*t)
	}
	rem := "nil"
	if r.RemainingDays != nil {
		rem = fmt.Sprint(*r.RemainingDays)
	}
	dec := "nil"
	if f := r.Decision; f != nil {
		dec = fmt.Sprintf("%s on_time=%t statutory=%t used=%d early=%t", f.Date, f.OnTime, f.WithinStatutory, f.UsedDays, f.Early)
	}
	lines := []string{
		"stage=" + string(r.Stage), "status=" + string(r.Status),
		"acc=" + dl(r.AcceptanceDue), "prom=" + dl(r.DecisionDuePromised),
		"stat=" + dl(r.DecisionDueStatutory), "del=" + dl(r.DeliveryDue),
		"used=" + fmt.Sprint(r.UsedDays), "rem=" + rem, "stopped=" + fmt.Sprint(r.ClockStopped),
		"susp=" + fmt.Sprint(r.SuspendedDays), "ext=" + fmt.Sprint(r.ExtensionDays),
		"level=" + string(r.Level), "prov=" + fmt.Sprint(r.Provisional),
		"missing=" + fmt.Sprint(r.MissingYears), "deemed=" + fmt.Sprint(r.DeemedAccepted),
		"handler=" + r.Handler, "fees=" + fmt.Sprint(r.FeesFen), "applied=" + fmt.Sprint(r.Applied),
		"submitted_at=" + tp(r.SubmittedAt), "accepted_at=" + tp(r.AcceptedAt),
		"decided_at=" + tp(r.DecidedAt), "closed_at=" + tp(r.ClosedAt), "result=" + r.Result,
		"decision=" + dec,
	}
	for _, a := range r.Alerts {
		s := "A " + a.Key + " " + ts(a.Instant)
		if a.Active {
			s += " active"
		} else {
			s += " inactive"
		}
		if a.Rule != "" {
			s += " rule=" + a.Rule
		}
		s += " h=" + a.Handler
		lines = append(lines, s)
	}
	for _, t := range r.Thresholds {
		lines = append(lines, "T "+string(t.Kind)+" "+ts(t.At))
	}
	return lines
}

// checkSummary compares the "key=value" lines of want with got's, and the A lines and the
// T lines exactly, each in order (every alert and every threshold must be expected).
func checkSummary(tb testing.TB, got Result, want []string) {
	tb.Helper()
	have := summary(got)
	byKey := map[string]string{}
	var gotA, wantA, gotT, wantT []string
	for _, l := range have {
		if strings.HasPrefix(l, "A ") {
			gotA = append(gotA, l)
			continue
		}
		if strings.HasPrefix(l, "T ") {
			gotT = append(gotT, l)
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		byKey[k] = v
	}
	for _, l := range want {
		if strings.HasPrefix(l, "A ") {
			wantA = append(wantA, l)
			continue
		}
		if strings.HasPrefix(l, "T ") {
			wantT = append(wantT, l)
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		g, ok := byKey[k]
		if !ok {
			tb.Errorf("unknown summary key %q", k)
			continue
		}
		if g != v {
			tb.Errorf("%s = %s, want %s", k, g, v)
		}
	}
	if !slices.Equal(gotA, wantA) {
		tb.Errorf("alerts:\n got: %s\nwant: %s", strings.Join(gotA, "\n      "), strings.Join(wantA, "\n      "))
	}
	if !slices.Equal(gotT, wantT) {
		tb.Errorf("thresholds:\n got: %s\nwant: %s", strings.Join(gotT, "\n      "), strings.Join(wantT, "\n      "))
	}
	if tb.Failed() {
		tb.Logf("full summary:\n%s", strings.Join(have, "\n"))
	}
}
