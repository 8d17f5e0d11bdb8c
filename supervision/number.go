package supervision

import (
	"fmt"
	"strconv"
)

// MaxSeq is the largest sequence number of a year: the id has six digits, and a fixed
// width keeps ids in the order they were given when compared as strings.
const MaxSeq = 999999

// Number is an order's number: the year it was opened (in the configured zone) and its
// sequence within that year, from 1. Sequences are given by the store, strictly increasing
// within a year and never reused.
type Number struct {
	Year int
	Seq  int
}

// Valid reports whether n can be written as an id: a four-digit year and a sequence 1..MaxSeq.
func (n Number) Valid() bool {
	return n.Year >= 1000 && n.Year <= 9999 && n.Seq >= 1 && n.Seq <= MaxSeq
}

// ID is the order's id, "DB-2026-000001".
func (n Number) ID() string { return fmt.Sprintf("DB-%04d-%06d", n.Year, n.Seq) }

// Chinese is the order's number as printed on the notice, "督〔2026〕000001号" (the brackets
// are U+3014 and U+3015, as in official document numbers).
func (n Number) Chinese() string { return fmt.Sprintf("督\u3014%04d\u3015%06d号", n.Year, n.Seq) }

func (n Number) String() string { return n.ID() }

// ParseID reads an order id, "DB-2026-000001", strictly: anything else is an error naming the
// value (the API answers 404 for an id that cannot exist).
func ParseID(s string) (Number, error) {
	bad := fmt.Errorf("supervision: %q is not an order id like DB-2026-000001", s)
	if len(s) != 14 || s[:3] != "DB-" || s[7] != '-' {
		return Number{}, bad
	}
	y, ok1 := digits(s[3:7])
	q, ok2 := digits(s[8:])
	n := Number{Year: y, Seq: q}
	if !ok1 || !ok2 || !n.Valid() {
		return Number{}, bad
	}
	return n, nil
}

func digits(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
