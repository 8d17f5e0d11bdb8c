package alerting

import (
	"fmt"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// System alerts belong to no case: fault_threshold (a handler's faults of a year reached the
// threshold) and calendar_missing (a year's holiday calendar is not loaded). They are raised
// once under a fixed id (FaultThresholdID, CalendarMissingID); these are their records.

// FaultThreshold is the alert a handler gets on reaching threshold faults in f's year;
// deptName is the department's name for the message (its code when the catalogue lacks it).
func FaultThreshold(f Fault, threshold int, deptName string, now time.Time) Record {
	rec := Record{
		ID: FaultThresholdID(f.Year, f.Department, f.Handler), Kind: monitor.FaultThreshold,
		Level: monitor.FaultThreshold.Level(), Department: f.Department, Handler: f.Handler,
		Year: f.Year, Instant: now, FiredAt: now, Faults: threshold,
		Message: fmt.Sprintf("承办人 %s（%s）%d年度过错已达%d次，不得定为称职", f.Handler, deptName, f.Year, threshold),
	}
	rec.Fire(now)
	return rec
}

// CalendarWhy says why a year's calendar is missed, which the message explains.
type CalendarWhy int

const (
	// NeededByDeadline: a case's deadline falls in the year, and is reckoned provisionally.
	NeededByDeadline CalendarWhy = iota
	// YearEndCheck: December's daily check found next year's calendar not yet loaded.
	YearEndCheck
)

// CalendarMissing is the alert raised once for a year whose calendar is not loaded, at now
// (in the configured zone).
func CalendarMissing(year int, why CalendarWhy, now time.Time) Record {
	msg := fmt.Sprintf("%d年节假日安排未加载，相关期限暂按周末及法定节日固定日期推算，请管理员加载该年度日历", year)
	if why == YearEndCheck {
		msg = fmt.Sprintf("%d年节假日安排尚未加载：请管理员在年底前通过 PUT /api/v1/calendar/%d 加载国务院办公厅公布的安排", year, year)
	}
	rec := Record{
		ID: CalendarMissingID(year), Kind: monitor.CalendarMissing,
		Level: monitor.CalendarMissing.Level(), Year: year, Instant: now, FiredAt: now, Message: msg,
	}
	rec.Fire(now)
	return rec
}
