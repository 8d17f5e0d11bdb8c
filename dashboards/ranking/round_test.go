package ranking

import (
	"math"
	"testing"
)

// f returns x at run time: Go computes constant expressions exactly, without the float64
// rounding that the figures are computed with.
func f(x float64) float64 { return x }

func TestRound(t *testing.T) {
	for _, tc := range []struct {
		name   string
		x      float64
		places int
		want   float64
	}{
		{"a decimal half held just above", 0.8335, 3, 0.834},
		{"1667/2000 is 0.8335", 1667.0 / 2000, 3, 0.834},
		{"a decimal half held just below", 1001.0 / 2000, 3, 0.501}, // 0.50049999999999994; naive: 0.5
		{"below the half", 0.8334999, 3, 0.833},
		{"10/12", 10.0 / 12, 3, 0.833},
		{"2/3", 2.0 / 3, 3, 0.667},
		{"exact", 0.25, 3, 0.25},
		{"per 100, a half held below", 23.0 * 100 / 2000, 1, 1.2}, // 1.1499999999999999; naive: 1.1
		{"per 100, 1/16", 100.0 / 16, 1, 6.3},                     // 6.25 exactly: half up, not to even
		{"per 100, 1/12", 100.0 / 12, 1, 8.3},
		{"per 100, 2/12", 200.0 / 12, 1, 16.7},
		{"score, noise above", 40 * f(0.8335), 1, 33.3}, // 33.340000000000004
		{"score, noise below the half", 69.99999999999999, 1, 70},
		{"score 56.9666…", 56.96666666666667, 1, 57},
		{"score .x5 exactly", 70.25, 1, 70.3},
		{"score 78.125", 78.125, 1, 78.1},
		{"zero", 0, 3, 0},
		{"tiny", 1e-12, 3, 0},
		{"negative half", -0.0625, 3, -0.063},
		{"large", 5000, 1, 5000},
		{"beyond the noise scale", 2.5e9, 1, 2.5e9},
	} {
		got := round(tc.x, tc.places)
		if got != tc.want || math.Signbit(got) != math.Signbit(tc.want) {
			t.Errorf("%s: round(%v, %d) = %v, want %v", tc.name, tc.x, tc.places, got, tc.want)
		}
	}
}

func TestRoundNeverNegativeZero(t *testing.T) {
	if got := round(-0.00001, 3); math.Signbit(got) {
		t.Errorf("round(-0.00001, 3) = %v, want +0", got)
	}
}

func TestKeyAbsorbsNoise(t *testing.T) {
	// 20·(1 − 0.8) is 3.999999999999999 in float64, and 0.1 + 0.2 is 0.30000000000000004.
	for _, c := range [][2]float64{{20 * (1 - f(0.8)), 4}, {f(0.1) + f(0.2), 0.3}} {
		if c[0] == c[1] {
			t.Fatalf("the example lost its noise: %v", c[0])
		}
		if key(c[0]) != key(c[1]) {
			t.Errorf("key(%v) = %d, key(%v) = %d", c[0], key(c[0]), c[1], key(c[1]))
		}
	}
	if key(70.000000002) == key(70) {
		t.Error("key merges scores 2·10⁻⁹ apart")
	}
}

func nan() float64 { return math.NaN() }
