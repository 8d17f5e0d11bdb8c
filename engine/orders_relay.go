package engine

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/supervision"
)

// What the relay does with the orders' outbox entries and for automatic opening. The
// global-slot parts (the alert stream, the order figures, fault counts) go into the relay's
// batch and move with its checkpoint, exactly once. The parts in other slots — the case's
// side of an order link, automatic opening — are idempotent and run before the checkpoint
// moves, so a relay that dies or loses the race leaves them to be repeated, harmlessly
// (invariant 10: each side written by its own script).

// sideEffects are a partition batch's writes outside the global slot.
type sideEffects struct {
	links []rdb.CaseLink
	autos [][]byte // alert records that may open an order
}

// autoOpen keeps a case alert that has just fired for automatic opening when its kind asks
// for it (the record is decoded in run, only for these).
func (s *sideEffects) autoOpen(r *Relay, t *fold.Transition) {
	if r.o.AutoOpen == nil || t.Type != fold.TAlert || !t.New || t.Facts == nil ||
		t.Facts.Level != monitor.Red || !slices.Contains(r.o.AutoKinds, t.Facts.Kind) {
		return
	}
	s.autos = append(s.autos, t.AlertDoc)
}

func (s *sideEffects) run(ctx context.Context, r *Relay) error {
	if err := r.o.Store.LinkCaseOrders(ctx, s.links); err != nil {
		return err
	}
	for _, doc := range s.autos {
		var rec alerting.Record
		if err := json.Unmarshal(doc, &rec); err != nil {
			r.o.Logger.Error("relay_bad_alert", "err", err)
			continue
		}
		if err := r.o.AutoOpen(ctx, &rec); err != nil {
			return err
		}
	}
	return nil
}

// orderOps turns an order's outbox entry into relay operations: its alerts onto the stream,
// the order itself onto the stream for the live feed, its figure cells and fault counts.
func (r *Relay) orderOps(b *rdb.RelayBatch, e rdb.OutboxEntry, side *sideEffects) error {
	var en OrderEntry
	if err := json.Unmarshal(e.Order, &en); err != nil {
		// Written by this program; a document it cannot read is skipped, not a wedge.
		r.o.Logger.Error("relay_bad_entry", "id", e.ID, "err", err)
		return nil
	}
	for _, a := range en.Alerts {
		b.Alert(a)
	}
	if en.Changed && en.Order != nil {
		b.OrderChange(en.Order)
	}
	// The case's side records the order's state: only a new state, or a new case, moves it.
	if en.From != en.To || slices.Contains(en.Actions, supervision.HAttached) {
		for _, c := range en.CaseIDs {
			side.links = append(side.links, rdb.CaseLink{CaseID: c, OrderID: en.ID, Revision: en.Revision, State: string(en.State)})
		}
	}
	if en.From != en.To {
		if en.From != "" {
			b.CountOrder(en.From, -1)
		}
		b.CountOrder(en.To, 1)
	}
	if en.WasOverdue != en.IsOverdue {
		d := int64(1)
		if en.WasOverdue {
			d = -1
		}
		b.CountOrder("overdue|"+en.Department, d)
	}
	for _, f := range en.Faults {
		switch {
		case !f.Confirmed:
			// A missed reply: a recorded fault of the department, of no handler.
			b.Fault(f.Year, f.Department, "", f.Delta, r.o.FaultThreshold, "", nil)
		case f.Handler == "":
			b.ConfirmedFault(f.Year, f.Department, "", f.Delta, 0, "", nil)
		default:
			id, doc := "", []byte(nil)
			if f.Delta > 0 {
				rec := confirmedThreshold(f.Fault, r.o.FaultThreshold, r.o.Clock.Now().In(r.o.Loc))
				d, err := json.Marshal(&rec)
				if err != nil {
					return err
				}
				id, doc = rec.ID, d
			}
			b.ConfirmedFault(f.Year, f.Department, f.Handler, f.Delta, r.o.FaultThreshold, id, doc)
		}
	}
	return nil
}

// confirmedThreshold is the fault_threshold_confirmed record of a handler reaching the
// threshold of confirmed faults at now.
func confirmedThreshold(f supervision.Fault, threshold int, now time.Time) alerting.Record {
	a := supervision.ConfirmedThresholdAlert(f.Year, f.Department, f.Handler, threshold, now)
	return alerting.Record{
		ID: a.ID, Kind: a.Kind, Level: a.Level, State: alerting.Firing, Department: a.Department,
		Handler: a.Handler, Year: a.Year, Instant: now, FiredAt: now, Message: a.Message,
		Faults: threshold, Updated: now, History: []alerting.Step{{State: alerting.Firing, At: now}}, Revision: 1,
	}
}
