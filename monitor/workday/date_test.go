package workday

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateAgreesWithTime(t *testing.T) {
	// Every day of 1600..2400 plus a stretch around the epoch boundaries: the civil-date
	// arithmetic must agree with package time on year, month, day, weekday and order.
	start := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	want := NewDate(1600, time.January, 1)
	for tm := start; tm.Year() < 2400; tm = tm.AddDate(0, 0, 1) {
		y, m, d := tm.Date()
		got := NewDate(y, m, d)
		if got != want {
			t.Fatalf("NewDate(%d, %d, %d) = %d, want %d", y, m, d, got, want)
		}
		if gy, gm, gd := got.YMD(); gy != y || gm != m || gd != d {
			t.Fatalf("%d.YMD() = %d-%d-%d, want %s", got, gy, gm, gd, tm.Format(time.DateOnly))
		}
		if got.Weekday() != tm.Weekday() {
			t.Fatalf("%s.Weekday() = %s, want %s", got, got.Weekday(), tm.Weekday())
		}
		if got.String() != tm.Format(time.DateOnly) {
			t.Fatalf("String() = %q, want %q", got, tm.Format(time.DateOnly))
		}
		if yy, doy := yearDay(int64(got)); int(yy) != y || doy != tm.YearDay()-1 {
			t.Fatalf("yearDay(%s) = %d, %d", got, yy, doy)
		}
		want++
	}
}

func TestNewDateNormalizes(t *testing.T) {
	tests := []struct {
		name string
		y    int
		m    time.Month
		d    int
		want string
	}{
		{"epoch", 1970, 1, 1, "1970-01-01"},
		{"day overflow", 2025, 12, 32, "2026-01-01"},
		{"day zero", 2026, 3, 0, "2026-02-28"},
		{"month 13", 2025, 13, 1, "2026-01-01"},
		{"month 0", 2026, 0, 1, "2025-12-01"},
		{"month -11", 2026, -11, 1, "2025-01-01"},
		{"leap day", 2024, 2, 29, "2024-02-29"},
		{"negative day", 2026, 1, -30, "2025-12-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewDate(tt.y, tt.m, tt.d).String(); got != tt.want {
				t.Errorf("NewDate(%d, %d, %d) = %s, want %s", tt.y, tt.m, tt.d, got, tt.want)
			}
			if got := time.Date(tt.y, tt.m, tt.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly); got != tt.want {
				t.Errorf("time.Date disagrees: %s", got)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2026-02-13", true},
		{"2024-02-29", true},
		{"0000-01-01", true},
		{"9999-12-31", true},
		{"2025-02-29", false},
		{"2026-13-01", false},
		{"2026-00-10", false},
		{"2026-04-31", false},
		{"2026-4-01", false},
		{"2026/04/01", false},
		{"+026-04-01", false},
		{"2026-04-01 ", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDate(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseDate(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && d.String() != tt.in {
				t.Errorf("ParseDate(%q) = %s", tt.in, d)
			}
			if !tt.ok && err.Error() != `"`+tt.in+`" is not a date` {
				t.Errorf("error text %q", err)
			}
		})
	}
}

func TestDateOfAndStart(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	// A São Paulo day that began at 01:00 because of daylight saving (2018-11-04).
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	tests := []struct {
		name string
		t    string // RFC 3339
		loc  *time.Location
		want string
	}{
		{"utc evening is next day in Shanghai", "2026-02-13T16:30:00Z", shanghai, "2026-02-14"},
		{"just before midnight", "2026-02-13T23:59:59+08:00", shanghai, "2026-02-13"},
		{"midnight", "2026-02-14T00:00:00+08:00", shanghai, "2026-02-14"},
		{"offset converted", "2026-02-13T20:00:00-05:00", shanghai, "2026-02-14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := time.Parse(time.RFC3339, tt.t)
			if err != nil {
				t.Fatal(err)
			}
			d := DateOf(tm, tt.loc)
			if d.String() != tt.want {
				t.Fatalf("DateOf = %s, want %s", d, tt.want)
			}
			s := d.Start(tt.loc)
			if DateOf(s, tt.loc) != d || s.Hour() != 0 || s.Minute() != 0 || s.After(tm) {
				t.Errorf("Start = %s", s)
			}
		})
	}
	t.Run("dst day starts at 01:00", func(t *testing.T) {
		d := NewDate(2018, 11, 4)
		s := d.Start(saoPaulo)
		if DateOf(s, saoPaulo) != d || s.Hour() != 1 {
			t.Errorf("Start = %s", s)
		}
		if next := d.AddDays(1).Start(saoPaulo); next.Sub(s) != 23*time.Hour {
			t.Errorf("day length %s", next.Sub(s))
		}
	})
}

func TestDateText(t *testing.T) {
	type doc struct {
		Due Date `json:"due"`
	}
	b, err := json.Marshal(doc{NewDate(2026, 3, 19)})
	if err != nil || string(b) != `{"due":"2026-03-19"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.Due != NewDate(2026, 3, 19) {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"due":"2026-02-30"}`), &back); err == nil {
		t.Error("Unmarshal accepted 2026-02-30")
	}
	if _, err := NewDate(10000, 1, 1).MarshalText(); err == nil {
		t.Error("MarshalText accepted year 10000")
	}
	if got := NewDate(-1, 1, 1).String(); got != "-001-01-01" {
		t.Errorf("String of year -1 = %q", got)
	}
}

func TestYearDayWholeRange(t *testing.T) {
	if NewDate(1900, 1, 1) != tabBase {
		t.Fatalf("tabBase = %d, want %d", tabBase, NewDate(1900, 1, 1))
	}
	// The table path and the general path against the civil-date algorithm, at the
	// limits of Date and around the table's edges.
	check := func(d int64) {
		y, _, _ := civilFromDays(d)
		wantDoy := int(d - yearStart(y))
		if gy, doy := yearDay(d); gy != y || doy != wantDoy {
			t.Fatalf("yearDay(%d) = %d, %d; want %d, %d", d, gy, doy, y, wantDoy)
		}
		if gy, doy := yearDaySlow(d); gy != y || doy != wantDoy {
			t.Fatalf("yearDaySlow(%d) = %d, %d; want %d, %d", d, gy, doy, y, wantDoy)
		}
	}
	for _, base := range []int64{-1 << 31, 1<<31 - 1, tabBase, tabBase + daysPer400Years, 0} {
		for d := base - 800; d <= base+800; d++ {
			if d >= -1<<31 && d <= 1<<31-1 {
				check(d)
			}
		}
	}
	for d := int64(-1 << 31); d < 1<<31-1; d += 9973 {
		check(d)
	}
}
