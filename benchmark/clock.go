package benchmark

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// steerClock is the business clock of the service `duban bench` starts: a simulated clock
// (business time runs at rate × real time from the instant it was last set) that the bench
// can move at any moment, through the child's control endpoint, to a new instant and rate.
// Timers sleep real time, as the simulated clock's do, and are re-aimed whenever the clock is
// steered; a jump forward wakes at once every timer it passes, as a midnight does.
type steerClock struct {
	mu      sync.Mutex
	base    time.Time // business time at ref
	ref     time.Time // the real instant of the last steer, with its monotonic reading
	rate    float64   // > 0
	waiters map[*steerWaiter]struct{}
}

type steerWaiter struct {
	at time.Time
	ch chan struct{}
	tm *time.Timer
}

var _ clock.Clock = (*steerClock)(nil)

func newSteerClock(start time.Time, rate float64) *steerClock {
	return &steerClock{base: start.Round(0), ref: clock.Wall(), rate: rate, waiters: map[*steerWaiter]struct{}{}}
}

func (c *steerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *steerClock) nowLocked() time.Time {
	return c.base.Add(scale(time.Since(c.ref), c.rate))
}

// Steer sets business time to t (zero: where it is now) and its rate to rate (≤ 0: as it
// is), and wakes or re-aims every timer.
func (c *steerClock) Steer(t time.Time, rate float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		t = c.nowLocked()
	}
	c.base, c.ref = t.Round(0), clock.Wall()
	if rate > 0 && !math.IsInf(rate, 0) {
		c.rate = rate
	}
	for w := range c.waiters {
		w.tm.Stop()
		c.armLocked(w)
	}
}

// armLocked fires w when its instant has come, or sets its real timer for what is left.
func (c *steerClock) armLocked(w *steerWaiter) {
	left := w.at.Sub(c.nowLocked())
	if left <= 0 {
		delete(c.waiters, w)
		close(w.ch)
		return
	}
	w.tm = time.AfterFunc(max(scale(left, 1/c.rate), 0), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.waiters[w]; ok {
			c.armLocked(w) // never early: checked against the clock again
		}
	})
}

func (c *steerClock) At(t time.Time) *clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &steerWaiter{at: t, ch: make(chan struct{})}
	c.waiters[w] = struct{}{}
	c.armLocked(w)
	return clock.NewTimer(w.ch, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.waiters[w]; !ok {
			return false
		}
		delete(c.waiters, w)
		w.tm.Stop()
		return true
	})
}

func (c *steerClock) Until(ctx context.Context, t time.Time) error {
	tm := c.At(t)
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		tm.Stop()
		return ctx.Err()
	}
}

// RealSince maps t onto the real timeline of the current steer: ref + (t − base)/rate.
// Across a jump, an instant before it reads as if the clock had always run at this rate.
func (c *steerClock) RealSince(t time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Since(c.ref) - scale(t.Sub(c.base), 1/c.rate)
}

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
