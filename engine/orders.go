package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/supervision"
)

// A supervision order is the second kind of clocked subject, beside the case: it lives in
// the partition of its id, its next instant (supervision.NextDue) sits in the same timers
// set as the cases' thresholds (member rdb.OrderMember(id)), the same timer engine hands it
// to the same dirty set, and the applier passes it here by its member's prefix (Subject).
// Every change — a person's action through the API, a timer's tick, automatic opening — is
// supervision.Apply on the order as read, written with a compare-and-set (ordersave.lua),
// so each order alert fires once per order, kind and round across replicas and restarts.

// Subject is a kind of clocked subject other than a case: the dirty-set members starting
// with Prefix are handed to Apply (members, prefix included) instead of the case fold.
type Subject struct {
	Prefix string
	Apply  func(ctx context.Context, members []string) error
}

// OrderOptions configure the orders' engine.
type OrderOptions struct {
	Store *rdb.Store
	// Rules gives the calendar and zone in force (and report_within for automatic opening).
	Rules    func() fold.Rules
	Settings supervision.Settings
	Clock    BusinessClock
	Wall     func() time.Time
	Logger   *slog.Logger
	// Saved, when set, is called after orders were written: schedule their next instants
	// (the timer engine) and wake the relay.
	Saved func(next []time.Time)
}

// Orders applies actions and ticks to supervision orders.
type Orders struct{ o OrderOptions }

// NewOrders builds the orders' engine.
func NewOrders(o OrderOptions) (*Orders, error) {
	if o.Store == nil || o.Rules == nil || o.Clock == nil {
		return nil, errors.New("engine: the orders need a store, rules and a clock")
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "orders")
	return &Orders{o: o}, nil
}

// Subject is the orders' entry for ApplierOptions.Subjects.
func (e *Orders) Subject() Subject { return Subject{Prefix: rdb.OrderPrefix, Apply: e.Tick} }

// ErrNoOrder is an action on an order that does not exist.
var ErrNoOrder = errors.New("engine: no such order")

func (e *Orders) rules() (supervision.Rules, time.Duration) {
	r := e.o.Rules()
	return supervision.Rules{Calendar: r.Calendar, Loc: r.Loc, Settings: e.o.Settings}, r.ReportWithin
}

// now is business time in the configured zone.
func (e *Orders) now(r supervision.Rules) time.Time { return monitor.InZone(e.o.Clock.Now(), r.Loc) }

// OrderEntry is an order's outbox entry (rdb.OutboxEntry.Order): what the relay needs to
// put the change on the alert stream, count it and link its cases.
type OrderEntry struct {
	ID         string                      `json:"id"`
	Department string                      `json:"department"`
	CaseIDs    []string                    `json:"case_ids"`
	Revision   int                         `json:"revision"`
	State      supervision.State           `json:"state"`
	Changed    bool                        `json:"changed"` // the order itself changed (else only an alert record)
	From       string                      `json:"from_cell,omitempty"`
	To         string                      `json:"to_cell,omitempty"`
	WasOverdue bool                        `json:"was_overdue,omitempty"`
	IsOverdue  bool                        `json:"is_overdue,omitempty"`
	Order      json.RawMessage             `json:"order,omitempty"` // for the live feed: responsible statements left out
	Alerts     []json.RawMessage           `json:"alerts,omitempty"`
	Faults     []supervision.FaultDelta    `json:"faults,omitempty"`
	Actions    []supervision.HistoryAction `json:"actions,omitempty"`
}

// overdueOpen is the "open and past its reply deadline" of the figures.
func overdueOpen(o *supervision.Order) bool {
	return o.ID != "" && o.State == supervision.Open && o.Overdue
}

// cell is an order's figure cell, "<dept>|<state>" ("" before it exists).
func cell(o *supervision.Order) string {
	if o.ID == "" {
		return ""
	}
	return o.Department + "|" + string(o.State)
}

// write builds the write of order out (computed from old, read as snap) with its
// transitions ts at now; alerts are the records of order alerts changed besides (an ack).
func (e *Orders) write(snap rdb.OrderSnap, old, out supervision.Order, ts []supervision.Transition, now time.Time, loc *time.Location, extra []rdb.AlertWrite) (rdb.OrderWrite, error) {
	w := rdb.OrderWrite{ID: out.ID, SV: snap.SV, State: string(out.State), Department: out.Department, Alerts: extra}
	doc, err := json.Marshal(&out)
	if err != nil {
		return w, fmt.Errorf("engine: encode order %s: %w", out.ID, err)
	}
	w.Doc = doc
	if at, _, ok := supervision.NextDue(out); ok {
		w.NextTimer = at
	}
	entry := OrderEntry{ID: out.ID, Department: out.Department, CaseIDs: out.CaseIDs, Revision: out.Revision,
		State: out.State, From: cell(&old), To: cell(&out), WasOverdue: overdueOpen(&old), IsOverdue: overdueOpen(&out)}
	for _, t := range ts {
		switch t.Kind {
		case supervision.TChanged:
			entry.Changed = true
			entry.Actions = append(entry.Actions, t.Action)
		case supervision.TFault:
			entry.Faults = append(entry.Faults, *t.Fault)
		case supervision.TAlertFired:
			rec := alertRecord(t.Alert, now)
			aw, err := alertWrite(&rec, "")
			if err != nil {
				return w, err
			}
			w.Alerts = append(w.Alerts, aw)
		case supervision.TAlertResolved:
			key := alertKey(t.Alert)
			prev, ok := snap.Alerts[key]
			if !ok {
				continue
			}
			var rec alerting.Record
			if err := json.Unmarshal(prev, &rec); err != nil {
				return w, fmt.Errorf("engine: decode alert %s: %w", t.Alert.ID, err)
			}
			if !rec.State.Open() {
				continue
			}
			oldState := string(rec.State)
			rec.InZone(loc)
			rec.SystemResolve(alerting.Resolution(t.Alert.Resolution), now)
			aw, err := alertWrite(&rec, oldState)
			if err != nil {
				return w, err
			}
			w.Alerts = append(w.Alerts, aw)
		}
	}
	for _, a := range w.Alerts {
		entry.Alerts = append(entry.Alerts, a.Doc)
	}
	if entry.Changed {
		shown := out.Clone()
		shown.HideResponsible()
		shown.InZone(loc)
		if entry.Order, err = json.Marshal(&shown); err != nil {
			return w, fmt.Errorf("engine: encode order %s: %w", out.ID, err)
		}
	}
	if entry.Changed || len(entry.Alerts) > 0 || len(entry.Faults) > 0 {
		if w.Outbox, err = json.Marshal(&entry); err != nil {
			return w, fmt.Errorf("engine: encode order entry %s: %w", out.ID, err)
		}
	}
	return w, nil
}

// alertKey is the key of an order alert within its order: "order_overdue:1".
func alertKey(a *supervision.Alert) string {
	_, key, _ := strings.Cut(a.ID, alerting.Sep)
	return key
}

// alertRecord is the alert record of an order alert that fired at now.
func alertRecord(a *supervision.Alert, now time.Time) alerting.Record {
	due := a.Due
	return alerting.Record{
		ID: a.ID, Kind: a.Kind, Level: a.Level, State: alerting.Firing, Department: a.Department,
		OrderID: a.OrderID, CaseIDs: a.CaseIDs, Due: due, Instant: a.Instant, FiredAt: now,
		Message: a.Message, Updated: now, History: []alerting.Step{{State: alerting.Firing, At: now}},
		Key: alertKey(a), Revision: 1,
	}
}

func alertWrite(rec *alerting.Record, oldState string) (rdb.AlertWrite, error) {
	doc, err := json.Marshal(rec)
	if err != nil {
		return rdb.AlertWrite{}, fmt.Errorf("engine: encode alert %s: %w", rec.ID, err)
	}
	return rdb.AlertWrite{Key: rec.Key, ID: rec.ID, OldState: oldState, NewState: string(rec.State), Doc: doc}, nil
}

func decodeOrder(snap rdb.OrderSnap) (supervision.Order, error) {
	var o supervision.Order
	if err := json.Unmarshal(snap.Doc, &o); err != nil {
		return o, fmt.Errorf("engine: decode order %s: %w", snap.ID, err)
	}
	return o, nil
}

func (e *Orders) saved(ws []rdb.OrderWrite) {
	if e.o.Saved == nil || len(ws) == 0 {
		return
	}
	next := make([]time.Time, 0, len(ws))
	for _, w := range ws {
		next = append(next, w.NextTimer)
	}
	e.o.Saved(next)
}

// Open opens a new order: it takes the next number of the year and applies a (an ActOpen
// without its Number). A *supervision.FieldError is bad input.
func (e *Orders) Open(ctx context.Context, a supervision.Action) (supervision.Order, error) {
	r, _ := e.rules()
	now := e.now(r)
	a.Type = supervision.ActOpen
	if a.Auto {
		return supervision.Order{}, errors.New("engine: automatic orders are opened by AutoOpen")
	}
	// Check the input before a number is taken: a refused request must not use one up.
	probe := a
	probe.Number = supervision.Number{Year: now.In(r.Loc).Year(), Seq: 1}
	if _, _, err := supervision.Apply(supervision.Order{}, probe, now, r); err != nil {
		return supervision.Order{}, err
	}
	seq, err := e.o.Store.NextOrderNumber(ctx, now.In(r.Loc).Year())
	if err != nil {
		return supervision.Order{}, err
	}
	a.Number = supervision.Number{Year: now.In(r.Loc).Year(), Seq: seq}
	return e.create(ctx, a, now, r)
}

// create applies an ActOpen with its number at now and writes the new order. An order of
// that id already there (a retried automatic opening) is read and returned.
func (e *Orders) create(ctx context.Context, a supervision.Action, now time.Time, r supervision.Rules) (supervision.Order, error) {
	o, ts, err := supervision.Apply(supervision.Order{}, a, now, r)
	if err != nil {
		return o, err
	}
	w, err := e.write(rdb.OrderSnap{ID: o.ID}, supervision.Order{}, o, ts, now, r.Loc, nil)
	if err != nil {
		return o, err
	}
	ok, err := e.o.Store.SaveOrders(ctx, []rdb.OrderWrite{w})
	if err != nil {
		return o, err
	}
	if !ok[0] {
		return e.Get(ctx, o.ID)
	}
	e.saved([]rdb.OrderWrite{w})
	return o, nil
}

// Get reads one order; ErrNoOrder when there is none.
func (e *Orders) Get(ctx context.Context, id string) (supervision.Order, error) {
	snaps, err := e.o.Store.LoadOrders(ctx, []string{id})
	if err != nil {
		return supervision.Order{}, err
	}
	if snaps[0].Doc == nil {
		return supervision.Order{}, ErrNoOrder
	}
	return decodeOrder(snaps[0])
}

// Act applies a person's action (reply, accept, return, withdraw, attach) to order id,
// retrying on a concurrent change. It returns the order as it then stands; an action that
// changed nothing (a retry) returns it unchanged. Errors: ErrNoOrder, *supervision.FieldError
// (400), *supervision.ConflictError (409).
func (e *Orders) Act(ctx context.Context, id string, a supervision.Action) (supervision.Order, error) {
	for range maxConflicts {
		snaps, err := e.o.Store.LoadOrders(ctx, []string{id})
		if err != nil {
			return supervision.Order{}, err
		}
		if snaps[0].Doc == nil {
			return supervision.Order{}, ErrNoOrder
		}
		old, err := decodeOrder(snaps[0])
		if err != nil {
			return old, err
		}
		r, _ := e.rules()
		now := e.now(r)
		out, ts, err := supervision.Apply(old, a, now, r)
		if err != nil || len(ts) == 0 {
			return out, err
		}
		w, err := e.write(snaps[0], old, out, ts, now, r.Loc, nil)
		if err != nil {
			return out, err
		}
		ok, err := e.o.Store.SaveOrders(ctx, []rdb.OrderWrite{w})
		if err != nil {
			return out, err
		}
		if ok[0] {
			e.saved([]rdb.OrderWrite{w})
			return out, nil
		}
	}
	return supervision.Order{}, fmt.Errorf("engine: order %s kept changing", id)
}

// Tick applies the orders the timer engine handed over (dirty members "~o:<id>"): each is
// read, ticked at now (firing what is due, once) and written back with its next instant,
// leaving the dirty set. It is the orders' Subject.Apply.
func (e *Orders) Tick(ctx context.Context, members []string) error {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = strings.TrimPrefix(m, rdb.OrderPrefix)
	}
	for attempt := 0; len(ids) > 0 && attempt < maxConflicts; attempt++ {
		snaps, err := e.o.Store.LoadOrders(ctx, ids)
		if err != nil {
			return err
		}
		r, _ := e.rules()
		now := e.now(r)
		var (
			ws      []rdb.OrderWrite
			missing []string
		)
		for _, snap := range snaps {
			if snap.Doc == nil {
				missing = append(missing, rdb.OrderMember(snap.ID))
				continue
			}
			old, err := decodeOrder(snap)
			if err != nil {
				e.o.Logger.Error("order_unreadable", "id", snap.ID, "err", err)
				missing = append(missing, rdb.OrderMember(snap.ID))
				continue
			}
			out, ts, err := supervision.Apply(old, supervision.Action{Type: supervision.ActTick}, now, r)
			if err != nil {
				return err
			}
			if re, changed := supervision.Recompute(out, r); changed {
				out = re
				if len(ts) == 0 {
					ts = []supervision.Transition{}
				}
			}
			w, err := e.write(snap, old, out, ts, now, r.Loc, nil)
			if err != nil {
				return err
			}
			w.Undirty = true
			ws = append(ws, w)
		}
		if len(missing) > 0 {
			if err := e.o.Store.Undirty(ctx, missing...); err != nil {
				return err
			}
		}
		if len(ws) == 0 {
			return nil
		}
		oks, err := e.o.Store.SaveOrders(ctx, ws)
		if err != nil {
			return err
		}
		var done []rdb.OrderWrite
		ids = ids[:0]
		for i, ok := range oks {
			if ok {
				done = append(done, ws[i])
			} else {
				ids = append(ids, ws[i].ID)
			}
		}
		e.saved(done)
	}
	return nil
}

// ActOnAlert is a supervisor's acknowledgement or exemption of an order alert (a reply or
// a withdrawal resolves them; resolve is refused by the caller). The record and, for an
// exemption, the order (its missed reply no longer counts) change in one write.
func (e *Orders) ActOnAlert(ctx context.Context, alertID string, act alerting.Action, by, note string) (alerting.Record, bool, error) {
	orderID, key, _ := strings.Cut(alertID, alerting.Sep)
	for range maxConflicts {
		snaps, err := e.o.Store.LoadOrders(ctx, []string{orderID})
		if err != nil {
			return alerting.Record{}, false, err
		}
		prev, ok := snaps[0].Alerts[key]
		if snaps[0].Doc == nil || !ok {
			return alerting.Record{}, false, ErrNoOrder
		}
		old, err := decodeOrder(snaps[0])
		if err != nil {
			return alerting.Record{}, false, err
		}
		var rec alerting.Record
		if err := json.Unmarshal(prev, &rec); err != nil {
			return rec, false, fmt.Errorf("engine: decode alert %s: %w", alertID, err)
		}
		r, _ := e.rules()
		now := e.now(r)
		rec.InZone(r.Loc)
		oldState := string(rec.State)
		changed, err := alerting.Apply(&rec, act, by, note, now)
		if err != nil || !changed {
			return rec, changed, err
		}
		out, ts := old, []supervision.Transition(nil)
		if act == alerting.Exempt {
			kind, round, _ := strings.Cut(key, ":")
			n := 0
			fmt.Sscan(round, &n)
			if out, ts, err = supervision.Apply(old, supervision.Action{Type: supervision.ActExempt, By: by,
				Note: note, Round: n, AlertKind: monitor.AlertKind(kind)}, now, r); err != nil {
				return rec, false, err
			}
		}
		aw, err := alertWrite(&rec, oldState)
		if err != nil {
			return rec, false, err
		}
		w, err := e.write(snaps[0], old, out, ts, now, r.Loc, []rdb.AlertWrite{aw})
		if err != nil {
			return rec, false, err
		}
		oks, err := e.o.Store.SaveOrders(ctx, []rdb.OrderWrite{w})
		if err != nil {
			return rec, false, err
		}
		if oks[0] {
			e.saved([]rdb.OrderWrite{w})
			return rec, true, nil
		}
	}
	return alerting.Record{}, false, fmt.Errorf("engine: order %s kept changing", orderID)
}

// RefOf is what the order rules need of an alert record.
func RefOf(rec *alerting.Record) supervision.AlertRef {
	return supervision.AlertRef{
		ID: rec.ID, Kind: rec.Kind, Level: rec.Level, CaseID: rec.CaseID, Department: rec.Department,
		Instant: rec.Instant, FiredAt: rec.FiredAt, Exempted: rec.State == alerting.Exempted,
		Superseded: rec.Superseded(), Message: rec.Message,
	}
}

// AutoOpen is automatic opening for a case alert that has just fired (the relay calls it
// for every new alert, before its checkpoint moves, so a retry repeats it): nothing unless
// its kind is in supervision.auto_open; else it is attached to the case's pending order or
// opens one, at the alert's firing. The decision is made once per alert (autoopen.lua), so
// replicas and retries agree, and the order's creation is idempotent by its id.
func (e *Orders) AutoOpen(ctx context.Context, rec *alerting.Record) error {
	r, within := e.rules()
	ref := RefOf(rec)
	d := supervision.AutoOpen(ref, nil, r.Settings, within)
	if d.Verdict == supervision.NoOrder {
		return nil
	}
	verdict, id, err := e.o.Store.AutoOpenDecision(ctx, rec.CaseID, rec.ID, "")
	if err != nil {
		return err
	}
	firedAt := monitor.InZone(rec.FiredAt, r.Loc)
	if verdict == "need" {
		year := firedAt.Year()
		seq, err := e.o.Store.NextOrderNumber(ctx, year)
		if err != nil {
			return err
		}
		cand := supervision.Number{Year: year, Seq: seq}.ID()
		if verdict, id, err = e.o.Store.AutoOpenDecision(ctx, rec.CaseID, rec.ID, cand); err != nil {
			return err
		}
	}
	switch verdict {
	case "open":
		n, err := supervision.ParseID(id)
		if err != nil {
			return err
		}
		a := d.Action
		a.Number = n
		_, err = e.create(ctx, a, firedAt, r)
		return err
	case "attach":
		_, err := e.Act(ctx, id, supervision.Action{Type: supervision.ActAttach, By: supervision.SystemPrincipal,
			Alerts: []supervision.AlertRef{ref}})
		var ce *supervision.ConflictError
		var fe *supervision.FieldError
		// ErrNoOrder (the pending order is reserved, not yet written) is an error: the
		// relay retries the entry until the order exists.
		if errors.As(err, &ce) || errors.As(err, &fe) {
			e.o.Logger.Warn("order_attach_skipped", "alert", rec.ID, "order", id, "err", err)
			return nil
		}
		return err
	}
	return fmt.Errorf("engine: automatic opening for %s: unexpected answer %q", rec.ID, verdict)
}

// OrderLister is the part of the store AllOrders reads; *rdb.Store has it.
type OrderLister interface {
	ListOrders(ctx context.Context, q rdb.OrderQuery) ([][]byte, string, error)
}

// AllOrders reads every order, in id order (the quarterly report counts them as they stand).
func AllOrders(ctx context.Context, store OrderLister) ([]supervision.Order, error) {
	var out []supervision.Order
	after := ""
	for {
		docs, next, err := store.ListOrders(ctx, rdb.OrderQuery{After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			var o supervision.Order
			if err := json.Unmarshal(d, &o); err != nil {
				return nil, fmt.Errorf("engine: decode order: %w", err)
			}
			out = append(out, o)
		}
		if next == "" {
			return out, nil
		}
		after = next
	}
}

// AffectedOrders hands every open order with a provisional deadline to the applier, whose
// tick recomputes it (supervision.Recompute) with the calendar now loaded. It returns how
// many it marked.
func AffectedOrders(ctx context.Context, store AffectedStore, wall time.Time) (int, error) {
	all, err := AllOrders(ctx, store)
	if err != nil {
		return 0, err
	}
	var ids []string
	for _, o := range all {
		if o.State == supervision.Open && o.Provisional {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return len(ids), store.MarkOrdersDirty(ctx, wall, ids...)
}
