package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// RelayOptions configure the relay.
type RelayOptions struct {
	Store *rdb.Store
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

// DecodeOutboxEntry reads an outbox entry's transitions and gives each alert transition its
// record: the document as stored (passed on as it is) and its facts (for the figures).
func DecodeOutboxEntry(e rdb.OutboxEntry) ([]fold.Transition, error) {
	var raw []struct {
		fold.Transition
		// Legacy: entries written before the records rode in fields of their own carried
		// the whole record here.
		Legacy json.RawMessage `json:"alert"`
	}
	if err := codec.Unmarshal(e.Doc, &raw); err != nil {
		return nil, err
	}
	ts := make([]fold.Transition, len(raw))
	k := 0
	for i := range raw {
		t := raw[i].Transition
		if t.Type == fold.TAlert {
			switch doc, ok := e.Records[t.Key]; {
			case ok && t.Key != "":
				t.AlertDoc = doc
			case k < len(e.Positional):
				t.AlertDoc = e.Positional[k]
			default:
				t.AlertDoc = raw[i].Legacy
			}
			k++
			if t.Facts == nil && t.AlertDoc != nil {
				if err := codec.Unmarshal(t.AlertDoc, &t.Facts); err != nil {
					return nil, fmt.Errorf("alert %d: %w", k, err)
				}
			}
			if t.Facts == nil || t.AlertDoc == nil {
				return nil, fmt.Errorf("alert transition %d has no record", k)
			}
			t.Alert = t.Facts.Record()
		}
		ts[i] = t
	}
	return ts, nil
}

// ops turns one transition into relay operations.
func (r *Relay) ops(b *rdb.RelayBatch, t *fold.Transition, drops map[alerting.Fault]bool) error {
	figures(b, t, r.o.Loc)
	switch t.Type {
	case fold.TAlert:
		b.Alert(t.AlertDoc)
	case fold.TFault:
		f := t.Fault
		id, doc := "", []byte(nil)
		if f.Handler != "" && f.Delta > 0 {
			rec := r.faultThreshold(f.Fault)
			d, err := json.Marshal(rec)
			if err != nil {
				return fmt.Errorf("engine: encode alert: %w", err)
			}
			id, doc = rec.ID, d
		}
		b.Fault(f.Year, f.Department, f.Handler, f.Delta, r.o.FaultThreshold, id, doc)
		if f.Handler != "" {
			// Checked after the relay: a count back under the threshold supersedes the
			// handler's fault_threshold; one back over it reopens a superseded one.
			drops[f.Fault] = true
		}
	case fold.TCalendarMissing:
		rec := alerting.CalendarMissing(t.Year, alerting.NeededByDeadline, r.o.Clock.Now().In(r.o.Loc))
		doc, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("engine: encode alert: %w", err)
		}
		b.SystemAlert(rec.ID, doc)
	}
	return nil
}

// faultThreshold is the alert a handler gets on reaching the threshold in a year.
func (r *Relay) faultThreshold(f alerting.Fault) alerting.Record {
	return alerting.FaultThreshold(f, r.o.FaultThreshold, r.deptName(f.Department), r.o.Clock.Now().In(r.o.Loc))
}

// deptName is a department's name for a message, or its code when the catalogue lacks it.
func (r *Relay) deptName(code string) string {
	if r.o.Catalog != nil {
		if c := r.o.Catalog(); c != nil {
			if d, ok := c.Department(code); ok && d.Name != "" {
				return d.Name
			}
		}
	}
	return code
}

// dropBelow keeps a handler's fault_threshold alert in line with the year's count: resolved
// as superseded when exemptions or superseded alerts took the count back below the
// threshold, reopened (the same alert: once per handler and year) when it reaches it again.
func (r *Relay) dropBelow(ctx context.Context, f alerting.Fault) error {
	counts, err := r.o.Store.FaultCounts(ctx, f.Year)
	if err != nil {
		return err
	}
	id := alerting.FaultThresholdID(f.Year, f.Department, f.Handler)
	now := r.o.Clock.Now().In(r.o.Loc)
	if counts[rdb.HandlerFaultField(f.Department, f.Handler)] < int64(r.o.FaultThreshold) {
		return ResolveSystemAlert(ctx, r.o.Store, id, alerting.Superseded, now, r.o.Wall())
	}
	for range maxConflicts {
		old, ok, err := r.o.Store.Alert(ctx, id)
		if err != nil || !ok {
			return err
		}
		var rec alerting.Record
		if err := json.Unmarshal(old, &rec); err != nil {
			return fmt.Errorf("engine: decode alert %s: %w", id, err)
		}
		if !rec.Superseded() {
			return nil
		}
		rec.InZone(r.o.Loc)
		rec.Fire(now)
		doc, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		if done, err := r.o.Store.UpdateSystemAlert(ctx, id, old, doc, r.o.Wall()); err != nil || done {
			return err
		}
	}
	return fmt.Errorf("engine: alert %s kept changing", id)
}

// ResolveSystemAlert resolves an open system alert (a calendar year loaded: closed; a count
// back under the threshold: superseded). A missing or already closed alert is left alone.
// now is business time in the configured zone, and the record is put in now's zone whole.
func ResolveSystemAlert(ctx context.Context, store *rdb.Store, id string, res alerting.Resolution, now, wall time.Time) error {
	for range maxConflicts {
		old, ok, err := store.Alert(ctx, id)
		if err != nil || !ok {
			return err
		}
		var rec alerting.Record
		if err := json.Unmarshal(old, &rec); err != nil {
			return fmt.Errorf("engine: decode alert %s: %w", id, err)
		}
		if !rec.State.Open() {
			return nil
		}
		rec.InZone(now.Location())
		rec.SystemResolve(res, now)
		doc, err := json.Marshal(&rec)
		if err != nil {
			return fmt.Errorf("engine: encode alert %s: %w", id, err)
		}
		done, err := store.UpdateSystemAlert(ctx, id, old, doc, wall)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("engine: alert %s kept changing", id)
}
