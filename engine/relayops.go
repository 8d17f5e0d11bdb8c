package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// What the relay does with each transition it reads from an outbox: the figures it counts
// (figures.go), the system alerts it raises and drops, and the records it passes on to the
// alert stream as stored. relay.go is the loop around it.

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
func ResolveSystemAlert(ctx context.Context, store SystemAlertStore, id string, res alerting.Resolution, now, wall time.Time) error {
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
