package report

import (
	"fmt"
	"time"

	"github.com/duban-gov/duban/supervision"
)

// Quarter is a calendar quarter, the period of one report. Its text form is "2026-Q4", in
// JSON, URLs and file names alike.
type Quarter struct {
	Year int
	Q    int // 1..4
}

// ParseQuarter reads "YYYY-Qn" strictly: four digits, "-Q", one digit from 1 to 4. Anything
// else is a *supervision.FieldError naming the field `quarter`.
func ParseQuarter(s string) (Quarter, error) {
	bad := func(why string) error {
		return &supervision.FieldError{Field: "quarter", Message: fmt.Sprintf("%q %s", s, why)}
	}
	if len(s) != 7 || s[4] != '-' || s[5] != 'Q' {
		return Quarter{}, bad("is not a quarter like 2026-Q4")
	}
	y := 0
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return Quarter{}, bad("is not a quarter like 2026-Q4")
		}
		y = y*10 + int(s[i]-'0')
	}
	if y < 1000 {
		return Quarter{}, bad("has no four-digit year")
	}
	if s[6] < '1' || s[6] > '4' {
		return Quarter{}, bad("names no quarter: Q1 to Q4")
	}
	return Quarter{Year: y, Q: int(s[6] - '0')}, nil
}

// String formats q as "2026-Q4".
func (q Quarter) String() string { return fmt.Sprintf("%04d-Q%d", q.Year, q.Q) }

// MarshalText formats q as "2026-Q4".
func (q Quarter) MarshalText() ([]byte, error) {
	if q.Year < 1000 || q.Year > 9999 || q.Q < 1 || q.Q > 4 {
		return nil, fmt.Errorf("report: quarter %d-Q%d is out of range", q.Year, q.Q)
	}
	return []byte(q.String()), nil
}

// UnmarshalText parses "2026-Q4" as ParseQuarter does.
func (q *Quarter) UnmarshalText(b []byte) error {
	p, err := ParseQuarter(string(b))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// Start is 00:00 of the quarter's first day in loc.
func (q Quarter) Start(loc *time.Location) time.Time {
	return time.Date(q.Year, time.Month(3*q.Q-2), 1, 0, 0, 0, 0, loc)
}

// End is 00:00 of the next quarter's first day in loc (exclusive).
func (q Quarter) End(loc *time.Location) time.Time { return q.Start(loc).AddDate(0, 3, 0) }

// Contains reports whether t lies in the quarter, in loc.
func (q Quarter) Contains(t time.Time, loc *time.Location) bool {
	return !t.Before(q.Start(loc)) && t.Before(q.End(loc))
}

var quarterNames = [...]string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// title is the quarter in Chinese, "2026年第四季度".
func (q Quarter) title() string { return fmt.Sprintf("%d年%s", q.Year, quarterNames[q.Q]) }

// period is its days in Chinese, "2026年10月1日至12月31日".
func (q Quarter) period() string {
	last := q.End(time.UTC).AddDate(0, 0, -1)
	return fmt.Sprintf("%d年%d月1日至%d月%d日", q.Year, 3*q.Q-2, int(last.Month()), last.Day())
}
