package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
)

func TestSystemAlerts(t *testing.T) {
	now := time.Date(2026, 12, 20, 3, 0, 0, 0, time.FixedZone("CST", 8*3600))
	ahead := CalendarMissing(2027, NeededByDeadline, now)
	check := CalendarMissing(2027, YearEndCheck, now)
	if ahead.ID != CalendarMissingID(2027) || check.ID != ahead.ID || ahead.State != Firing || ahead.Kind != monitor.CalendarMissing {
		t.Errorf("calendar_missing: %+v", ahead)
	}
	if !strings.Contains(ahead.Message, "暂按") || !strings.Contains(check.Message, "PUT /api/v1/calendar/2027") {
		t.Errorf("messages: %q / %q", ahead.Message, check.Message)
	}
	ft := FaultThreshold(Fault{Year: 2026, Department: "env", Handler: "li.si"}, 3, "区生态环境局", now)
	if ft.ID != FaultThresholdID(2026, "env", "li.si") || ft.Faults != 3 || ft.State != Firing ||
		!strings.Contains(ft.Message, "li.si（区生态环境局）2026年度过错已达3次") {
		t.Errorf("fault_threshold: %+v", ft)
	}
}
