package rdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Supervision orders in Redis. The order's JSON is the engine's business (package
// supervision); this file stores it, indexes it, schedules its next instant in the timers
// set of its partition and carries its changes to the outbox, each in one script on one slot.

var (
	orderSaveScript = script("ordersave")
	caseLinkScript  = script("caselink")
	autoOpenScript  = script("autoopen")
)

// OrderPrefix starts the timers and dirty members of supervision orders: "~o:<order id>".
// A member without a '~' is a case.
const OrderPrefix = "~o:"

// OrderMember is the timers and dirty member of an order.
func OrderMember(id string) string { return OrderPrefix + id }

// OrderSnap is an order as read for a change: its JSON, its storage version and the records
// of its alerts (alert key → JSON).
type OrderSnap struct {
	ID     string
	Doc    []byte // nil when there is no such order
	SV     string
	Alerts map[string][]byte
}

// LoadOrders reads orders in one pipelined round trip, in the order given.
func (s *Store) LoadOrders(ctx context.Context, ids []string) ([]OrderSnap, error) {
	pipe := s.c.Pipeline()
	heads := make([]*redis.SliceCmd, len(ids))
	als := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		heads[i] = pipe.HMGet(ctx, s.k.order(id), "doc", "sv")
		als[i] = pipe.HGetAll(ctx, s.k.alerts(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: load orders: %w", err)
	}
	out := make([]OrderSnap, len(ids))
	for i, id := range ids {
		out[i].ID = id
		h := heads[i].Val()
		if v, ok := h[0].(string); ok {
			out[i].Doc = []byte(v)
		}
		if v, ok := h[1].(string); ok {
			out[i].SV = v
		}
		if m := als[i].Val(); len(m) > 0 {
			out[i].Alerts = make(map[string][]byte, len(m))
			for k, v := range m {
				out[i].Alerts[k] = []byte(v)
			}
		}
	}
	return out, nil
}

// OrderWrite is an order's new state, to be written over the snapshot it was computed from.
type OrderWrite struct {
	ID         string
	SV         string // the storage version read ("" to create)
	Doc        []byte
	State      string
	Department string
	NextTimer  time.Time // zero: nothing scheduled
	Outbox     []byte    // the outbox entry (nil for none)
	Undirty    bool      // take the order out of the dirty set (it was handed over by a timer)
	Alerts     []AlertWrite
}

// SaveOrders writes orders in one pipelined round trip; ok[i] is false when order i
// changed since it was read (or, on create, exists): the caller reloads and recomputes.
func (s *Store) SaveOrders(ctx context.Context, ws []OrderWrite) ([]bool, error) {
	calls := make([]call, len(ws))
	for i := range ws {
		w := &ws[i]
		p := Partition(w.ID)
		next := ""
		if !w.NextTimer.IsZero() {
			next = strconv.FormatInt(w.NextTimer.UnixMilli(), 10)
		}
		undirty := "0"
		if w.Undirty {
			undirty = "1"
		}
		args := make([]any, 0, 11+5*len(w.Alerts))
		args = append(args, w.ID, w.SV, w.Doc, w.State, w.Department, OrderMember(w.ID), next,
			s.outboxMax, string(w.Outbox), undirty, len(w.Alerts))
		for _, a := range w.Alerts {
			args = append(args, a.Key, a.ID, a.OldState, a.NewState, a.Doc)
		}
		calls[i] = call{keys: []string{
			s.k.order(w.ID), s.k.timers(p), s.k.dirty(p), s.k.outbox(p),
			s.k.orderIdxAll(p), s.k.orderIdxDept(p, w.Department),
			s.k.alerts(w.ID), s.k.alertIdxAll(p), s.k.alertIdxDept(p, w.Department),
			s.k.alertIdxState(p, "firing"), s.k.alertIdxState(p, "acknowledged"),
			s.k.alertIdxState(p, "resolved"), s.k.alertIdxState(p, "exempted"),
		}, args: args}
	}
	cmds, err := s.runScript(ctx, orderSaveScript, calls)
	if err != nil {
		return nil, fmt.Errorf("rdb: save orders: %w", err)
	}
	ok := make([]bool, len(ws))
	for i, c := range cmds {
		n, _ := c.Int()
		ok[i] = n == 1
	}
	return ok, nil
}

// Undirty takes members out of the dirty set (an order handed over by a timer that no
// longer exists: nothing to apply).
func (s *Store) Undirty(ctx context.Context, members ...string) error {
	pipe := s.c.Pipeline()
	for _, m := range members {
		id := strings.TrimPrefix(m, OrderPrefix)
		pipe.ZRem(ctx, s.k.dirty(Partition(id)), m)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("rdb: undirty: %w", err)
	}
	return nil
}

// NextOrderNumber gives the next order number of a year: strictly increasing, never
// reused, the same counter for every replica (INCR in the global slot).
func (s *Store) NextOrderNumber(ctx context.Context, year int) (int, error) {
	n, err := s.c.Incr(ctx, s.k.orderSeq(year)).Result()
	if err != nil {
		return 0, fmt.Errorf("rdb: next order number: %w", err)
	}
	return int(n), nil
}

// OrderQuery selects orders for a listing, in id order. Match filters what the index
// cannot; it sees every candidate.
type OrderQuery struct {
	Department string
	After      string
	Limit      int
	Match      func(doc []byte) bool
}

// ListOrders lists orders in id order (year, then number) and returns the page and the id
// to continue after ("" at the end).
func (s *Store) ListOrders(ctx context.Context, q OrderQuery) ([][]byte, string, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	index := s.k.orderIdxAll
	if q.Department != "" {
		index = func(p int) string { return s.k.orderIdxDept(p, q.Department) }
	}
	var out [][]byte
	after, last := q.After, ""
	for {
		want := int64(q.Limit + 1)
		cand, more, err := s.nextIDs(ctx, index, after, want)
		if err != nil {
			return nil, "", fmt.Errorf("rdb: list orders: %w", err)
		}
		sort.Strings(cand)
		if len(cand) > int(want) {
			cand, more = cand[:want], true
		}
		if len(cand) == 0 {
			return out, "", nil
		}
		docs, err := s.OrderDocs(ctx, cand)
		if err != nil {
			return nil, "", err
		}
		for i, d := range docs {
			if d == nil || (q.Match != nil && !q.Match(d)) {
				continue
			}
			if len(out) == q.Limit {
				return out, last, nil
			}
			out, last = append(out, d), cand[i]
		}
		if !more {
			return out, "", nil
		}
		after = cand[len(cand)-1]
	}
}

// OrderDocs reads the JSON of orders in one round trip (nil for a missing one).
func (s *Store) OrderDocs(ctx context.Context, ids []string) ([][]byte, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, s.k.order(id), "doc")
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read orders: %w", err)
	}
	out := make([][]byte, len(ids))
	for i, c := range cmds {
		if v, err := c.Result(); err == nil {
			out[i] = []byte(v)
		}
	}
	return out, nil
}

// CaseLink is the case's side of the link to an order: the order's state at a revision.
type CaseLink struct {
	CaseID, OrderID string
	Revision        int
	State           string
}

// LinkCaseOrders records, on each case's side, an order that names the case and its state
// at a revision (a newer record is kept), in one pipelined round trip.
func (s *Store) LinkCaseOrders(ctx context.Context, links []CaseLink) error {
	if len(links) == 0 {
		return nil
	}
	calls := make([]call, len(links))
	for i, l := range links {
		calls[i] = call{keys: []string{s.k.caseOrders(l.CaseID)}, args: []any{l.OrderID, l.Revision, l.State}}
	}
	if _, err := s.runScript(ctx, caseLinkScript, calls); err != nil {
		return fmt.Errorf("rdb: link cases to orders: %w", err)
	}
	return nil
}

// CaseOrders reads the orders that name a case: order id → state.
func (s *Store) CaseOrders(ctx context.Context, caseID string) (map[string]string, error) {
	m, err := s.c.HGetAll(ctx, s.k.caseOrders(caseID)).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read orders of case %s: %w", caseID, err)
	}
	out := make(map[string]string, len(m))
	for id, v := range m {
		_, st, _ := strings.Cut(v, "|")
		out[id] = st
	}
	return out, nil
}

// AutoOpenDecision makes (once per alert, kept) automatic opening's choice for an alert of
// a case: attach it to the case's pending order, or open candidate (a fresh order id).
// verdict is "open" (id: the new order), "attach" (id: the pending order) or, when candidate
// is "" and a new order is needed, "need" (ask again with a fresh number).
func (s *Store) AutoOpenDecision(ctx context.Context, caseID, alertID, candidate string) (verdict, id string, err error) {
	c, err := s.runOne(ctx, autoOpenScript,
		[]string{s.k.caseOrders(caseID), s.k.autoOpened(Partition(caseID))}, alertID, candidate)
	if err != nil {
		return "", "", fmt.Errorf("rdb: automatic opening for %s: %w", alertID, err)
	}
	v, _ := c.Text()
	verdict, id, _ = strings.Cut(v, "|")
	return verdict, id, nil
}

// OrderFigures reads the order figures: "<dept>|<state>" and "overdue|<dept>" → n.
func (s *Store) OrderFigures(ctx context.Context) (map[string]int64, error) {
	m, err := s.c.HGetAll(ctx, s.k.orderFigures()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read order figures: %w", err)
	}
	return parseCounts(m), nil
}

// CountOrder adds delta to an order figure (OrderFigures) in the relay batch.
func (b *RelayBatch) CountOrder(field string, delta int64) {
	if delta == 0 {
		return
	}
	k := sumKey{b.key(b.k.orderFigures()), field}
	if _, ok := b.sums[k]; !ok {
		b.order = append(b.order, k)
	}
	b.sums[k] += delta
}

// OrderChange appends a supervision order's change to the alert stream (the live feed's
// "order" messages, in the alerts' cursor order).
func (b *RelayBatch) OrderChange(doc []byte) {
	b.args = append(b.args, "o", doc)
	b.n++
}

// ConfirmedFault counts a confirmed fault: of a department (handler "") or of a handler,
// in year. When a handler's confirmed count reaches threshold, the system alert id (doc:
// fault_threshold_confirmed) is created once and appended to the stream.
func (b *RelayBatch) ConfirmedFault(year int, dept, handler string, delta, threshold int, id string, doc []byte) {
	key := b.key(b.k.faults(year))
	if handler == "" {
		b.args = append(b.args, "f", key, ConfirmedDeptField(dept), "", delta, 0, "", "")
	} else {
		b.args = append(b.args, "f", key, "", ConfirmedHandlerField(dept, handler), delta, threshold, id, doc)
	}
	b.n++
}

// ConfirmedDeptField and ConfirmedHandlerField name the confirmed-fault fields of
// FaultCounts, beside DeptFaultField and HandlerFaultField.
func ConfirmedDeptField(dept string) string { return "c|" + dept }

// ConfirmedHandlerField is the field of a handler's confirmed faults.
func ConfirmedHandlerField(dept, handler string) string { return "ch|" + dept + "|" + handler }

// IdempotentAnswer is a stored answer to a write request with an Idempotency-Key.
type IdempotentAnswer struct {
	Status int
	Body   []byte
}

func idemHash(principal, key string) string {
	sum := sha256.Sum256([]byte(principal + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// IdempotentGet reads the stored answer of principal's request with key, if any.
func (s *Store) IdempotentGet(ctx context.Context, principal, key string) (IdempotentAnswer, bool, error) {
	v, err := s.c.Get(ctx, s.k.idempotency(idemHash(principal, key))).Result()
	if err == redis.Nil {
		return IdempotentAnswer{}, false, nil
	}
	if err != nil {
		return IdempotentAnswer{}, false, fmt.Errorf("rdb: read idempotency key: %w", err)
	}
	st, body, ok := strings.Cut(v, "\n")
	n, err := strconv.Atoi(st)
	if !ok || err != nil {
		return IdempotentAnswer{}, false, nil
	}
	return IdempotentAnswer{Status: n, Body: []byte(body)}, true, nil
}

// IdempotentPut keeps the answer of principal's request with key for ttl (real time); the
// first answer stays.
func (s *Store) IdempotentPut(ctx context.Context, principal, key string, a IdempotentAnswer, ttl time.Duration) error {
	v := strconv.Itoa(a.Status) + "\n" + string(a.Body)
	if err := s.c.SetNX(ctx, s.k.idempotency(idemHash(principal, key)), v, ttl).Err(); err != nil {
		return fmt.Errorf("rdb: keep idempotency key: %w", err)
	}
	return nil
}

// OrderNextTimer returns the order's scheduled next instant (business time), if any.
func (s *Store) OrderNextTimer(ctx context.Context, id string) (time.Time, bool, error) {
	v, err := s.c.ZScore(ctx, s.k.timers(Partition(id)), OrderMember(id)).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("rdb: read timer of order %s: %w", id, err)
	}
	return time.UnixMilli(int64(v)), true, nil
}

// MarkOrdersDirty hands orders to the applier now (a calendar loaded: their provisional
// deadlines are recomputed at their next tick, which this is).
func (s *Store) MarkOrdersDirty(ctx context.Context, realNow time.Time, ids ...string) error {
	pipe := s.c.Pipeline()
	for _, id := range ids {
		pipe.ZAddNX(ctx, s.k.dirty(Partition(id)), redis.Z{Score: float64(realNow.UnixMilli()), Member: OrderMember(id)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("rdb: mark orders dirty: %w", err)
	}
	return nil
}
