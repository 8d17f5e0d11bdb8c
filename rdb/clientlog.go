package rdb

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetClientLogger sends the Redis client's own log lines to log at debug level. Left alone,
// go-redis prints plain lines on the process's standard error — one per failed dial and
// retry, so a Redis that is down at start buried duban's one-line error under a handful of
// them. Every failure those lines describe also reaches duban as an error, which the
// component concerned reports once, in context. go-redis has one logger per process: only
// main calls this.
func SetClientLogger(log *slog.Logger) {
	redis.SetLogger(clientLogger{log})
}

// clientLogger adapts a slog.Logger to go-redis's logging interface.
type clientLogger struct{ log *slog.Logger }

func (l clientLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis_client", "detail", fmt.Sprintf(format, v...))
}
