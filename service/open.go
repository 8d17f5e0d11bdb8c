package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// ErrNoRedis is the configuration error of a command that needs Redis when none is
// configured; only `duban demo` runs on the embedded one.
var ErrNoRedis = errors.New("no Redis configured: set redis.url in the configuration file or " +
	"DUBAN_REDIS_URL (redis://host:6379/0); to try duban without a Redis, run `duban demo`")

// RequireRedis fails with ErrNoRedis when cfg names no Redis.
func RequireRedis(cfg *config.Config) error {
	if cfg.Redis.URL == "" {
		return ErrNoRedis
	}
	return nil
}

// redisStartTimeout bounds the first contact with Redis: a command started against a
// Redis that is down or does not answer fails within it (exit code 1) rather than waiting
// on the client's retries — a sentinel address that refuses connections held
// `duban serve` for over half a minute.
const redisStartTimeout = 5 * time.Second

// OpenStore connects to the configured Redis, within redisStartTimeout. log gets the
// store's outage lines (nil: slog's default logger).
func OpenStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*rdb.Store, error) {
	start, cancel := context.WithTimeout(ctx, redisStartTimeout)
	defer cancel()
	to := cfg.Redis.Timeouts
	store, err := rdb.Open(start, rdb.Options{Mode: rdb.Mode(cfg.Redis.Mode), Addrs: cfg.Redis.Addrs,
		MasterName: cfg.Redis.MasterName, DB: cfg.Redis.DB, Username: cfg.Redis.Username,
		Password: cfg.Redis.Password, TLS: cfg.Redis.TLS, Prefix: cfg.Redis.Prefix, Logger: log,
		Timeouts: rdb.Timeouts{Dial: to.Dial, Read: to.Read, Write: to.Write, PoolWait: to.PoolWait}})
	if err != nil {
		var ne net.Error
		if ctx.Err() == nil && (errors.Is(start.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
			err = fmt.Errorf("no answer within %s", redisStartTimeout)
		}
		return nil, fmt.Errorf("connect to Redis %s: %w", cfg.Redis.Redacted(), err)
	}
	return store, nil
}

// BusinessClock returns the one business clock of the process: the real clock, or the
// simulated one of clock.start and clock.rate (DUBAN_CLOCK_START, DUBAN_CLOCK_RATE),
// announced on log with a warning since every deadline then falls at a time that is not the
// wall clock's. Either tells time in the configured zone.
func BusinessClock(cfg *config.Config, log *slog.Logger) clock.Clock {
	if !cfg.Clock.Simulated() {
		return clock.InZone(clock.Real(), cfg.Location)
	}
	start := cfg.Clock.Start
	if start.IsZero() {
		start = clock.Real().Now() // a rate alone speeds up time from now
	}
	log.Warn("running on a simulated business clock", "start", start.In(cfg.Location), "rate", cfg.Clock.Rate)
	return clock.InZone(clock.Simulated(start, cfg.Clock.Rate), cfg.Location)
}

// Serve is `duban serve`: it connects to the configured Redis and runs the service on the
// business clock of cfg until ctx ends. o's Config, Store and Clock are filled in here.
func Serve(ctx context.Context, cfg *config.Config, o Options) error {
	if err := RequireRedis(cfg); err != nil {
		return err
	}
	return ServeOn(ctx, cfg, BusinessClock(cfg, o.Logger), o)
}

// ServeOn is Serve on the business clock clk (a drill's or a test's manual clock).
func ServeOn(ctx context.Context, cfg *config.Config, clk clock.Clock, o Options) error {
	o.Logger.Info("starting", "listen", cfg.Listen, "redis", cfg.Redis.Redacted(),
		"timezone", cfg.Timezone, "business_now", clk.Now().In(cfg.Location))
	store, err := OpenStore(ctx, cfg, o.Logger)
	if err != nil {
		return err
	}
	defer store.Close()
	o.Config, o.Store, o.Clock = cfg, store, clk
	svc, err := New(ctx, o)
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}
