package rdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

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
