package rdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// call is one invocation of a Lua script.
type call struct {
	keys []string
	args []any
}

// runScript runs many invocations of one script in a single pipeline (one round trip per
// node) and returns their results in order. Scripts are sent by SHA; when a server answers
// NOSCRIPT (it restarted, failed over, or never saw the script) the script is loaded and only
// the invocations that did not run are sent again — a NOSCRIPT reply means nothing ran.
func (s *Store) runScript(ctx context.Context, sc *redis.Script, calls []call) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	pending := make([]int, len(calls))
	for i := range pending {
		pending[i] = i
	}
	for attempt := 0; attempt < 2 && len(pending) > 0; attempt++ {
		pipe := s.c.Pipeline()
		for _, i := range pending {
			cmds[i] = sc.EvalSha(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx) // per-command errors are read below
		var retry []int
		for _, i := range pending {
			if err := cmds[i].Err(); err != nil && isNoScript(err) {
				retry = append(retry, i)
			}
		}
		if len(retry) > 0 {
			if err := s.loadScript(ctx, sc); err != nil {
				return nil, err
			}
		}
		pending = retry
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && err != redis.Nil {
			return cmds, fmt.Errorf("rdb: run script: %w", err)
		}
	}
	return cmds, nil
}

// runOne runs a single script invocation.
func (s *Store) runOne(ctx context.Context, sc *redis.Script, keys []string, args ...any) (*redis.Cmd, error) {
	cmds, err := s.runScript(ctx, sc, []call{{keys: keys, args: args}})
	if err != nil {
		return nil, err
	}
	return cmds[0], nil
}

// loadScript loads a script on every node that may run it (every master of a cluster).
func (s *Store) loadScript(ctx context.Context, sc *redis.Script) error {
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return sc.Load(ctx, c).Err()
		})
	}
	if err := sc.Load(ctx, s.c).Err(); err != nil {
		return fmt.Errorf("rdb: load script: %w", err)
	}
	return nil
}

func isNoScript(err error) bool {
	return strings.HasPrefix(err.Error(), "NOSCRIPT")
}
