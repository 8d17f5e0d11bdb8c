package ranking

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseMonth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Month
	}{
		{"2026-03", Month{2026, time.March}},
		{"2026-12", Month{2026, time.December}},
		{"0001-01", Month{1, time.January}},
		{"9999-12", Month{9999, time.December}},
	} {
		got, err := ParseMonth(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMonth(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseMonth(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestParseMonthRejects(t *testing.T) {
	for _, in := range []string{
		"", "2026-3", "2026-00", "2026-13", "0000-05", " 2026-03", "2026-03 ", "2026-03-01",
		"2026/03", "202603", "26-03", "２０２６-03", "2026-0a", "-2026-03", "2026-+3",
	} {
		_, err := ParseMonth(in)
		if err == nil {
			t.Errorf("ParseMonth(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseMonth(%q): error %q does not name the value", in, err)
		}
	}
}

func TestMonthText(t *testing.T) {
	var v struct{ M Month }
	if err := json.Unmarshal([]byte(`{"M":"2026-03"}`), &v); err != nil || v.M != (Month{2026, time.March}) {
		t.Fatalf("unmarshal: %v, %v", v.M, err)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"M":"2026-03"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"M":"2026-13"}`), &v); err == nil {
		t.Error("unmarshal accepted 2026-13")
	}
	if _, err := json.Marshal(Month{2026, 13}); err == nil {
		t.Error("marshal accepted month 13")
	}
	if _, err := json.Marshal(Month{}); err == nil {
		t.Error("marshal accepted the zero month")
	}
}

func TestMonthBounds(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		m          Month
		start, end string
		last       int
		title      string
	}{
		{Month{2026, time.March}, "2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00", 31, "2026年3月"},
		{Month{2026, time.December}, "2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00", 31, "2026年12月"},
		{Month{2028, time.February}, "2028-02-01T00:00:00+08:00", "2028-03-01T00:00:00+08:00", 29, "2028年2月"},
		{Month{2026, time.February}, "2026-02-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00", 28, "2026年2月"},
	} {
		if got := tc.m.Start(cst).Format(time.RFC3339); got != tc.start {
			t.Errorf("%v.Start = %s, want %s", tc.m, got, tc.start)
		}
		if got := tc.m.End(cst).Format(time.RFC3339); got != tc.end {
			t.Errorf("%v.End = %s, want %s", tc.m, got, tc.end)
		}
		if got := tc.m.lastDay(); got != tc.last {
			t.Errorf("%v.lastDay = %d, want %d", tc.m, got, tc.last)
		}
		if got := tc.m.title(); got != tc.title {
			t.Errorf("%v.title = %q, want %q", tc.m, got, tc.title)
		}
	}
}
