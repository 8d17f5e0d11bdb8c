// Package eventually is the tests' one way to wait for plumbing: poll a condition until it
// holds, in real elapsed time, and fail the test naming what never happened. It never waits
// for a business deadline: tests move the manual business clock for those.
package eventually

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// Timeout is how long True waits: generous, as a loaded CI machine runs many suites at once.
const Timeout = 15 * time.Second

// poll is the pause between two looks.
const poll = 5 * time.Millisecond

// True polls fn until it returns true, for up to Timeout of real time; otherwise it fails
// the test with "timed out waiting for <what>".
func True(tb testing.TB, what string, fn func() bool) {
	tb.Helper()
	Within(tb, Timeout, what, fn)
}

// Within is True with a limit of its own.
func Within(tb testing.TB, limit time.Duration, what string, fn func() bool) {
	tb.Helper()
	for end := clock.Wall().Add(limit); ; time.Sleep(poll) {
		if fn() {
			return
		}
		if clock.Wall().After(end) {
			tb.Fatalf("timed out waiting for %s (%s)", what, limit)
			return
		}
	}
}
