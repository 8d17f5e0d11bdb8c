package clock

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestSimulatedAdvancesAtRate(t *testing.T) {
	r0 := time.Now()
	c := Simulated(start, 1000)
	prev := c.Now()
	if prev.Before(start) {
		t.Fatalf("first Now() = %v, before start %v", prev, start)
	}
	for range 1000 {
		now := c.Now()
		if now.Before(prev) {
			t.Fatalf("Now() went backwards: %v after %v", now, prev)
		}
		prev = now
	}
	time.Sleep(20 * time.Millisecond) // real time, to measure the rate
	business := c.Now().Sub(start)
	elapsed := time.Since(r0)
	// The clock was made after r0 and read before time.Since, so its business elapsed time
	// is at most 1000 × real; and the sleep alone is worth 20 business seconds.
	if business < 20*time.Second || business > 1000*elapsed+time.Millisecond {
		t.Fatalf("after %v real, business elapsed %v; want between 20s and %v", elapsed, business, 1000*elapsed)
	}
	if loc := c.Now().Location(); loc != start.Location() {
		t.Errorf("Now() in %v, want the start's zone %v", loc, start.Location())
	}
}

func TestSimulatedRejectsBadRate(t *testing.T) {
	for _, rate := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Simulated(start, %v) did not panic", rate)
				}
			}()
			Simulated(start, rate)
		}()
	}
}

func TestTimersNeverFireEarly(t *testing.T) {
	for name, c := range map[string]Clock{
		"real":      Real(),
		"simulated": Simulated(start, 1000),
	} {
		t.Run(name, func(t *testing.T) {
			// 20 business ms on the real clock, 20 business s (20 real ms) simulated.
			step := 20 * time.Millisecond
			if name == "simulated" {
				step = 20 * time.Second
			}
			at := c.Now().Add(step)
			tm := c.At(at)
			select {
			case <-tm.C:
			case <-time.After(10 * time.Second):
				t.Fatal("timer did not fire within 10 s")
			}
			if now := c.Now(); now.Before(at) {
				t.Fatalf("timer fired at %v, before its instant %v", now, at)
			}
			if tm.Stop() {
				t.Error("Stop after firing reported true")
			}
			if err := c.Until(context.Background(), at.Add(-time.Hour)); err != nil {
				t.Errorf("Until a past instant: %v", err)
			}
		})
	}
}

func TestUntilCancelled(t *testing.T) {
	for name, c := range map[string]Clock{
		"real":      Real(),
		"simulated": Simulated(start, 1000),
		"manual":    Manual(start),
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.Until(ctx, c.Now().Add(1000*time.Hour)) }()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Until = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Until did not return after cancel")
			}
		})
	}
}

func TestStoppedTimerNeverFires(t *testing.T) {
	c := Simulated(start, 1000)
	tm := c.At(c.Now().Add(5 * time.Second)) // 5 real ms
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	select {
	case <-tm.C:
		t.Fatal("stopped timer fired")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestManualWakesOnAdvance(t *testing.T) {
	m := Manual(start)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Until(ctx, start.Add(time.Hour)) }()
	if err := m.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	m.Advance(59 * time.Minute)
	select {
	case err := <-done:
		t.Fatalf("woke %v before its instant", err)
	default:
	}
	m.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("Until = %v", err)
	}
	if n := m.Waiters(); n != 0 {
		t.Errorf("%d waiters left after firing", n)
	}
	if got := m.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Now() = %v, want %v", got, start.Add(time.Hour))
	}
}

func TestManualStopAndPast(t *testing.T) {
	m := Manual(start)
	select {
	case <-m.At(start).C:
	default:
		t.Fatal("timer at the current instant is not fired")
	}
	tm := m.At(start.Add(time.Second))
	if !tm.Stop() || tm.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	m.Set(start.Add(time.Hour))
	select {
	case <-tm.C:
		t.Fatal("stopped timer fired")
	default:
	}
	m.Set(start) // backwards is allowed; it wakes nothing
	if got := m.Now(); !got.Equal(start) {
		t.Errorf("Now() after Set back = %v", got)
	}
}

func TestManualConcurrentWaiters(t *testing.T) {
	m := Manual(start)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			at := start.Add(time.Duration(i+1) * time.Minute)
			if err := m.Until(ctx, at); err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			if now := m.Now(); now.Before(at) {
				t.Errorf("waiter %d woke at %v, before %v", i, now, at)
			}
		})
	}
	if err := m.BlockUntil(ctx, n); err != nil {
		t.Fatal(err)
	}
	for range n {
		go m.Now()
		m.Advance(time.Minute)
	}
	wg.Wait()
}

func TestBackoffDoublesWithJitterUpToMax(t *testing.T) {
	for _, c := range []struct {
		n        int64
		lo, high time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, 500 * time.Millisecond, time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{40, 150 * time.Second, 300 * time.Second},
	} {
		for range 50 {
			if d := Backoff(c.n, time.Second, 5*time.Minute); d < c.lo || d > c.high {
				t.Fatalf("Backoff(%d) = %s, want %s…%s", c.n, d, c.lo, c.high)
			}
		}
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep reported the full hour on a cancelled context")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep of 1 ms did not report the full time")
	}
}

// RealSince measures real elapsed time from a business instant: at rate 4320 (a business
// day per 20 real seconds) a business hour ago is 833 real ms ago, and a pause of 20 real
// ms reads 20 ms, not the 86 business seconds that passed meanwhile.
func TestSimulatedRealSince(t *testing.T) {
	const rate = 4320
	c := Simulated(start, rate)
	r0 := time.Now()
	t0 := c.Now()
	hourAgo := t0.Add(-time.Hour)
	time.Sleep(20 * time.Millisecond) // real time, to measure it
	got := c.RealSince(t0)
	elapsed := time.Since(r0)
	if got < 20*time.Millisecond || got > elapsed {
		t.Errorf("RealSince(an instant read %v ago) = %v; want between 20ms and %v", elapsed, got, elapsed)
	}
	if business := c.Now().Sub(t0); business < 20*time.Millisecond*rate {
		t.Fatalf("business time moved %v in %v real; the clock is not running at %d", business, elapsed, rate)
	}
	hour := time.Hour / rate
	if got := c.RealSince(hourAgo); got < hour+20*time.Millisecond || got > hour+time.Since(r0) {
		t.Errorf("RealSince(a business hour before %v) = %v; want %v plus at most %v", t0, got, hour, time.Since(r0))
	}
	if got := c.RealSince(c.Now().Add(time.Hour)); got > -hour+time.Millisecond {
		t.Errorf("RealSince(a business hour ahead) = %v; want about %v", got, -hour)
	}
	// At rate 1 it is business time.
	one := Simulated(start, 1)
	if got := one.RealSince(one.Now().Add(-time.Minute)); got < time.Minute || got > time.Minute+time.Second {
		t.Errorf("rate 1: RealSince(a minute ago) = %v", got)
	}
}

func TestRealAndManualRealSince(t *testing.T) {
	c := Real()
	if got := c.RealSince(c.Now().Add(-time.Second)); got < time.Second || got > 2*time.Second {
		t.Errorf("real: RealSince(a second ago) = %v", got)
	}
	m := Manual(start)
	m.Advance(7 * time.Millisecond)
	time.Sleep(5 * time.Millisecond) // real time a manual clock must not see
	if got := m.RealSince(start); got != 7*time.Millisecond {
		t.Errorf("manual: RealSince(start) after Advance(7ms) = %v, want exactly 7ms", got)
	}
	if got := m.RealSince(start.Add(time.Second)); got != 7*time.Millisecond-time.Second {
		t.Errorf("manual: RealSince(a future instant) = %v", got)
	}
}

// InZone tells the same instants in the zone; its timers are the clock's own.
func TestInZone(t *testing.T) {
	m := Manual(start.UTC())
	urumqi := time.FixedZone("XJT", 6*3600)
	c := InZone(m, urumqi)
	if now := c.Now(); !now.Equal(start) || now.Location() != urumqi {
		t.Errorf("Now() = %v, want %v in %v", now, start, urumqi)
	}
	tm := c.At(start.Add(time.Hour))
	m.Advance(time.Hour)
	select {
	case <-tm.C:
	case <-time.After(5 * time.Second):
		t.Fatal("the timer did not fire when the clock reached it")
	}
	if InZone(m, nil) != Clock(m) {
		t.Error("InZone(c, nil) is not c")
	}
}
