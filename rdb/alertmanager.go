package rdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The Alertmanager forwarder (alerts/alertmanager): its position in the alert stream and the
// alerts it forwarded while open, which it keeps resending until they end.

var amCommitScript = script("amcommit")

// AlertmanagerPosition reads the forwarder's position: the alert stream id of the last entry
// Alertmanager accepted ("" before the first).
func (s *Store) AlertmanagerPosition(ctx context.Context) (string, error) {
	v, err := s.c.HGet(ctx, s.k.amState(), "pos").Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("rdb: read alertmanager position: %w", err)
	}
	return v, nil
}

// CommitAlertmanager records that Alertmanager accepted the entries up to `to`: the open
// alerts (id → record JSON) are kept for resending, the ended ones forgotten, and the position
// moves from `from` (as read) to `to` — if owner still holds the forwarder's lease. ok is
// false when it does not, or the position moved.
func (s *Store) CommitAlertmanager(ctx context.Context, owner, from, to string, open []AlertDoc, ended []string) (bool, error) {
	args := make([]any, 0, 4+2*len(open)+len(ended))
	args = append(args, owner, from, to, len(open))
	for _, d := range open {
		args = append(args, d.ID, d.Doc)
	}
	for _, id := range ended {
		args = append(args, id)
	}
	c, err := s.runOne(ctx, amCommitScript,
		[]string{s.k.lease(AlertmanagerLease), s.k.amState(), s.k.amOpen()}, args...)
	if err != nil {
		return false, fmt.Errorf("rdb: commit alertmanager batch: %w", err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// OpenAlertmanagerAlerts reads a page of the open alerts the forwarder resends, with the
// cursor of the next page (0 when done), like HSCAN: an alert present for the whole scan is
// returned at least once.
func (s *Store) OpenAlertmanagerAlerts(ctx context.Context, cursor uint64, count int64) ([]AlertDoc, uint64, error) {
	kv, next, err := s.c.HScan(ctx, s.k.amOpen(), cursor, "", count).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("rdb: read open alertmanager alerts: %w", err)
	}
	out := make([]AlertDoc, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, AlertDoc{ID: kv[i], Doc: []byte(kv[i+1])})
	}
	return out, next, nil
}

// AlertmanagerKey returns the deployment's secret for the pseudonyms that stand for
// handlers' names in the alerts sent to Alertmanager: 32 random bytes, made by the first
// replica that asks and kept forever, so that every replica, before and after a restart,
// derives the same pseudonym for a handler — and no one without access to Redis can
// recompute one from a list of names.
func (s *Store) AlertmanagerKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	var get *redis.StringCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, s.k.amState(), "key", hex.EncodeToString(fresh))
		get = p.HGet(ctx, s.k.amState(), "key")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rdb: read alertmanager key: %w", err)
	}
	key, err := hex.DecodeString(get.Val())
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("rdb: alertmanager key %q is not 64 hexadecimal digits", get.Val())
	}
	return key, nil
}
