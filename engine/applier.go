package engine

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// BusinessClock is the one business clock (monitor/clock implements it).
type BusinessClock interface{ Now() time.Time }

// ApplierOptions configure an Applier.
type ApplierOptions struct {
	Store ApplierStore
	// fold.Rules returns the rules in force now (the calendar can be reloaded at run time).
	Rules  func() fold.Rules
	Clock  BusinessClock
	Logger *slog.Logger
	// Wall is real time, for leases (plumbing). Nil means the system clock.
	Wall func() time.Time
	// Lease is how long a claimed case stays with this replica before another may take it
	// (real time). Zero means 30 s.
	Lease time.Duration
	// Batch is how many dirty cases one claim takes per partition. Zero means 32.
	Batch int
	// Workers is how many claim loops run at once. Zero means 2×GOMAXPROCS, at least 4: a
	// loop waits on Redis half the time, so more loops than cores keep both busy.
	Workers int
	// Poll is the fallback poll interval, which picks up other replicas' work and lapsed
	// leases when no wake-up came. Zero means 1 s.
	Poll time.Duration
	// Subjects are the other kinds of clocked subject (supervision orders: Orders.Subject):
	// dirty members with their prefix go to them instead of the case fold.
	Subjects []Subject
	// Committed, when set, is called with each round's committed cases (their next timers
	// and transitions), for the timer engine, the relay and the metrics.
	Committed func([]rdb.Commit)
}

// Applier folds dirty cases into state. Run it on every replica; claims share the work.
type Applier struct {
	o      ApplierOptions
	wake   chan struct{}
	folds  atomic.Int64
	rounds atomic.Int64
}

// Folds counts the cases this applier folded (a burst of events on one case folds once).
func (a *Applier) Folds() int64 { return a.folds.Load() }

// Rounds counts the claims this applier made (for tests: an idle applier must not spin).
func (a *Applier) Rounds() int64 { return a.rounds.Load() }

// NewApplier validates options and builds an Applier.
func NewApplier(o ApplierOptions) (*Applier, error) {
	if o.Store == nil || o.Rules == nil || o.Clock == nil {
		return nil, errors.New("engine: applier needs a store, rules and a clock")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Workers <= 0 {
		o.Workers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	o.Logger = o.Logger.With("component", "applier")
	return &Applier{o: o, wake: make(chan struct{}, 1)}, nil
}

// Wake tells the applier that new work was stored; it never blocks. One idle worker takes
// the wake-up; a worker whose claim left work behind passes it on to the next, so the
// workers join in as fast as a burst needs them, and the wake-up dies out when the work does.
func (a *Applier) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run applies dirty cases until ctx ends. A round that found work is followed at once by
// another; an idle worker sleeps until woken or until the fallback poll.
func (a *Applier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range a.o.Workers {
		wg.Go(func() { a.loop(ctx, i == 0) })
	}
	wg.Wait()
	return nil
}

// loop is one worker. Only the polling one wakes on the fallback poll: whatever it finds
// beyond one claim wakes the others (the wake-up chain), so an idle replica makes one claim
// round per Poll, not one per worker.
func (a *Applier) loop(ctx context.Context, polls bool) {
	t := time.NewTimer(0)
	defer t.Stop()
	var poll <-chan time.Time
	if polls {
		poll = t.C
	}
	var lastErr string
	for {
		n, more, err := a.applyRound(ctx)
		if ctx.Err() != nil {
			return
		}
		if more && err == nil {
			a.Wake() // more is waiting than one claim takes: bring in another worker
		}
		if err != nil {
			if err.Error() != lastErr { // log a repeating failure when it changes
				a.o.Logger.Error("apply_failed", "err", err)
				lastErr = err.Error()
			}
		} else {
			lastErr = ""
		}
		if n > 0 && err == nil {
			continue
		}
		t.Reset(a.o.Poll)
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-poll:
		}
	}
}

// ApplyOnce claims one batch of dirty cases, folds and commits them, and returns how many
// it applied (or parked as dead letters).
func (a *Applier) ApplyOnce(ctx context.Context) (int, error) {
	n, _, err := a.applyRound(ctx)
	return n, err
}

// applyRound is ApplyOnce that also reports whether the claim left due work behind.
func (a *Applier) applyRound(ctx context.Context) (int, bool, error) {
	a.rounds.Add(1)
	ids, more, err := a.o.Store.ClaimDirty(ctx, a.o.Wall(), a.o.Lease, a.o.Batch)
	if err != nil || len(ids) == 0 {
		return 0, more, err
	}
	cases, err := a.dispatch(ctx, ids)
	if err != nil {
		return len(ids), more, err
	}
	return len(ids), more, a.Apply(ctx, cases)
}

// dispatch hands the members of other subject kinds (a '~' prefix) to their Subject and
// returns the cases. A member of no known kind is left to its lease (logged).
func (a *Applier) dispatch(ctx context.Context, ids []string) ([]string, error) {
	if len(a.o.Subjects) == 0 {
		return ids, nil
	}
	var cases []string
	var other map[int][]string
	for _, id := range ids {
		if !strings.HasPrefix(id, "~") {
			cases = append(cases, id)
			continue
		}
		k := slices.IndexFunc(a.o.Subjects, func(s Subject) bool { return strings.HasPrefix(id, s.Prefix) })
		if k < 0 {
			a.o.Logger.Error("unknown_subject", "member", id)
			continue
		}
		if other == nil {
			other = make(map[int][]string)
		}
		other[k] = append(other[k], id)
	}
	for k, members := range other {
		if err := a.o.Subjects[k].Apply(ctx, members); err != nil {
			return cases, err
		}
	}
	return cases, nil
}

// maxConflicts bounds how often one case is recomputed in a row because it kept changing
// under us; after that it is left dirty for the next round.
const maxConflicts = 5

// Apply folds and commits the given cases now, retrying those that changed meanwhile.
func (a *Applier) Apply(ctx context.Context, ids []string) error {
	for attempt := 0; len(ids) > 0 && attempt < maxConflicts; attempt++ {
		snaps, err := a.o.Store.LoadCases(ctx, ids)
		if err != nil {
			return err
		}
		// Business time in the configured zone: the alert records, dead letters and
		// transitions made now carry it as they are stored and passed on.
		rules := a.o.Rules()
		now := monitor.InZone(a.o.Clock.Now(), rules.Loc)
		commits := make([]rdb.Commit, 0, len(snaps))
		var retry []string
		for i := range snaps {
			c, err := a.prepare(rules, &snaps[i], now)
			if errors.Is(err, fold.ErrNotApplicable) {
				ok, err := a.o.Store.PutDeadLetter(ctx, &snaps[i], rdb.DeadLetter{
					CaseID: snaps[i].CaseID, Department: snaps[i].Department,
					Reason: err.Error(), EventIDs: eventIDs(&snaps[i]), At: now})
				if err != nil {
					return err
				}
				if !ok {
					retry = append(retry, snaps[i].CaseID)
				}
				continue
			}
			if err != nil {
				return err
			}
			commits = append(commits, c)
		}
		oks, err := a.o.Store.CommitCases(ctx, commits)
		if err != nil {
			return err
		}
		done := commits[:0:0]
		for i, ok := range oks {
			if !ok {
				retry = append(retry, commits[i].Snap.CaseID)
			} else if a.o.Committed != nil {
				done = append(done, commits[i])
			}
		}
		if len(done) > 0 {
			a.o.Committed(done)
		}
		ids = retry
	}
	if len(ids) > 0 {
		// Still changing: hand them back now rather than after the lease.
		return a.o.Store.MarkDirty(ctx, a.o.Wall(), ids...)
	}
	return nil
}
