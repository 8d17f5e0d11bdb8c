package monitor

import (
	"errors"
	"math"
	"strconv"
)

// Errors of ParseAmountFen, worded to follow a field name ("amount_yuan: must not be
// negative").
var (
	ErrAmountSyntax   = errors.New(`must be a decimal string of yuan with at most 2 decimals, such as "120" or "120.50"`)
	ErrAmountNegative = errors.New("must not be negative")
	ErrAmountRange    = errors.New("is too large")
)

// ParseAmountFen converts a decimal amount of yuan ("120", "120.5", "120.00") to fen (1/100
// yuan) with exact integer arithmetic. The accepted form is ASCII digits, optionally followed
// by a point and one or two digits: no sign, exponent, spaces, digit separators or a bare
// point (".5", "5."). Leading zeros are allowed. A leading '-' on an otherwise valid amount
// gives ErrAmountNegative; an amount beyond math.MaxInt64 fen ErrAmountRange; anything else
// malformed ErrAmountSyntax.
func ParseAmountFen(s string) (int64, error) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			if frac == "" || len(frac) > 2 {
				return 0, ErrAmountSyntax
			}
			break
		}
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return 0, ErrAmountSyntax
	}
	if neg {
		return 0, ErrAmountNegative
	}
	var yuan int64
	for i := 0; i < len(intPart); i++ {
		d := int64(intPart[i] - '0')
		if yuan > (math.MaxInt64-d)/10 {
			return 0, ErrAmountRange
		}
		yuan = yuan*10 + d
	}
	var fen int64
	switch len(frac) {
	case 1:
		fen = int64(frac[0]-'0') * 10
	case 2:
		fen = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if yuan > (math.MaxInt64-fen)/100 {
		return 0, ErrAmountRange
	}
	return yuan*100 + fen, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatFen writes an amount of fen as yuan with exactly two decimals ("120.50"), the form
// ParseAmountFen reads back. Negative amounts get a leading '-'.
func FormatFen(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	b := strconv.AppendUint(nil, u/100, 10)
	b = append(b, '.', byte('0'+u%100/10), byte('0'+u%10))
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// FeeMax returns the most the matter may charge, in fen, and whether fees of the matter are
// monitored at all (fee_max_yuan present in the catalogue). A monitored cap of 0 means the
// matter is free of charge: any fee is a fee_violation.
func (m *Matter) FeeMax() (fen int64, monitored bool) {
	if m.FeeMaxFen == nil {
		return 0, false
	}
	return *m.FeeMaxFen, true
}
