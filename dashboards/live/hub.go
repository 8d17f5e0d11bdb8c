package live

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts/stream"
	"github.com/duban-gov/duban/internal/wake"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/rdb"
)

// Options configure a Hub. Zero values take the defaults given with each field.
type Options struct {
	// Store is the Redis storage whose alert stream feeds the hub. Required.
	Store *rdb.Store
	// Auth resolves tokens (`?token=`, the Authorization header, the session cookie).
	// Required.
	Auth *web.Authenticator
	// Session, when set, is asked first: the wall screen's sign-in will resolve its session
	// cookie here. ok false falls back to Auth.
	Session func(r *http.Request) (p web.Principal, ok bool)
	// AllowedOrigins are browser origins (scheme://host[:port], as config.Auth normalises
	// them) accepted besides the service's own host. Requests without an Origin header
	// (non-browser clients) are always accepted.
	AllowedOrigins []string
	// Overview computes the figures of GET /api/v1/overview for a department ("" for all).
	// Nil: no overview messages are sent.
	Overview func(ctx context.Context, dept string) (any, error)
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Registerer, when set, gets the gauge duban_websocket_clients (this replica's
	// clients). Leave it nil where internal/metrics exports that gauge from Clients.
	Registerer prometheus.Registerer

	// SendBuffer is the number of messages queued for one client; a live client whose
	// queue is full is closed with 4008. Zero means 256.
	SendBuffer int
	// PingInterval is how often the server pings each client; a client that shows no sign
	// of life (a pong, a ping or a message) for PingInterval+WriteTimeout is dropped. Zero
	// means 25 s.
	PingInterval time.Duration
	// WriteTimeout bounds one write to a client. Zero means 10 s.
	WriteTimeout time.Duration
	// ReplayMax bounds how many stream entries one subscribe may replay; past it the
	// client gets an error about `since` and should re-read the state from the REST API,
	// then subscribe without `since`. Zero means no bound: every alert kept is replayed.
	ReplayMax int
	// ReplayPage is how many stream entries a replay reads per Redis call. Zero means 500.
	ReplayPage int
	// ReadLimit is the largest message a client may send, in bytes; a larger one closes
	// the connection with 1009. Zero means 4 KiB.
	ReadLimit int64
	// OverviewEvery is the least time between two overview messages. Zero means 1 s.
	OverviewEvery time.Duration
	// OverviewDelay is how long the figures wait after a change before they are computed
	// and sent: alerts, more urgent, go out first (with ten thousand clients a fan-out
	// takes a few hundred milliseconds), and a burst of changes is sent once. Zero means
	// 300 ms.
	OverviewDelay time.Duration
	// OverviewRefresh is how often the figures are recomputed without being told: changes
	// another replica made that came with no alert (the hub takes every alert as a
	// change) reach the screens within it. Zero means 5 s.
	OverviewRefresh time.Duration
	// FeedBlock is how long one read of the alert stream waits for news (XREAD BLOCK), and
	// so how long Run may take to return after its context ends. Zero means 2 s.
	FeedBlock time.Duration
}

// Close codes the hub uses, besides the standard ones (1001 going away on shutdown, 1009
// message too big).
const (
	// CloseTooSlow closes a client whose send buffer is full: it reconnects with `since`.
	CloseTooSlow = 4008
)

// closeGrace is how long a closing connection waits for the client's close frame before
// the TCP connection is closed.
const closeGrace = time.Second

// feedCount is the most entries one read of the alert stream returns.
const feedCount = 256

// Hub is one replica's live feed: one goroutine (Run) reads the alert stream and fans each
// entry out to the connected clients whose subscription matches.
//
// The client set is a registry under one mutex rather than a set owned by the feed
// goroutine: the fan-out of one entry (non-blocking sends to each client's buffered queue)
// and a subscription's switch from replay to live must be atomic with respect to each other
// — the switch reads the hub's position and flips the client to live in one step — and a
// mutex makes that a few lines in the subscribing goroutine instead of a request/answer
// protocol with the owner. The lock is taken per entry, so a switch waits for at most one
// entry's fan-out, and nothing under it blocks: sends never wait, slow clients are closed.
type Hub struct {
	o        Options
	log      *slog.Logger
	origins  map[string]bool
	upgrader websocket.Upgrader
	authed   http.Handler

	running atomic.Bool
	ready   chan struct{} // closed once pos is known
	stop    chan struct{} // closed when Run ends
	clients sync.WaitGroup
	count   atomic.Int64

	mu     sync.Mutex
	conns  map[*client]struct{}
	pos    cursor // the last entry fanned out
	closed bool

	ovNudge   wake.Signal
	ovChanged atomic.Bool

	// afterReplayPage, in tests, runs after each page a replay reads; final: the page
	// reached the end of the stream.
	afterReplayPage func(final bool)
}

// New builds a hub; Run feeds it and ServeHTTP connects clients.
func New(o Options) (*Hub, error) {
	if o.Store == nil || o.Auth == nil {
		return nil, errors.New("live: Store and Auth are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.SendBuffer, 256)
	def(&o.ReplayPage, 500)
	defDur(&o.PingInterval, 25*time.Second)
	defDur(&o.WriteTimeout, 10*time.Second)
	defDur(&o.OverviewEvery, time.Second)
	defDur(&o.OverviewRefresh, 5*time.Second)
	defDur(&o.OverviewDelay, 300*time.Millisecond)
	defDur(&o.FeedBlock, 2*time.Second)
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 10
	}
	h := &Hub{
		o:       o,
		log:     o.Logger.With("component", "live"),
		origins: make(map[string]bool, len(o.AllowedOrigins)),
		ready:   make(chan struct{}),
		stop:    make(chan struct{}),
		conns:   make(map[*client]struct{}),
	}
	for _, s := range o.AllowedOrigins {
		h.origins[strings.ToLower(strings.TrimSuffix(s, "/"))] = true
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		// Most clients are idle most of the time: share write buffers between them.
		WriteBufferPool: &sync.Pool{},
		// ServeHTTP has checked the origin already, with a JSON answer on refusal.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	h.authed = o.Auth.AuthenticateWS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := web.PrincipalOf(r.Context())
		h.serve(w, r, p)
	}))
	if o.Registerer != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "duban_websocket_clients",
			Help: "WebSocket clients connected to this replica.",
		}, h.Clients)
		if err := o.Registerer.Register(g); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Clients is the number of clients connected to this replica (duban_websocket_clients;
// internal/metrics takes it as Options.Clients).
func (h *Hub) Clients() float64 { return float64(h.count.Load()) }

// OverviewChanged tells the hub that the figures changed. It never blocks: the hub
// recomputes them at most once per OverviewEvery and sends them to the clients whose scope
// changed. A nil hub ignores it.
func (h *Hub) OverviewChanged() {
	if h == nil || h.o.Overview == nil {
		return
	}
	h.ovChanged.Store(true)
	h.nudgeOverview()
}

func (h *Hub) nudgeOverview() { h.ovNudge.Wake() }

// Run feeds the hub from the alert stream until ctx ends, then closes every client with
// 1001 (going away) and waits for their goroutines. It starts at the stream's newest entry:
// clients that need older ones ask with `since`. It may be called once.
func (h *Hub) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return errors.New("live: Run called twice")
	}
	defer h.shutdown()
	if !h.start(ctx) {
		return nil
	}
	var wg sync.WaitGroup
	if h.o.Overview != nil {
		wg.Go(func() { h.overviewLoop(ctx) })
	}
	h.feed(ctx)
	wg.Wait()
	return nil
}

// start reads the stream's newest cursor, retrying while Redis is unreachable; false when
// ctx ended first.
func (h *Hub) start(ctx context.Context) bool {
	latest, ok := stream.Latest(ctx, h.streamOptions())
	if !ok {
		return false
	}
	pos, err := cursorOf(latest)
	if err != nil {
		h.log.Error("alert_stream_cursor", "err", err)
		pos = zeroCursor
	}
	h.mu.Lock()
	h.pos = pos
	h.mu.Unlock()
	close(h.ready)
	h.log.Info("live_feed_started", "cursor", pos.String())
	return true
}

// streamOptions is how the hub follows the alert stream: large batches, FeedBlock.
func (h *Hub) streamOptions() stream.Options {
	return stream.Options{Store: h.o.Store, Batch: feedCount, Block: h.o.FeedBlock, Logger: h.log}
}

func cursorOf(s string) (cursor, error) {
	c, ok := parseCursor(s)
	if !ok {
		return c, errors.New("live: bad stream id " + s)
	}
	return c, nil
}

// feed is the replica's one reader of the alert stream: a stage on the follower that
// publishes the entries after the hub's position in order.
func (h *Hub) feed(ctx context.Context) {
	h.mu.Lock()
	from := h.pos
	h.mu.Unlock()
	_ = stream.Follow(ctx, h.streamOptions(), from.String(), func(_ context.Context, batch []rdb.StreamAlert) (string, error) {
		for _, sa := range batch {
			e, err := newEntry(sa, true)
			if e == nil {
				h.log.Error("alert_stream_entry_skipped", "err", err)
				continue
			}
			if err != nil {
				h.log.Error("alert_stream_entry_undecodable", "cursor", sa.Cursor, "err", err)
			}
			h.publish(e)
		}
		h.OverviewChanged() // an alert fired or changed: the levels moved
		return batch[len(batch)-1].Cursor, nil
	})
}

// publish moves the hub to e and hands e to every subscription: a live one gets it queued
// (or, its queue full, is closed with 4008); one still replaying keeps it in its pending
// list for the switch to live.
func (h *Hub) publish(e *entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = e.cur
	if !e.ok {
		return
	}
	for c := range h.conns {
		s := c.sub
		if s == nil || !s.f.match(e) {
			continue
		}
		if !s.live {
			s.hold(e, h.o.SendBuffer)
			continue
		}
		if !e.cur.after(s.last) {
			continue // the replay went past the hub's position and sent it already
		}
		s.last = e.cur
		select {
		case c.send <- outMsg{pm: e.pm, gen: s.gen}:
		default:
			h.dropLocked(c, CloseTooSlow, "too slow: reconnect with since")
		}
	}
}

// dropLocked takes c out of the fan-out and closes it with code. h.mu is held.
func (h *Hub) dropLocked(c *client, code int, text string) {
	if _, ok := h.conns[c]; ok {
		delete(h.conns, c)
		h.count.Add(-1)
		if code == CloseTooSlow {
			h.log.Info("websocket_client_too_slow", "principal", c.p.Name, "remote", c.remote)
		}
	}
	c.kick(code, text)
}

// shutdown refuses new clients, closes the connected ones with 1001 and waits for them.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		c.shutdown()
	}
	h.mu.Unlock()
	close(h.stop)
	h.clients.Wait()
}
