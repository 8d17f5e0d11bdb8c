package rdb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RelayBatch collects the operations that one partition's outbox entries cause in the
// global slot; Relay applies them exactly once (relay.lua). Alerts go onto the stream in the
// order they came; figure counts and fault counts are summed per field over the batch and
// applied after them, so a midnight burst of a thousand alerts of one department costs a
// handful of HINCRBYs, not thousands.
type RelayBatch struct {
	k      keys
	keys   []string       // KEYS[4..] of the script
	idx    map[string]int // key → its index in KEYS (1-based, as Lua sees it)
	args   []any
	n      int
	sums   map[sumKey]int64
	order  []sumKey // first-seen order, so a batch always makes the same script call
	faults map[faultKey]*faultSum
	forder []faultKey
}

type sumKey struct {
	key   int
	field string
}

type faultKey struct {
	key           int
	dept, handler string
}

type faultSum struct {
	delta, threshold int
	id               string
	doc              []byte
}

// NewRelayBatch starts an empty batch.
func (s *Store) NewRelayBatch() *RelayBatch {
	return &RelayBatch{k: s.k, idx: make(map[string]int), sums: make(map[sumKey]int64),
		faults: make(map[faultKey]*faultSum)}
}

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

// Count adds delta to a figure (a field of a table) in the relay batch.
func (b *RelayBatch) Count(t Table, period, field string, delta int64) {
	if delta == 0 {
		return
	}
	k := sumKey{b.key(b.k.table(t, period)), field}
	if _, ok := b.sums[k]; !ok {
		b.order = append(b.order, k)
	}
	b.sums[k] += delta
}

// Fault counts a fault delta of a department and handler ("" for none) in a year; when the
// handler's count reaches threshold, the system alert id (doc) is created once. Deltas of
// one handler in one batch are summed: the alert is created when the batch's net change
// takes the count to the threshold (a fault counted and taken back within one batch raises
// nothing).
func (b *RelayBatch) Fault(year int, dept, handler string, delta, threshold int, id string, doc []byte) {
	k := faultKey{b.key(b.k.faults(year)), dept, handler}
	f, ok := b.faults[k]
	if !ok {
		f = &faultSum{threshold: threshold}
		b.faults[k] = f
		b.forder = append(b.forder, k)
	}
	f.delta += delta
	if f.id == "" && id != "" {
		f.id, f.doc = id, doc
	}
}

// flush turns the summed counts into operations, after the batch's alerts.
func (b *RelayBatch) flush() {
	for _, k := range b.order {
		if d := b.sums[k]; d != 0 {
			b.args = append(b.args, "n", k.key, k.field, d)
			b.n++
		}
	}
	for _, k := range b.forder {
		f := b.faults[k]
		if f.delta == 0 {
			continue
		}
		hf := ""
		if k.handler != "" {
			hf = HandlerFaultField(k.dept, k.handler)
		}
		b.args = append(b.args, "f", k.key, DeptFaultField(k.dept), hf, f.delta, f.threshold, f.id, f.doc)
		b.n++
	}
	clear(b.sums)
	clear(b.faults)
	b.order, b.forder = b.order[:0], b.forder[:0]
}

// Relay applies a batch for partition p if its checkpoint is still the one read (from
// RelayCheckpoints), and moves the checkpoint to next. ok is false on a conflict (another
// replica relayed first): read again.
func (s *Store) Relay(ctx context.Context, p int, read, next string, b *RelayBatch, realNow time.Time) (bool, error) {
	b.flush()
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
			es[i] = outboxEntry(m)
		}
		out[p] = es
	}
	return out, nil
}

// Outbox reads a partition's outbox after the stream id `after` ("" from the start), up to
// count entries. Consumers keep their own position.
func (s *Store) Outbox(ctx context.Context, p int, after string, count int64) ([]OutboxEntry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.c.XRangeN(ctx, s.k.outbox(p), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read outbox %d: %w", p, err)
	}
	out := make([]OutboxEntry, len(msgs))
	for i, m := range msgs {
		out[i] = outboxEntry(m)
	}
	return out, nil
}

// OutboxEntry is one commit's transitions in a partition's outbox: its stream id, the JSON
// array of its transitions, and the alert records its alert transitions carry, as stored,
// by alert key (commit.lua: fields t, r:<key>, …). Positional holds the records of entries
// written before, whose fields were a0, a1, … in the order of their alert transitions.
type OutboxEntry struct {
	ID         string
	Doc        []byte
	Records    map[string][]byte
	Positional [][]byte
	// Order is the entry of a supervision order's change (ordersave.lua: field o), nil for
	// a case's commit; its JSON is the engine's (engine.OrderEntry).
	Order []byte
}

func outboxEntry(m redis.XMessage) OutboxEntry {
	doc, _ := m.Values["t"].(string)
	e := OutboxEntry{ID: m.ID, Doc: []byte(doc)}
	if o, ok := m.Values["o"].(string); ok {
		e.Order = []byte(o)
	}
	for f, v := range m.Values {
		if key, ok := strings.CutPrefix(f, "r:"); ok {
			s, _ := v.(string)
			if e.Records == nil {
				e.Records = make(map[string][]byte, len(m.Values)-1)
			}
			e.Records[key] = []byte(s)
		}
	}
	for k := 0; ; k++ {
		a, ok := m.Values["a"+strconv.Itoa(k)].(string)
		if !ok {
			return e
		}
		e.Positional = append(e.Positional, []byte(a))
	}
}
