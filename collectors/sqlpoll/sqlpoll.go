package sqlpoll

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/lease"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Defaults of Options.
const (
	DefaultLeaseTTL   = 15 * time.Second
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// Statuses of a source in /readyz, besides "unreachable: …" and "mapping: …".
const (
	StatusOK      = "ok"
	StatusStandby = "standby"
)

// Row outcomes, the values of duban_collector_rows_total's outcome label.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeRejected  = "rejected"
)

// Options configure the pollers. Store, Catalog, Clock and Owner are required.
type Options struct {
	Sources []config.SQLSource
	Store   *rdb.Store
	Catalog func() *monitor.Catalog
	// Clock is the business clock: the `at` check of validation and each event's
	// ReceivedAt (unless received_at is mapped).
	Clock interface{ Now() time.Time }
	// Wall is the real time (plumbing: leases, lag, the dirty-set score). Nil means
	// clock.Wall.
	Wall func() time.Time
	// Owner names this replica in the sources' leases.
	Owner string
	// LeaseTTL is how long a source's lease outlives its holder; the holder renews it three
	// times per TTL (internal/lease). Zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed poll, doubled per failure.
	MinBackoff, MaxBackoff time.Duration
	// OnStored is called with the number of new events after each stored page, to wake
	// this replica's applier (other replicas are told through Redis).
	OnStored func(n int)
	Logger   *slog.Logger
	// Registerer gets duban_collector_* (nil: not registered).
	Registerer prometheus.Registerer
}

// Pollers poll the configured sources, each in its own goroutine.
type Pollers struct {
	o       Options
	log     *slog.Logger
	leases  *lease.Leases
	sources []*poller
}

// New checks the options and builds the pollers; nothing is contacted before Run.
func New(o Options) (*Pollers, error) {
	switch {
	case o.Store == nil || o.Catalog == nil || o.Clock == nil:
		return nil, errors.New("sqlpoll: Options.Store, Catalog and Clock are required")
	case o.Owner == "":
		return nil, errors.New("sqlpoll: Options.Owner is required")
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.OnStored == nil {
		o.OnStored = func(int) {}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ps := &Pollers{o: o, log: o.Logger.With("component", "sqlpoll")}
	leases, err := lease.New(lease.Options{Store: o.Store, Owner: o.Owner, TTL: o.LeaseTTL, Wall: o.Wall, Logger: ps.log})
	if err != nil {
		return nil, fmt.Errorf("sqlpoll: %w", err)
	}
	ps.leases = leases
	for i := range o.Sources {
		src := &o.Sources[i]
		ps.sources = append(ps.sources, &poller{ps: ps, src: src, status: StatusStandby, counts: map[string]int64{},
			log: ps.log.With("source", src.Name), lease: rdb.CollectorLease(src.Name)})
	}
	if o.Registerer != nil {
		if err := o.Registerer.Register(&metricsCollector{ps: ps}); err != nil {
			return nil, fmt.Errorf("sqlpoll: register metrics: %w", err)
		}
	}
	return ps, nil
}

// Run polls every source until ctx ends, then gives the leases back.
func (ps *Pollers) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range ps.sources {
		wg.Go(func() { p.run(ctx) })
	}
	wg.Wait()
	return nil
}

// Status is each source's state on this replica, for /readyz: "ok", "standby" (another
// replica holds its lease), "unreachable: …" or "mapping: …". Nil when no source is
// configured.
func (ps *Pollers) Status() map[string]string {
	if ps == nil || len(ps.sources) == 0 {
		return nil
	}
	out := make(map[string]string, len(ps.sources))
	for _, p := range ps.sources {
		p.mu.Lock()
		out[p.src.Name] = p.status
		p.mu.Unlock()
	}
	return out
}

// poller is one source's loop.
type poller struct {
	ps    *Pollers
	src   *config.SQLSource
	log   *slog.Logger
	lease string

	mu     sync.Mutex
	status string // guarded by mu

	db     *sql.DB
	rd     *reader // nil until the database told the columns
	mp     *mapper
	down   bool // an outage or a mapping problem is being reported
	downAt time.Time
	fails  int
	endAt  time.Time // when the source was last read to its end
	// counts are the row outcomes since the last saved cursor.
	counts map[string]int64
}

func (p *poller) setStatus(s string) {
	p.mu.Lock()
	p.status = s
	p.mu.Unlock()
}

// errLeaseLost: another replica took the source over (this one stalled past the TTL).
var errLeaseLost = errors.New("the lease passed to another replica")

func (p *poller) run(ctx context.Context) {
	defer func() {
		if p.db != nil {
			_ = p.db.Close()
		}
	}()
	// While another replica holds the source's lease this one stands by, trying again
	// every third of the TTL; while it holds it, it polls.
	p.ps.leases.Run(ctx, p.lease, func(ctx context.Context) {
		p.serve(ctx)
		p.standby()
	})
}

// serve polls the source every Interval (after a failure, the back-off) until ctx ends: the
// service stops or the lease is lost.
func (p *poller) serve(ctx context.Context) {
	for ctx.Err() == nil {
		err := p.poll(ctx)
		next := p.src.Interval
		switch {
		case err == nil:
			p.recovered()
		case ctx.Err() != nil:
			return
		case errors.Is(err, errLeaseLost):
			p.log.Info("lease_lost")
			return
		default:
			next = p.failed(ctx, err)
		}
		clock.Sleep(ctx, next)
	}
}

func (p *poller) standby() {
	clear(p.counts) // the new holder counts what it takes
	p.setStatus(StatusStandby)
}

// failed reports a failed poll (once per outage or problem) and returns the back-off.
func (p *poller) failed(ctx context.Context, err error) time.Duration {
	var me *mappingError
	status := "unreachable: " + p.redact(err.Error())
	if errors.As(err, &me) {
		status = "mapping: " + p.redact(me.msg)
		p.rd = nil // read the columns again on the next try
	}
	p.setStatus(status)
	if !p.down {
		p.down, p.downAt = true, p.ps.o.Wall()
		p.log.Warn("source_down", "status", status)
	}
	p.record(ctx, false, status, true)
	d := p.ps.o.MinBackoff << min(p.fails, 16)
	p.fails++
	return min(d, p.ps.o.MaxBackoff)
}

func (p *poller) recovered() {
	p.fails = 0
	if p.down {
		p.down = false
		p.log.Info("source_up", "down_for", p.ps.o.Wall().Sub(p.downAt).Round(time.Second).String())
	}
}

// redact keeps the password, and the data source name that holds it, out of a message.
func (p *poller) redact(s string) string {
	if p.src.DSN != "" {
		s = strings.ReplaceAll(s, p.src.DSN, "[dsn]")
	}
	if p.src.Password != "" {
		s = strings.ReplaceAll(s, p.src.Password, "xxxxx")
	}
	return s
}

// record writes the source's state for the metrics every replica exports.
func (p *poller) record(ctx context.Context, up bool, status string, behind bool) {
	st := rdb.CollectorState{Up: up, Status: status, Behind: behind, EndAt: p.endAt, SeenAt: p.ps.o.Wall()}
	if err := p.ps.o.Store.SetCollectorState(context.WithoutCancel(ctx), p.src.Name, st); err != nil && ctx.Err() == nil {
		p.log.Warn("state_not_recorded", "err", err)
	}
}

// poll reads the source from its stored cursor (less the overlap) to its end, page by page,
// storing each page's events before its cursor.
func (p *poller) poll(ctx context.Context) error {
	if p.db == nil {
		db, err := openDB(p.src)
		if err != nil {
			return &mappingError{err.Error()}
		}
		p.db = db
	}
	if p.rd == nil {
		rd := &reader{src: p.src, db: p.db}
		if err := rd.prepare(ctx); err != nil {
			return err
		}
		p.rd, p.mp = rd, newMapper(p.src, rd.cols)
	}
	rd := p.rd
	stored, storedFloor, ok, err := p.ps.o.Store.CollectorPosition(ctx, p.src.Name)
	if err != nil {
		return err
	}
	var (
		top   cursor // the stored cursor: rows at or before it were read before
		floor string // with start: now, where the source started: never read behind it
	)
	switch {
	case ok:
		if top, err = rd.parse(stored); err != nil {
			return &mappingError{err.Error()}
		}
	case p.src.StartNow:
		if top, err = p.skipToEnd(ctx); err != nil {
			return err
		}
		floor = rd.format(top)
	default:
		top = rd.start()
	}
	from, limit := rd.back(top), p.src.Batch
	if !ok {
		from = top
	} else if storedFloor != "" {
		if f, err := rd.parse(storedFloor); err == nil && rd.less(from, f) {
			from = f
		}
	}
	read := top // rows up to here were read before this poll
	for {
		// One row more than the page, to see whether the page's last cursor value goes on
		// past it.
		rows, err := rd.page(ctx, from, limit+1)
		if err != nil {
			return err
		}
		full := len(rows) > limit
		take := len(rows)
		if full {
			// Rows that share the last cursor value with the row after the page are left
			// to the next page, which starts after the value before them.
			take = limit
			after := rows[limit].cur
			for take > 0 && !rd.less(rows[take-1].cur, after) {
				take--
			}
			if take == 0 {
				if limit >= 64*p.src.Batch {
					return &mappingError{fmt.Sprintf("more than %d rows share the cursor value %s", limit, rd.format(after))}
				}
				limit *= 2
				continue
			}
		}
		page := rows[:take]
		next, good := from, false
		for i := range page {
			if page[i].bad == "" {
				next, good = page[i].cur, true
			}
		}
		if full && !good {
			return &mappingError{fmt.Sprintf("no row of a page after %s has a readable cursor", rd.format(from))}
		}
		if err := p.store(ctx, page, top); err != nil {
			return err
		}
		if rd.less(top, next) {
			top = next
		}
		if !full {
			p.endAt = p.ps.o.Wall()
		}
		saved, err := p.ps.o.Store.SaveCollectorProgress(ctx, p.src.Name, p.ps.o.Owner, rd.format(top), floor, p.counts)
		if err != nil {
			return err
		}
		if !saved {
			return errLeaseLost
		}
		clear(p.counts)
		p.recovered() // logged before the status turns OK, so whoever sees OK sees the line
		p.setStatus(StatusOK)
		// Behind: a full page of new rows; a full page of the overlap is no lag.
		p.record(ctx, true, StatusOK, full && rd.less(read, next))
		if !full {
			return nil
		}
		from, limit = next, p.src.Batch
		if err := ctx.Err(); err != nil { // stopping, or the lease was lost
			return err
		}
	}
}

// skipToEnd finds the cursor of the source's last row, for a first run with start: now.
func (p *poller) skipToEnd(ctx context.Context) (cursor, error) {
	rd := p.rd
	at := rd.start()
	for {
		rows, err := rd.page(ctx, at, p.src.Batch)
		if err != nil {
			return cursor{}, err
		}
		for _, r := range rows {
			if r.bad == "" && rd.less(at, r.cur) {
				at = r.cur
			}
		}
		if len(rows) < p.src.Batch {
			return at, nil
		}
	}
}

// ForService builds the pollers of the configured sources (`collectors.sql`) for `duban
// serve` and `duban demo`: the business clock, this replica's lease owner, and onStored to
// wake the local applier. With no source configured, Run returns at once.
func ForService(cfg *config.Config, store *rdb.Store, clk interface{ Now() time.Time }, owner string,
	onStored func(int), log *slog.Logger, reg prometheus.Registerer) (*Pollers, error) {
	return New(Options{Sources: cfg.Collectors.SQL, Store: store,
		Catalog: func() *monitor.Catalog { return cfg.Catalog }, Clock: clk, Owner: owner,
		OnStored: onStored, Logger: log, Registerer: reg})
}
