// Package workday is the working-day calendar of mainland China: which days count for a
// statutory time limit (行政许可法 Art. 82), and how many of them lie between two dates.
//
// The package is pure: it reads only its embedded year files, never the clock, and every
// query on a Calendar is allocation-free and O(log n) or better, because the deadline
// engine asks many of them per event.
package workday

import (
	"errors"
	"fmt"
	"time"
)

// Date is a civil date without a zone, counted in days since 1970-01-01 (negative before).
// Deadlines are counted in whole days, so a plain day number makes every comparison and
// difference exact; converting to an instant needs a zone, given to Start.
type Date int32

// daysTo1970 is the day number of 1970-01-01 counted from 0000-03-01, the origin of the
// civil-date algorithms below (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
const daysTo1970 = 719468

// daysPer400Years is the length of one Gregorian cycle; weekdays and leap years repeat
// after it exactly (146097 days = 20871 weeks).
const daysPer400Years = 146097

// NewDate returns the date y-m-d. Like time.Date, a month or day outside its usual range
// is normalized: NewDate(2025, 12, 32) is 2026-01-01.
func NewDate(y int, m time.Month, d int) Date {
	// Normalize the month into 1..12 first, so the algorithm below sees a valid month;
	// the day may overflow freely because it is added as an offset.
	mm := int64(m) - 1
	yy := int64(y) + floorDiv(mm, 12)
	mm = mm - floorDiv(mm, 12)*12 + 1
	return Date(daysFromCivil(yy, mm, 1) + int64(d) - 1)
}

// DateOf returns the civil date of the instant t in loc: the day a case event belongs to.
// It panics if loc is nil, as time.Time.In does.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return NewDate(y, m, d)
}

// errNotDate is returned by ParseDate; its text is wrapped by the caller, which knows the
// field the string came from.
var errNotDate = errors.New("not a date")

// ParseDate parses a date in the form "2006-01-02", strictly: four-digit year, two-digit
// month and day, and a day that exists in that month. It does not allocate on success,
// because the push API parses dates on its hot path.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%q is %w", s, errNotDate)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(int64(y), int64(m)) {
		return 0, fmt.Errorf("%q is %w", s, errNotDate)
	}
	return NewDate(y, time.Month(m), d), nil
}

// digits parses a run of ASCII digits; strconv.Atoi would also accept a sign.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// String formats d as "2006-01-02" (years outside 0..9999 get their natural width).
func (d Date) String() string {
	y, m, dd := d.YMD()
	if y < 0 || y > 9999 {
		return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
	}
	var b [10]byte
	put := func(i, v, w int) {
		for j := i + w - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(m), 2)
	b[7] = '-'
	put(8, dd, 2)
	return string(b[:])
}

// Year returns the year of d.
func (d Date) Year() int {
	y, _, _ := civilFromDays(int64(d))
	return int(y)
}

// YMD returns the year, month and day of d.
func (d Date) YMD() (int, time.Month, int) {
	y, m, dd := civilFromDays(int64(d))
	return int(y), time.Month(m), int(dd)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday (4).
	return time.Weekday((int64(d)%7 + 7 + 4) % 7)
}

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return Date(int(d) + n) }

// Start returns the first instant of d in loc: 00:00, or, where a daylight-saving jump
// skips midnight, the moment of the jump (01:00). It goes through time.Date, not hour
// arithmetic, so days of 23 or 25 hours come out right.
func (d Date) Start(loc *time.Location) time.Time {
	y, m, dd := d.YMD()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if t.Day() != dd {
		// Midnight fell in the gap and time.Date resolved it with the old offset, which
		// lands on the previous evening; the day begins where that offset ends.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	}
	return t
}

// MarshalText implements encoding.TextMarshaler as "2006-01-02". Like time.Time, it fails
// for years outside 0..9999, which could not be parsed back.
func (d Date) MarshalText() ([]byte, error) {
	if y := d.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("workday: Date.MarshalText: year %d outside 0..9999", y)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, accepting what ParseDate accepts.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return fmt.Errorf("workday: %w", err)
	}
	*d = v
	return nil
}

// floorDiv divides rounding towards minus infinity, as calendar arithmetic needs for dates
// before the epoch.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// isLeap reports whether y is a Gregorian leap year.
func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn returns the number of days of month m (1..12) in year y.
func daysIn(y, m int64) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the day number (since 1970-01-01) of y-m-d, m in 1..12.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400 // 0..399, years of the era counted from March
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*daysPer400Years + doe - daysTo1970
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += daysTo1970
	era := floorDiv(z, daysPer400Years)
	doe := z - era*daysPer400Years
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// yearStart returns the day number of January 1 of y.
func yearStart(y int64) int64 {
	if i := y - tabYear0; uint64(i) < uint64(len(tabStart)) {
		return int64(tabStart[i]) + tabBase
	}
	return daysFromCivil(y, 1, 1)
}

// yearDay splits a day number into its year and its day of the year (0-based), the
// coordinates of the per-year tables. It is on the path of every query, so the years
// 1900..2299 go through a table of year starts: a linear estimate of the year is off by
// at most one, and one comparison with the table fixes it.
func yearDay(d int64) (y int64, doy int) {
	k := uint64(d - tabBase)
	if k >= daysPer400Years {
		return yearDaySlow(d)
	}
	i := k * 400 / daysPer400Years
	if uint32(k) < tabStart[i] {
		i--
	} else if uint32(k) >= tabStart[i+1] {
		i++
	}
	return int64(tabYear0) + int64(i), int(uint32(k) - tabStart[i])
}

const (
	tabYear0    = 1900   // first year of tabStart
	tabBase     = -25567 // day number of 1900-01-01
	days1to1970 = 719162 // days from 0001-01-01 to 1970-01-01
	shiftEras   = 15000  // 400-year cycles that make every int32 day non-negative
)

// tabStart[i] is January 1 of year tabYear0+i, in days since 1900-01-01.
var tabStart [401]uint32

func init() {
	for i := range tabStart {
		tabStart[i] = uint32(daysFromCivil(int64(tabYear0+i), 1, 1) - tabBase)
	}
}

// yearDaySlow is yearDay for any day: whole 400-, 100-, 4- and 1-year blocks counted from
// 0001-01-01, shifted by whole cycles so that the divisions are unsigned.
func yearDaySlow(d int64) (y int64, doy int) {
	z := uint64(d + days1to1970 + shiftEras*daysPer400Years)
	n400 := z / daysPer400Years
	r := z % daysPer400Years
	n100 := min(r/36524, 3) // the last day of a cycle belongs to its fourth century
	r -= n100 * 36524
	n4 := r / 1461
	r %= 1461
	n1 := min(r/365, 3) // the leap day belongs to the fourth year
	r -= n1 * 365
	return int64(400*n400+100*n100+4*n4+n1+1) - shiftEras*400, int(r)
}
