package rdb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/fold"
)

// ClaimDirty claims up to perPartition dirty cases in every partition, in one pipelined
// round trip, leasing each for lease (real time). A claimed case that is not committed or
// dead-lettered before its lease lapses is claimed again by whoever asks next — that is how
// the work of a replica that died between storing and applying is recovered. more reports
// whether some partition held more due cases than one claim takes (work is waiting for
// another claimer).
func (s *Store) ClaimDirty(ctx context.Context, realNow time.Time, lease time.Duration, perPartition int) (ids []string, more bool, err error) {
	// A cheap count first, so the claim script runs only where there is something to claim:
	// most rounds find most partitions empty, and a script call costs several times a count.
	pipe := s.c.Pipeline()
	counts := make([]*redis.IntCmd, Partitions)
	now := strconv.FormatInt(realNow.UnixMilli(), 10)
	for p := range Partitions {
		counts[p] = pipe.ZCount(ctx, s.k.dirty(p), "-inf", now)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("rdb: claim dirty: %w", err)
	}
	var calls []call
	for p := range Partitions {
		if counts[p].Val() > int64(perPartition) {
			more = true
		}
		if counts[p].Val() > 0 {
			calls = append(calls, call{keys: []string{s.k.dirty(p)},
				args: []any{realNow.UnixMilli(), lease.Milliseconds(), perPartition}})
		}
	}
	if len(calls) == 0 {
		return nil, false, nil
	}
	cmds, err := s.runScript(ctx, claimScript, calls)
	if err != nil {
		return nil, false, fmt.Errorf("rdb: claim dirty: %w", err)
	}
	for _, c := range cmds {
		flat, err := c.StringSlice()
		if err != nil {
			return nil, false, fmt.Errorf("rdb: claim dirty: %w", err)
		}
		for i := 0; i+1 < len(flat); i += 2 {
			ids = append(ids, flat[i])
		}
	}
	return ids, more, nil
}

// DirtyCount returns how many cases wait to be applied (tests and benchmarks wait on it).
func (s *Store) DirtyCount(ctx context.Context) (int64, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.IntCmd, Partitions)
	for p := range Partitions {
		cmds[p] = pipe.ZCard(ctx, s.k.dirty(p))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("rdb: count dirty: %w", err)
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// Snapshot is a case as read for applying: its events and the versions they were read at.
type Snapshot struct {
	CaseID     string
	Department string
	Events     []monitor.Event
	Ver        string // event version ("0" when the case has none)
	SV         string // state version, "" before the first commit
	State      []byte // the state JSON of the last commit, nil before the first
	Stage      string // index fields of the last commit
	Level      string
	Faults     []byte            // the fault units of the last commit (JSON), nil before
	Alerts     map[string][]byte // alert key → record JSON
}

// LoadCases reads cases for applying in one pipelined round trip. The case hash is read
// before the events in the same pipeline, so an event stored in between bumps `ver` past the
// one read and the commit is refused: a state never claims to reflect events it did not see.
func (s *Store) LoadCases(ctx context.Context, ids []string) ([]Snapshot, error) {
	pipe := s.c.Pipeline()
	heads := make([]*redis.SliceCmd, len(ids))
	evs := make([]*redis.MapStringStringCmd, len(ids))
	als := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		heads[i] = pipe.HMGet(ctx, s.k.caseKey(id), "dept", "ver", "sv", "state", "stage", "level", "faults")
		evs[i] = pipe.HGetAll(ctx, s.k.events(id))
		als[i] = pipe.HGetAll(ctx, s.k.alerts(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: load cases: %w", err)
	}
	out := make([]Snapshot, len(ids))
	for i, id := range ids {
		h := heads[i].Val()
		str := func(j int) string {
			if j < len(h) {
				if v, ok := h[j].(string); ok {
					return v
				}
			}
			return ""
		}
		events, err := decodeEvents(id, evs[i].Val())
		if err != nil {
			return nil, err
		}
		snap := Snapshot{CaseID: id, Department: str(0), Ver: str(1), SV: str(2),
			Stage: str(4), Level: str(5), Events: events}
		if snap.Ver == "" {
			snap.Ver = "0"
		}
		if st := str(3); st != "" {
			snap.State = []byte(st)
		}
		if f := str(6); f != "" {
			snap.Faults = []byte(f)
		}
		if m := als[i].Val(); len(m) > 0 {
			snap.Alerts = make(map[string][]byte, len(m))
			for k, v := range m {
				snap.Alerts[k] = []byte(v)
			}
		}
		out[i] = snap
	}
	return out, nil
}

// Commit is a computed state ready to be written for the snapshot it was computed from.
type Commit struct {
	Snap        *Snapshot
	State       []byte
	Stage       string
	Level       string
	NextTimer   time.Time         // business time of the next threshold; zero for none
	Transitions []fold.Transition // marshalled as one JSON array into the partition's outbox
	Faults      []byte            // the case's fault units (JSON), kept for the next diff
	Alerts      []AlertWrite
	// DueDay is the current stage's deadline day as yyyymmdd (0 for none), for due_today.
	DueDay int
	// Received are the receipt times of the events this commit applies for the first time
	// (not stored; for the caller's receipt-to-applied metric).
	Received []time.Time
}

// AlertWrite is a changed alert record of the committed case.
type AlertWrite struct {
	Key, ID  string
	OldState string // "" for a new record
	NewState string
	Doc      []byte
}

// CommitCases writes computed states in one pipelined round trip. ok[i] is false when the
// case changed since its snapshot (a new event, or another applier committed first): the
// caller reloads and recomputes it. A committed case leaves the dirty set and the dead
// letters, and its transitions are in its partition's outbox — all in one atomic step.
func (s *Store) CommitCases(ctx context.Context, cs []Commit) (ok []bool, err error) {
	calls := make([]call, len(cs))
	for i := range cs {
		c := &cs[i]
		id := c.Snap.CaseID
		p := Partition(id)
		next := ""
		if !c.NextTimer.IsZero() {
			next = strconv.FormatInt(c.NextTimer.UnixMilli(), 10)
		}
		faults := c.Faults
		if faults == nil {
			faults = []byte("{}")
		}
		due := ""
		if c.DueDay > 0 {
			due = strconv.Itoa(c.DueDay)
		}
		args := make([]any, 0, 15+5*len(c.Alerts))
		args = append(args, id, c.Snap.Ver, c.Snap.SV, c.State, c.Stage, c.Level, c.Snap.Stage, c.Snap.Level,
			next, s.outboxMax, faults, due)
		if len(c.Transitions) == 0 {
			args = append(args, 0)
		} else {
			// One outbox entry per commit: the JSON array of its transitions.
			b, err := codec.Marshal(c.Transitions)
			if err != nil {
				return nil, fmt.Errorf("rdb: encode transitions of %s: %w", id, err)
			}
			args = append(args, 1, b)
		}
		args = append(args, len(c.Alerts))
		for _, a := range c.Alerts {
			args = append(args, a.Key, a.ID, a.OldState, a.NewState, a.Doc)
		}
		dept := c.Snap.Department
		calls[i] = call{keys: []string{
			s.k.caseKey(id), s.k.dirty(p), s.k.timers(p), s.k.outbox(p),
			s.k.idxAll(p), s.k.idxDept(p, dept), s.k.dead(p),
			s.k.idxStage(p, c.Snap.Stage), s.k.idxStage(p, c.Stage),
			s.k.idxLevel(p, c.Snap.Level), s.k.idxLevel(p, c.Level),
			s.k.alerts(id), s.k.alertIdxAll(p), s.k.alertIdxDept(p, dept),
			s.k.alertIdxState(p, "firing"), s.k.alertIdxState(p, "acknowledged"),
			s.k.alertIdxState(p, "resolved"), s.k.alertIdxState(p, "exempted"),
			s.k.idxDue(p, dept),
		}, args: args}
	}
	cmds, err := s.runScript(ctx, commitScript, calls)
	if err != nil {
		return nil, fmt.Errorf("rdb: commit: %w", err)
	}
	ok = make([]bool, len(cs))
	for i, c := range cmds {
		n, _ := c.Int()
		ok[i] = n == 1
	}
	return ok, nil
}

// MarkDirty makes cases claimable again now (dead-letter replay, calendar reload). It
// also bumps each case's change version, so an apply already under way with the old inputs
// cannot commit and drop the mark: it conflicts and recomputes. A case already dirty keeps
// its earlier score.
func (s *Store) MarkDirty(ctx context.Context, realNow time.Time, ids ...string) error {
	pipe := s.c.Pipeline()
	for _, id := range ids {
		pipe.HIncrBy(ctx, s.k.caseKey(id), "ver", 1)
		pipe.ZAddNX(ctx, s.k.dirty(Partition(id)), redis.Z{Score: float64(realNow.UnixMilli()), Member: id})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("rdb: mark dirty: %w", err)
	}
	return nil
}
