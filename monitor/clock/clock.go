// Package clock is duban's one business clock. Deadlines, alert instants and scheduled jobs
// read the time from a Clock and sleep on it, so the whole service can run on the real
// clock, on a simulated one that starts at a chosen instant and runs faster
// (DUBAN_CLOCK_START, DUBAN_CLOCK_RATE), or in tests on a manual one that moves only when
// told. Nothing else in the project calls time.Now(); the project's hooks check that only
// files named clock*.go do.
//
// Plumbing (leases, TTLs, retries, rate limits, WebSocket deadlines) runs on real elapsed
// time whatever the business clock is, so that at rate 1000 a 30 s lease does not lapse in
// 30 ms: such code reads Wall() (or sleeps on Real()), never the business clock.
package clock

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Clock tells business time and wakes sleepers when business time reaches an instant. All
// implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current business time.
	Now() time.Time
	// At returns a Timer whose channel is closed once the business clock has reached t
	// (at once when it already has). Call Stop when no longer waiting, to release it.
	At(t time.Time) *Timer
	// Until blocks until the business clock reaches t or ctx ends, and then returns nil or
	// ctx's error.
	Until(ctx context.Context, t time.Time) error
	// RealSince returns the real time elapsed since the business clock read t: the wall
	// clock now minus the wall instant at which business time was (or will be, giving a
	// negative result) t. Plumbing latencies between business instants — a timer's lag
	// behind its due instant, an event's wait from receipt to application — are measured
	// with it, so that at rate 1000 a 10 ms delay reads 10 ms, not 10 business seconds.
	RealSince(t time.Time) time.Duration
}

// Timer is a one-shot wake-up at a business instant, made by Clock.At.
type Timer struct {
	// C is closed when the business clock reaches the timer's instant; it is never closed
	// after a successful Stop.
	C <-chan struct{}

	stop func() bool
}

// Stop prevents the timer from firing. It reports whether it did so, false meaning that the
// timer had already fired or been stopped.
func (t *Timer) Stop() bool { return t.stop() }

// firedTimer returns a timer that has already fired.
func firedTimer() *Timer {
	ch := make(chan struct{})
	close(ch)
	return &Timer{C: ch, stop: func() bool { return false }}
}

// until is Clock.Until for every implementation, on top of its At.
func until(ctx context.Context, c Clock, t time.Time) error {
	tm := c.At(t)
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		tm.Stop()
		return ctx.Err()
	}
}

// maxRealWait bounds one real sleep of a real or simulated timer. A timer sleeps on Go's
// monotonic clock, but a business instant is a wall-clock instant: when the wall clock is
// stepped (NTP, a resumed VM) the two drift apart, so a long wait is cut into pieces and
// re-aimed after each.
const maxRealWait = time.Minute

// realTimer is the Timer of the real and simulated clocks: it sleeps real time on Go's
// timers and, on waking, checks the business clock, sleeping again for what is left. The
// check makes it never fire early, whatever rounding the rate conversion does.
//
// now reads business time; realDelay converts a business duration into a real one.
func realTimer(now func() time.Time, realDelay func(time.Duration) time.Duration, at time.Time) *Timer {
	left := at.Sub(now())
	if left <= 0 {
		return firedTimer()
	}
	var (
		mu   sync.Mutex
		tm   *time.Timer
		done bool
		ch   = make(chan struct{})
		fire func()
	)
	arm := func(left time.Duration) {
		tm = time.AfterFunc(min(realDelay(left), maxRealWait), fire)
	}
	fire = func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		if left := at.Sub(now()); left > 0 {
			arm(left)
			return
		}
		done = true
		close(ch)
	}
	mu.Lock()
	arm(left)
	mu.Unlock()
	return &Timer{C: ch, stop: func() bool {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return false
		}
		done = true
		tm.Stop()
		return true
	}}
}

// Real returns the wall clock as a Clock. It is the business clock of a normal deployment;
// plumbing that only needs the real time reads Wall.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (c realClock) At(t time.Time) *Timer {
	return realTimer(c.Now, func(d time.Duration) time.Duration { return d }, t)
}

func (c realClock) Until(ctx context.Context, t time.Time) error { return until(ctx, c, t) }

// RealSince is time.Since: business time is real time.
func (realClock) RealSince(t time.Time) time.Duration { return time.Since(t) }

// Simulated returns a clock that reads start when it is created and from then on advances
// at rate times real elapsed time: at rate 1000 a business day passes in 86.4 real seconds.
// Its elapsed time is measured on Go's monotonic clock, so stepping the wall clock does not
// move it. Its timers sleep (t−now)/rate of real time.
//
// Simulated panics when rate is not a finite number > 0: the configuration validates
// DUBAN_CLOCK_RATE, so a bad rate here is a programming error, as with time.NewTicker.
func Simulated(start time.Time, rate float64) Clock {
	if !(rate > 0) || math.IsInf(rate, 0) {
		panic(fmt.Sprintf("clock: simulated rate %v is not a finite number > 0", rate))
	}
	// time.Now() carries the monotonic reading that time.Since uses; start is stripped of
	// any monotonic reading of its own so that Now() compares by wall time only.
	return &simulated{start: start.Round(0), rate: rate, ref: time.Now()}
}

type simulated struct {
	start time.Time
	rate  float64
	ref   time.Time // real creation instant, with its monotonic reading
}

func (s *simulated) Now() time.Time {
	return s.start.Add(scale(time.Since(s.ref), s.rate))
}

func (s *simulated) At(t time.Time) *Timer {
	return realTimer(s.Now, func(d time.Duration) time.Duration { return scale(d, 1/s.rate) }, t)
}

func (s *simulated) Until(ctx context.Context, t time.Time) error { return until(ctx, s, t) }

// RealSince maps t to the real instant at which the clock read it, ref + (t − start)/rate,
// and returns the real time since then, on the monotonic clock as Now does.
func (s *simulated) RealSince(t time.Time) time.Duration {
	return time.Since(s.ref) - scale(t.Sub(s.start), 1/s.rate)
}

// scale multiplies d by f, saturating instead of overflowing: at a high rate a long-running
// simulation would otherwise wrap around after about 292 business years.
func scale(d time.Duration, f float64) time.Duration {
	v := float64(d) * f
	switch {
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(v)
}

// InZone returns c telling business time in loc, the configured zone: the same instants,
// shown with the zone's offset, so that whatever is stamped with business time (an event's
// received_at, an audit entry, an alert's fired_at) is written in that zone. Its timers are
// c's own. A nil loc returns c as it is.
func InZone(c Clock, loc *time.Location) Clock {
	if loc == nil {
		return c
	}
	return zoned{c, loc}
}

type zoned struct {
	Clock
	loc *time.Location
}

func (z zoned) Now() time.Time { return z.Clock.Now().In(z.loc) }
