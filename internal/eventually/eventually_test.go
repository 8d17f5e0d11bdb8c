package eventually

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestTrueReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	True(t, "the third look", func() bool { return n.Add(1) >= 3 })
	if got := n.Load(); got != 3 {
		t.Errorf("looked %d times, want 3", got)
	}
}

// fatalTB records a failure instead of ending the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestWithinFailsNamingWhatNeverHappened(t *testing.T) {
	f := &fatalTB{TB: t}
	Within(f, 20*time.Millisecond, "nothing", func() bool { return false })
	if f.msg == "" {
		t.Fatal("a condition that never held did not fail the test")
	}
}

func TestDescribingNamesTheStateItEndedIn(t *testing.T) {
	f := &fatalTB{TB: t}
	n := 0
	Describing(f, 20*time.Millisecond, func() string { return fmt.Sprint(n, " looks") }, func() bool { n++; return false })
	if !strings.Contains(f.msg, fmt.Sprint(n, " looks")) || n < 2 {
		t.Fatalf("a condition that never held: failure %q after %d looks", f.msg, n)
	}
}
