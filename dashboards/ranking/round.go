package ranking

import "math"

// noise is the scale below which two figures are taken to differ only by floating-point
// rounding: 10⁻⁹. 10/12·40 computes as 33.333333333333336 and 40·0.8335 as
// 33.340000000000004; a ranking means nothing at a billionth of a point.
const noise = 1e9

// round rounds x to places decimals, half away from zero (四舍五入), as the published figures
// are rounded. It first removes floating-point noise by taking x to 9 decimals, so that a
// value meant as a decimal half — 0.5005 held as 0.50049999999999994, or 1.15 as
// 1.1499999999999999 — rounds up as a person rounding the decimal would, where
// math.Round(x*1000)/1000 gives 0.5 and 1.1. places is 0 to 9.
func round(x float64, places int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1e9 {
		p := math.Pow10(places)
		return math.Round(x*p) / p
	}
	neg := x < 0
	n := int64(math.Round(math.Abs(x) * noise)) // x in units of 10⁻⁹
	unit := int64(math.Pow10(9 - places))
	q, r := n/unit, n%unit
	if 2*r >= unit {
		q++
	}
	if q == 0 {
		return 0 // never −0
	}
	// An exact integer over an exact power of ten: the division gives the double nearest
	// the decimal, the same as strconv.ParseFloat of it.
	v := float64(q) / math.Pow10(places)
	if neg {
		v = -v
	}
	return v
}

// key is x quantised to 10⁻⁹ for comparing full-precision scores: equal keys are equal
// scores. It is a total order, unlike a comparison with a tolerance.
func key(x float64) int64 { return int64(math.Round(x * noise)) }
