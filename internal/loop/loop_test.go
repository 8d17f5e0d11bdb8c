package loop

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/wake"
)

func TestErrorsLogsChangesAndRecoveryOnce(t *testing.T) {
	var buf bytes.Buffer
	e := Errors{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Event: "relay_failed", Recovered: "relay_recovered"}
	a, b := errors.New("redis away"), errors.New("script missing")
	for _, err := range []error{a, a, a, b, b, nil, nil, a} {
		e.Report(err)
	}
	got := buf.String()
	if n := strings.Count(got, "relay_failed"); n != 3 {
		t.Errorf("logged %d failures, want 3 (a, b, a again):\n%s", n, got)
	}
	if n := strings.Count(got, "relay_recovered"); n != 1 {
		t.Errorf("logged %d recoveries, want 1:\n%s", n, got)
	}
	if !e.Failing() {
		t.Error("not failing after a failure")
	}
}

func TestRunRepeatsWhileWorkIsLeftThenSleepsUntilWoken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var w wake.Signal
	var rounds, work atomic.Int32
	work.Store(5)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{Errors: Errors{Event: "x_failed"}, Wake: w.C()}, func(context.Context) (bool, error) {
			rounds.Add(1)
			return work.Add(-1) > 0, nil
		})
	}()
	eventually.True(t, "the work left done at once", func() bool { return work.Load() == 0 })
	if n := rounds.Load(); n != 5 {
		t.Errorf("%d rounds for 5 pieces of work", n)
	}
	w.Wake()
	eventually.True(t, "a round after the wake-up", func() bool { return rounds.Load() == 6 })
	cancel()
	<-done
}

func TestRunPollsAndDoesNotSpinOnFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	var buf bytes.Buffer
	var rounds atomic.Int32
	Run(ctx, Options{Errors: Errors{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Event: "x_failed"},
		Poll: 50 * time.Millisecond}, func(context.Context) (bool, error) {
		rounds.Add(1)
		return true, errors.New("down") // "more" with a failure must not run again at once
	})
	if n := rounds.Load(); n < 2 || n > 10 {
		t.Errorf("%d rounds in 250 ms at a 50 ms poll", n)
	}
	if n := strings.Count(buf.String(), "x_failed"); n != 1 {
		t.Errorf("a repeating failure logged %d times", n)
	}
}

func TestRunWaitsForUntilAndReleasesIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rounds, released atomic.Int32
	fire := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{Errors: Errors{Event: "x_failed"},
			Until: func() (<-chan struct{}, func()) { return fire, func() { released.Add(1) } }},
			func(context.Context) (bool, error) { rounds.Add(1); return false, nil })
	}()
	eventually.True(t, "the first round", func() bool { return rounds.Load() == 1 })
	fire <- struct{}{}
	eventually.True(t, "a round after Until fired", func() bool { return rounds.Load() == 2 })
	if released.Load() < 1 {
		t.Error("Until's timer was not released")
	}
	cancel()
	<-done
}
