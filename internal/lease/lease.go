// Package lease is duban's one holder of named leases in Redis: the way one replica of
// many takes a piece of work (a scheduled job, an exchange-database source, a webhook
// subscription, the Alertmanager forwarder) and keeps it while alive.
//
// A lease is a key holding its owner's name with a time to live, taken or renewed and given
// back only by its owner (the store's compare-and-set and compare-and-delete scripts). The
// holder renews a held lease every Renew of real elapsed time (a third of the TTL by
// default), so a stalled business clock or one running at a drill's rate changes nothing.
// It counts a lease as lost when a renewal finds another owner, or when renewals have
// failed (Redis away) for two thirds of the TTL: from then on another replica may take it
// as soon as it lapses, so the work stops before that. On stop the lease is given back, so
// another replica takes over at once instead of when it lapses.
package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// Store is what leases need of storage (rdb.Store implements it): take or renew names for
// an owner in one round trip, and give back those the owner still holds.
type Store interface {
	HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error)
	ReleaseLeases(ctx context.Context, names []string, owner string) error
}

// Options configure Leases.
type Options struct {
	Store Store
	// Owner names this replica in the leases. Required.
	Owner string
	// TTL is how long a lease outlives its last renewal (real time). Required.
	TTL time.Duration
	// Renew is how often a held lease is renewed, and a wanted one tried again (real time).
	// Zero means TTL/3; it must be under TTL*2/3.
	Renew time.Duration
	// Wall is the real clock; nil means clock.Wall.
	Wall   func() time.Time
	Logger *slog.Logger
}

// releaseTimeout bounds the release on the way out, which runs after the caller's context
// ended.
const releaseTimeout = 2 * time.Second

// Leases holds named leases for one owner.
type Leases struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	renewed map[string]time.Time // held leases: when each was last taken or renewed
}

// New checks the options.
func New(o Options) (*Leases, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("lease: Options.Store is required")
	case o.Owner == "":
		return nil, errors.New("lease: Options.Owner is required")
	case o.TTL <= 0:
		return nil, errors.New("lease: Options.TTL must be positive")
	}
	if o.Renew <= 0 {
		o.Renew = o.TTL / 3
	}
	if o.Renew*3 > o.TTL*2 {
		return nil, errors.New("lease: Options.Renew must be under two thirds of the TTL")
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Leases{o: o, log: o.Logger, renewed: map[string]time.Time{}}, nil
}

// Owner is the name this replica holds leases under.
func (l *Leases) Owner() string { return l.o.Owner }

// Hold takes or renews the named leases in one round trip and reports which ones this owner
// holds now.
func (l *Leases) Hold(ctx context.Context, names ...string) ([]bool, error) {
	got, err := l.o.Store.HoldLeases(ctx, names, l.o.Owner, l.o.TTL)
	if err != nil {
		return nil, err
	}
	now := l.o.Wall()
	l.mu.Lock()
	for i, n := range names {
		if got[i] {
			l.renewed[n] = now
		} else {
			delete(l.renewed, n)
		}
	}
	l.mu.Unlock()
	return got, nil
}

// Stale reports whether a lease this owner held has gone unrenewed for two thirds of the
// TTL (renewals failed): it may pass to another replica soon, so its work must stop. A
// lease not held is not stale.
func (l *Leases) Stale(name string) bool {
	l.mu.Lock()
	at, ok := l.renewed[name]
	l.mu.Unlock()
	return ok && l.o.Wall().Sub(at) > l.o.TTL*2/3
}

// Release gives back the named leases this owner still holds. It runs on a bounded context
// of its own, so a release on the way out of a cancelled context still happens.
func (l *Leases) Release(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	l.mu.Lock()
	for _, n := range names {
		delete(l.renewed, n)
	}
	l.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return l.o.Store.ReleaseLeases(rctx, names, l.o.Owner)
}

// With tries once to take the lease name. If another owner holds it, it returns false at
// once. Otherwise it runs work under a context that ends when ctx does or when the lease is
// lost, renewing the lease every Renew meanwhile; when work returns it gives the lease back.
func (l *Leases) With(ctx context.Context, name string, work func(ctx context.Context)) (held bool, err error) {
	got, err := l.Hold(ctx, name)
	if err != nil || !got[0] {
		return false, err
	}
	l.log.Info("lease_taken", "lease", name)
	wctx, cancel := context.WithCancel(ctx)
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		l.keep(wctx, name)
		cancel()
	}()
	work(wctx)
	cancel()
	<-renewing
	if err := l.Release(ctx, name); err != nil {
		l.log.Warn("lease_release_failed", "lease", name, "err", err)
	}
	return true, nil
}

// keep renews a held lease until ctx ends or the lease is lost.
func (l *Leases) keep(ctx context.Context, name string) {
	for clock.Sleep(ctx, l.o.Renew) {
		got, err := l.Hold(ctx, name)
		switch {
		case err == nil && got[0]:
		case err == nil:
			l.log.Warn("lease_lost", "lease", name)
			return
		case ctx.Err() != nil:
			return
		case l.Stale(name):
			l.log.Warn("lease_not_renewed", "lease", name, "err", err)
			return
		}
	}
}

// Run holds the lease name whenever it can, until ctx ends: while it holds it, work runs
// (With); while another owner does, or once work returned, it tries again every Renew.
func (l *Leases) Run(ctx context.Context, name string, work func(ctx context.Context)) {
	for ctx.Err() == nil {
		if _, err := l.With(ctx, name, work); err != nil && ctx.Err() == nil {
			l.log.Debug("lease_unreachable", "lease", name, "err", err)
		}
		clock.Sleep(ctx, l.o.Renew)
	}
}
