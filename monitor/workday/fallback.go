package workday

import (
	"sync/atomic"
	"time"
)

// yearTable holds the working days of one year, indexed by day of the year (0 = Jan 1).
// The cumulative counts turn every count into a subtraction, and their inverse turns every
// "n-th working day" into a lookup, so no query walks or even searches the days. A table
// is under 2 KiB.
type yearTable struct {
	n    int         // days in the year, 365 or 366
	cum  [366]uint16 // cum[i]: working days among days 0..i of the year
	bits [6]uint64   // bit i: day i is a working day (one lookup for IsWorkday)
	days [366]uint16 // days[k]: day of the year of working day k+1; the inverse of cum
}

// isWork reports whether day doy of the year is a working day.
func (t *yearTable) isWork(doy int) bool { return t.bits[doy>>6]>>(doy&63)&1 != 0 }

// total returns the working days in the whole year.
func (t *yearTable) total() int { return int(t.cum[t.n-1]) }

// nthDay returns the day of the year of the k-th working day of the year, 1 <= k <= total.
func (t *yearTable) nthDay(k int) int { return int(t.days[k-1]) }

// newYearTable builds the table of year y: Monday to Friday work, then every day in off
// is made a day off and every day in work a working day. off and work must lie in y.
func newYearTable(y int64, off, work []Date) *yearTable {
	start := yearStart(y)
	t := &yearTable{n: 365}
	if isLeap(y) {
		t.n = 366
	}
	var w [366]bool
	wd := Date(start).Weekday()
	for i := 0; i < t.n; i++ {
		w[i] = wd != time.Saturday && wd != time.Sunday
		wd = (wd + 1) % 7
	}
	for _, d := range off {
		w[int64(d)-start] = false
	}
	for _, d := range work {
		w[int64(d)-start] = true
	}
	var c uint16
	for i := 0; i < t.n; i++ {
		if w[i] {
			c++
			t.bits[i>>6] |= 1 << (i & 63)
			t.days[c-1] = uint16(i)
		}
		t.cum[i] = c
	}
	return t
}

// fallbackHolidays are the fixed-date statutory holidays (元旦, 劳动节, 国庆节) that the
// fallback calendar keeps off in a year whose notice is not loaded. The lunar holidays and
// the make-up working days cannot be known ahead, so the fallback never guesses them.
var fallbackHolidays = [...]struct {
	m time.Month
	d int
}{{1, 1}, {5, 1}, {5, 2}, {10, 1}, {10, 2}, {10, 3}}

// fbBase is the first year of the 400-year cycle the fallback tables are kept for. The
// Gregorian calendar repeats exactly every 400 years, and the fallback rule depends only
// on weekdays and fixed dates, so these 400 tables serve every year.
const fbBase = 1900

var (
	// fbTabs caches the fallback table of year fbBase+i, built on first use: most
	// processes touch only a few years, and each table is under 2 KiB.
	fbTabs [400]atomic.Pointer[yearTable]
	// fbBefore[i] is the number of fallback working days in years fbBase..fbBase+i-1;
	// fbBefore[400] is one whole cycle.
	fbBefore [401]int64
)

// fbMinYear is a lower bound of the fallback working days of any year (260 weekdays less
// at most 6 holidays); it bounds how many years a given number of working days can span.
// A constant, so that dividing by it is a multiplication; init checks it.
const fbMinYear = 250

func init() {
	// Year totals by arithmetic, not by building the 400 tables: 260 weekdays in the
	// 52 whole weeks, the one or two days left over, minus the fixed holidays that fall
	// on a weekday. This costs microseconds.
	for i := 0; i < 400; i++ {
		n := fallbackTotal(int64(fbBase + i))
		if n < fbMinYear {
			panic("workday: fbMinYear is wrong")
		}
		fbBefore[i+1] = fbBefore[i] + n
	}
}

// fallbackTotal returns the working days of year y under the fallback rule.
func fallbackTotal(y int64) int64 {
	isWeekday := func(d int64) bool {
		wd := Date(d).Weekday()
		return wd != time.Saturday && wd != time.Sunday
	}
	start := yearStart(y)
	n := int64(260)
	extra := int64(1)
	if isLeap(y) {
		extra = 2
	}
	for i := int64(0); i < extra; i++ {
		if isWeekday(start + 364 + i) {
			n++
		}
	}
	for _, h := range fallbackHolidays {
		if isWeekday(daysFromCivil(y, int64(h.m), int64(h.d))) {
			n--
		}
	}
	return n
}

// fallbackTable returns the fallback table of year y, building and caching it on first
// use. Two goroutines may build the same table at once; both results are identical and
// the first one stored wins, so no lock is needed.
func fallbackTable(y int64) *yearTable {
	i := (y - fbBase) % 400
	if i < 0 {
		i += 400
	}
	p := &fbTabs[i]
	if t := p.Load(); t != nil {
		return t
	}
	t := buildFallback(fbBase + i)
	if p.CompareAndSwap(nil, t) {
		return t
	}
	return p.Load()
}

// buildFallback builds the fallback table of year y.
func buildFallback(y int64) *yearTable {
	var off [len(fallbackHolidays)]Date
	for i, h := range fallbackHolidays {
		off[i] = Date(daysFromCivil(y, int64(h.m), int64(h.d)))
	}
	return newYearTable(y, off[:], nil)
}

// fallbackBefore returns the fallback working days from January 1 of fbBase up to the
// start of year y (negative for years before fbBase). Only differences of it matter.
func fallbackBefore(y int64) int64 {
	k := y - fbBase
	if uint64(k) <= 400 { // the usual years: one lookup
		return fbBefore[k]
	}
	q := floorDiv(k, 400)
	return q*fbBefore[400] + fbBefore[k-q*400]
}
