package workday

import (
	"slices"
	"testing"
	"testing/fstest"
)

// day parses a date for a test, failing it on a typo.
func day(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuiltinLoads(t *testing.T) {
	c, err := loadBuiltin(yearFS)
	if err != nil {
		t.Fatalf("embedded year files are broken: %v", err)
	}
	if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Errorf("Years() = %v", got)
	}
	if Builtin() != Builtin() {
		t.Error("Builtin is rebuilt on every call")
	}
	if c.LastYear() != 2026 || !c.Loaded(2025) || c.Loaded(2027) || c.Loaded(2024) {
		t.Errorf("LastYear/Loaded wrong")
	}
}

func TestBuiltinRejectsMisnamedFile(t *testing.T) {
	data, err := yearFS.ReadFile("years/CN-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"years/CN-2024.yaml": {Data: data}}
	if _, err := loadBuiltin(fsys); err == nil {
		t.Error("a 2025 file named CN-2024.yaml was accepted")
	}
}

func TestWorkingDaysPerYear(t *testing.T) {
	c := Builtin()
	for _, y := range []int{2025, 2026} {
		n, provisional := c.CountWorkdays(NewDate(y-1, 12, 31), NewDate(y, 12, 31))
		if n != 248 || provisional {
			t.Errorf("%d: %d working days (provisional %v), want 248", y, n, provisional)
		}
	}
}

func TestWorkedExamples(t *testing.T) {
	// /work/shared/calendar/README.md
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"spring festival 2025, 01-26 Sun works", "2025-01-24", 5, "2025-02-07"},
		{"may day 2025", "2025-04-30", 10, "2025-05-19"},
		{"new year 2026, 01-04 Sun works", "2025-12-31", 3, "2026-01-06"},
		{"spring festival 2026, two Saturdays work", "2026-02-13", 20, "2026-03-19"},
	}
	c := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, provisional := c.NthWorkdayAfter(day(t, tt.start), tt.n)
			if got.String() != tt.want || provisional {
				t.Fatalf("NthWorkdayAfter(%s, %d) = %s (provisional %v), want %s", tt.start, tt.n, got, provisional, tt.want)
			}
			if n, p := c.CountWorkdays(day(t, tt.start), got); n != tt.n || p {
				t.Errorf("CountWorkdays back = %d (provisional %v)", n, p)
			}
		})
	}
}

func TestIsWorkday(t *testing.T) {
	tests := []struct {
		name string
		day  string
		work bool
	}{
		{"make-up Sunday 2025-01-26", "2025-01-26", true},
		{"make-up Saturday 2025-02-08", "2025-02-08", true},
		{"make-up Sunday 2025-04-27", "2025-04-27", true},
		{"make-up Sunday 2025-09-28", "2025-09-28", true},
		{"make-up Saturday 2025-10-11", "2025-10-11", true},
		{"make-up Sunday 2026-01-04", "2026-01-04", true},
		{"make-up Saturday 2026-02-14", "2026-02-14", true},
		{"make-up Saturday 2026-02-28", "2026-02-28", true},
		{"make-up Saturday 2026-05-09", "2026-05-09", true},
		{"make-up Sunday 2026-09-20", "2026-09-20", true},
		{"make-up Saturday 2026-10-10", "2026-10-10", true},
		{"spring festival 2025 Tuesday", "2025-01-28", false},
		{"spring festival 2025 Monday", "2025-02-03", false},
		{"spring festival 2025 last day", "2025-02-04", false},
		{"may day 2025 Monday", "2025-05-05", false},
		{"national day 2025 Wednesday", "2025-10-08", false},
		{"spring festival 2026 Monday", "2026-02-16", false},
		{"spring festival 2026 last day", "2026-02-23", false},
		{"may day 2026 Friday", "2026-05-01", false},
		{"national day 2026 Wednesday", "2026-10-07", false},
		{"mid-autumn 2026 Friday", "2026-09-25", false},
		{"ordinary Monday", "2026-03-02", true},
		{"ordinary Saturday", "2026-03-07", false},
		{"day after spring festival 2026", "2026-02-24", true},
	}
	c := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work, known := c.IsWorkday(day(t, tt.day))
			if work != tt.work || !known {
				t.Errorf("IsWorkday(%s) = %v, %v; want %v, true", tt.day, work, known, tt.work)
			}
		})
	}
}

func TestSpans(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		// 01-27 (Mon), then the break 01-28..02-04, 02-05..02-07, Sat 02-08 works.
		{"spring festival 2025", "2025-01-24", "2025-02-10", 1 + 1 + 3 + 1 + 1},
		{"may day 2025", "2025-04-25", "2025-05-09", 1 + 3 + 4},              // Sun 04-27 works
		{"national day 2025", "2025-09-26", "2025-10-13", 1 + 2 + 2 + 1 + 1}, // 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13
		{"spring festival 2026", "2026-02-13", "2026-02-27", 1 + 4},          // Sat 02-14, 02-24..02-27
		{"may day 2026", "2026-04-30", "2026-05-11", 3 + 1 + 1},              // 05-06..05-08, Sat 05-09, 05-11
		{"national day 2026", "2026-09-30", "2026-10-12", 2 + 1 + 1},         // 10-08, 10-09, Sat 10-10, 10-12
		{"across 2025 to 2026", "2025-12-29", "2026-01-06", 2 + 1 + 2},       // 12-30, 12-31, Sun 01-04, 01-05, 01-06
		{"whole builtin span", "2024-12-31", "2026-12-31", 2 * 248},
		{"empty", "2026-03-02", "2026-03-02", 0},
		{"backwards", "2026-03-05", "2026-03-02", 0},
	}
	c := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, provisional := c.CountWorkdays(day(t, tt.from), day(t, tt.to))
			if n != tt.want || provisional {
				t.Errorf("CountWorkdays(%s, %s) = %d (provisional %v), want %d", tt.from, tt.to, n, provisional, tt.want)
			}
		})
	}
}

func TestNthWorkdayAfterEdges(t *testing.T) {
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"n=0 on a working day", "2026-03-04", 0, "2026-03-04"},
		{"n=0 on a Saturday", "2026-03-07", 0, "2026-03-09"},
		{"n=0 on a holiday", "2026-10-01", 0, "2026-10-08"},
		{"n=0 on a make-up Saturday", "2026-02-14", 0, "2026-02-14"},
		{"n=1 from a holiday", "2026-02-16", 1, "2026-02-24"},
		{"n=3 from a holiday", "2025-10-02", 3, "2025-10-11"}, // 10-09, 10-10, Sat 10-11
		{"n=1 from a make-up day", "2026-02-14", 1, "2026-02-24"},
		{"n=1 from the make-up Sunday", "2025-01-26", 1, "2025-01-27"},
		{"n=1 on a Friday", "2026-03-06", 1, "2026-03-09"},
		{"n=248 spans a year", "2025-12-31", 248, "2026-12-31"},
		{"last working day of 2025", "2025-12-30", 1, "2025-12-31"},
	}
	c := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, provisional := c.NthWorkdayAfter(day(t, tt.start), tt.n)
			if got.String() != tt.want || provisional {
				t.Errorf("NthWorkdayAfter(%s, %d) = %s (provisional %v), want %s", tt.start, tt.n, got, provisional, tt.want)
			}
		})
	}
	t.Run("next workday", func(t *testing.T) {
		if got, p := c.NextWorkday(day(t, "2026-09-30")); got.String() != "2026-10-08" || p {
			t.Errorf("NextWorkday = %s, %v", got, p)
		}
	})
	t.Run("negative n panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		c.NthWorkdayAfter(day(t, "2026-03-04"), -1)
	})
}

func TestMissingYear(t *testing.T) {
	c := Builtin()
	if work, known := c.IsWorkday(day(t, "2027-01-01")); work || known {
		t.Errorf("IsWorkday(2027-01-01) = %v, %v; want false, false", work, known)
	}
	if work, known := c.IsWorkday(day(t, "2027-01-04")); !work || known {
		t.Errorf("IsWorkday(2027-01-04) = %v, %v; want true, false", work, known)
	}
	// 12-29, 12-30, 12-31, then 2027-01-01 (Fri) off by the fallback, 01-04, 01-05.
	got, provisional := c.NthWorkdayAfter(day(t, "2026-12-28"), 5)
	if got.String() != "2027-01-05" || !provisional {
		t.Errorf("NthWorkdayAfter(2026-12-28, 5) = %s (provisional %v), want 2027-01-05 provisional", got, provisional)
	}
	if _, p := c.NthWorkdayAfter(day(t, "2026-12-28"), 3); p {
		t.Error("an answer inside 2026 is provisional")
	}
	if _, p := c.NthWorkdayAfter(day(t, "2026-12-31"), 0); p {
		t.Error("n=0 on a loaded working day is provisional")
	}
	if n, p := c.CountWorkdays(day(t, "2026-12-28"), day(t, "2027-01-05")); n != 5 || !p {
		t.Errorf("CountWorkdays into 2027 = %d, %v", n, p)
	}
	if n, p := c.CountWorkdays(day(t, "2026-12-28"), day(t, "2026-12-31")); n != 3 || p {
		t.Errorf("CountWorkdays up to 12-31 = %d, %v", n, p)
	}
	if got := c.MissingYears(day(t, "2026-12-01"), day(t, "2027-02-01")); !slices.Equal(got, []int{2027}) {
		t.Errorf("MissingYears = %v, want [2027]", got)
	}
	if got := c.MissingYears(day(t, "2023-06-01"), day(t, "2028-02-01")); !slices.Equal(got, []int{2023, 2024, 2027, 2028}) {
		t.Errorf("MissingYears = %v", got)
	}
	if got := c.MissingYears(day(t, "2026-01-01"), day(t, "2026-12-31")); got != nil {
		t.Errorf("MissingYears inside 2026 = %v", got)
	}

	// A made-up 2027 notice: 01-01 (Fri) and 01-04 (Mon) off, Sat 01-09 works. Then
	// 12-29, 12-30, 12-31, 01-05, 01-06.
	y27, err := ParseYear([]byte("year: 2027\noff: [2027-01-01, 2027-01-04]\nwork: [2027-01-09]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c27 := c.With(y27)
	if c.Loaded(2027) {
		t.Fatal("With changed the original calendar")
	}
	got, provisional = c27.NthWorkdayAfter(day(t, "2026-12-28"), 5)
	if got.String() != "2027-01-06" || provisional {
		t.Errorf("with 2027: NthWorkdayAfter = %s (provisional %v), want 2027-01-06", got, provisional)
	}
	if work, known := c27.IsWorkday(day(t, "2027-01-09")); !work || !known {
		t.Errorf("with 2027: IsWorkday(01-09) = %v, %v", work, known)
	}
	if got := c27.MissingYears(day(t, "2026-12-01"), day(t, "2027-02-01")); got != nil {
		t.Errorf("with 2027: MissingYears = %v", got)
	}
	if c27.LastYear() != 2027 || !slices.Equal(c27.Years(), []int{2025, 2026, 2027}) {
		t.Errorf("with 2027: years %v", c27.Years())
	}
	// Replacing a loaded year with a plain one: 2026 then has no holidays at all.
	plain := c27.With(&YearFile{Year: 2026})
	if n, p := plain.CountWorkdays(NewDate(2025, 12, 31), NewDate(2026, 12, 31)); n != 261 || p {
		t.Errorf("plain 2026: %d working days, %v", n, p)
	}
	if n, _ := plain.CountWorkdays(NewDate(2024, 12, 31), NewDate(2027, 12, 31)); n != 248+261+n27(t, c27) {
		t.Errorf("plain 2026: span count %d", n)
	}
}

// n27 counts the working days of 2027 in c.
func n27(t *testing.T, c *Calendar) int {
	t.Helper()
	n, _ := c.CountWorkdays(NewDate(2026, 12, 31), NewDate(2027, 12, 31))
	return n
}

func TestCalendarLoading(t *testing.T) {
	empty, err := New()
	if err != nil || empty.LastYear() != 0 || empty.Years() != nil {
		t.Fatalf("New() = %v, %v", empty, err)
	}
	var zero Calendar
	if d, p := zero.NthWorkdayAfter(NewDate(2026, 9, 30), 1); d != NewDate(2026, 10, 5) || !p {
		t.Errorf("zero calendar: %s, %v", d, p)
	}
	b := Builtin()
	y25, _ := b.Year(2025)
	if _, err := New(y25, y25); err == nil {
		t.Error("New accepted a year twice")
	}
	if _, err := New(nil); err == nil {
		t.Error("New accepted nil")
	}
	bad := &YearFile{Year: 2025, Off: []Date{NewDate(2024, 12, 31)}}
	if _, err := New(bad); err == nil || err.Error() != "workday: year 2025: off[0]: 2024-12-31 is not in 2025" {
		t.Errorf("New(bad) error = %v", err)
	}
	for _, tt := range []struct {
		name string
		y    *YearFile
		want string
	}{
		{"listed twice", &YearFile{Year: 2025, Off: []Date{NewDate(2025, 1, 1), NewDate(2025, 1, 1)}},
			"workday: year 2025: off[1]: 2025-01-01 is listed twice"},
		{"off and work", &YearFile{Year: 2025, Off: []Date{NewDate(2025, 1, 4)}, Work: []Date{NewDate(2025, 1, 4)}},
			"workday: year 2025: work[0]: 2025-01-04 is also in off"},
		{"weekday in work", &YearFile{Year: 2025, Work: []Date{NewDate(2025, 1, 3)}},
			"workday: year 2025: work[0]: 2025-01-03 is a Friday, a working day anyway"},
		{"year out of range", &YearFile{Year: 1899}, "workday: year 1899: year: 1899 is outside 1900..2299"},
		{"source not UTF-8", &YearFile{Year: 2025, Source: "\xff"}, "workday: year 2025: source: not valid UTF-8"},
	} {
		if _, err := New(tt.y); err == nil || err.Error() != tt.want {
			t.Errorf("%s: New error = %v, want %s", tt.name, err, tt.want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("With(bad) did not panic")
			}
		}()
		b.With(bad)
	}()
	// Year returns a copy: changing it changes nothing in the calendar.
	y25.Off[0] = NewDate(2025, 3, 3)
	again, _ := b.Year(2025)
	if again.Off[0] != NewDate(2025, 1, 1) {
		t.Error("Year returned the calendar's own slice")
	}
	// Sparse years: 2025 and 2027 loaded, 2026 not.
	y27 := &YearFile{Year: 2027}
	sparse, err := New(y25, y27)
	if err != nil {
		t.Fatal(err)
	}
	if sparse.Loaded(2026) || !slices.Equal(sparse.MissingYears(NewDate(2025, 1, 1), NewDate(2027, 1, 1)), []int{2026}) {
		t.Error("sparse calendar reports 2026 loaded")
	}
	if _, p := sparse.CountWorkdays(NewDate(2025, 12, 31), NewDate(2027, 1, 1)); !p {
		t.Error("a count across the unloaded 2026 is not provisional")
	}
	if _, p := sparse.CountWorkdays(NewDate(2026, 12, 31), NewDate(2027, 1, 5)); p {
		t.Error("a count starting on Dec 31 of an unloaded year is provisional")
	}
}
