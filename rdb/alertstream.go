package rdb

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// AppendAlerts appends alert record documents to the alert stream, in order, exactly as
// relay.lua does (same field, same MINID trim), and returns their cursors. It is for tests
// and tools — the live feed's tests and cmd/duban-wsload — which need alerts on the stream
// without going through a case: the service itself only appends through relay.lua and
// sysalert.lua, where an alert is recorded and published in one atomic step.
//
// The documents are sent in one MULTI/EXEC, so no other writer's entry lands between them.
func (s *Store) AppendAlerts(ctx context.Context, docs [][]byte, realNow time.Time) ([]string, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	minID := streamMinID(realNow)
	pipe := s.c.TxPipeline()
	cmds := make([]*redis.StringCmd, len(docs))
	for i, d := range docs {
		cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{
			Stream: s.k.alertStream(), MinID: minID, Approx: true, ID: "*",
			Values: []any{"a", d},
		})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("rdb: append alerts: %w", err)
	}
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}
