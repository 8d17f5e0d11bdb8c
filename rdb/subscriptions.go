package rdb

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Outbound subscriptions (alerts/webhook): the subscriptions themselves, each one's delivery
// state and position in the alert stream, and the leases that let one replica at a time
// deliver to each. Everything lives in the global slot beside the alert stream.

var (
	subCreateScript    = script("subcreate")
	subDeleteScript    = script("subdelete")
	subAdvanceScript   = script("subadvance")
	subFailScript      = script("subfail")
	leaseScript        = script("lease")
	leaseReleaseScript = script("leaserelease")
	backlogScript      = script("backlog")
)

// SubscriptionDoc is a stored subscription: its id and JSON.
type SubscriptionDoc struct {
	ID  string
	Doc []byte
}

// DeliveryState is where a subscription's deliveries stand. Times are real time (plumbing).
type DeliveryState struct {
	// Position is the alert stream id of the last entry delivered, dropped or passed over
	// (not matching the filters); delivery resumes after it.
	Position    string
	Delivered   int64
	Dropped     int64
	LastSuccess time.Time
	LastAttempt time.Time
	LastError   string
	// FailCursor is the entry being retried ("" when none), FailSince the real time of its
	// first failed attempt and Attempts the failed attempts so far.
	FailCursor string
	FailSince  time.Time
	Attempts   int64
}

// Outcome is what happened to an alert stream entry a subscription moves past.
type Outcome string

// The outcomes of AdvanceDelivery.
const (
	Delivered Outcome = "delivered" // the receiver answered 2xx
	Dropped   Outcome = "dropped"   // retried for the whole retry window, then given up
	Skipped   Outcome = "skipped"   // not matching the subscription's filters
)

// Claim says whether a compare-and-set on a subscription's delivery state went through.
type Claim int

// The claims.
const (
	// Held: done; the caller still holds the lease.
	Held Claim = 1
	// LeaseLost: another replica holds (or nobody holds) the lease; stop delivering.
	LeaseLost Claim = 0
	// Gone: the subscription was deleted; stop delivering.
	Gone Claim = -1
	// Moved: the position is not where the caller read it; stop and read again.
	Moved Claim = -2
)

// SubscriptionLease is the name of the lease for delivering to a subscription.
func SubscriptionLease(id string) string { return "sub:" + id }

// AlertmanagerLease is the name of the lease of the Alertmanager forwarder.
const AlertmanagerLease = "alertmanager"

// CreateSubscription stores a new subscription whose deliveries start after the newest alert
// stream entry, and returns that starting position. ok is false when the id is taken.
func (s *Store) CreateSubscription(ctx context.Context, id string, doc []byte) (position string, ok bool, err error) {
	c, err := s.runOne(ctx, subCreateScript,
		[]string{s.k.subscriptions(), s.k.subState(id), s.k.alertStream()}, id, doc)
	if err != nil {
		return "", false, fmt.Errorf("rdb: create subscription %s: %w", id, err)
	}
	if c.Val() == nil {
		return "", false, nil
	}
	pos, _ := c.Text()
	return pos, true, nil
}

// Subscriptions reads every subscription, in id order.
func (s *Store) Subscriptions(ctx context.Context) ([]SubscriptionDoc, error) {
	m, err := s.c.HGetAll(ctx, s.k.subscriptions()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read subscriptions: %w", err)
	}
	out := make([]SubscriptionDoc, 0, len(m))
	for id, doc := range m {
		out = append(out, SubscriptionDoc{ID: id, Doc: []byte(doc)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Subscription reads one subscription; ok is false when there is none.
func (s *Store) Subscription(ctx context.Context, id string) (doc []byte, ok bool, err error) {
	v, err := s.c.HGet(ctx, s.k.subscriptions(), id).Result()
	if err == redis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rdb: read subscription %s: %w", id, err)
	}
	return []byte(v), true, nil
}

// DeleteSubscription removes a subscription, its delivery state and its lease; ok is false
// when there was none.
func (s *Store) DeleteSubscription(ctx context.Context, id string) (bool, error) {
	c, err := s.runOne(ctx, subDeleteScript,
		[]string{s.k.subscriptions(), s.k.subState(id), s.k.lease(SubscriptionLease(id))}, id)
	if err != nil {
		return false, fmt.Errorf("rdb: delete subscription %s: %w", id, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// DeliveryStates reads the delivery state of each subscription, in one round trip.
func (s *Store) DeliveryStates(ctx context.Context, ids []string) ([]DeliveryState, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.k.subState(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("rdb: read delivery states: %w", err)
		}
	}
	out := make([]DeliveryState, len(ids))
	for i, c := range cmds {
		m := c.Val()
		out[i] = DeliveryState{
			Position: m["pos"], Delivered: atoi(m["delivered"]), Dropped: atoi(m["dropped"]),
			LastSuccess: msTime(m["last_success"]), LastAttempt: msTime(m["last_attempt"]),
			LastError: m["last_error"], FailCursor: m["fail_cursor"], FailSince: msTime(m["fail_since"]),
			Attempts: atoi(m["attempts"]),
		}
	}
	return out, nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func msTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return time.UnixMilli(atoi(s))
}

// AdvanceDelivery moves a subscription's position from `from` (as read) to `to`, the cursor
// of an entry that was delivered, dropped or skipped, if owner still holds its lease.
func (s *Store) AdvanceDelivery(ctx context.Context, id, owner, from, to string, outcome Outcome, realNow time.Time) (Claim, error) {
	c, err := s.runOne(ctx, subAdvanceScript,
		[]string{s.k.lease(SubscriptionLease(id)), s.k.subState(id), s.k.subscriptions()},
		owner, id, from, to, string(outcome), realNow.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("rdb: advance subscription %s: %w", id, err)
	}
	n, _ := c.Int()
	return Claim(n), nil
}

// FailDelivery records a failed attempt to deliver the entry at cursor, if owner still holds
// the subscription's lease, and returns the attempts so far and the real time of the entry's
// first failure.
func (s *Store) FailDelivery(ctx context.Context, id, owner, cursor, msg string, realNow time.Time) (attempts int64, since time.Time, claim Claim, err error) {
	c, err := s.runOne(ctx, subFailScript,
		[]string{s.k.lease(SubscriptionLease(id)), s.k.subState(id), s.k.subscriptions()},
		owner, id, cursor, realNow.UnixMilli(), msg)
	if err != nil {
		return 0, time.Time{}, 0, fmt.Errorf("rdb: record failed delivery of %s: %w", id, err)
	}
	v, _ := c.Int64Slice()
	if len(v) != 3 {
		return 0, time.Time{}, 0, fmt.Errorf("rdb: record failed delivery of %s: unexpected reply %v", id, c.Val())
	}
	return v[1], time.UnixMilli(v[2]), Claim(v[0]), nil
}

// HoldLeases takes or renews each named lease for owner for ttl (real time), in one round
// trip, and reports which ones owner holds.
func (s *Store) HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error) {
	calls := make([]call, len(names))
	for i, n := range names {
		calls[i] = call{keys: []string{s.k.lease(n)}, args: []any{owner, ttl.Milliseconds()}}
	}
	out := make([]bool, len(names))
	if len(names) == 0 {
		return out, nil
	}
	cmds, err := s.runScript(ctx, leaseScript, calls)
	if err != nil {
		return nil, fmt.Errorf("rdb: hold leases: %w", err)
	}
	for i, c := range cmds {
		n, _ := c.Int()
		out[i] = n == 1
	}
	return out, nil
}

// ReleaseLeases gives up the named leases that owner still holds, so that another replica
// takes them over at once instead of when they lapse.
func (s *Store) ReleaseLeases(ctx context.Context, names []string, owner string) error {
	if len(names) == 0 {
		return nil
	}
	calls := make([]call, len(names))
	for i, n := range names {
		calls[i] = call{keys: []string{s.k.lease(n)}, args: []any{owner}}
	}
	if _, err := s.runScript(ctx, leaseReleaseScript, calls); err != nil {
		return fmt.Errorf("rdb: release leases: %w", err)
	}
	return nil
}

// AlertBacklogs counts the alert stream entries after each position ("" for the whole
// stream), each count capped at max so that a far-behind position costs a bounded read.
func (s *Store) AlertBacklogs(ctx context.Context, positions []string, max int64) ([]int64, error) {
	if len(positions) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(positions)+1)
	args = append(args, max)
	for _, p := range positions {
		args = append(args, p)
	}
	c, err := s.runOne(ctx, backlogScript, []string{s.k.alertStream()}, args...)
	if err != nil {
		return nil, fmt.Errorf("rdb: count alert backlog: %w", err)
	}
	v, err := c.Int64Slice()
	if err != nil || len(v) != len(positions) {
		return nil, fmt.Errorf("rdb: count alert backlog: unexpected reply %v", c.Val())
	}
	return v, nil
}
