package rdb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DueTimer is a threshold handed to the applier.
type DueTimer struct {
	CaseID string
	Due    time.Time // business time it was scheduled for
}

// HandOverDue moves up to perPartition due thresholds (business time <= businessNow) of
// every partition into the dirty set, in one pipelined round trip (one atomic script per
// partition). From there the applier's leased claims take over (due.lua explains why this
// is crash-safe). It returns the cases handed over.
func (s *Store) HandOverDue(ctx context.Context, businessNow, realNow time.Time, perPartition int) ([]DueTimer, error) {
	// Count first and run the script only where something is due (see ClaimDirty).
	pipe := s.c.Pipeline()
	counts := make([]*redis.IntCmd, Partitions)
	now := strconv.FormatInt(businessNow.UnixMilli(), 10)
	for p := range Partitions {
		counts[p] = pipe.ZCount(ctx, s.k.timers(p), "-inf", now)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("rdb: hand over due timers: %w", err)
	}
	var calls []call
	for p := range Partitions {
		if counts[p].Val() > 0 {
			calls = append(calls, call{keys: []string{s.k.timers(p), s.k.dirty(p)},
				args: []any{businessNow.UnixMilli(), realNow.UnixMilli(), perPartition, s.k.tag(p) + "case:"}})
		}
	}
	if len(calls) == 0 {
		return nil, nil
	}
	cmds, err := s.runScript(ctx, dueScript, calls)
	if err != nil {
		return nil, fmt.Errorf("rdb: hand over due timers: %w", err)
	}
	var out []DueTimer
	for _, c := range cmds {
		flat, err := c.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("rdb: hand over due timers: %w", err)
		}
		for i := 0; i+1 < len(flat); i += 2 {
			ms, _ := strconv.ParseFloat(flat[i+1], 64)
			out = append(out, DueTimer{CaseID: flat[i], Due: time.UnixMilli(int64(ms))})
		}
	}
	return out, nil
}

// EarliestTimer returns the earliest scheduled threshold over all partitions (business
// time); ok is false when none is scheduled. One pipelined round trip.
func (s *Store) EarliestTimer(ctx context.Context) (at time.Time, ok bool, err error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.ZSliceCmd, Partitions)
	for p := range Partitions {
		cmds[p] = pipe.ZRangeWithScores(ctx, s.k.timers(p), 0, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return time.Time{}, false, fmt.Errorf("rdb: earliest timer: %w", err)
	}
	var min int64
	for _, c := range cmds {
		for _, z := range c.Val() {
			if ms := int64(z.Score); !ok || ms < min {
				min, ok = ms, true
			}
		}
	}
	if !ok {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(min), true, nil
}

// timersPending queues a count of the scheduled thresholds on pipe; the returned function
// sums it after Exec.
func (s *Store) timersPending(ctx context.Context, pipe redis.Pipeliner) func() int64 {
	cmds := make([]*redis.IntCmd, Partitions)
	for p := range Partitions {
		cmds[p] = pipe.ZCard(ctx, s.k.timers(p))
	}
	return func() int64 {
		var n int64
		for _, c := range cmds {
			n += c.Val()
		}
		return n
	}
}

// Gauges is the shared state behind the metrics' shared gauges (see ReadGauges).
type Gauges struct {
	OpenCases     map[string]int64 // the OpenCases table
	OpenAlerts    map[string]int64 // the OpenAlerts table (case alerts)
	SystemAlerts  []AlertDoc       // every system alert, any state
	TimersPending int64
}

// ReadGauges reads, in one pipelined round trip, what the shared gauges of /metrics show.
func (s *Store) ReadGauges(ctx context.Context) (Gauges, error) {
	pipe := s.c.Pipeline()
	cases := pipe.HGetAll(ctx, s.k.openCases())
	al := pipe.HGetAll(ctx, s.k.openAlerts())
	sys := pipe.HGetAll(ctx, s.k.sysAlerts())
	timers := s.timersPending(ctx, pipe)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return Gauges{}, fmt.Errorf("rdb: read gauges: %w", err)
	}
	g := Gauges{OpenCases: parseCounts(cases.Val()), OpenAlerts: parseCounts(al.Val()), TimersPending: timers()}
	for k, v := range sys.Val() {
		g.SystemAlerts = append(g.SystemAlerts, AlertDoc{ID: k, Doc: []byte(v)})
	}
	return g, nil
}

// ScheduleTimers writes thresholds directly (case id → business time), as a commit would.
// For load tools and benchmarks that need a timers set of production size without folding a
// million cases first; the service itself schedules only through commits.
func (s *Store) ScheduleTimers(ctx context.Context, at map[string]time.Time) error {
	pipe := s.c.Pipeline()
	for id, t := range at {
		pipe.ZAdd(ctx, s.k.timers(Partition(id)), redis.Z{Score: float64(t.UnixMilli()), Member: id})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("rdb: schedule timers: %w", err)
	}
	return nil
}

// NextTimer returns the case's scheduled next threshold (business time), if any.
func (s *Store) NextTimer(ctx context.Context, caseID string) (time.Time, bool, error) {
	v, err := s.c.ZScore(ctx, s.k.timers(Partition(caseID)), caseID).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("rdb: read timer of %s: %w", caseID, err)
	}
	return time.UnixMilli(int64(v)), true, nil
}
