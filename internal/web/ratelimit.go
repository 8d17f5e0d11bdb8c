package web

import (
	"math"
	"sync"
	"time"
)

// RateLimiter limits events per second per token. It is a token bucket that may go into
// debt: a batch larger than one second's allowance is taken whole when the bucket is not
// empty (splitting it would only add round trips), and the debt is repaid before the next
// batch passes. It runs on real elapsed time (plumbing), never the business clock.
type RateLimiter struct {
	rate float64 // events per second
	wall func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	level float64 // available events; negative is debt
	at    time.Time
}

// NewRateLimiter allows rate events per second per key, with a burst of one second's worth.
func NewRateLimiter(rate float64, wall func() time.Time) *RateLimiter {
	return &RateLimiter{rate: rate, wall: wall, buckets: make(map[string]*bucket)}
}

// Take takes n events for key. When the bucket is empty or in debt it takes nothing and
// returns how long to wait before trying again.
func (l *RateLimiter) Take(key string, n int) (ok bool, retryAfter time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.wall()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[key]
	if !found {
		b = &bucket{level: l.rate, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.level = math.Min(l.rate, b.level+el*l.rate)
	}
	b.at = now
	if b.level <= 0 {
		wait := time.Duration((-b.level + 1) / l.rate * float64(time.Second))
		return false, wait
	}
	b.level -= float64(n)
	return true, 0
}
