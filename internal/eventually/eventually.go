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
	Describing(tb, limit, func() string { return what }, fn)
}

// Describing is Within with a description computed when it fails, so the failure shows
// the state things were left in ("3 of 8 events stored").
func Describing(tb testing.TB, limit time.Duration, what func() string, fn func() bool) {
	tb.Helper()
	Every(tb, limit, poll, what, fn)
}

// Every is Describing with a pause of its own between looks, for a look that costs (a
// query to a browser, a round of HTTP requests).
func Every(tb testing.TB, limit, pause time.Duration, what func() string, fn func() bool) {
	tb.Helper()
	for end := clock.Wall().Add(limit); ; time.Sleep(pause) {
		if fn() {
			return
		}
		if clock.Wall().After(end) {
			tb.Fatalf("timed out waiting for %s (%s)", what(), limit)
			return
		}
	}
}
