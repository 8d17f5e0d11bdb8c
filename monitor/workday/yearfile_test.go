package workday

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseYearShipped(t *testing.T) {
	data, err := yearFS.ReadFile("years/CN-2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseYear(data)
	if err != nil {
		t.Fatal(err)
	}
	if y.Year != 2026 || len(y.Off) != 3+9+3+5+3+3+7 || len(y.Work) != 6 {
		t.Errorf("2026: year %d, %d off, %d work", y.Year, len(y.Off), len(y.Work))
	}
	if !slices.IsSorted(y.Off) || y.Off[0] != NewDate(2026, 1, 1) || y.Work[5] != NewDate(2026, 10, 10) {
		t.Errorf("2026 lists: %v %v", y.Off, y.Work)
	}
}

func TestParseYearErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown key", "year: 2026\nholidays: []\n", `"holidays": unknown key`},
		{"repeated key", "year: 2026\noff: []\noff: []\n", "off: key repeated"},
		{"missing year", "off: [2026-01-01]\n", "year: missing"},
		{"year not a number", "year: twenty\n", `year: "twenty" is not a year`},
		{"year quoted", "year: \"2026\"\n", `year: "2026" is not a year`},
		{"year out of range", "year: 20226\n", "year: 20226 is outside 1900..2299"},
		{"bad date", "year: 2026\noff:\n  - 2026-01-01\n  - 2026-02-15..2026-02-23\n  - 2026-04-04\n  - 2026-13-01\n",
			`off[3]: "2026-13-01" is not a date`},
		{"bad range end", "year: 2026\nwork: [2026-01-04..2026-01-32]\n", `work[0]: "2026-01-32" is not a date`},
		{"date outside the year", "year: 2026\noff: [2026-01-01, 2025-12-31]\n", "off[1]: 2025-12-31 is not in 2026"},
		{"range leaves the year", "year: 2026\noff: [2026-12-31..2027-01-01]\n", "off[0]: 2027-01-01 is not in 2026"},
		{"range not ordered", "year: 2026\noff: [2026-02-23..2026-02-15]\n", `off[0]: range "2026-02-23..2026-02-15" is not ordered`},
		{"off and work overlap", "year: 2026\noff: [2026-02-15..2026-02-23]\nwork: [2026-02-14, 2026-02-21]\n",
			"work[1]: 2026-02-21 is also in off"},
		{"listed twice", "year: 2026\noff: [2026-02-15..2026-02-23, 2026-04-04, 2026-02-20]\n",
			"off[2]: 2026-02-20 is listed twice"},
		{"weekday in work", "year: 2026\nwork: [2026-02-14, 2026-02-16]\n", "work[1]: 2026-02-16 is a Monday, a working day anyway"},
		{"off not a list", "year: 2026\noff: 2026-01-01\n", "off: must be a list"},
		{"entry not a string", "year: 2026\noff: [[2026-01-01]]\n", "off[0]: must be a date"},
		{"not a mapping", "- 2026-01-01\n", "a year file is a mapping"},
		{"empty", "", "empty year file"},
		{"two documents", "year: 2026\n---\nyear: 2027\n", "one YAML document"},
		{"source not a string", "year: 2026\nsource: [a]\n", "source: must be a string"},
		{"yaml syntax", "year: 2026\noff: [2026-01-01\n", "yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ParseYear([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseYear accepted it: %+v", y)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseYearAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		off      int
	}{
		{"lists omitted", "year: 2027\n", 0},
		{"lists empty", "year: 2027\noff:\nwork: []\n", 0},
		{"quoted dates and spaced range", "year: 2027\noff: [\"2027-01-01\", '2027-02-05 .. 2027-02-07']\n", 4},
		{"one-day range", "year: 2027\noff: [2027-05-03..2027-05-03]\n", 1},
		{"source", "year: 2027\nsource: 国务院办公厅关于2027年部分节假日安排的通知\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ParseYear([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(y.Off) != tt.off {
				t.Errorf("%d days off, want %d", len(y.Off), tt.off)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	y := &YearFile{
		Year:   2026,
		Source: "国办: \"2026\" notice\nsecond line # not a comment",
		Off: []Date{NewDate(2026, 10, 1), NewDate(2026, 1, 1), NewDate(2026, 1, 2), NewDate(2026, 1, 3),
			NewDate(2026, 5, 1)},
		Work: []Date{NewDate(2026, 1, 4)},
	}
	out := y.Marshal()
	for _, want := range []string{"year: 2026\n", "  - 2026-01-01..2026-01-03\n  - 2026-05-01\n  - 2026-10-01\n", "work:\n  - 2026-01-04\n"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("Marshal output lacks %q:\n%s", want, out)
		}
	}
	back, err := ParseYear(out)
	if err != nil {
		t.Fatalf("ParseYear(Marshal()) = %v\n%s", err, out)
	}
	want := y.clone()
	if back.Year != want.Year || back.Source != want.Source || !slices.Equal(back.Off, want.Off) || !slices.Equal(back.Work, want.Work) {
		t.Errorf("round trip = %+v, want %+v", back, want)
	}
	if got := string((&YearFile{Year: 2027}).Marshal()); got != "year: 2027\noff: []\nwork: []\n" {
		t.Errorf("empty year = %q", got)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	years := []*YearFile{Builtin().mustYear(2025), Builtin().mustYear(2026)}
	for i := range 200 {
		years = append(years, randomYear(rng, 1900+i*2))
	}
	for _, y := range years {
		back, err := ParseYear(y.Marshal())
		if err != nil {
			t.Fatalf("%d: %v\n%s", y.Year, err, y.Marshal())
		}
		y = y.clone()
		if back.Year != y.Year || !slices.Equal(back.Off, y.Off) || !slices.Equal(back.Work, y.Work) {
			t.Fatalf("%d: round trip differs\n%s", y.Year, y.Marshal())
		}
	}
}

func FuzzParseYear(f *testing.F) {
	for _, name := range []string{"years/CN-2025.yaml", "years/CN-2026.yaml"} {
		data, err := yearFS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("year: 2026\noff: [2026-02-23..2026-02-15]\n"))
	f.Add([]byte("year: 2026\nsource: &a x\noff: *a\n"))
	f.Add([]byte("year: 2026\nwork: [2026-02-14, 2026-02-14]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := ParseYear(data)
		if err != nil {
			return
		}
		// Whatever parses must load, and survive a round trip unchanged.
		if _, err := New(y); err != nil {
			t.Fatalf("ParseYear accepted what New rejects: %v", err)
		}
		back, err := ParseYear(y.Marshal())
		if err != nil {
			t.Fatalf("ParseYear(Marshal()) = %v\n%s", err, y.Marshal())
		}
		if back.Year != y.Year || back.Source != y.Source || !slices.Equal(back.Off, y.Off) || !slices.Equal(back.Work, y.Work) {
			t.Fatalf("round trip differs:\n%s", y.Marshal())
		}
	})
}
