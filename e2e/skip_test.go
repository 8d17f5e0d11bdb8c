package e2e_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestChromiumMissingSkipsLoudly: without a browser the wall-screen test says loudly that it
// did not run, and fails under CI=true.
func TestChromiumMissingSkipsLoudly(t *testing.T) {
	t.Setenv("DUBAN_CHROMIUM", "")
	checkLoudSkip(t, "chromium", func(tb testing.TB) { chromium(tb) })
}

// fakeTB records a Skip or a Fatal and stops the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper()        {}
func (f *fakeTB) Name() string   { return "TestSomething" }
func (f *fakeTB) Cleanup(func()) {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

// runFake runs fn with a fakeTB on its own goroutine, so Goexit ends only fn.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// checkLoudSkip: without the tool the test is skipped with a message that says so loudly
// and names what to install; under CI=true it fails.
func checkLoudSkip(t *testing.T, tool string, fn func(tb testing.TB)) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	if f := runFake(t, fn); !f.skipped || !strings.HasPrefix(f.msg, "SKIPPED: "+tool+" not installed") ||
		!strings.Contains(f.msg, ".ci/run") {
		t.Errorf("without %s: skipped %v, failed %v, %q; want a loud skip", tool, f.skipped, f.failed, f.msg)
	}
	t.Setenv("CI", "true")
	if f := runFake(t, fn); !f.failed {
		t.Errorf("without %s under CI=true: skipped %v, failed %v, %q; want a failure", tool, f.skipped, f.failed, f.msg)
	}
}
