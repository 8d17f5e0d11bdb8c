// Package wsload opens many WebSocket clients to duban's live feed and measures how long
// an alert takes to reach each: the pieces of cmd/duban-wsload and of `duban bench`.
package wsload

import (
	"fmt"
	"slices"
	"time"
)

// Summary is the distribution of a set of delays. Min, the first client's delay, is the
// trigger's path to the hub; Max−Min is the fan-out to every client.
type Summary struct {
	N                  int
	Min, P50, P99, Max time.Duration
}

// Summarize sorts ds in place and reads its percentiles (nearest rank).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	slices.Sort(ds)
	rank := func(p int) time.Duration {
		i := (len(ds)*p + 99) / 100 // ceil(n·p/100), 1-based
		return ds[max(i, 1)-1]
	}
	return Summary{N: len(ds), Min: ds[0], P50: rank(50), P99: rank(99), Max: ds[len(ds)-1]}
}

func (s Summary) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s min=%s", s.N, ms(s.P50), ms(s.P99), ms(s.Max), ms(s.Min))
}
