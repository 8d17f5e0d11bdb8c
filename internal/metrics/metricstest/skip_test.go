package metricstest_test

import (
	"testing"

	"github.com/duban-gov/duban/internal/loudskip"
	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

// TestPromtoolMissingSkipsLoudly: without promtool the tests that need it say loudly that they did not run.
func TestPromtoolMissingSkipsLoudly(t *testing.T) {
	loudskip.Check(t, "promtool", func(tb testing.TB) { metricstest.Promtool(tb) })
}
