package lease_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/lease"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

func leases(t *testing.T, s lease.Store, owner string, ttl time.Duration) *lease.Leases {
	t.Helper()
	l, err := lease.New(lease.Options{Store: s, Owner: owner, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNewRejectsBadOptions(t *testing.T) {
	s := rdbtest.Store(t)
	for name, o := range map[string]lease.Options{
		"no store": {Owner: "a", TTL: time.Second},
		"no owner": {Store: s, TTL: time.Second},
		"no ttl":   {Store: s, Owner: "a"},
		"slow":     {Store: s, Owner: "a", TTL: time.Second, Renew: time.Second},
	} {
		if _, err := lease.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// One owner at a time; the holder gives the lease back when its work ends, so the next
// takes it at once rather than when it lapses.
func TestWithHoldsExclusivelyAndReleases(t *testing.T) {
	s := rdbtest.Store(t)
	ctx := context.Background()
	a, b := leases(t, s, "a", time.Minute), leases(t, s, "b", time.Minute)
	var ranB bool
	held, err := a.With(ctx, "job:x", func(ctx context.Context) {
		held, err := b.With(ctx, "job:x", func(context.Context) { ranB = true })
		if err != nil || held || ranB {
			t.Errorf("b took a held lease: held %v err %v", held, err)
		}
	})
	if err != nil || !held {
		t.Fatalf("a could not take a free lease: %v %v", held, err)
	}
	held, err = b.With(ctx, "job:x", func(context.Context) { ranB = true })
	if err != nil || !held || !ranB {
		t.Fatalf("b did not take the lease a gave back (a one-minute TTL): held %v err %v ran %v", held, err, ranB)
	}
}

// A holder renews on real elapsed time: work lasting several TTLs keeps the lease.
func TestWithRenewsWhileWorking(t *testing.T) {
	s := rdbtest.Store(t)
	ctx := context.Background()
	a, b := leases(t, s, "a", 300*time.Millisecond), leases(t, s, "b", 300*time.Millisecond)
	var tries, stolen atomic.Int32
	held, err := a.With(ctx, "src", func(ctx context.Context) {
		// b keeps trying for over three TTLs; a's renewals keep it out.
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
			tries.Add(1)
			got, err := b.Hold(ctx, "src")
			if err == nil && got[0] {
				stolen.Add(1)
			}
			if ctx.Err() != nil {
				t.Error("a lost a lease it kept renewing")
				return
			}
			time.Sleep(50 * time.Millisecond) // b's pace of tries
		}
	})
	if err != nil || !held {
		t.Fatalf("With: %v %v", held, err)
	}
	if stolen.Load() > 0 || tries.Load() == 0 {
		t.Errorf("b took the lease %d times in %d tries", stolen.Load(), tries.Load())
	}
}

// A renewal that finds another owner ends the work.
func TestWorkEndsWhenTheLeaseIsTakenOver(t *testing.T) {
	s := rdbtest.Store(t)
	ctx := context.Background()
	a := leases(t, s, "a", 300*time.Millisecond)
	name := "sub:" + t.Name()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.With(ctx, name, func(ctx context.Context) {
			// Someone else's lease under the same name (as after a stall past the TTL).
			if err := overwrite(ctx, s, name, "b"); err != nil {
				t.Error(err)
			}
			<-ctx.Done()
		})
	}()
	select {
	case <-done:
	case <-time.After(eventually.Timeout):
		t.Fatal("work went on under a lease another owner holds")
	}
	// a's release on the way out must not drop b's lease.
	if got, _ := s.HoldLeases(ctx, []string{name}, "c", time.Minute); got[0] {
		t.Error("a's release dropped the lease b holds")
	}
}

// overwrite makes owner the holder of name, by letting its lease go and taking it.
func overwrite(ctx context.Context, s *rdb.Store, name, owner string) error {
	if err := s.ReleaseLeases(ctx, []string{name}, "a"); err != nil {
		return err
	}
	got, err := s.HoldLeases(ctx, []string{name}, owner, time.Minute)
	if err == nil && !got[0] {
		err = errors.New("could not take the released lease")
	}
	return err
}

// flaky is the real store with a switch that makes its lease calls fail, as when Redis is
// away.
type flaky struct {
	*rdb.Store
	down atomic.Bool
}

var errAway = errors.New("redis away")

func (f *flaky) HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error) {
	if f.down.Load() {
		return nil, errAway
	}
	return f.Store.HoldLeases(ctx, names, owner, ttl)
}

// Renewals failing for two thirds of the TTL end the work (another replica may take the
// lease when it lapses); a failure shorter than that does not.
func TestWorkEndsWhenRenewalsFailTooLong(t *testing.T) {
	f := &flaky{Store: rdbtest.Store(t)}
	ttl := 600 * time.Millisecond
	a := leases(t, f, "a", ttl)
	var ended time.Duration
	var mu sync.Mutex
	held, err := a.With(context.Background(), "am", func(ctx context.Context) {
		f.down.Store(true)
		start := time.Now()
		<-ctx.Done()
		mu.Lock()
		ended = time.Since(start)
		mu.Unlock()
	})
	if err != nil || !held {
		t.Fatalf("With: %v %v", held, err)
	}
	if a.Stale("am") {
		t.Error("a released lease still counts as held")
	}
	mu.Lock()
	defer mu.Unlock()
	// The work ends at the first failed renewal past 2/3 TTL (renewals every TTL/3), so
	// not within half the TTL.
	if ended < ttl/2 {
		t.Errorf("work ended %v after renewals started failing, before the lease could lapse", ended)
	}
}

// Run waits while another owner holds the lease and takes it once that owner lets go.
func TestRunTakesOverWhenTheHolderStops(t *testing.T) {
	s := rdbtest.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := leases(t, s, "a", 300*time.Millisecond), leases(t, s, "b", 300*time.Millisecond)
	var aRuns, bRuns atomic.Int32
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan struct{})
	go func() {
		defer close(aDone)
		a.Run(actx, "fwd", func(ctx context.Context) { aRuns.Add(1); <-ctx.Done() })
	}()
	eventually.True(t, "a holding the lease", func() bool { return aRuns.Load() == 1 })
	go b.Run(ctx, "fwd", func(ctx context.Context) { bRuns.Add(1); <-ctx.Done() })
	time.Sleep(400 * time.Millisecond) // b tries (every 100 ms) while a holds it
	if bRuns.Load() != 0 {
		t.Fatal("b ran while a held the lease")
	}
	stopA()
	<-aDone
	eventually.True(t, "b taking the lease over", func() bool { return bRuns.Load() == 1 })
	if aRuns.Load() != 1 {
		t.Errorf("a ran %d times", aRuns.Load())
	}
}
