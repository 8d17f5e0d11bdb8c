package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/internal/loop"
	"github.com/duban-gov/duban/internal/wake"
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
	wake    wake.Signal
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
	t := &Timers{o: o}
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
func (t *Timers) Wake() { t.wake.Wake() }

// Run hands over due thresholds until ctx ends.
func (t *Timers) Run(ctx context.Context) error {
	var next time.Time // the earliest threshold still scheduled, when planned
	planned := false
	sleep := func() (<-chan struct{}, func()) {
		if !planned {
			t.planned.Store(1<<63 - 1)
			return nil, nil
		}
		t.planned.Store(next.UnixMilli())
		tm := t.o.Clock.At(next)
		return tm.C, func() { tm.Stop() }
	}
	loop.Run(ctx, loop.Options{Errors: loop.Errors{Logger: t.o.Logger, Event: "timers_failed"},
		Wake: t.wake.C(), Poll: t.o.Poll, Until: sleep}, func(ctx context.Context) (bool, error) {
		at, ok, err := t.round(ctx)
		next, planned = at, ok && err == nil
		return false, err
	})
	return nil
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
