package monitor

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

func TestParseAmountFen(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"120", 12000, nil},
		{"120.5", 12050, nil},
		{"120.00", 12000, nil},
		{"0.01", 1, nil},
		{"007.10", 710, nil},
		{"92233720368547758.07", math.MaxInt64, nil},
		{"92233720368547758.08", 0, ErrAmountRange},
		{"92233720368547759", 0, ErrAmountRange},
		{"99999999999999999999999999", 0, ErrAmountRange},
		{"-1", 0, ErrAmountNegative},
		{"-0.50", 0, ErrAmountNegative},
		{"-99999999999999999999999999", 0, ErrAmountNegative},
		{"", 0, ErrAmountSyntax},
		{"-", 0, ErrAmountSyntax},
		{"--1", 0, ErrAmountSyntax},
		{"+1", 0, ErrAmountSyntax},
		{"1.234", 0, ErrAmountSyntax},
		{".5", 0, ErrAmountSyntax},
		{"5.", 0, ErrAmountSyntax},
		{"1..2", 0, ErrAmountSyntax},
		{"1.2.3", 0, ErrAmountSyntax},
		{"1e3", 0, ErrAmountSyntax},
		{"1,000", 0, ErrAmountSyntax},
		{"1_000", 0, ErrAmountSyntax},
		{" 1", 0, ErrAmountSyntax},
		{"1 ", 0, ErrAmountSyntax},
		{"0x10", 0, ErrAmountSyntax},
		{"１２", 0, ErrAmountSyntax},
		{"NaN", 0, ErrAmountSyntax},
		{"Inf", 0, ErrAmountSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmountFen(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("ParseAmountFen(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("ParseAmountFen(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatFen(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {12050, "120.50"}, {-12050, "-120.50"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatFen(tt.fen); got != tt.want {
			t.Errorf("FormatFen(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
}

func TestMatterFeeMax(t *testing.T) {
	zero, capFen := int64(0), int64(12050)
	tests := []struct {
		name      string
		fee       *int64
		fen       int64
		monitored bool
	}{
		{"not monitored", nil, 0, false},
		{"free of charge", &zero, 0, true},
		{"capped", &capFen, 12050, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Matter{FeeMaxFen: tt.fee}
			fen, ok := m.FeeMax()
			if fen != tt.fen || ok != tt.monitored {
				t.Errorf("FeeMax() = %d, %v; want %d, %v", fen, ok, tt.fen, tt.monitored)
			}
		})
	}
}

var amountForm = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParseAmountFen checks ParseAmountFen against arbitrary-precision arithmetic.
func FuzzParseAmountFen(f *testing.F) {
	for _, s := range []string{"0", "120.5", "120.00", "-1", "92233720368547758.07",
		"92233720368547758.08", "1.234", ".5", "", "00000000000000000000000001.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseAmountFen(s)
		if !amountForm.MatchString(s) {
			if !errors.Is(err, ErrAmountSyntax) {
				t.Fatalf("ParseAmountFen(%q) = %d, %v; want ErrAmountSyntax", s, fen, err)
			}
			return
		}
		if strings.HasPrefix(s, "-") {
			if !errors.Is(err, ErrAmountNegative) {
				t.Fatalf("ParseAmountFen(%q) = %d, %v; want ErrAmountNegative", s, fen, err)
			}
			return
		}
		// Exact value in fen: the digits without the point, scaled to two decimals.
		digits, frac, _ := strings.Cut(s, ".")
		digits += frac + strings.Repeat("0", 2-len(frac))
		want, _ := new(big.Int).SetString(digits, 10)
		if !want.IsInt64() {
			if !errors.Is(err, ErrAmountRange) {
				t.Fatalf("ParseAmountFen(%q) = %d, %v; want ErrAmountRange", s, fen, err)
			}
			return
		}
		if err != nil || fen != want.Int64() {
			t.Fatalf("ParseAmountFen(%q) = %d, %v; want %d", s, fen, err, want.Int64())
		}
		if back, err := ParseAmountFen(FormatFen(fen)); err != nil || back != fen {
			t.Fatalf("FormatFen(%d) = %q reads back as %d, %v", fen, FormatFen(fen), back, err)
		}
	})
}
