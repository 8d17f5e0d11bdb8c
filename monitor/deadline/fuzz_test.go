package deadline

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// genCase builds a random but plausible case from a seed: a matter, events that mostly
// follow the procedure (with every kind of mistake sprinkled in: out-of-order steps,
// second notices, retractions, late reports, events at exactly 00:00, years without a
// calendar) and a "now".
func genCase(seed uint64) (monitor.Matter, []monitor.Event, time.Time) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m := monitor.Matter{
		Code: "M", Department: "env",
		PromisedDays: rng.IntN(16), WarnDays: rng.IntN(5), AcceptanceDays: rng.IntN(7),
		DeliveryDays: rng.IntN(11), MaxExtensionDays: rng.IntN(11),
	}
	m.StatutoryDays = m.PromisedDays + rng.IntN(15)
	if rng.IntN(8) == 0 {
		m.StatutoryDays = rng.IntN(20) // occasionally a catalogue with promised > statutory
	}
	if rng.IntN(2) == 0 {
		m.MaxSuspensionDays = map[string]int{monitor.ReasonExpertReview: rng.IntN(8), monitor.ReasonHearing: rng.IntN(4)}
	}
	if rng.IntN(2) == 0 {
		fen := int64(rng.IntN(3) * 5000)
		m.FeeMaxFen = &fen
	}

	// Start somewhere in 2025–2026 (sometimes late 2026, so deadlines reach 2027).
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai).Add(time.Duration(rng.IntN(730*24)) * time.Hour)
	if rng.IntN(6) == 0 {
		start = time.Date(2026, 12, 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, shanghai)
	}
	reasons := []string{monitor.ReasonExpertReview, monitor.ReasonHearing, monitor.ReasonTesting}
	types := []monitor.EventType{
		monitor.Accepted, monitor.Accepted, monitor.NotAccepted, monitor.SupplementRequested,
		monitor.SupplementReceived, monitor.Suspended, monitor.Suspended, monitor.Resumed,
		monitor.Resumed, monitor.Extended, monitor.Decided, monitor.Decided, monitor.Delivered,
		monitor.FeeCharged, monitor.Withdrawn, monitor.Step, monitor.Retracted, monitor.Submitted,
	}
	n := 1 + rng.IntN(12)
	evs := make([]monitor.Event, 0, n+1)
	t := start
	add := func(typ monitor.EventType) {
		e := monitor.Event{
			EventID: fmt.Sprintf("x%d", len(evs)), CaseID: "c-fuzz", Department: "env", Type: typ,
			At: t, Seq: int64(rng.IntN(3)),
		}
		if rng.IntN(3) == 0 {
			e.Handler = fmt.Sprintf("h%d", rng.IntN(4))
		}
		switch typ {
		case monitor.Suspended:
			e.Reason = reasons[rng.IntN(len(reasons))]
		case monitor.Extended:
			e.Days = rng.IntN(15)
			if rng.IntN(6) != 0 {
				e.Approver = "boss"
			}
		case monitor.Decided:
			e.Result = monitor.ResultApproved
			if rng.IntN(3) == 0 {
				e.Result = monitor.ResultDenied
			}
		case monitor.FeeCharged:
			e.AmountYuan = fmt.Sprintf("%d.%02d", rng.IntN(80), rng.IntN(100))
		case monitor.Retracted:
			if len(evs) > 0 {
				e.Ref = evs[rng.IntN(len(evs))].EventID
			}
		}
		if rng.IntN(5) == 0 {
			e.ReceivedAt = t.Add(time.Duration(rng.IntN(72)) * time.Hour)
		}
		evs = append(evs, e)
	}
	if rng.IntN(8) != 0 {
		add(monitor.Submitted)
	}
	for range n {
		switch rng.IntN(4) {
		case 0: // same instant
		case 1: // to a midnight
			y, mo, d := t.Date()
			t = time.Date(y, mo, d+1+rng.IntN(3), 0, 0, 0, 0, shanghai)
		default:
			t = t.Add(time.Duration(rng.IntN(120)) * time.Hour).Add(time.Duration(rng.IntN(60)) * time.Minute)
		}
		if rng.IntN(10) == 0 {
			t = t.Add(-time.Duration(rng.IntN(48)) * time.Hour) // out of order
		}
		add(types[rng.IntN(len(types))])
	}
	now := t.Add(time.Duration(rng.IntN(40*24)) * time.Hour)
	if rng.IntN(5) == 0 {
		y, mo, d := now.Date()
		now = time.Date(y, mo, d, 0, 0, 0, 0, shanghai) // exactly a threshold-like midnight
	}
	return m, evs, now
}

func fuzzInput(m monitor.Matter, evs []monitor.Event, now time.Time) Input {
	return Input{Events: evs, Matter: &m, Calendar: workday.Builtin(), Loc: shanghai, Now: now, ReportWithin: 24 * time.Hour}
}

func clone(evs []monitor.Event) []monitor.Event { return append([]monitor.Event(nil), evs...) }

// checkInvariants checks what must hold of any Result.
func checkInvariants(t *testing.T, in Input, r Result) {
	t.Helper()
	midnight := func(what string, d *Deadline) {
		if d == nil {
			return
		}
		lt := d.At.In(shanghai)
		if lt.Hour() != 0 || lt.Minute() != 0 || lt.Second() != 0 || lt.Nanosecond() != 0 {
			t.Errorf("%s.At = %v, not 00:00", what, d.At)
		}
		if !d.At.Equal(d.Date.AddDays(1).Start(shanghai)) {
			t.Errorf("%s.At = %v, not the end of %s", what, d.At, d.Date)
		}
	}
	midnight("acceptance_due", r.AcceptanceDue)
	midnight("decision_due_promised", r.DecisionDuePromised)
	midnight("decision_due_statutory", r.DecisionDueStatutory)
	midnight("delivery_due", r.DeliveryDue)
	if p, s := r.DecisionDuePromised, r.DecisionDueStatutory; p != nil && s != nil && p.Date > s.Date {
		t.Errorf("promised %s later than statutory %s", p.Date, s.Date)
	}
	keys := map[string]bool{}
	level := monitor.Green
	for _, a := range r.Alerts {
		if keys[a.Key] {
			t.Errorf("duplicate alert key %s", a.Key)
		}
		keys[a.Key] = true
		if a.Kind.Timed() {
			midnight("alert "+a.Key, a.Due)
			if a.Due == nil || a.Instant.After(in.Now) {
				t.Errorf("time alert %s: due %v, instant %v after now %v", a.Key, a.Due, a.Instant, in.Now)
			}
		} else if a.Due != nil || a.EventID == "" {
			t.Errorf("event alert %s with due or without event", a.Key)
		}
		if a.Message == "" || a.Level != a.Kind.Level() {
			t.Errorf("alert %s: level %s, message %q", a.Key, a.Level, a.Message)
		}
		if a.Active && a.Kind != monitor.LateReport {
			level = level.Worse(a.Level)
		}
	}
	if level != r.Level {
		t.Errorf("level %s, want %s", r.Level, level)
	}
	for i, th := range r.Thresholds {
		if !th.At.After(in.Now) {
			t.Errorf("threshold %v not after now %v", th, in.Now)
		}
		if i > 0 && th.At.Before(r.Thresholds[i-1].At) {
			t.Errorf("thresholds not ascending: %v", r.Thresholds)
		}
	}
	if (r.Stage == monitor.StageClosed) != (r.ClosedAt != nil) {
		t.Errorf("stage %s with closed_at %v", r.Stage, r.ClosedAt)
	}
	if r.Stage == monitor.StageClosed && r.RemainingDays != nil {
		t.Errorf("closed case with remaining_days %d", *r.RemainingDays)
	}
	if r.RemainingDays != nil && *r.RemainingDays == 0 {
		t.Errorf("remaining_days 0 (it is 1 on the last day, -1 after)")
	}
	if r.Provisional != (len(r.MissingYears) > 0) {
		t.Errorf("provisional %t, missing %v", r.Provisional, r.MissingYears)
	}
}

// checkCase runs every property on one generated case.
func checkCase(t *testing.T, seed uint64) {
	m, evs, now := genCase(seed)
	base := Compute(fuzzInput(m, clone(evs), now))
	checkInvariants(t, fuzzInput(m, evs, now), base)

	// Any arrival order gives the same state.
	rng := rand.New(rand.NewPCG(seed, 7))
	for range 3 {
		sh := clone(evs)
		rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		if got := Compute(fuzzInput(m, sh, now)); !reflect.DeepEqual(got, base) {
			t.Fatalf("seed %d: shuffled events give a different result:\n got %+v\nwant %+v", seed, got, base)
		}
	}
	// The timeline never fails either.
	_ = Timeline(fuzzInput(m, clone(evs), now))

	// A suspension added where the clock runs never makes a deadline earlier.
	s, r, ok := suspensionWindow(evs, now, rng)
	if !ok {
		return
	}
	more := append(clone(evs),
		monitor.Event{EventID: "zs", CaseID: "c-fuzz", Department: "env", Type: monitor.Suspended, At: s, Reason: monitor.ReasonExpertReview},
		monitor.Event{EventID: "zr", CaseID: "c-fuzz", Department: "env", Type: monitor.Resumed, At: r})
	got := Compute(fuzzInput(m, more, now))
	notEarlier := func(what string, a, b *Deadline) {
		if (a == nil) != (b == nil) {
			t.Fatalf("seed %d: %s present %t, with a suspension %t", seed, what, a != nil, b != nil)
		}
		if a != nil && b.Date < a.Date {
			t.Fatalf("seed %d: a suspension %v..%v moved %s earlier: %s → %s", seed, s, r, what, a.Date, b.Date)
		}
	}
	notEarlier("acceptance_due", base.AcceptanceDue, got.AcceptanceDue)
	notEarlier("decision_due_promised", base.DecisionDuePromised, got.DecisionDuePromised)
	notEarlier("decision_due_statutory", base.DecisionDueStatutory, got.DecisionDueStatutory)
}

// suspensionWindow picks s < r <= now such that no suspended or resumed event lies in
// [s, r] and no suspension may be open at s, so the added pair stands on its own. (An
// event dated after now moves the fold to its own time, so it is left out.)
func suspensionWindow(evs []monitor.Event, now time.Time, rng *rand.Rand) (time.Time, time.Time, bool) {
	sorted := clone(evs)
	monitor.SortEvents(sorted)
	if len(sorted) == 0 {
		return time.Time{}, time.Time{}, false
	}
	for i := range sorted {
		if sorted[i].Type == monitor.Retracted {
			return time.Time{}, time.Time{}, false // it could remove the resumed that ends a stop
		}
	}
	first := sorted[0].At
	if !first.Before(now) {
		return time.Time{}, time.Time{}, false
	}
	for range 8 {
		s := first.Add(time.Duration(rng.Int64N(int64(now.Sub(first)))))
		r := s.Add(time.Duration(rng.IntN(15*24)) * time.Hour).Add(time.Minute)
		if r.After(now) {
			r = now
		}
		open, ok := false, true
		for i := range sorted {
			e := &sorted[i]
			if e.Type != monitor.Suspended && e.Type != monitor.Resumed {
				continue
			}
			if !e.At.Before(s) {
				if !e.At.After(r) {
					ok = false
				}
				break
			}
			switch e.Type {
			case monitor.Suspended:
				open = true
			case monitor.Resumed:
				open = false
			}
		}
		if ok && !open {
			return s, r, true
		}
	}
	return time.Time{}, time.Time{}, false
}

func FuzzCompute(f *testing.F) {
	for _, seed := range []uint64{0, 1, 2, 3, 42, 1234, 99991, 1 << 40} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkCase(t, seed) })
}

// TestProperties runs the fuzz properties on a fixed set of seeds in every test run.
func TestProperties(t *testing.T) {
	n := uint64(3000)
	if testing.Short() {
		n = 300
	}
	for seed := range n {
		checkCase(t, seed)
		if t.Failed() {
			t.Fatalf("seed %d failed", seed)
		}
	}
}

// TestConcurrentCompute runs Compute from many goroutines (the pooled engines must not
// share state); each goroutine owns its events, since Compute sorts them in place.
func TestConcurrentCompute(t *testing.T) {
	want := make([]Result, 50)
	for i := range want {
		m, evs, now := genCase(uint64(i))
		want[i] = Compute(fuzzInput(m, evs, now))
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := range 200 {
				i := (g*31 + k) % len(want)
				m, evs, now := genCase(uint64(i))
				if got := Compute(fuzzInput(m, evs, now)); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("case %d differs when computed concurrently", i)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
