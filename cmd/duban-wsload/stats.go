package main

import (
	"fmt"
	"slices"
	"time"
)

// summary is the distribution of a set of delays. min, the first client's delay, is the
// trigger's path to the hub; max−min is the fan-out to every client.
type summary struct {
	n                  int
	min, p50, p99, max time.Duration
}

// summarize sorts ds in place and reads its percentiles (nearest rank).
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	slices.Sort(ds)
	rank := func(p int) time.Duration {
		i := (len(ds)*p + 99) / 100 // ceil(n·p/100), 1-based
		return ds[max(i, 1)-1]
	}
	return summary{n: len(ds), min: ds[0], p50: rank(50), p99: rank(99), max: ds[len(ds)-1]}
}

func (s summary) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s min=%s", s.n, ms(s.p50), ms(s.p99), ms(s.max), ms(s.min))
}
