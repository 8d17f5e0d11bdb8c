package benchmark

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// The steered clock: a jump forward wakes the timers it passes at once and leaves the later
// ones asleep; a faster rate brings them sooner; Stop cancels.
func TestSteerClock(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newSteerClock(start, 1)
	soon, later, never := c.At(start.Add(time.Hour)), c.At(start.Add(48*time.Hour)), c.At(start.Add(72*time.Hour))
	select {
	case <-soon.C:
		t.Fatal("fired before its time")
	default:
	}
	c.Steer(start.Add(2*time.Hour), 0)
	select {
	case <-soon.C:
	case <-time.After(5 * time.Second):
		t.Fatal("a jump past the instant did not wake the timer")
	}
	if got := c.Now(); got.Before(start.Add(2*time.Hour)) || got.After(start.Add(2*time.Hour+time.Minute)) {
		t.Fatalf("now %v after the jump", got)
	}
	if !never.Stop() || never.Stop() {
		t.Fatal("Stop: want true once, then false")
	}
	c.Steer(time.Time{}, 86400*100) // 100 business days a second: 46 hours in ~20 ms
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-later.C:
	case <-ctx.Done():
		t.Fatal("a faster rate did not bring the timer")
	}
	if d := c.RealSince(c.Now()); d < -time.Second || d > time.Second {
		t.Fatalf("RealSince(now) = %v", d)
	}
	if err := c.Until(ctx, start); err != nil {
		t.Fatal(err)
	}
}

func TestHistQuantile(t *testing.T) {
	before := []bucket{{0.01, 10}, {0.05, 10}, {0.1, 10}, {math.Inf(1), 10}}
	after := []bucket{{0.01, 60}, {0.05, 100}, {0.1, 110}, {math.Inf(1), 110}}
	// 100 new observations: 50 ≤ 10 ms, 40 in (10, 50] ms, 10 in (50, 100] ms.
	if got := histQuantile(0.5, before, after); math.Abs(got-0.01) > 1e-9 {
		t.Errorf("p50 %v", got)
	}
	if got := histQuantile(0.7, before, after); math.Abs(got-0.03) > 1e-9 {
		t.Errorf("p70 %v", got)
	}
	if got := histQuantile(0.99, before, after); math.Abs(got-0.095) > 1e-9 {
		t.Errorf("p99 %v", got)
	}
	if got := histQuantile(0.5, after, after); !math.IsNaN(got) {
		t.Errorf("no observations: %v", got)
	}
}

// Batches of exactly size events, the cases' events in order across them.
func TestBatches(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var got []string
	for b := range batches(context.Background(), 100, 250, func(buf []byte, i int) []byte {
		return sixEvents(buf, "c"+string(rune('a'+i%26)), "bench", farMatter, at)
	}) {
		got = append(got, string(b))
	}
	if len(got) != 3 || strings.Count(got[0], "\n") != 250 || strings.Count(got[2], "\n") != 100 {
		t.Fatalf("%d batches", len(got))
	}
	if !strings.HasPrefix(got[0], `{"event_id":"e0","case_id":"ca","department":"bench","type":"submitted","matter":"BENCH-FAR"`) {
		t.Fatalf("first line: %.200s", got[0])
	}
}

func TestCheck(t *testing.T) {
	for _, o := range []func(*Options){
		func(o *Options) { o.Batch = 0 },
		func(o *Options) { o.Conns = 0 },
		func(o *Options) { o.Burst = -1 },
		func(o *Options) { o.URL = "http://x" },
		func(o *Options) { o.Rates = []int{0} },
		func(o *Options) { o.LagRate = 0 },
	} {
		d := Defaults()
		o(&d)
		if d.Check() == nil {
			t.Errorf("%+v: no error", d)
		}
	}
	if err := Defaults().Check(); err != nil {
		t.Fatal(err)
	}
}
