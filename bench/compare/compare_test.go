package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}
	if p := percentile(ds, 50); p != 3 {
		t.Errorf("p50 %v", p)
	}
	if p := percentile(ds, 99); p != 5 {
		t.Errorf("p99 %v", p)
	}
	if p := percentile(nil, 50); p != -1 {
		t.Errorf("empty %v", p)
	}
}

// asynq, tuned, at tiny sizes on a redis-server of its own: every probe and burst task ran,
// and the figures are there.
func TestAsynqTiny(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	f, err := runAsynq(context.Background(), options{redis: "redis-server", open: 20, probes: 10, burst: 50}, true)
	if err != nil {
		t.Fatal(err)
	}
	if f.Probes != 10 || f.LagP50 < 0 || f.LagP99 < f.LagP50 || f.BurstSeconds <= 0 || f.BurstRate <= 0 {
		t.Fatalf("%+v", f)
	}
}
