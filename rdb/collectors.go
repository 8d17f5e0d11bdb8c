package rdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Exchange-database sources (collectors/sqlpoll) keep their progress here, in the global
// slot beside their leases: the cursor, and the figures their lease holder last wrote, so
// that every replica exports the same metrics.

var collectorSaveScript = script("collectorsave")

// collector: HASH of one exchange-database source: cursor (the last cursor value stored),
// up (1/0), status, end_ms (real ms when it was last read to its end), behind (1 while rows
// are left), seen_ms (real ms of the holder's last word), rows:<outcome> (counters). Kept
// for the life of the deployment.
func (k keys) collector(source string) string { return k.global() + "collector:" + source }

// CollectorLease names the lease of an exchange-database source's poller.
func CollectorLease(source string) string { return "sql:" + source }

// CollectorState is what the lease holder of a source last wrote.
type CollectorState struct {
	Cursor string
	// Up: the database answered the last poll.
	Up bool
	// Status is "ok", "unreachable: …" or "mapping: …".
	Status string
	// EndAt is the real time the source was last read to its end; Behind is true while a
	// poll left rows unread.
	EndAt  time.Time
	Behind bool
	// SeenAt is the real time of the holder's last word: a state not renewed for long is
	// one nobody polls.
	SeenAt time.Time
	// Rows counts rows by outcome (accepted, duplicate, rejected).
	Rows map[string]int64
}

// CollectorCursor reads a source's stored cursor; ok is false before its first batch.
func (s *Store) CollectorCursor(ctx context.Context, source string) (cursor string, ok bool, err error) {
	cursor, _, ok, err = s.CollectorPosition(ctx, source)
	return cursor, ok, err
}

// CollectorPosition reads a source's stored cursor and its floor: the cursor it started
// at with `start: now`, behind which nothing is read ("" when it started at the beginning);
// ok is false before its first batch.
func (s *Store) CollectorPosition(ctx context.Context, source string) (cursor, floor string, ok bool, err error) {
	v, err := s.c.HMGet(ctx, s.k.collector(source), "cursor", "floor").Result()
	if err != nil {
		return "", "", false, fmt.Errorf("rdb: read cursor of %s: %w", source, err)
	}
	cursor, ok = v[0].(string)
	floor, _ = v[1].(string)
	return cursor, floor, ok, nil
}

// SaveCollectorProgress stores a source's cursor (unless ""), its floor (unless "", and
// only the first time) and adds to its row counters, atomically and only while owner holds
// the source's lease. It reports whether it wrote.
func (s *Store) SaveCollectorProgress(ctx context.Context, source, owner, cursor, floor string, rows map[string]int64) (bool, error) {
	args := []any{owner, cursor, floor}
	for o, n := range rows {
		if n != 0 {
			args = append(args, o, n)
		}
	}
	c, err := s.runOne(ctx, collectorSaveScript,
		[]string{s.k.lease(CollectorLease(source)), s.k.collector(source)}, args...)
	if err != nil {
		return false, fmt.Errorf("rdb: save progress of %s: %w", source, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// SetCollectorState records a source's health as its lease holder sees it.
func (s *Store) SetCollectorState(ctx context.Context, source string, st CollectorState) error {
	up, behind := "0", "0"
	if st.Up {
		up = "1"
	}
	if st.Behind {
		behind = "1"
	}
	vals := []any{"up", up, "status", st.Status, "behind", behind, "seen_ms", st.SeenAt.UnixMilli()}
	if !st.EndAt.IsZero() {
		vals = append(vals, "end_ms", st.EndAt.UnixMilli())
	}
	if err := s.c.HSet(ctx, s.k.collector(source), vals...).Err(); err != nil {
		return fmt.Errorf("rdb: record state of %s: %w", source, err)
	}
	return nil
}

// CollectorStates reads the states of the named sources, in order; a source never
// polled has a zero state.
func (s *Store) CollectorStates(ctx context.Context, sources []string) ([]CollectorState, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(sources))
	for i, src := range sources {
		cmds[i] = pipe.HGetAll(ctx, s.k.collector(src))
	}
	if len(sources) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("rdb: read collector states: %w", err)
		}
	}
	out := make([]CollectorState, len(sources))
	for i, c := range cmds {
		m := c.Val()
		st := CollectorState{Cursor: m["cursor"], Up: m["up"] == "1", Status: m["status"],
			Behind: m["behind"] == "1", Rows: map[string]int64{}}
		if ms, err := strconv.ParseInt(m["end_ms"], 10, 64); err == nil {
			st.EndAt = time.UnixMilli(ms)
		}
		if ms, err := strconv.ParseInt(m["seen_ms"], 10, 64); err == nil {
			st.SeenAt = time.UnixMilli(ms)
		}
		for k, v := range m {
			if o, ok := strings.CutPrefix(k, "rows:"); ok {
				st.Rows[o], _ = strconv.ParseInt(v, 10, 64)
			}
		}
		out[i] = st
	}
	return out, nil
}

// PutRowDeadLetter parks a row of an exchange database that could not become a valid event
// (d.Source and d.Cursor say which), under d.CaseID, the letter's id. It writes nothing
// when a letter of that id is already parked (the row was read again), and reports whether
// it wrote.
func (s *Store) PutRowDeadLetter(ctx context.Context, d DeadLetter) (bool, error) {
	doc, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("rdb: encode dead letter: %w", err)
	}
	ok, err := s.c.HSetNX(ctx, s.k.dead(Partition(d.CaseID)), d.CaseID, doc).Result()
	if err != nil {
		return false, fmt.Errorf("rdb: dead letter %s: %w", d.CaseID, err)
	}
	return ok, nil
}
