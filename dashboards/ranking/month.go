package ranking

import (
	"fmt"
	"time"
)

// Month is a calendar month, the period of one ranking. Its text form is "YYYY-MM"
// (2026-03), in JSON and in URLs alike.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "YYYY-MM": four ASCII digits, a hyphen, two digits from 01 to 12. Anything
// else — "2026-3", "2026-13", " 2026-03", "2026-03-01" — is an error that names the value.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' || !digits(s[:4]) || !digits(s[5:]) {
		return Month{}, fmt.Errorf("ranking: month %q is not YYYY-MM, like 2026-03", s)
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	if y == 0 {
		return Month{}, fmt.Errorf("ranking: month %q: there is no year 0000", s)
	}
	if m < 1 || m > 12 {
		return Month{}, fmt.Errorf("ranking: month %q: the month must be 01 to 12", s)
	}
	return Month{Year: y, Month: time.Month(m)}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats m as "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// MarshalText formats m as "YYYY-MM".
func (m Month) MarshalText() ([]byte, error) {
	if m.Year < 1 || m.Year > 9999 || m.Month < time.January || m.Month > time.December {
		return nil, fmt.Errorf("ranking: month %d-%d is out of range", m.Year, int(m.Month))
	}
	return []byte(m.String()), nil
}

// UnmarshalText parses "YYYY-MM" as ParseMonth does.
func (m *Month) UnmarshalText(b []byte) error {
	p, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// Start is 00:00 of the month's first day in loc (which must not be nil): alerts whose
// instant is at or after Start and before End belong to the month.
func (m Month) Start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// End is 00:00 of the next month's first day in loc, the month's end (exclusive).
func (m Month) End(loc *time.Location) time.Time { return m.Start(loc).AddDate(0, 1, 0) }

// title is the month in Chinese, "2026年3月".
func (m Month) title() string { return fmt.Sprintf("%d年%d月", m.Year, int(m.Month)) }

// lastDay is the number of the month's last day (28 to 31).
func (m Month) lastDay() int { return time.Date(m.Year, m.Month+1, 0, 0, 0, 0, 0, time.UTC).Day() }
