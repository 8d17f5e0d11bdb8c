package rdb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DeadLetters lists parked cases in case_id order after the cursor, up to limit, and the
// cursor of the next page ("" on the last). Dead letters are few (each is a defect to fix),
// so every partition's hash is read whole.
func (s *Store) DeadLetters(ctx context.Context, after string, limit int) ([]DeadLetter, string, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, Partitions)
	for p := range Partitions {
		cmds[p] = pipe.HGetAll(ctx, s.k.dead(p))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, "", fmt.Errorf("rdb: list dead letters: %w", err)
	}
	var all []DeadLetter
	for _, c := range cmds {
		for id, doc := range c.Val() {
			if id <= after {
				continue
			}
			var d DeadLetter
			if err := json.Unmarshal([]byte(doc), &d); err != nil {
				return nil, "", fmt.Errorf("rdb: decode dead letter %s: %w", id, err)
			}
			all = append(all, d)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].CaseID < all[j].CaseID })
	if limit > 0 && len(all) > limit {
		return all[:limit], all[limit-1].CaseID, nil
	}
	return all, "", nil
}

// DeadLetterByID reads one dead letter.
func (s *Store) DeadLetterByID(ctx context.Context, id string) (DeadLetter, bool, error) {
	var d DeadLetter
	doc, err := s.c.HGet(ctx, s.k.dead(Partition(id)), id).Result()
	if err == redis.Nil {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("rdb: read dead letter %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return d, false, fmt.Errorf("rdb: decode dead letter %s: %w", id, err)
	}
	return d, true, nil
}

// AuditEntry is one operator action.
type AuditEntry struct {
	ID     string          `json:"id"`
	At     time.Time       `json:"at"`     // business time of the action
	Actor  string          `json:"actor"`  // the token's name or role
	Action string          `json:"action"` // calendar_load, deadletter_replay, alert_ack, …
	Target string          `json:"target"` // what it acted on (a year, a case, an alert id)
	Note   string          `json:"note,omitempty"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Audit appends an action to the audit log and returns its id.
func (s *Store) Audit(ctx context.Context, e AuditEntry) (string, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("rdb: encode audit entry: %w", err)
	}
	id, err := s.c.XAdd(ctx, &redis.XAddArgs{Stream: s.k.audit(), Values: []any{"e", doc}}).Result()
	if err != nil {
		return "", fmt.Errorf("rdb: append audit entry: %w", err)
	}
	return id, nil
}

// AuditLog reads the audit log oldest first after the cursor (a stream id), up to limit, and
// the cursor of the next page ("" on the last).
func (s *Store) AuditLog(ctx context.Context, after string, limit int) ([]AuditEntry, string, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.c.XRangeN(ctx, s.k.audit(), start, "+", int64(limit)+1).Result()
	if err != nil {
		return nil, "", fmt.Errorf("rdb: read audit log: %w", err)
	}
	next := ""
	if len(msgs) > limit {
		msgs = msgs[:limit]
		next = msgs[limit-1].ID
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		var e AuditEntry
		doc, _ := m.Values["e"].(string)
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, "", fmt.Errorf("rdb: decode audit entry %s: %w", m.ID, err)
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, next, nil
}

// SaveCalendar keeps a year file loaded at run time, so every replica and every restart
// uses it.
func (s *Store) SaveCalendar(ctx context.Context, year int, doc []byte) error {
	if err := s.c.HSet(ctx, s.k.calendars(), strconv.Itoa(year), doc).Err(); err != nil {
		return fmt.Errorf("rdb: save calendar %d: %w", year, err)
	}
	return nil
}

// Calendars returns every year file loaded at run time, by year.
func (s *Store) Calendars(ctx context.Context) (map[int][]byte, error) {
	m, err := s.c.HGetAll(ctx, s.k.calendars()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read calendars: %w", err)
	}
	out := make(map[int][]byte, len(m))
	for y, doc := range m {
		n, err := strconv.Atoi(y)
		if err != nil {
			continue // not ours; ignore rather than fail start-up
		}
		out[n] = []byte(doc)
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
