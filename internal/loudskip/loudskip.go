// Package loudskip checks, in tests, that a test needing an outside tool (Chromium,
// promtool, Alertmanager) says loudly that it did not run when the tool is missing, naming
// what to install, and fails instead under CI=true — so a missing tool never passes unseen.
package loudskip

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

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

// Check: without the tool the test is skipped with a message that says so loudly
// and names what to install; under CI=true it fails.
func Check(t *testing.T, tool string, fn func(tb testing.TB)) {
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
