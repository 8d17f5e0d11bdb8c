package metrics_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/internal/metrics"
)

// sharedNames are the families read through Options.Shared.
var sharedNames = []string{metrics.NameCasesOpen, metrics.NameAlertsOpen, metrics.NameTimersPending, metrics.NameCalendarLastYear}

// countShared gathers reg and returns how many shared-state families it holds; a Gather
// error fails the test (a failed Redis read must not fail the scrape).
func countShared(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	n := 0
	for _, mf := range mfs {
		for _, s := range sharedNames {
			if mf.GetName() == s {
				n++
			}
		}
	}
	return n
}

// The bubble's fake clock makes the cache's 1 s pass at once.
func TestSharedCache(t *testing.T) {
	for _, c := range []struct {
		name      string
		cacheFor  time.Duration
		wantCalls int64 // after two scrapes 100 ms apart, then one more 1 s later
	}{
		{"default 1 s", 0, 2},
		{"no caching", -1, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int64
				reg := prometheus.NewRegistry()
				_, err := metrics.New(reg, metrics.Options{CacheFor: c.cacheFor,
					Shared: func(context.Context) (metrics.Shared, error) {
						calls.Add(1)
						return snapshot, nil
					}})
				if err != nil {
					t.Fatal(err)
				}
				for _, wait := range []time.Duration{0, 100 * time.Millisecond, time.Second} {
					time.Sleep(wait)
					if n := countShared(t, reg); n != len(sharedNames) {
						t.Errorf("%d shared families, want %d", n, len(sharedNames))
					}
				}
				if got := calls.Load(); got != c.wantCalls {
					t.Errorf("Shared called %d times, want %d", got, c.wantCalls)
				}
			})
		})
	}
}

// TestSharedParallel: parallel scrapes wait for one read instead of each starting one.
func TestSharedParallel(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	reg := prometheus.NewRegistry()
	_, err := metrics.New(reg, metrics.Options{CacheFor: time.Minute,
		Shared: func(context.Context) (metrics.Shared, error) {
			calls.Add(1)
			<-release
			return snapshot, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
		})
	}
	close(release)
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("Shared called %d times by 8 parallel scrapes, want 1", got)
	}
}

// TestSharedError: a failed read leaves the shared gauges out, keeps the rest of the scrape,
// and is counted once per read.
func TestSharedError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		fail.Store(true)
		reg := prometheus.NewRegistry()
		m, err := metrics.New(reg, metrics.Options{Shared: func(context.Context) (metrics.Shared, error) {
			if fail.Load() {
				return metrics.Shared{}, errors.New("redis: connection refused")
			}
			return snapshot, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		m.AlertFired("env", "promise_overdue", "red")
		steps := []struct {
			wait       time.Duration
			fail       bool
			wantShared int
			wantErrors float64
		}{
			{0, true, 0, 1},
			{100 * time.Millisecond, true, 0, 1}, // the cached error, not a second read
			{time.Second, true, 0, 2},
			{time.Second, false, len(sharedNames), 2},
		}
		for i, s := range steps {
			time.Sleep(s.wait)
			fail.Store(s.fail)
			if n := countShared(t, reg); n != s.wantShared {
				t.Errorf("step %d: %d shared families, want %d", i, n, s.wantShared)
			}
			if got := testutil.ToFloat64(m.ScrapeErrors); got != s.wantErrors {
				t.Errorf("step %d: %s = %g, want %g", i, metrics.NameScrapeErrors, got, s.wantErrors)
			}
			if n, _ := testutil.GatherAndCount(reg, metrics.NameAlertsFired); n != 1 {
				t.Errorf("step %d: the replica's own counters left the scrape", i)
			}
		}
	})
}

// TestSharedTimeout: a read that hangs is cut off after Options.Timeout.
func TestSharedTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m, err := metrics.New(reg, metrics.Options{Timeout: 300 * time.Millisecond,
			Shared: func(ctx context.Context) (metrics.Shared, error) {
				<-ctx.Done()
				return metrics.Shared{}, ctx.Err()
			}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if n := countShared(t, reg); n != 0 {
			t.Errorf("%d shared families after a timeout", n)
		}
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("scrape took %v, want the 300ms timeout", d)
		}
		if got := testutil.ToFloat64(m.ScrapeErrors); got != 1 {
			t.Errorf("%s = %g, want 1", metrics.NameScrapeErrors, got)
		}
	})
}
