package rdb

import (
	"context"
	"fmt"
	"sort"
)

// lister is one listing over the partitions' lex indexes (ListCases, ListAlerts): which
// index, how to read and filter the records of candidate ids, and how to name a failure.
type lister[T any] struct {
	what  string // "cases", "alerts"
	limit int
	after string
	index func(p int) string
	// extra, when set, gives more candidate ids after a cursor that live outside the
	// indexes (the system alerts).
	extra func(after string) []string
	load  func(ctx context.Context, ids []string) ([]T, error)
	id    func(T) string
	// keep reports whether a loaded record belongs on the page (it exists and matches).
	keep func(T) bool
}

// listPage is the one paging loop of the listings: each round takes the next limit+1 ids
// overall (each partition's next limit+1, merged), loads them and keeps the matches, until
// the page is full — then a further match proves a successor and the page's last id is the
// next cursor — or the indexes end (next ""). After maxScanRounds rounds of few matches it
// returns what it has with the last id it looked at, so one request's work stays bounded.
func listPage[T any](ctx context.Context, s *Store, l lister[T]) ([]T, string, error) {
	var out []T
	after := l.after
	for round := 0; round < maxScanRounds; round++ {
		want := int64(l.limit + 1)
		cand, more, err := s.nextIDs(ctx, l.index, after, want)
		if err != nil {
			return nil, "", fmt.Errorf("rdb: list %s: %w", l.what, err)
		}
		if l.extra != nil {
			cand = append(cand, l.extra(after)...)
		}
		sort.Strings(cand)
		if len(cand) > int(want) {
			cand = cand[:want]
			more = true
		}
		if len(cand) == 0 {
			return out, "", nil
		}
		recs, err := l.load(ctx, cand)
		if err != nil {
			return nil, "", err
		}
		for _, r := range recs {
			after = l.id(r)
			if !l.keep(r) {
				continue
			}
			if len(out) == l.limit {
				return out, l.id(out[len(out)-1]), nil
			}
			out = append(out, r)
		}
		if !more {
			return out, "", nil
		}
	}
	return out, after, nil
}
