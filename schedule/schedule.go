// Package schedule runs duban's scheduled jobs — the monthly ranking, the December check
// that next year's calendar is loaded — on robfig/cron schedules read in the configured
// zone but fired by the business clock (robfig's own runner reads the wall clock, so only
// its parser and Schedule.Next are used), so a drill or a test on a simulated clock can
// cross a month's end. Each job runs once per period on exactly one replica: a lease in
// Redis (real time) while it runs, and a done mark per period. At start a job whose last
// due time passed while the service was down runs at once (catch-up).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/duban-gov/duban/internal/lease"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Job is one scheduled job.
type Job struct {
	Name     string
	Schedule cron.Schedule
	// Period names the period a due time stands for ("2026-03" for the ranking due on
	// 2026-04-02): the job runs once per period.
	Period func(due time.Time) string
	// Run does the work for the due time; it must be idempotent per period (a replica
	// that dies after the work and before the done mark makes another one run it again).
	Run func(ctx context.Context, due time.Time) error
}

// Options configure a Scheduler.
type Options struct {
	Store *rdb.Store
	Clock clock.Clock
	Loc   *time.Location
	Jobs  []Job
	// Owner names this replica in leases (host and pid). Empty means a random one.
	Owner string
	// Lease is how long a running job's lease outlives its last renewal (real time); it is
	// renewed every third of that while the job runs. Zero means 10 min.
	Lease time.Duration
	// CatchUp is how far back a start looks for a missed run. Zero means 62 days.
	CatchUp time.Duration
	// Retry is how long after a failed or contended run the job looks again (real time).
	// Zero means 1 min.
	Retry  time.Duration
	Logger *slog.Logger
}

// Scheduler runs jobs.
type Scheduler struct {
	o      Options
	leases *lease.Leases
}

// New validates options.
func New(o Options) (*Scheduler, error) {
	if o.Store == nil || o.Clock == nil || o.Loc == nil {
		return nil, errors.New("schedule: store, clock and zone are required")
	}
	for _, j := range o.Jobs {
		if j.Name == "" || j.Schedule == nil || j.Period == nil || j.Run == nil {
			return nil, fmt.Errorf("schedule: job %q is incomplete", j.Name)
		}
	}
	if o.Owner == "" {
		o.Owner = fmt.Sprintf("replica-%d", clock.Wall().UnixNano())
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 62 * 24 * time.Hour
	}
	if o.Retry <= 0 {
		o.Retry = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "schedule")
	leases, err := lease.New(lease.Options{Store: o.Store, Owner: o.Owner, TTL: o.Lease, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	return &Scheduler{o: o, leases: leases}, nil
}

// Run runs every job until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, j := range s.o.Jobs {
		wg.Go(func() { s.loop(ctx, j) })
	}
	wg.Wait()
	return nil
}

// LastDue is the latest due time of a schedule in (now−within, now], if any.
func LastDue(sc cron.Schedule, now time.Time, within time.Duration) (time.Time, bool) {
	var last time.Time
	for t := now.Add(-within); ; {
		n := sc.Next(t)
		if n.IsZero() || n.After(now) {
			break
		}
		last, t = n, n
	}
	return last, !last.IsZero()
}

func (s *Scheduler) loop(ctx context.Context, j Job) {
	now := s.o.Clock.Now().In(s.o.Loc)
	if due, ok := LastDue(j.Schedule, now, s.o.CatchUp); ok {
		s.attempt(ctx, j, due) // catch up a run missed while the service was down
	}
	for ctx.Err() == nil {
		now = s.o.Clock.Now().In(s.o.Loc)
		due := j.Schedule.Next(now)
		if due.IsZero() {
			return
		}
		if err := s.o.Clock.Until(ctx, due); err != nil {
			return
		}
		s.attempt(ctx, j, due)
	}
}

// attempt runs a job for a due time until it is done for its period, by this replica or
// another; contention and failures are retried after Retry (real time).
func (s *Scheduler) attempt(ctx context.Context, j Job, due time.Time) {
	for ctx.Err() == nil {
		done, err := s.RunOnce(ctx, j, due)
		if err != nil && ctx.Err() == nil { // a stop mid-run is not a failure
			s.o.Logger.Error("job_failed", "job", j.Name, "period", j.Period(due), "err", err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.o.Retry):
		}
	}
}

// RunOnce runs a job for a due time unless its period is done; done reports whether the
// period is done now (false: another replica holds the lease, or the run failed).
func (s *Scheduler) RunOnce(ctx context.Context, j Job, due time.Time) (done bool, err error) {
	period := j.Period(due)
	if done, err := s.o.Store.JobDone(ctx, j.Name, period); err != nil || done {
		return done, err
	}
	var runErr error
	held, err := s.leases.With(ctx, rdb.JobLease(j.Name), func(ctx context.Context) {
		done, runErr = s.runHeld(ctx, j, due, period)
	})
	if !held {
		return false, err
	}
	return done, runErr
}

// runHeld runs a job for a due time under its lease, which is renewed meanwhile.
func (s *Scheduler) runHeld(ctx context.Context, j Job, due time.Time, period string) (bool, error) {
	// Checked again under the lease: another replica may have finished in between.
	if done, err := s.o.Store.JobDone(ctx, j.Name, period); err != nil || done {
		return done, err
	}
	s.o.Logger.Info("job_running", "job", j.Name, "period", period, "due", due)
	if err := j.Run(ctx, due); err != nil {
		return false, err
	}
	if err := s.o.Store.MarkJobDone(ctx, j.Name, period, s.o.Clock.Now()); err != nil {
		return false, err
	}
	s.o.Logger.Info("job_done", "job", j.Name, "period", period)
	return true, nil
}
