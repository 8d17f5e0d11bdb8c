package workday

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"sync"
)

// Calendar answers working-day questions for the loaded years and, for the others, by the
// fallback rule (docs/rules.md, section 2: weekends and the fixed-date holidays off), telling the caller
// whenever an answer depended on such a year. It is immutable and safe for concurrent
// use; loading a year makes a new Calendar. The zero value has no year loaded.
//
// Every count is a difference of ranks: the rank of a day is the number of working days
// from a fixed origin up to it, made of the fallback count (periodic, precomputed per
// 400-year cycle), the correction of the loaded years before it (prefix sums), and the
// day's place in its own year's table. Queries therefore never walk the days.
type Calendar struct {
	first int64        // year of tabs[0]
	tabs  []*yearTable // tabs[y-first]: the loaded table of y, nil if y is not loaded
	files []*YearFile  // files[y-first]: the loaded file of y, as tabs
	// diff[i] is the sum, over loaded years first..first+i-1, of the loaded minus the
	// fallback working days; len(tabs)+1 entries.
	diff []int64
	// nload[i] is how many of the years first..first+i-1 are loaded; len(tabs)+1
	// entries, so "are all years a..b loaded" is one subtraction.
	nload []int32
}

//go:embed years/*.yaml
var yearFS embed.FS

// Builtin returns the calendar of the years shipped in years/, the published notices.
// It is built once and shared. It panics only if the embedded data is broken, which a
// test rules out.
func Builtin() *Calendar { return builtin() }

var builtin = sync.OnceValue(func() *Calendar {
	c, err := loadBuiltin(yearFS)
	if err != nil {
		panic(err)
	}
	return c
})

// loadBuiltin parses every years/CN-YYYY.yaml of fsys, checking that the name matches the
// year inside, since a copied file with the old year would otherwise shadow nothing and
// load the wrong year.
func loadBuiltin(fsys fs.FS) (*Calendar, error) {
	names, err := fs.Glob(fsys, "years/*.yaml")
	if err != nil {
		return nil, err
	}
	var files []*YearFile
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		y, err := ParseYear(data)
		if err != nil {
			return nil, fmt.Errorf("workday: %s: %w", name, err)
		}
		if want := fmt.Sprintf("CN-%d.yaml", y.Year); path.Base(name) != want {
			return nil, fmt.Errorf("workday: %s holds year %d; name it %s", name, y.Year, want)
		}
		files = append(files, y)
	}
	return New(files...)
}

// New returns a calendar with the given years loaded; New() has none. It fails if a year
// file is invalid (see ParseYear) or a year is given twice.
func New(years ...*YearFile) (*Calendar, error) {
	byYear := map[int]*YearFile{}
	for _, y := range years {
		if err := y.validate(); err != nil {
			if y == nil {
				return nil, fmt.Errorf("workday: %w", err)
			}
			return nil, fmt.Errorf("workday: year %d: %w", y.Year, err)
		}
		if byYear[y.Year] != nil {
			return nil, fmt.Errorf("workday: year %d given twice", y.Year)
		}
		byYear[y.Year] = y.clone()
	}
	return build(byYear, nil), nil
}

// With returns a copy of c with y loaded, replacing that year if c has it; c is unchanged.
// Only the new year's table is built. It panics if y is invalid: a YearFile from ParseYear
// never is, and New(y) reports what is wrong with one built in code.
func (c *Calendar) With(y *YearFile) *Calendar {
	if err := y.validate(); err != nil {
		panic(fmt.Sprintf("workday: Calendar.With: invalid year file: %v", err))
	}
	byYear := map[int]*YearFile{y.Year: y.clone()}
	reuse := map[int]*yearTable{}
	for i, f := range c.files {
		if f != nil && f.Year != y.Year {
			byYear[f.Year] = f
			reuse[f.Year] = c.tabs[i]
		}
	}
	return build(byYear, reuse)
}

// build makes a calendar from validated, privately owned files, reusing the given
// tables (which are immutable) where there are any.
func build(byYear map[int]*YearFile, reuse map[int]*yearTable) *Calendar {
	c := &Calendar{}
	if len(byYear) == 0 {
		return c
	}
	years := slices.Sorted(func(yield func(int) bool) {
		for y := range byYear {
			if !yield(y) {
				return
			}
		}
	})
	c.first = int64(years[0])
	span := years[len(years)-1] - years[0] + 1
	c.tabs = make([]*yearTable, span)
	c.files = make([]*YearFile, span)
	c.diff = make([]int64, span+1)
	c.nload = make([]int32, span+1)
	for i := range span {
		y := c.first + int64(i)
		c.diff[i+1], c.nload[i+1] = c.diff[i], c.nload[i]
		f := byYear[int(y)]
		if f == nil {
			continue
		}
		t := reuse[f.Year]
		if t == nil {
			t = newYearTable(y, f.Off, f.Work)
		}
		c.tabs[i], c.files[i] = t, f
		c.diff[i+1] += int64(t.total()) - (fallbackBefore(y+1) - fallbackBefore(y))
		c.nload[i+1]++
	}
	return c
}

// Year returns a copy of the loaded file of year, and whether that year is loaded.
func (c *Calendar) Year(year int) (*YearFile, bool) {
	if i := int64(year) - c.first; i >= 0 && i < int64(len(c.files)) && c.files[i] != nil {
		return c.files[i].clone(), true
	}
	return nil, false
}

// Years returns the loaded years, ascending.
func (c *Calendar) Years() []int {
	var ys []int
	for _, f := range c.files {
		if f != nil {
			ys = append(ys, f.Year)
		}
	}
	return ys
}

// LastYear returns the latest loaded year, 0 if none: the duban_calendar_last_year gauge,
// which tells operators when next year's notice must be loaded.
func (c *Calendar) LastYear() int {
	if len(c.tabs) == 0 {
		return 0
	}
	return int(c.first) + len(c.tabs) - 1 // the last entry is always a loaded year
}

// Loaded reports whether year's notice is loaded.
func (c *Calendar) Loaded(year int) bool { return c.allLoaded(int64(year), int64(year)) }

// allLoaded reports whether every year a..b is loaded (true when a > b).
func (c *Calendar) allLoaded(a, b int64) bool {
	if a > b {
		return true
	}
	ia, ib := a-c.first, b-c.first
	if ia < 0 || ib >= int64(len(c.tabs)) {
		return false
	}
	return int64(c.nload[ib+1]-c.nload[ia]) == ib-ia+1
}

// table returns the table of year y, and whether it is the loaded one.
func (c *Calendar) table(y int64) (*yearTable, bool) {
	if i := y - c.first; uint64(i) < uint64(len(c.tabs)) {
		if t := c.tabs[i]; t != nil {
			return t, true
		}
	}
	return fallbackTable(y), false
}

// before returns the rank of the last day before year y: the working days from the
// origin up to December 31 of y-1.
func (c *Calendar) before(y int64) int64 {
	r := fallbackBefore(y)
	if len(c.tabs) == 0 {
		return r
	}
	i := min(max(y-c.first, 0), int64(len(c.tabs)))
	return r + c.diff[i]
}

// IsWorkday reports whether d is a working day. known is false when d's year is not
// loaded; work is then the fallback answer.
func (c *Calendar) IsWorkday(d Date) (work bool, known bool) {
	y, doy := yearDay(int64(d))
	t, known := c.table(y)
	return t.isWork(doy), known
}

// CountWorkdays returns the number of working days d with from < d <= to (0 when
// to <= from): the days a clock started on from has counted by the end of to.
// provisional is true when one of those days lies in a year that is not loaded.
func (c *Calendar) CountWorkdays(from, to Date) (n int, provisional bool) {
	if to <= from {
		return 0, false
	}
	y1, doy1 := yearDay(int64(from))
	y2, doy2 := yearDay(int64(to))
	t1, known1 := c.table(y1)
	if y1 == y2 {
		return int(t1.cum[doy2]) - int(t1.cum[doy1]), !known1
	}
	t2, _ := c.table(y2)
	r1 := c.before(y1) + int64(t1.cum[doy1])
	r2 := c.before(y2) + int64(t2.cum[doy2])
	firstDay := y1 // the year of from+1
	if doy1 == t1.n-1 {
		firstDay++
	}
	return int(r2 - r1), !c.allLoaded(firstDay, y2)
}

// NthWorkdayAfter returns the n-th working day after d, d itself never counting: the last
// day of a limit of n working days started on d. For n == 0 (即办件) it returns d if d is a
// working day, else the next working day. provisional is true when a day the answer
// depended on lies in a year that is not loaded. It panics if n < 0 or the answer would
// lie beyond the range of Date.
func (c *Calendar) NthWorkdayAfter(d Date, n int) (Date, bool) {
	if n < 0 {
		panic("workday: NthWorkdayAfter: negative n")
	}
	if n > 0 {
		return c.nth(d, n)
	}
	y, doy := yearDay(int64(d))
	t, known := c.table(y)
	if t.isWork(doy) {
		return d, !known
	}
	r, provisional := c.nth(d, 1)
	return r, provisional || !known
}

// NextWorkday returns the first working day strictly after d, and whether that answer is
// provisional.
func (c *Calendar) NextWorkday(d Date) (Date, bool) { return c.nth(d, 1) }

// errOutOfRange is the panic of a limit that ends past the last Date (year 5881580):
// a caller's bug, like an index out of range.
const errOutOfRange = "workday: NthWorkdayAfter: result out of range"

// nth is NthWorkdayAfter for n >= 1.
func (c *Calendar) nth(d Date, n int) (Date, bool) {
	y, doy := yearDay(int64(d))
	t, known := c.table(y)
	base := int(t.cum[doy])
	if n <= t.total()-base { // the common case: the answer is in d's year
		r := int64(d) + int64(t.nthDay(base+n)-doy)
		if r > math.MaxInt32 { // only in the very last year of Date
			panic(errOutOfRange)
		}
		return Date(r), !known
	}
	if uint64(n) > math.MaxUint32 { // more working days than there are Dates
		panic(errOutOfRange)
	}
	// Find the first year whose end reaches the target rank. Limits are days to months,
	// so step a few years first; past that, binary search, bounded because every year
	// after the last loaded one has at least fbMinYear working days.
	target := c.before(y) + int64(base) + int64(n)
	lo := y + 1
	for steps := 0; c.before(lo+1) < target; steps++ {
		if steps == 3 {
			lo = c.searchYear(lo+1, max(lo, int64(c.LastYear()))+int64(n)/fbMinYear+1, target)
			break
		}
		lo++
	}
	ty, _ := c.table(lo)
	day := yearStart(lo) + int64(ty.nthDay(int(target-c.before(lo))))
	if day > math.MaxInt32 {
		panic(errOutOfRange)
	}
	firstDay := y // the year of d+1
	if doy == t.n-1 {
		firstDay++
	}
	return Date(day), !c.allLoaded(firstDay, lo)
}

// searchYear returns the first year in lo..hi whose end reaches the rank target; hi's
// end must reach it.
func (c *Calendar) searchYear(lo, hi, target int64) int64 {
	for lo < hi {
		mid := lo + (hi-lo)/2
		if c.before(mid+1) >= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// MissingYears returns the years touched by [from, to] that are not loaded, ascending:
// one calendar_missing alert is raised for each.
func (c *Calendar) MissingYears(from, to Date) []int {
	var out []int
	for y := int64(from.Year()); y <= int64(to.Year()); y++ {
		if !c.allLoaded(y, y) {
			out = append(out, int(y))
		}
	}
	return out
}
