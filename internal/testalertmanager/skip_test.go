package testalertmanager_test

import (
	"testing"

	"github.com/duban-gov/duban/internal/loudskip"
	"github.com/duban-gov/duban/internal/testalertmanager"
)

// TestAlertmanagerMissingSkipsLoudly: without prometheus-alertmanager the tests that need it say loudly that they did not run.
func TestAlertmanagerMissingSkipsLoudly(t *testing.T) {
	loudskip.Check(t, "prometheus-alertmanager", func(tb testing.TB) { testalertmanager.Start(tb) })
}
