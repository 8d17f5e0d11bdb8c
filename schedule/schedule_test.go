package schedule_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/schedule"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func monthly(t *testing.T, runs *atomic.Int64, periods *sync.Map) schedule.Job {
	sc, err := cron.ParseStandard("0 2 2 * *")
	if err != nil {
		t.Fatal(err)
	}
	return schedule.Job{Name: "monthly", Schedule: sc,
		Period: func(due time.Time) string { return due.AddDate(0, -1, 0).Format("2006-01") },
		Run: func(ctx context.Context, due time.Time) error {
			runs.Add(1)
			periods.Store(due.AddDate(0, -1, 0).Format("2006-01"), due)
			return nil
		}}
}

func start(t *testing.T, store *rdb.Store, clk clock.Clock, job schedule.Job) context.CancelFunc {
	s, err := schedule.New(schedule.Options{Store: store, Clock: clk, Loc: shanghai, Jobs: []schedule.Job{job},
		Retry: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// Two replicas on a simulated clock crossing 02:00 on the 2nd: the job runs exactly once.
func TestTwoReplicasCrossingTheDueTimeRunOnce(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	clk := clock.Manual(time.Date(2026, 4, 2, 1, 59, 0, 0, shanghai))
	var runs atomic.Int64
	var periods sync.Map
	job := monthly(t, &runs, &periods)
	start(t, store, clk, job)
	start(t, store, clk, job)
	// At start each looks back for a missed run: 03-02 02:00 (February's) — one of them runs
	// it. Then both sleep on the business clock until 04-02 02:00.
	if err := clk.BlockUntil(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	before := runs.Load() // February's run, caught up at start by one of them
	clk.Set(time.Date(2026, 4, 2, 2, 0, 0, 0, shanghai))
	eventually.True(t, "March's run", func() bool { return runs.Load() >= before+1 })
	time.Sleep(100 * time.Millisecond) // give a second run, were there one, time to show
	if got := runs.Load() - before; got != 1 {
		t.Fatalf("March's job ran %d times, want 1", got)
	}
	if _, ok := periods.Load("2026-03"); !ok {
		t.Error("the run was not for March")
	}
	if done, _ := store.JobDone(context.Background(), "monthly", "2026-03"); !done {
		t.Error("March not marked done")
	}
}

// A service down over the 2nd runs the missed job when it starts, once.
func TestCatchUpAfterDowntime(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	ctx := context.Background()
	// February's run was done before the downtime.
	if err := store.MarkJobDone(ctx, "monthly", "2026-02", time.Now()); err != nil {
		t.Fatal(err)
	}
	clk := clock.Manual(time.Date(2026, 4, 5, 10, 0, 0, 0, shanghai))
	var runs atomic.Int64
	var periods sync.Map
	start(t, store, clk, monthly(t, &runs, &periods))
	eventually.True(t, "the missed run", func() bool { return runs.Load() >= 1 })
	if _, ok := periods.Load("2026-03"); !ok || runs.Load() != 1 {
		t.Fatalf("catch-up: %d runs", runs.Load())
	}
	// A restart does not run it again.
	var runs2 atomic.Int64
	start(t, store, clk, monthly(t, &runs2, &periods))
	if err := clk.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if runs2.Load() != 0 {
		t.Errorf("a restart ran a done period again")
	}
}

func TestLastDue(t *testing.T) {
	sc, _ := cron.ParseStandard("0 2 2 * *")
	now := time.Date(2026, 4, 5, 10, 0, 0, 0, shanghai)
	due, ok := schedule.LastDue(sc, now, 62*24*time.Hour)
	if !ok || !due.Equal(time.Date(2026, 4, 2, 2, 0, 0, 0, shanghai)) {
		t.Errorf("last due %v %v", due, ok)
	}
	if _, ok := schedule.LastDue(sc, time.Date(2026, 4, 1, 0, 0, 0, 0, shanghai), 24*time.Hour); ok {
		t.Error("found a due time outside the window")
	}
}
