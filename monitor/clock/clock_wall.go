package clock

import (
	"context"
	"math/rand/v2"
	"time"
)

// Wall returns the real time of this machine. It is for plumbing only — leases, retries,
// rate limits, timeouts — which must run on real elapsed time whatever the business clock
// does (at DUBAN_CLOCK_RATE=1000 a 30 s lease must not lapse in 30 ms). Deadlines, alert
// instants and scheduled jobs use a Clock.
func Wall() time.Time { return time.Now() }

// Sleep waits d of real time (plumbing: a retry's pause, a reconnect's), or until ctx ends;
// it reports whether the full time passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Backoff is the pause after the n-th failure in a row (n ≥ 1; less counts as 1): first
// doubling up to max, less a random part of up to half (jitter), so that many clients that
// failed together do not retry together.
func Backoff(n int64, first, max time.Duration) time.Duration {
	d := max
	if n < 1 {
		n = 1
	}
	if n <= 30 {
		d = min(d, first<<(n-1))
	}
	return d/2 + rand.N(d/2+1)
}
