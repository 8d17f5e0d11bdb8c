package rdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/monitor/clock"
)

// Timeouts bound every wait on Redis (`redis.timeouts` of docs/configuration.md). They are
// real time: plumbing, not business time. Zero values take the defaults below.
type Timeouts struct {
	Dial     time.Duration // to open a connection (TCP and handshake)
	Read     time.Duration // for a reply, once the command is sent
	Write    time.Duration // to send a command
	PoolWait time.Duration // for a free connection when all are busy
}

// The default timeouts. A command gives up at its Budget, all retries included, so that
// with Redis gone or frozen every answer comes within 5 s.
const (
	DefaultDialTimeout     = time.Second
	DefaultReadTimeout     = 3 * time.Second
	DefaultWriteTimeout    = 3 * time.Second
	DefaultPoolWaitTimeout = time.Second
)

// withDefaults fills the zero timeouts.
func (t Timeouts) withDefaults() Timeouts {
	if t.Dial <= 0 {
		t.Dial = DefaultDialTimeout
	}
	if t.Read <= 0 {
		t.Read = DefaultReadTimeout
	}
	if t.Write <= 0 {
		t.Write = DefaultWriteTimeout
	}
	if t.PoolWait <= 0 {
		t.PoolWait = DefaultPoolWaitTimeout
	}
	return t
}

// Budget is the longest one command may take, all attempts included: a connection (the
// larger of PoolWait and Dial), then its reply (the larger of Write and Read). With the
// defaults it is 4 s.
func (t Timeouts) Budget() time.Duration {
	t = t.withDefaults()
	return max(t.PoolWait, t.Dial) + max(t.Read, t.Write)
}

// RetryAfter is the Retry-After, in whole seconds, of an answer given while Redis is away:
// about twice the interval at which the store probes it.
const RetryAfter = 2

// probeInterval is how often a store that lost Redis asks it again (PING, real time).
const probeInterval = 500 * time.Millisecond

// UnavailableError is a command that failed because Redis could not be reached or did not
// answer in time: the request may be retried as a whole later. Every other error (a
// script's refusal, a reply of the wrong type) is not one.
type UnavailableError struct{ err error }

func (e *UnavailableError) Error() string { return "Redis is unavailable: " + e.err.Error() }

func (e *UnavailableError) Unwrap() error { return e.err }

// Unavailable marks the error for internal/web, which answers it with 503 and Retry-After
// without importing this package.
func (e *UnavailableError) Unavailable() bool { return true }

// RetryAfterSeconds is the Retry-After of the 503 answered for the error.
func (e *UnavailableError) RetryAfterSeconds() int { return RetryAfter }

// IsUnavailable reports whether err means Redis is away (an *UnavailableError in its chain).
func IsUnavailable(err error) bool {
	var u *UnavailableError
	return errors.As(err, &u)
}

// errCircuitOpen is the cause of the commands refused at once while Redis is known to be away.
var errCircuitOpen = errors.New("no answer from Redis since the last failure; it is asked again every 500 ms")

// health is the store's view of Redis: up, or down since a failure until a PING answers.
// While it is down every command fails at once with an *UnavailableError instead of
// waiting out its timeouts, so that each answer of the service is prompt; a background
// probe brings it back. The outage is logged once, when it starts, and once when it ends.
type health struct {
	budget time.Duration
	log    *slog.Logger
	ping   func(ctx context.Context) error // bypasses the circuit

	down  atomic.Bool
	mu    sync.Mutex
	since time.Time // when the outage began (wall time)
	stop  chan struct{}
	once  sync.Once
}

// probeKey marks the probe's own commands, which pass the open circuit.
type probeKey struct{}

// isUnavailable says whether a command error means Redis is away.
func isUnavailable(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	var u *UnavailableError
	if errors.As(err, &u) {
		return true
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrPoolTimeout):
		return true
	}
	// Replies of a server that is there but cannot serve yet.
	msg := err.Error()
	for _, p := range []string{"LOADING ", "MASTERDOWN ", "CLUSTERDOWN ", "TRYAGAIN ", "BUSY "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// blocking reports whether cmd waits on purpose (XREAD BLOCK): it keeps its own timeout.
func blocking(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "xread", "xreadgroup", "blpop", "brpop", "bzpopmin", "bzpopmax", "wait":
		return true
	}
	return false
}

// trip marks Redis down after err, logs it once per outage and starts the probe.
func (h *health) trip(err error) {
	if h.down.Swap(true) {
		return
	}
	h.mu.Lock()
	h.since = clock.Wall()
	h.mu.Unlock()
	h.log.Error("redis_unavailable", "component", "rdb", "err", err,
		"answer", fmt.Sprintf("503, Retry-After %d s, until Redis answers again", RetryAfter))
	go h.probe()
}

// probe pings Redis every probeInterval until it answers, then marks it up.
func (h *health) probe() {
	ctx := context.WithValue(context.Background(), probeKey{}, true)
	for {
		select {
		case <-h.stop:
			return
		case <-time.After(probeInterval):
		}
		pctx, cancel := context.WithTimeout(ctx, h.budget)
		err := h.ping(pctx)
		cancel()
		if err == nil {
			h.mu.Lock()
			since := h.since
			h.mu.Unlock()
			h.down.Store(false)
			h.log.Info("redis_recovered", "component", "rdb",
				"down_for", clock.Wall().Sub(since).Round(time.Millisecond).String())
			return
		}
		h.log.Debug("redis_probe_failed", "component", "rdb", "err", err)
	}
}

func (h *health) close() { h.once.Do(func() { close(h.stop) }) }

// DialHook implements redis.Hook.
func (h *health) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook: it refuses at once while Redis is down, bounds the
// command by the budget and turns an unreachable Redis into an *UnavailableError.
func (h *health) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		probe := ctx.Value(probeKey{}) != nil
		if h.down.Load() && !probe {
			err := &UnavailableError{err: errCircuitOpen}
			cmd.SetErr(err)
			return err
		}
		outer := ctx
		if !blocking(cmd) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, h.budget)
			defer cancel()
		}
		err := next(ctx, cmd)
		// A caller that gave up (its own deadline, a client gone) says nothing about Redis.
		if isUnavailable(err) && !probe && outer.Err() == nil {
			h.trip(err)
			if !IsUnavailable(err) {
				err = &UnavailableError{err: err}
				cmd.SetErr(err)
			}
		}
		return err
	}
}

// ProcessPipelineHook implements redis.Hook, as ProcessHook for a pipeline.
func (h *health) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		// The probe's own pipelines (a new connection's handshake) pass the open circuit.
		probe := ctx.Value(probeKey{}) != nil
		if h.down.Load() && !probe {
			err := &UnavailableError{err: errCircuitOpen}
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		outer := ctx
		ctx, cancel := context.WithTimeout(ctx, h.budget)
		defer cancel()
		err := next(ctx, cmds)
		if isUnavailable(err) && !probe && outer.Err() == nil {
			h.trip(err)
			u := &UnavailableError{err: err}
			for _, c := range cmds {
				if c.Err() == nil || isUnavailable(c.Err()) {
					c.SetErr(u)
				}
			}
			err = u
		}
		return err
	}
}

// Available reports whether Redis answered the last command (readiness, tests).
func (s *Store) Available() bool { return s.h == nil || !s.h.down.Load() }
