package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/alerts/stream"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// batch is how many alert stream entries a worker reads at a time.
const batch = 100

// idleCheck is how often an idle worker looks at the stream even without news (a missed
// wake-up costs at most this).
const idleCheck = 5 * time.Second

// Payload is the body of a delivery (docs/webhooks.md): the delivery id, which receivers use to
// drop repeats ("<subscription id>:<alert stream cursor>", the same on every resend), the
// subscription, and the alert record as the API shows it.
type Payload struct {
	DeliveryID   string          `json:"delivery_id"`
	Subscription string          `json:"subscription"`
	Alert        json.RawMessage `json:"alert"`
}

// worker delivers one subscription's alerts, in stream order, while this replica holds its
// lease.
type worker struct {
	d      *Dispatcher
	sub    *Subscription
	cancel context.CancelFunc
	done   chan struct{}
	log    *slog.Logger
	// failing is the error last logged for the entry being retried ("" when none), so a
	// repeating failure is logged when it changes, not on every retry.
	failing string
	// confirmed: the last move of the position found the subscription still there, an
	// instant ago, so the next entry's first attempt needs no look of its own (one Redis
	// round trip per delivery instead of two while a backlog drains).
	confirmed bool
}

// stop ends the worker and waits for it: an entry in flight is abandoned (its request is
// cancelled) unless its receiver already answered, in which case the position still moves.
func (w *worker) stop() {
	w.cancel()
	<-w.done
}

// stopped reports whether the worker has ended.
func (w *worker) stopped() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	pos, ok := w.position(ctx)
	if !ok {
		return
	}
	// Reads without blocking: an empty one waits for the dispatcher's news of the stream.
	o := stream.Options{Store: w.d.o.Store, Batch: batch, Block: idleCheck, News: w.d.news.wait, Logger: w.log,
		Idle: func(context.Context) { w.confirmed = false }} // a wait: the next entry is checked afresh
	_ = stream.Follow(ctx, o, pos, func(ctx context.Context, entries []rdb.StreamAlert) (string, error) {
		passed := "" // the last entry passed over since the last move of the position
		for _, e := range entries {
			if !w.sub.Matches(e.Doc) {
				passed = e.Cursor
				continue
			}
			if !w.deliver(ctx, pos, e) {
				return "", stream.ErrStop
			}
			pos, passed = e.Cursor, ""
		}
		if passed != "" {
			if !w.advance(ctx, pos, passed, rdb.Skipped) {
				return "", stream.ErrStop
			}
			pos = passed
		}
		return pos, nil
	})
}

// position reads where the subscription's deliveries stand; ok is false when it is gone or
// ctx ended.
func (w *worker) position(ctx context.Context) (string, bool) {
	for {
		st, err := w.d.o.Store.DeliveryStates(ctx, []string{w.sub.ID})
		if err == nil {
			return st[0].Position, st[0].Position != "" // no position: deleted
		}
		w.log.Warn("delivery_state_unreadable", "err", err)
		if !clock.Sleep(ctx, time.Second) {
			return "", false
		}
	}
}

// deliver posts one entry until a receiver answers 2xx or its retry window ends, then moves
// the position from pos past it. It returns false when the worker must stop (ctx ended, the
// lease was lost or the subscription deleted).
func (w *worker) deliver(ctx context.Context, pos string, e rdb.StreamAlert) bool {
	id := w.sub.ID + ":" + e.Cursor
	body, err := json.Marshal(Payload{DeliveryID: id, Subscription: w.sub.ID, Alert: json.RawMessage(e.Doc)})
	if err != nil { // a stream entry that is not JSON: nothing any receiver could use
		w.log.Error("delivery_unencodable", "delivery_id", id, "err", err)
		w.d.m.count(w.sub.ID, outcomeDropped)
		return w.advance(ctx, pos, e.Cursor, rdb.Dropped)
	}
	sig := Sign(body, w.sub.Secret)
	for {
		// A subscription deleted on another replica is noticed here, before anything more
		// is sent to it, rather than at the next poll (a Redis error just lets it go on).
		// Right after the position moved, the move's own check stands for this one.
		if w.confirmed {
			w.confirmed = false
		} else if _, ok, err := w.d.o.Store.Subscription(ctx, w.sub.ID); err == nil && !ok {
			return false
		}
		err := w.post(ctx, id, body, sig)
		if ctx.Err() != nil && err != nil {
			return false // stopping: the entry is resent by whoever serves the subscription next
		}
		now := w.d.o.Wall()
		if err == nil {
			w.d.m.count(w.sub.ID, outcomeSuccess)
			if w.failing != "" {
				w.log.Info("delivery_recovered", "delivery_id", id)
				w.failing = ""
			}
			return w.advance(ctx, pos, e.Cursor, rdb.Delivered)
		}
		w.d.m.count(w.sub.ID, outcomeFailure)
		msg := err.Error()
		attempts, since, claim, ferr := w.d.o.Store.FailDelivery(ctx, w.sub.ID, w.d.o.Owner, e.Cursor, msg, now)
		switch {
		case ferr != nil: // Redis is away: keep retrying on a guess
			attempts, since = 1, now
		case claim != rdb.Held:
			return false
		}
		if msg != w.failing {
			w.failing = msg
			w.log.Warn("delivery_failed", "delivery_id", id, "attempts", attempts, "err", msg)
		}
		// The retry window runs from when the entry entered the stream, not from its first
		// attempt: behind an entry that fails for a day, the next ones' windows have been
		// running too, so a dead receiver holds the queue up by a day at most.
		giveUp := appended(e.Cursor, since).Add(w.d.o.Retry.For)
		if !now.Before(giveUp) {
			w.d.m.count(w.sub.ID, outcomeDropped)
			w.log.Error("delivery_dropped", "delivery_id", id, "attempts", attempts, "failing_since", since, "err", msg)
			w.failing = ""
			return w.advance(ctx, pos, e.Cursor, rdb.Dropped)
		}
		delay := min(w.d.backoff(attempts), giveUp.Sub(now)) // one last attempt when the window ends
		if !clock.Sleep(ctx, delay) {
			return false
		}
	}
}

// appended is the real time an alert stream entry was appended: its cursor is
// "<milliseconds>-<sequence>" (Redis's clock). An unreadable cursor gives fallback.
func appended(cursor string, fallback time.Time) time.Time {
	ms, _, _ := strings.Cut(cursor, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return fallback
	}
	return time.UnixMilli(n)
}

// backoff is the delay after the n-th failed attempt of an entry (Retry).
func (d *Dispatcher) backoff(n int64) time.Duration {
	return clock.Backoff(n, d.o.Retry.First, d.o.Retry.Max)
}

// post sends one delivery; nil means the receiver answered 2xx.
func (w *worker) post(ctx context.Context, id string, body []byte, sig string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.sub.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	req.Header.Set("X-Duban-Delivery", id)
	req.Header.Set("User-Agent", "duban-webhook/1")
	resp, err := w.d.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 == 2 {
		return nil
	}
	if s := snippet(head); s != "" {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, s)
	}
	return fmt.Errorf("HTTP %d", resp.StatusCode)
}

var claimReason = map[rdb.Claim]string{rdb.LeaseLost: "lease lost", rdb.Gone: "subscription deleted",
	rdb.Moved: "position moved by another replica"}

// snippet makes the start of a response body fit for last_error and the log.
func snippet(b []byte) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
}

// advance moves the position from pos to cursor. A reply of 2xx must not be lost to a
// shutdown that comes just after it, so the move runs on a context of its own (bounded) and
// is retried while Redis is away. It returns false when the worker must stop.
func (w *worker) advance(ctx context.Context, pos, cursor string, outcome rdb.Outcome) bool {
	for {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		claim, err := w.d.o.Store.AdvanceDelivery(actx, w.sub.ID, w.d.o.Owner, pos, cursor, outcome, w.d.o.Wall())
		cancel()
		if err == nil {
			if claim != rdb.Held {
				w.log.Info("delivery_stopped", "reason", claimReason[claim])
			}
			// Only a move straight on to the next entry may stand for its check.
			w.confirmed = claim == rdb.Held && outcome != rdb.Skipped
			return claim == rdb.Held
		}
		w.log.Warn("position_not_saved", "cursor", cursor, "err", err)
		if !clock.Sleep(ctx, time.Second) {
			return false
		}
	}
}
