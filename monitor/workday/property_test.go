package workday

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// naive is the reference implementation: one day at a time, through package time, from
// the YearFiles themselves, so it shares no arithmetic and no table with Calendar.
type naive struct {
	files map[int]*YearFile
}

func newNaive(c *Calendar) naive {
	r := naive{files: map[int]*YearFile{}}
	for _, y := range c.Years() {
		r.files[y], _ = c.Year(y)
	}
	return r
}

// isWork returns whether d works, and whether its year is loaded.
func (r naive) isWork(d Date) (bool, bool) {
	tm := time.Date(1970, 1, 1+int(d), 0, 0, 0, 0, time.UTC)
	weekday := tm.Weekday() != time.Saturday && tm.Weekday() != time.Sunday
	f, ok := r.files[tm.Year()]
	if !ok {
		switch tm.Format("01-02") {
		case "01-01", "05-01", "05-02", "10-01", "10-02", "10-03":
			return false, false
		}
		return weekday, false
	}
	if slices.Contains(f.Work, d) {
		return true, true
	}
	if slices.Contains(f.Off, d) {
		return false, true
	}
	return weekday, true
}

func (r naive) count(from, to Date) (n int, provisional bool) {
	for d := from + 1; d <= to; d++ {
		w, known := r.isWork(d)
		if w {
			n++
		}
		provisional = provisional || !known
	}
	return n, provisional
}

func (r naive) nth(d Date, n int) (Date, bool) {
	provisional := false
	if n == 0 {
		w, known := r.isWork(d)
		provisional = !known
		if w {
			return d, provisional
		}
		n = 1
	}
	for {
		d++
		w, known := r.isWork(d)
		provisional = provisional || !known
		if w {
			if n--; n == 0 {
				return d, provisional
			}
		}
	}
}

// randomYear makes a plausible notice for year y: a few breaks and make-up weekend days.
func randomYear(rng *rand.Rand, y int) *YearFile {
	f := &YearFile{Year: y}
	start := NewDate(y, 1, 1)
	n := int(NewDate(y+1, 1, 1) - start)
	mark := make([]bool, n)
	for range 6 {
		from := rng.IntN(n)
		for i := from; i < min(n, from+1+rng.IntN(9)); i++ {
			if !mark[i] {
				mark[i] = true
				f.Off = append(f.Off, start+Date(i))
			}
		}
	}
	for range 6 {
		i := rng.IntN(n)
		d := start + Date(i)
		if wd := d.Weekday(); !mark[i] && (wd == time.Saturday || wd == time.Sunday) {
			mark[i] = true
			f.Work = append(f.Work, d)
		}
	}
	return f
}

// testCalendars are the calendars the properties are checked on: the builtin one, one
// with a gap between loaded years, one with none loaded, and one whose year has no
// working day at all (the search must still end).
func testCalendars(t testing.TB) map[string]*Calendar {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	sparse, err := New(randomYear(rng, 2021), randomYear(rng, 2022), randomYear(rng, 2024), randomYear(rng, 2029))
	if err != nil {
		t.Fatal(err)
	}
	allOff := &YearFile{Year: 2023}
	for d := NewDate(2023, 1, 1); d.Year() == 2023; d++ {
		allOff.Off = append(allOff.Off, d)
	}
	return map[string]*Calendar{
		"builtin": Builtin(),
		"sparse":  sparse.With(Builtin().mustYear(2025)),
		"empty":   {},
		"all off": Builtin().With(allOff),
	}
}

func (c *Calendar) mustYear(y int) *YearFile {
	f, ok := c.Year(y)
	if !ok {
		panic(y)
	}
	return f
}

func TestAgainstNaive(t *testing.T) {
	lo, hi := NewDate(2020, 1, 1), NewDate(2030, 12, 31)
	for name, c := range testCalendars(t) {
		t.Run(name, func(t *testing.T) {
			ref := newNaive(c)
			rng := rand.New(rand.NewPCG(3, 4))
			for range 3000 {
				d := lo + Date(rng.IntN(int(hi-lo)))
				n := rng.IntN(401)
				got, gp := c.NthWorkdayAfter(d, n)
				want, wp := ref.nth(d, n)
				if got != want || gp != wp {
					t.Fatalf("NthWorkdayAfter(%s, %d) = %s, %v; naive %s, %v", d, n, got, gp, want, wp)
				}
				if w, _ := c.IsWorkday(got); !w {
					t.Fatalf("NthWorkdayAfter(%s, %d) = %s, not a working day", d, n, got)
				}
				if n >= 1 {
					if back, _ := c.CountWorkdays(d, got); back != n {
						t.Fatalf("CountWorkdays(%s, %s) = %d, want %d", d, got, back, n)
					}
				}
				to := d + Date(rng.IntN(900)) - 50
				gn, gp := c.CountWorkdays(d, to)
				wn, wp := ref.count(d, to)
				if gn != wn || gp != wp {
					t.Fatalf("CountWorkdays(%s, %s) = %d, %v; naive %d, %v", d, to, gn, gp, wn, wp)
				}
				gw, gk := c.IsWorkday(d)
				ww, wk := ref.isWork(d)
				if gw != ww || gk != wk {
					t.Fatalf("IsWorkday(%s) = %v, %v; naive %v, %v", d, gw, gk, ww, wk)
				}
			}
		})
	}
}

func TestFallbackEveryYear(t *testing.T) {
	// The fallback tables are shared through the 400-year cycle; check the totals the
	// ranks rely on against the tables, for years well outside any loaded range.
	var c Calendar
	ref := newNaive(&c)
	for y := int64(1500); y < 2700; y += 7 {
		if got, want := fallbackBefore(y+1)-fallbackBefore(y), int64(fallbackTable(y).total()); got != want {
			t.Fatalf("%d: total %d, table %d", y, got, want)
		}
		from, to := Date(yearStart(y)-1), Date(yearStart(y+1)-1)
		n, p := c.CountWorkdays(from-3, to+3)
		want, _ := ref.count(from-3, to+3)
		if n != want || !p {
			t.Fatalf("%d: count %d, naive %d", y, n, want)
		}
	}
	// Far beyond: a limit of a million working days still answers by search, not walk.
	d, p := c.NthWorkdayAfter(NewDate(2026, 1, 1), 1_000_000)
	if back, _ := c.CountWorkdays(NewDate(2026, 1, 1), d); back != 1_000_000 || !p {
		t.Errorf("million working days: %s, back %d", d, back)
	}
}

func FuzzNthWorkday(f *testing.F) {
	f.Add(uint32(0), uint16(5), uint8(0))
	f.Add(uint32(1800), uint16(300), uint8(1))
	f.Add(uint32(2555), uint16(0), uint8(2))
	cals := testCalendars(f)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range cals {
			if !yield(k) {
				return
			}
		}
	})
	refs := map[string]naive{}
	for _, k := range names {
		refs[k] = newNaive(cals[k])
	}
	lo := NewDate(2019, 1, 1)
	f.Fuzz(func(t *testing.T, off uint32, n uint16, which uint8) {
		name := names[int(which)%len(names)]
		c, ref := cals[name], refs[name]
		d := lo + Date(off%5000)
		k := int(n % 1500)
		got, gp := c.NthWorkdayAfter(d, k)
		want, wp := ref.nth(d, k)
		if got != want || gp != wp {
			t.Fatalf("%s: NthWorkdayAfter(%s, %d) = %s, %v; naive %s, %v", name, d, k, got, gp, want, wp)
		}
		gn, gp := c.CountWorkdays(d, want)
		wn, wp := ref.count(d, want)
		if gn != wn || gp != wp {
			t.Fatalf("%s: CountWorkdays(%s, %s) = %d, %v; naive %d, %v", name, d, want, gn, gp, wn, wp)
		}
	})
}

func TestQueriesDoNotAllocate(t *testing.T) {
	c := Builtin()
	d1, d2, d3 := NewDate(2025, 3, 3), NewDate(2026, 2, 13), NewDate(2027, 6, 1)
	tests := []struct {
		name string
		f    func()
	}{
		{"IsWorkday", func() { c.IsWorkday(d1) }},
		{"IsWorkday fallback", func() { c.IsWorkday(d3) }},
		{"CountWorkdays within a year", func() { c.CountWorkdays(d1, d1+30) }},
		{"CountWorkdays across years", func() { c.CountWorkdays(d1, d3) }},
		{"NthWorkdayAfter 20", func() { c.NthWorkdayAfter(d2, 20) }},
		{"NthWorkdayAfter 300", func() { c.NthWorkdayAfter(d2, 300) }},
		{"NthWorkdayAfter 0", func() { c.NthWorkdayAfter(d2+1, 0) }},
		{"NextWorkday", func() { c.NextWorkday(d2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a := testing.AllocsPerRun(200, tt.f); a != 0 {
				t.Errorf("%.1f allocations per call", a)
			}
		})
	}
}

var (
	sinkDate Date
	sinkInt  int
	sinkBool bool
)

// benchDates spreads the start days over the builtin years so the branch predictor and
// caches see a realistic mix, not one date.
func benchDates() []Date {
	rng := rand.New(rand.NewPCG(5, 6))
	ds := make([]Date, 1024)
	for i := range ds {
		ds[i] = NewDate(2025, 1, 1) + Date(rng.IntN(700))
	}
	return ds
}

func BenchmarkIsWorkday(b *testing.B) {
	c, ds := Builtin(), benchDates()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkBool, _ = c.IsWorkday(ds[i&1023])
	}
}

func BenchmarkCountWorkdays(b *testing.B) {
	for _, span := range []Date{30, 400} {
		b.Run(map[Date]string{30: "span=30", 400: "span=400"}[span], func(b *testing.B) {
			c, ds := Builtin(), benchDates()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				d := ds[i&1023]
				sinkInt, _ = c.CountWorkdays(d, d+span)
			}
		})
	}
}

func BenchmarkNthWorkdayAfter(b *testing.B) {
	for _, n := range []int{20, 300} {
		b.Run(map[int]string{20: "n=20", 300: "n=300"}[n], func(b *testing.B) {
			c, ds := Builtin(), benchDates()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sinkDate, _ = c.NthWorkdayAfter(ds[i&1023], n)
			}
		})
	}
}

func BenchmarkBuildFallbackTable(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = buildFallback(int64(1900 + i%400))
	}
}

func TestOutOfRangePanics(t *testing.T) {
	c := Builtin()
	last := Date(1<<31 - 1)
	tests := []struct {
		name string
		d    Date
		n    int
	}{
		{"within the last year", last - 3, 10},
		{"beyond the last year", last - 400, 1000},
		{"more days than Dates", 0, 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			c.NthWorkdayAfter(tt.d, tt.n)
		})
	}
	if d, _ := c.NthWorkdayAfter(Date(-1<<31), 10); d <= Date(-1<<31) {
		t.Errorf("from the first Date: %s", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	// Goroutines racing to build the same fallback tables and reading the builtin
	// calendar; -race checks the lazy cache.
	for i := range fbTabs[250:300] {
		fbTabs[250+i].Store(nil)
	}
	c := Builtin()
	ref := newNaive(c)
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for y := 2150; y < 2200; y++ {
				d := NewDate(y, 1, 1+g)
				got, _ := c.NthWorkdayAfter(d, 30)
				if want, _ := ref.nth(d, 30); got != want && err == nil {
					err = fmt.Errorf("%s + 30 = %s, want %s", d, got, want)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
