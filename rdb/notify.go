package rdb

import (
	"context"
	"fmt"
)

// Notices replicas send each other over pub/sub. Pub/sub is a hint, never the only path:
// a replica that misses one still finds the work on its fallback poll.
const (
	NoticeDirty    = "dirty"    // new cases to apply
	NoticeCalendar = "calendar" // a calendar year was loaded: reload it
)

// Publish tells every replica (this one included) about a notice.
func (s *Store) Publish(ctx context.Context, notice string) error {
	if err := s.c.Publish(ctx, s.k.wake(), notice).Err(); err != nil {
		return fmt.Errorf("rdb: publish %s: %w", notice, err)
	}
	return nil
}

// Listen calls fn for each notice until ctx ends. go-redis resubscribes by itself after a
// lost connection.
func (s *Store) Listen(ctx context.Context, fn func(notice string)) error {
	sub := s.c.Subscribe(ctx, s.k.wake())
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			fn(m.Payload)
		}
	}
}
