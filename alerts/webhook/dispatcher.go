package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts/stream"
	"github.com/duban-gov/duban/internal/lease"
	"github.com/duban-gov/duban/internal/loop"
	"github.com/duban-gov/duban/internal/wake"
	"github.com/duban-gov/duban/rdb"
)

// Options configure a Dispatcher. Zero values are as documented per field.
type Options struct {
	Store *rdb.Store
	// Owner names this replica in the leases; zero means a random token.
	Owner string
	// Client posts the deliveries; nil means one with a 10 s timeout that follows no
	// redirect (a 3xx is a failure).
	Client *http.Client
	// Wall is the real clock of leases and retries (plumbing, never the business clock);
	// nil means time.Now.
	Wall func() time.Time
	// Lease is how long a subscription stays with this replica without a renewal; zero
	// means 30 s.
	Lease time.Duration
	// Poll is how often the dispatcher looks for subscriptions to take up or drop and
	// renews its leases; zero means 2 s. It must be well under Lease.
	Poll time.Duration
	// Retry is the backoff schedule of failed deliveries.
	Retry      Retry
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Retry is the backoff schedule of a failing entry: the delay after the n-th failed attempt
// is First·2^(n−1), capped at Max, of which a random half is taken off (jitter, so that
// receivers coming back are not hit by every sender at once). An entry is retried until For
// has passed since it entered the alert stream — for a live entry, since its first failure —
// and dropped at its first failure after that, so that a dead receiver holds its queue up by
// at most For: the entries behind the failing one have their windows running too.
type Retry struct {
	First time.Duration // zero means 1 s
	Max   time.Duration // zero means 5 min
	For   time.Duration // zero means 24 h
}

// Defaults.
const (
	DefaultLease   = 30 * time.Second
	DefaultPoll    = 2 * time.Second
	DefaultTimeout = 10 * time.Second
	DefaultFirst   = time.Second
	DefaultMax     = 5 * time.Minute
	DefaultFor     = 24 * time.Hour
)

// Dispatcher delivers alerts to the subscriptions whose leases this replica holds, each in a
// goroutine of its own.
type Dispatcher struct {
	o      Options
	leases *lease.Leases
	m      *metrics
	wake   wake.Signal
	news   notifier
	log    *slog.Logger
}

// New validates the options and builds a Dispatcher.
func New(o Options) (*Dispatcher, error) {
	if o.Store == nil {
		return nil, errors.New("webhook: dispatcher needs a store")
	}
	if o.Owner == "" {
		b := make([]byte, 8)
		rand.Read(b)
		o.Owner = hex.EncodeToString(b)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Wall == nil {
		o.Wall = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Poll*3 > o.Lease {
		return nil, errors.New("webhook: poll must be at most a third of the lease")
	}
	if o.Retry.First <= 0 {
		o.Retry.First = DefaultFirst
	}
	if o.Retry.Max <= 0 {
		o.Retry.Max = DefaultMax
	}
	if o.Retry.For <= 0 {
		o.Retry.For = DefaultFor
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m, err := newMetrics(o.Registerer, o.Store)
	if err != nil {
		return nil, err
	}
	log := o.Logger.With("component", "webhook")
	leases, err := lease.New(lease.Options{Store: o.Store, Owner: o.Owner, TTL: o.Lease, Renew: o.Poll,
		Wall: o.Wall, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return &Dispatcher{o: o, leases: leases, m: m, log: log}, nil
}

// Wake makes the dispatcher look at the subscriptions now (one was created or deleted here)
// rather than at its next poll.
func (d *Dispatcher) Wake() { d.wake.Wake() }

// Run delivers until ctx ends. On the way out it stops every worker (an entry in flight is
// abandoned, and resent by whoever takes the subscription next) and releases its leases, so
// other replicas take over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var follower sync.WaitGroup
	follower.Go(func() { d.follow(ctx) })
	held := map[string]*worker{}
	loop.Run(ctx, loop.Options{Errors: loop.Errors{Logger: d.log, Event: "subscriptions_unreachable"},
		Wake: d.wake.C(), Poll: d.o.Poll}, func(ctx context.Context) (bool, error) {
		return false, d.reconcile(ctx, held)
	})
	names := make([]string, 0, len(held))
	for id, w := range held {
		w.stop()
		names = append(names, rdb.SubscriptionLease(id))
	}
	cancel()
	follower.Wait()
	if err := d.leases.Release(ctx, names...); err != nil {
		d.log.Warn("lease_release_failed", "err", err)
	}
	return nil
}

// reconcile takes up the subscriptions whose leases it can hold, renews the leases of those
// it serves, and stops the workers of subscriptions deleted or lost to another replica.
// An error means Redis could not be reached (the loop logs it).
func (d *Dispatcher) reconcile(ctx context.Context, held map[string]*worker) error {
	docs, err := d.o.Store.Subscriptions(ctx)
	if err != nil {
		d.failed(ctx, held)
		return err
	}
	subs := make([]*Subscription, 0, len(docs))
	live := make(map[string]bool, len(docs))
	for _, doc := range docs {
		var s Subscription
		if err := json.Unmarshal(doc.Doc, &s); err != nil {
			d.log.Error("subscription_unreadable", "subscription", doc.ID, "err", err)
			continue
		}
		s.ID = doc.ID
		subs = append(subs, &s)
		live[s.ID] = true
	}
	for id, w := range held {
		switch {
		case !live[id]:
			w.stop()
			delete(held, id)
			d.log.Info("subscription_dropped", "subscription", id, "reason", "deleted")
		case w.stopped(): // by itself (lease lost, position moved): taken up again below
			delete(held, id)
		}
	}
	d.m.forgetAllBut(live)
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = rdb.SubscriptionLease(s.ID)
	}
	got, err := d.leases.Hold(ctx, names...)
	if err != nil {
		d.failed(ctx, held)
		return err
	}
	for i, s := range subs {
		w, running := held[s.ID]
		switch {
		case got[i] && running:
		case got[i]:
			held[s.ID] = d.start(ctx, s)
			d.log.Info("subscription_taken", "subscription", s.ID)
		case running:
			w.stop()
			delete(held, s.ID)
			d.log.Info("subscription_dropped", "subscription", s.ID, "reason", "lease lost")
		}
	}
	return nil
}

// failed handles a reconcile that could not reach Redis: workers whose leases could not be
// renewed for most of a lease are stopped, since another replica may take them over when
// the leases lapse.
func (d *Dispatcher) failed(ctx context.Context, held map[string]*worker) {
	if ctx.Err() != nil {
		return
	}
	for id, w := range held {
		if d.leases.Stale(rdb.SubscriptionLease(id)) {
			w.stop()
			delete(held, id)
			d.log.Warn("subscription_dropped", "subscription", id, "reason", "lease not renewed")
		}
	}
}

// start runs a worker for a subscription whose lease this replica just took.
func (d *Dispatcher) start(ctx context.Context, s *Subscription) *worker {
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{d: d, sub: s, cancel: cancel, done: make(chan struct{}),
		log: d.log.With("subscription", s.ID)}
	go w.run(wctx)
	return w
}

// followBlock bounds each blocking read of the alert stream; a shutdown waits for the one
// in progress (go-redis does not abort a blocking read when its context is cancelled).
const followBlock = time.Second

// follow wakes the workers whenever the alert stream grows: one blocking read per replica,
// whatever the number of subscriptions, so they do not each hold a Redis connection.
func (d *Dispatcher) follow(ctx context.Context) {
	o := stream.Options{Store: d.o.Store, Batch: batch, Block: followBlock, Logger: d.log}
	cursor, ok := stream.Latest(ctx, o)
	if !ok {
		return
	}
	d.news.broadcast() // whatever came before the first read
	_ = stream.Follow(ctx, o, cursor, func(_ context.Context, entries []rdb.StreamAlert) (string, error) {
		d.news.broadcast()
		return entries[len(entries)-1].Cursor, nil
	})
}

// notifier lets any number of goroutines wait for the next broadcast.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed by the next broadcast. Take it before looking for work, so
// that news arriving in between is not missed.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}
