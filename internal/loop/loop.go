// Package loop is duban's one runner of background loops and their error logging: a round
// of work, again at once while work is left, otherwise a sleep until woken, until the
// fallback poll or until a timer of the round's own; a failure that repeats is logged when
// it changes, not once per round, and its end once.
package loop

import (
	"context"
	"log/slog"
	"time"
)

// Errors logs the failures of a loop: a failure when its message differs from the last
// one logged, and (with Recovered set) the first success after failures. The zero value
// logs to slog.Default under the event "failed".
type Errors struct {
	Logger *slog.Logger
	// Event names the failure in the log ("relay_failed").
	Event string
	// Recovered, when set, names the first success after a failure ("alert_stream_readable");
	// empty logs no recovery.
	Recovered string
	last      string
}

// Report takes a round's outcome: nil is a success. It reports whether err was logged.
func (e *Errors) Report(err error) bool {
	log := e.Logger
	if log == nil {
		log = slog.Default()
	}
	if err == nil {
		if e.last != "" && e.Recovered != "" {
			log.Info(e.Recovered)
		}
		e.last = ""
		return false
	}
	if msg := err.Error(); msg != e.last {
		ev := e.Event
		if ev == "" {
			ev = "failed"
		}
		log.Error(ev, "err", err)
		e.last = msg
		return true
	}
	return false
}

// Failing reports whether the last outcome was a failure.
func (e *Errors) Failing() bool { return e.last != "" }

// Options configure Run.
type Options struct {
	// Errors logs the rounds' failures; its Event is required.
	Errors Errors
	// Wake, when set, ends a sleep between rounds (a wake.Signal's C).
	Wake <-chan struct{}
	// Poll, when positive, is the longest sleep between rounds (real time): the fallback
	// for work nobody woke the loop for.
	Poll time.Duration
	// Until, when set, is asked after each round for one more thing to end the sleep (a
	// timer towards the next due instant on the business clock) and a function releasing
	// it; a nil channel adds nothing.
	Until func() (<-chan struct{}, func())
}

// Round is one round of work; more reports that work is left, so the next round starts at
// once (unless the round failed).
type Round func(ctx context.Context) (more bool, err error)

// Run runs round until ctx ends: at once after a round that left work, otherwise after a
// sleep ended by Wake, Poll or Until. A round that ends because ctx did is not a failure.
func Run(ctx context.Context, o Options, round Round) {
	var poll *time.Timer
	if o.Poll > 0 {
		poll = time.NewTimer(o.Poll)
		defer poll.Stop()
	}
	for {
		more, err := round(ctx)
		if ctx.Err() != nil {
			return
		}
		o.Errors.Report(err)
		if more && err == nil {
			continue
		}
		var pollC <-chan time.Time
		if poll != nil {
			poll.Reset(o.Poll)
			pollC = poll.C
		}
		var until <-chan struct{}
		release := func() {}
		if o.Until != nil {
			if c, r := o.Until(); c != nil {
				until, release = c, r
			}
		}
		select {
		case <-ctx.Done():
		case <-o.Wake:
		case <-pollC:
		case <-until:
		}
		release()
		if ctx.Err() != nil {
			return
		}
	}
}
