package rdb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RelayBatch collects the operations that one partition's outbox entries cause in the
// global slot; Relay applies them exactly once (relay.lua).
type RelayBatch struct {
	k    keys
	keys []string       // KEYS[4..] of the script
	idx  map[string]int // key → its index in KEYS (1-based, as Lua sees it)
	args []any
	n    int
}

// NewRelayBatch starts an empty batch.
func (s *Store) NewRelayBatch() *RelayBatch {
	return &RelayBatch{k: s.k, idx: make(map[string]int)}
}

// Len is the number of operations collected.
func (b *RelayBatch) Len() int { return b.n }

func (b *RelayBatch) key(k string) int {
	if i, ok := b.idx[k]; ok {
		return i
	}
	b.keys = append(b.keys, k)
	i := 3 + len(b.keys)
	b.idx[k] = i
	return i
}

// Alert appends an alert record to the alert stream.
func (b *RelayBatch) Alert(doc []byte) {
	b.args = append(b.args, "a", doc)
	b.n++
}

// SystemAlert creates a system alert once (the id is not yet taken) and appends it.
func (b *RelayBatch) SystemAlert(id string, doc []byte) {
	b.args = append(b.args, "s", id, doc)
	b.n++
}

// Fault counts a fault delta of a department and handler ("" for none) in a year; when the
// handler's count reaches threshold, the system alert id (doc) is created once.
func (b *RelayBatch) Fault(year int, dept, handler string, delta, threshold int, id string, doc []byte) {
	hf := ""
	if handler != "" {
		hf = HandlerFaultField(dept, handler)
	}
	b.args = append(b.args, "f", b.key(b.k.faults(year)), DeptFaultField(dept), hf, delta, threshold, id, doc)
	b.n++
}

// Relay applies a batch for partition p if its checkpoint is still the one read (from
// RelayCheckpoints), and moves the checkpoint to next. ok is false on a conflict (another
// replica relayed first): read again.
func (s *Store) Relay(ctx context.Context, p int, read, next string, b *RelayBatch, realNow time.Time) (bool, error) {
	keys := append([]string{s.k.relay(), s.k.alertStream(), s.k.sysAlerts()}, b.keys...)
	args := append([]any{strconv.Itoa(p), read, next, streamMinID(realNow), b.n}, b.args...)
	c, err := s.runOne(ctx, relayScript, keys, args...)
	if err != nil {
		return false, fmt.Errorf("rdb: relay partition %d: %w", p, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// RelayCheckpoints reads how far each partition's outbox has been relayed ("" for none).
func (s *Store) RelayCheckpoints(ctx context.Context) ([Partitions]string, error) {
	var out [Partitions]string
	m, err := s.c.HGetAll(ctx, s.k.relay()).Result()
	if err != nil {
		return out, fmt.Errorf("rdb: read relay checkpoints: %w", err)
	}
	for k, v := range m {
		if p, err := strconv.Atoi(k); err == nil && p >= 0 && p < Partitions {
			out[p] = v
		}
	}
	return out, nil
}

// OutboxHeads reads up to count entries after each partition's checkpoint, in one
// pipelined round trip; partitions with nothing new are absent.
func (s *Store) OutboxHeads(ctx context.Context, after [Partitions]string, count int64) (map[int][]OutboxEntry, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, Partitions)
	for p := range Partitions {
		start := "-"
		if after[p] != "" {
			start = "(" + after[p]
		}
		cmds[p] = pipe.XRangeN(ctx, s.k.outbox(p), start, "+", count)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("rdb: read outboxes: %w", err)
	}
	out := make(map[int][]OutboxEntry)
	for p, c := range cmds {
		msgs := c.Val()
		if len(msgs) == 0 {
			continue
		}
		es := make([]OutboxEntry, len(msgs))
		for i, m := range msgs {
			doc, _ := m.Values["t"].(string)
			es[i] = OutboxEntry{ID: m.ID, Doc: []byte(doc)}
		}
		out[p] = es
	}
	return out, nil
}
