// Package engine runs the loops that turn stored events into alerts, each in its own file:
//
//   - applier.go claims dirty cases (new events, due thresholds) and commits each one's
//     fold with a compare-and-set (commit.go: decode, monitor/fold.Step, encode), so every
//     transition is written to its partition's outbox exactly once;
//   - timers.go hands cases whose next threshold came due back to the applier;
//   - relay.go moves the outboxes' transitions into the global slot (relayops.go: the
//     figures, the system alerts, the alert stream);
//   - calendars.go keeps the holiday calendars in force, loaded at run time.
//
// The rules themselves are pure and live in monitor/… (the fold, the clock rules, the alert
// rules). Each loop stops when its context ends, after the step it is in; service.Run
// cancels them together once the HTTP requests have drained.
package engine
