package rdb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor"
)

// IngestStatus is the outcome of storing one event.
type IngestStatus int

// Outcomes of Ingest.
const (
	Stored          IngestStatus = iota // new: stored and its case marked for applying
	Duplicate                           // its event_id was already stored for the case
	WrongDepartment                     // the case belongs to another department
)

// IngestResult is what happened to one event; Owner names the case's department when the
// event reported for another.
type IngestResult struct {
	Status IngestStatus
	Owner  string
}

// Ingest stores validated events durably, each with its dedupe record in the same atomic
// step, and marks their cases for applying. It returns only once Redis has answered for every
// event, so a caller that answers 202 afterwards has kept invariant 1. Events of one case are
// stored in the order given. realNow is the real (plumbing) time: it decides when the case
// becomes claimable, not anything about deadlines. ev.ReceivedAt must already be set.
func (s *Store) Ingest(ctx context.Context, evs []monitor.Event, realNow time.Time) ([]IngestResult, error) {
	// One script call per case: its events of this batch, in the order given.
	byCase := make(map[string]int)
	var calls []call
	var slots [][]int // for each call, the indexes of its events in evs
	for i := range evs {
		e := &evs[i]
		doc, err := codec.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("rdb: encode event %s: %w", e.EventID, err)
		}
		k, ok := byCase[e.CaseID]
		if !ok {
			k = len(calls)
			byCase[e.CaseID] = k
			calls = append(calls, call{
				keys: []string{s.k.events(e.CaseID), s.k.caseKey(e.CaseID), s.k.dirty(Partition(e.CaseID))},
				args: []any{e.CaseID, realNow.UnixMilli()},
			})
			slots = append(slots, nil)
		}
		calls[k].args = append(calls[k].args, e.EventID, doc, e.Department)
		slots[k] = append(slots[k], i)
	}
	cmds, err := s.runScript(ctx, ingestScript, calls)
	if err != nil {
		return nil, fmt.Errorf("rdb: ingest: %w", err)
	}
	out := make([]IngestResult, len(evs))
	for k, c := range cmds {
		vs, err := c.StringSlice()
		if err != nil || len(vs) != len(slots[k]) {
			return nil, fmt.Errorf("rdb: ingest: unexpected reply %v (%v)", c.Val(), err)
		}
		for j, v := range vs {
			i := slots[k][j]
			switch {
			case v == "accepted":
				out[i] = IngestResult{Status: Stored}
			case v == "duplicate":
				out[i] = IngestResult{Status: Duplicate}
			case strings.HasPrefix(v, "department:"):
				out[i] = IngestResult{Status: WrongDepartment, Owner: strings.TrimPrefix(v, "department:")}
			default:
				return nil, fmt.Errorf("rdb: ingest: unexpected reply %q", v)
			}
		}
	}
	return out, nil
}

// Events returns the stored events of a case, sorted by at, seq, event_id, and the case's
// event version at the moment they were read.
func (s *Store) Events(ctx context.Context, caseID string) ([]monitor.Event, error) {
	m, err := s.c.HGetAll(ctx, s.k.events(caseID)).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read events of %s: %w", caseID, err)
	}
	return decodeEvents(caseID, m)
}

func decodeEvents(caseID string, m map[string]string) ([]monitor.Event, error) {
	evs := make([]monitor.Event, 0, len(m))
	for id, doc := range m {
		var e monitor.Event
		if err := codec.Unmarshal([]byte(doc), &e); err != nil {
			return nil, fmt.Errorf("rdb: decode event %s of %s: %w", id, caseID, err)
		}
		evs = append(evs, e)
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Before(&evs[j]) })
	return evs, nil
}

// EventsOf reads the events of several cases in one pipelined round trip, in the order
// given.
func (s *Store) EventsOf(ctx context.Context, ids []string) ([][]monitor.Event, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.k.events(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read events: %w", err)
	}
	out := make([][]monitor.Event, len(ids))
	for i, id := range ids {
		evs, err := decodeEvents(id, cmds[i].Val())
		if err != nil {
			return nil, err
		}
		out[i] = evs
	}
	return out, nil
}
