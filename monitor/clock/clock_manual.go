package clock

import (
	"context"
	"sync"
	"time"
)

// ManualClock is a business clock for tests: it stands still until Set or Advance moves it,
// and then wakes, at once, every timer whose instant it has reached. Tests drive it instead
// of sleeping for deadlines. It is safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*waiter]struct{}
	// changed is closed and replaced whenever a timer is added, so BlockUntil can wait for
	// the code under test to go to sleep without polling.
	changed chan struct{}
}

type waiter struct {
	at time.Time
	ch chan struct{}
}

// Manual returns a manual clock that reads start until it is moved.
func Manual(start time.Time) *ManualClock {
	return &ManualClock{now: start, waiters: make(map[*waiter]struct{}), changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (m *ManualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t, forwards or backwards, and wakes every timer whose instant is
// not after t.
func (m *ManualClock) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
	for w := range m.waiters {
		if !w.at.After(t) {
			delete(m.waiters, w)
			close(w.ch)
		}
	}
}

// Advance moves the clock forward by d (backwards when d < 0) and wakes the timers it
// reaches, as Set does.
func (m *ManualClock) Advance(d time.Duration) {
	m.mu.Lock()
	t := m.now.Add(d)
	m.mu.Unlock()
	// Two concurrent Advances may then each set their own sum; tests that race Advance
	// against Advance get one of the two, which is all a manual clock can promise.
	m.Set(t)
}

// At returns a timer that fires when Set or Advance reaches t, or at once when the clock
// already has.
func (m *ManualClock) At(t time.Time) *Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !t.After(m.now) {
		return firedTimer()
	}
	w := &waiter{at: t, ch: make(chan struct{})}
	m.waiters[w] = struct{}{}
	close(m.changed)
	m.changed = make(chan struct{})
	return &Timer{C: w.ch, stop: func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		if _, ok := m.waiters[w]; !ok {
			return false
		}
		delete(m.waiters, w)
		return true
	}}
}

// Until blocks until Set or Advance reaches t, or ctx ends.
func (m *ManualClock) Until(ctx context.Context, t time.Time) error { return until(ctx, m, t) }

// RealSince returns Now() − t. A manual clock has no real time of its own: it stands for
// a clock at rate 1 whose time moves in the jumps a test makes, so the plumbing latencies
// measured on it (a timer's lag, an event's receipt-to-applied time) are exactly the
// business time the test let pass, whatever real time the test took.
func (m *ManualClock) RealSince(t time.Time) time.Duration { return m.Now().Sub(t) }

// Waiters returns how many timers are pending: made by At or Until, not yet fired or
// stopped.
func (m *ManualClock) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// BlockUntil waits until at least n timers are pending, so a test can advance the clock
// only once the code under test sleeps on it. It returns ctx's error when ctx ends first.
func (m *ManualClock) BlockUntil(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		pending, changed := len(m.waiters), m.changed
		m.mu.Unlock()
		if pending >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
