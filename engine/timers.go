package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// TimerOptions configure the timer engine.
type TimerOptions struct {
	Store TimerStore
	// Clock is the business clock: thresholds are business instants.
	Clock clock.Clock
	// Wall is real time (plumbing: the dirty set's scores). Nil means the system clock.
	Wall func() time.Time
	// Batch bounds how many due thresholds one round hands over per partition (so a
	// midnight burst is handled in bounded steps). Zero means 512.
	Batch int
	// HandedOver is called after each round that handed thresholds to the applier (wake it,
	// and tell the other replicas' appliers so the burst is shared).
	HandedOver func([]rdb.DueTimer)
	// Poll is the fallback interval (real time) at which the engine re-reads the earliest
	// threshold, for thresholds another replica scheduled. Zero means 1 s.
	Poll   time.Duration
	Logger *slog.Logger
}

// Timers is the timer engine. It sleeps until the earliest scheduled threshold (business
// time), hands every due threshold to the applier — whose fold at a "now" past the
// threshold fires the alert, exactly once by its key — and sleeps again. Thresholds live only
// in Redis (the timers sets the commit script writes), so a restart loses none and the first
// round after a start fires everything that came due while the service was down.
//
// It wakes early when a commit schedules a threshold before the one it sleeps towards
// (Schedule), so there is no fixed polling on the hot path; the fallback poll only covers
// thresholds scheduled by other replicas, whose own engines wake for them anyway.
type Timers struct {
	o       TimerOptions
	wake    chan struct{}
	planned atomic.Int64 // business ms the engine sleeps towards; max int64 when none
}

// NewTimers validates options and builds a timer engine.
func NewTimers(o TimerOptions) (*Timers, error) {
	if o.Store == nil || o.Clock == nil {
		return nil, errors.New("engine: the timer engine needs a store and a clock")
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "timers")
	t := &Timers{o: o, wake: make(chan struct{}, 1)}
	t.planned.Store(1<<63 - 1)
	return t, nil
}

// Schedule tells the engine that a threshold at `at` was scheduled; it wakes the engine when
// that is earlier than what it sleeps towards. It never blocks.
func (t *Timers) Schedule(at time.Time) {
	if at.IsZero() || at.UnixMilli() >= t.planned.Load() {
		return
	}
	t.Wake()
}

// Wake makes the engine look at the timers now.
func (t *Timers) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run hands over due thresholds until ctx ends.
func (t *Timers) Run(ctx context.Context) error {
	poll := time.NewTicker(t.o.Poll)
	defer poll.Stop()
	var lastErr string
	for {
		next, ok, err := t.round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if err.Error() != lastErr {
				t.o.Logger.Error("timers_failed", "err", err)
				lastErr = err.Error()
			}
		} else {
			lastErr = ""
		}
		var due <-chan struct{}
		var tm *clock.Timer
		if ok && err == nil {
			t.planned.Store(next.UnixMilli())
			tm = t.o.Clock.At(next)
			due = tm.C
		} else {
			t.planned.Store(1<<63 - 1)
		}
		select {
		case <-ctx.Done():
		case <-t.wake:
		case <-due:
		case <-poll.C:
		}
		if tm != nil {
			tm.Stop()
		}
	}
}

// round hands over everything due now, in bounded batches, and returns the earliest
// threshold still scheduled.
func (t *Timers) round(ctx context.Context) (time.Time, bool, error) {
	for {
		due, err := t.HandOver(ctx)
		if err != nil {
			return time.Time{}, false, err
		}
		if len(due) == 0 {
			break
		}
	}
	return t.o.Store.EarliestTimer(ctx)
}

// HandOver hands one batch of due thresholds (per partition) to the applier.
func (t *Timers) HandOver(ctx context.Context) ([]rdb.DueTimer, error) {
	due, err := t.o.Store.HandOverDue(ctx, t.o.Clock.Now(), t.o.Wall(), t.o.Batch)
	if err != nil {
		return nil, err
	}
	if len(due) > 0 && t.o.HandedOver != nil {
		t.o.HandedOver(due)
	}
	return due, nil
}
