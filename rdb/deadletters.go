package rdb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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

// DeadLetter is a case whose stored events cannot be applied, with the reason.
type DeadLetter struct {
	CaseID     string    `json:"id"`
	Department string    `json:"department"`
	Reason     string    `json:"reason"`
	EventIDs   []string  `json:"event_ids"`
	At         time.Time `json:"at"`
	// Source and Cursor are set on a row of an exchange database that could not become a
	// valid event: the source's name and the row's cursor value (collectors/sqlpoll).
	Source string `json:"source,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// PutDeadLetter parks a case that cannot be applied, unless a new event arrived since its
// snapshot (then it stays dirty: the new event may make it applicable). It reports whether
// the letter was written.
func (s *Store) PutDeadLetter(ctx context.Context, snap *Snapshot, d DeadLetter) (bool, error) {
	doc, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("rdb: encode dead letter: %w", err)
	}
	p := Partition(snap.CaseID)
	c, err := s.runOne(ctx, deadLetterScript,
		[]string{s.k.caseKey(snap.CaseID), s.k.dirty(p), s.k.dead(p)}, snap.CaseID, snap.Ver, doc)
	if err != nil {
		return false, fmt.Errorf("rdb: dead letter %s: %w", snap.CaseID, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}
