package clock

import "time"

// Wall returns the real time of this machine. It is for plumbing only — leases, retries,
// rate limits, timeouts — which must run on real elapsed time whatever the business clock
// does (at DUBAN_CLOCK_RATE=1000 a 30 s lease must not lapse in 30 ms). Deadlines, alert
// instants and scheduled jobs use a Clock.
func Wall() time.Time { return time.Now() }
