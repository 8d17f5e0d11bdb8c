package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/rdb"
)

// errNoRedis is the configuration error of a command that needs Redis when none is
// configured; only `duban demo` runs on the embedded one.
var errNoRedis = errors.New("no Redis configured: set redis.url in the configuration file or " +
	"DUBAN_REDIS_URL (redis://host:6379/0); to try duban without a Redis, run `duban demo`")

type listenHookKey struct{}

// withListenHook makes serve report the address it listens on (tests listen on :0).
func withListenHook(ctx context.Context, fn func(addr string)) context.Context {
	return context.WithValue(ctx, listenHookKey{}, fn)
}

func listenHook(ctx context.Context) func(string) {
	fn, _ := ctx.Value(listenHookKey{}).(func(string))
	return fn
}

// requireRedis fails with errNoRedis when cfg names no Redis.
func requireRedis(cfg *config.Config) error {
	if cfg.Redis.URL == "" {
		return errNoRedis
	}
	return nil
}

func (c *cli) serveCmd(*flag.FlagSet) runner {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		if err := requireRedis(cfg); err != nil {
			return err
		}
		return c.serve(ctx, cfg)
	}
}

// serve runs the service on cfg until ctx ends, then drains in-flight work within 10 s
// and returns nil on a clean shutdown.
func (c *cli) serve(ctx context.Context, cfg *config.Config) error {
	clk := c.businessClock(cfg)
	c.log.Info("starting", "listen", cfg.Listen, "redis", cfg.Redis.Redacted(),
		"timezone", cfg.Timezone, "business_now", clk.Now().In(cfg.Location))
	store, err := openStoreLog(ctx, cfg, c.log)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := newService(ctx, cfg, store, clk, c.log)
	if err != nil {
		return err
	}
	return svc.run(ctx, listenHook(ctx))
}

// redisStartTimeout bounds the first contact with Redis: a command started against a
// Redis that is down or does not answer fails within it (exit code 1) rather than waiting
// on the client's retries — a sentinel address that refuses connections held
// `duban serve` for over half a minute.
const redisStartTimeout = 5 * time.Second

// openStore connects to the configured Redis, within redisStartTimeout.
func openStore(ctx context.Context, cfg *config.Config) (*rdb.Store, error) {
	return openStoreLog(ctx, cfg, nil)
}

// openStoreLog is openStore with the logger of the store's outage lines (nil: slog's default).
func openStoreLog(ctx context.Context, cfg *config.Config, log *slog.Logger) (*rdb.Store, error) {
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

// businessClock returns the one business clock of the process: the real clock, or the
// simulated one of DUBAN_CLOCK_START and DUBAN_CLOCK_RATE, announced with a warning since
// every deadline then falls at a time that is not the wall clock's. Either tells time in the
// configured zone.
func (c *cli) businessClock(cfg *config.Config) clock.Clock {
	if !cfg.Clock.Simulated() {
		return clock.InZone(clock.Real(), cfg.Location)
	}
	start := cfg.Clock.Start
	if start.IsZero() {
		start = clock.Real().Now() // a rate alone speeds up time from now
	}
	c.log.Warn("running on a simulated business clock", "start", start.In(cfg.Location), "rate", cfg.Clock.Rate)
	return clock.InZone(clock.Simulated(start, cfg.Clock.Rate), cfg.Location)
}
