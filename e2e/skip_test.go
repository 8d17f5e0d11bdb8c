package e2e_test

import (
	"testing"

	"github.com/duban-gov/duban/internal/loudskip"
)

// TestChromiumMissingSkipsLoudly: without a browser the wall-screen test says loudly that it
// did not run, and fails under CI=true.
func TestChromiumMissingSkipsLoudly(t *testing.T) {
	t.Setenv("DUBAN_CHROMIUM", "")
	loudskip.Check(t, "chromium", func(tb testing.TB) { chromium(tb) })
}
