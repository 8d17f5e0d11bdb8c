package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
)

// RelayOptions configure the relay.
type RelayOptions struct {
	Store RelayStore
	Clock BusinessClock
	Wall  func() time.Time // real time (stream trimming); nil means the system clock
	Loc   *time.Location
	// Catalog gives the departments' names for the Chinese messages the relay writes
	// (fault_threshold names the handler's department by name). Nil, or a department not in
	// it, falls back to the code.
	Catalog func() *monitor.Catalog
	// FaultThreshold is rules.fault_threshold: a handler's faults in one year that raise
	// fault_threshold. Zero means 3.
	FaultThreshold int
	// Batch bounds the outbox entries relayed per partition per round. Zero means 512.
	Batch int64
	// Poll is the fallback interval (real time) for other replicas' leftovers. Zero: 500 ms.
	Poll time.Duration
	// AutoOpen, when set, is automatic opening (Orders.AutoOpen), called for every new red
	// alert of a kind in AutoKinds before the entry's checkpoint moves (so a retry repeats
	// it, idempotently).
	AutoOpen  func(ctx context.Context, rec *alerting.Record) error
	AutoKinds []monitor.AlertKind
	// Relayed, when set, is called after a round that relayed something.
	Relayed func(n int)
	Logger  *slog.Logger
}

// Relay copies the partitions' outboxes into the global slot: alerts onto the alert stream
// (the one cursor order of the live feed and webhooks), fault counts into accountability
// (raising fault_threshold), calendar_missing alerts. Every replica runs one; a partition's
// copy is exactly-once because its checkpoint moves in the same atomic script as the copy,
// and a replica that loses the race just reads again.
type Relay struct {
	o    RelayOptions
	wake chan struct{}
}

// NewRelay validates options and builds a relay.
func NewRelay(o RelayOptions) (*Relay, error) {
	if o.Store == nil || o.Clock == nil || o.Loc == nil {
		return nil, errors.New("engine: the relay needs a store, a clock and a zone")
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.FaultThreshold <= 0 {
		o.FaultThreshold = 3
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "relay")
	return &Relay{o: o, wake: make(chan struct{}, 1)}, nil
}

// Wake makes the relay look at the outboxes now; it never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.o.Poll)
	defer t.Stop()
	var lastErr string
	for {
		n, err := r.RelayOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if err.Error() != lastErr {
				r.o.Logger.Error("relay_failed", "err", err)
				lastErr = err.Error()
			}
		} else {
			lastErr = ""
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
		}
	}
}

// RelayOnce relays one batch of every partition's outbox and returns how many entries it
// copied.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	cps, err := r.o.Store.RelayCheckpoints(ctx)
	if err != nil {
		return 0, err
	}
	heads, err := r.o.Store.OutboxHeads(ctx, cps, r.o.Batch)
	if err != nil {
		return 0, err
	}
	total := 0
	drops := make(map[alerting.Fault]bool) // handlers whose counts changed: checked once a round
	for p, entries := range heads {
		b := r.o.Store.NewRelayBatch()
		pd := make(map[alerting.Fault]bool)
		var side sideEffects
		for _, e := range entries {
			if e.Order != nil { // a supervision order's change (orders_relay.go)
				if err := r.orderOps(b, e, &side); err != nil {
					return total, err
				}
				continue
			}
			ts, err := DecodeOutboxEntry(e)
			if err != nil {
				// Written by this program; a document it cannot read is skipped, not a wedge.
				r.o.Logger.Error("relay_bad_entry", "partition", p, "id", e.ID, "err", err)
				continue
			}
			for i := range ts {
				if err := r.ops(b, &ts[i], pd); err != nil {
					return total, err
				}
				side.autoOpen(r, &ts[i])
			}
		}
		if err := side.run(ctx, r); err != nil {
			return total, err
		}
		ok, err := r.o.Store.Relay(ctx, p, cps[p], entries[len(entries)-1].ID, b, r.o.Wall())
		if err != nil {
			return total, err
		}
		if ok {
			total += len(entries)
			for f := range pd {
				drops[f] = true
			}
		}
	}
	for f := range drops {
		if err := r.dropBelow(ctx, f); err != nil {
			return total, err
		}
	}
	if total > 0 && r.o.Relayed != nil {
		r.o.Relayed(total)
	}
	return total, nil
}
