package live

import (
	"context"
	"time"
)

// subscription is one subscribe of a client. Until it is live, the hub holds the entries
// it fans out for it in pending; its replay then hands over to live without a gap and
// without a repeat (see replay).
type subscription struct {
	f   *filter
	gen uint64
	// Guarded by h.mu.
	live    bool
	last    cursor   // live: the newest cursor the client has had or been past
	pending []*entry // not yet live: matching entries the hub fanned out, in order
	gap     bool     // pending overflowed and was dropped: re-read from the stream
}

// hold keeps a fanned-out entry for a subscription that is still replaying; past
// sendBuffer-1 entries (what the switch to live can queue at once, with the subscribed
// message) it drops them all and marks a gap, which the replay fills from the stream.
// h.mu is held.
func (s *subscription) hold(e *entry, sendBuffer int) {
	if s.gap {
		return
	}
	if len(s.pending) >= sendBuffer-1 {
		s.pending, s.gap = nil, true
		return
	}
	s.pending = append(s.pending, e)
}

// subscribe replaces the client's subscription with m's: the old one stops at once (its
// queued messages are skipped), and the new one replays from `since` and goes live in a
// goroutine of its own, so the reader keeps answering pings meanwhile. An invalid message
// is answered with an error and changes nothing.
func (c *client) subscribe(m *clientMessage) {
	h := c.h
	f, since, hasSince, em := parseSubscribe(c.p, m)
	if em == nil && hasSince {
		em = h.checkSince(since)
	}
	if em != nil {
		c.reply(em)
		return
	}
	c.stopSubscribe()
	s := &subscription{f: f, gen: c.gen.Add(1)}
	h.mu.Lock()
	c.sub = s
	c.ovVer = 0
	h.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.subsDone = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		c.run(ctx, s, since, hasSince)
	}(c.subsDone)
}

// stopSubscribe ends the running subscribe goroutine, if any, and waits for it.
func (c *client) stopSubscribe() {
	if c.cancel != nil {
		c.cancel()
		<-c.subsDone
		c.cancel, c.subsDone = nil, nil
	}
}

// checkSince refuses a `since` after the stream's newest entry: no server gave it.
func (h *Hub) checkSince(since cursor) *errorMessage {
	ctx, cancel := context.WithTimeout(context.Background(), h.o.WriteTimeout)
	defer cancel()
	latest, err := h.o.Store.LatestAlertCursor(ctx)
	if err != nil {
		h.log.Error("alert_stream_unreadable", "err", err)
		return errorf("", "the alert stream cannot be read now; subscribe again")
	}
	top := zeroCursor
	if latest != "" {
		if top, err = cursorOf(latest); err != nil {
			return errorf("", "the alert stream cannot be read now; subscribe again")
		}
	}
	if since.after(top) {
		return errorf("since", "cursor %s is after the newest alert (%s): use a cursor this service sent", since, top)
	}
	return nil
}

// run replays the subscription from since (when given) and switches it to live.
//
// The handover: the subscription is registered (not live) before the replay reads
// anything, so from then on the hub holds every matching entry it fans out in pending.
// The replay reads the stream after since until a short page says it reached the end.
// Then, under the hub's lock: every entry the stream had got past the replay's end since
// that read was fanned out after registration, so it is in pending, in order (or pending
// overflowed: gap, and the replay reads again from where it is). Pending entries at or
// before the replay's last cursor were replayed already and are dropped; the rest go to the
// client, the subscription's cursor becomes the hub's position, and it turns live — all in
// one critical section with respect to the fan-out. Nothing is missed, nothing repeats.
func (c *client) run(ctx context.Context, s *subscription, since cursor, hasSince bool) {
	h := c.h
	select {
	case <-h.ready:
	case <-ctx.Done():
		return
	case <-c.done:
		return
	}
	last := since
	scanned := 0
	for {
		if hasSince {
			var ok bool
			if last, scanned, ok = c.replay(ctx, s, last, scanned); !ok {
				return
			}
		}
		if !c.waitRoom(ctx) {
			return
		}
		h.mu.Lock()
		if c.sub != s {
			h.mu.Unlock()
			return
		}
		if s.gap {
			s.gap, s.pending = false, nil
			h.mu.Unlock()
			continue
		}
		if len(s.pending)+1 > cap(c.send)-len(c.send) {
			// The reader queued an error answer since the queue was empty: wait for room
			// again (pending is kept; what the replay reads again is dropped from it as
			// repeated). Every other producer queues under the lock, so the room found here
			// stays.
			h.mu.Unlock()
			continue
		}
		for _, e := range s.pending {
			if e.cur.after(last) {
				c.send <- outMsg{pm: e.pm, gen: s.gen} // room checked above
				last = e.cur
			}
		}
		s.pending = nil
		if h.pos.after(last) || !hasSince {
			last = h.pos
		}
		s.last, s.live = last, true
		c.send <- outMsg{data: mustJSON(subscribedMessage{Type: "subscribed", Cursor: last.String()}), gen: s.gen}
		h.mu.Unlock()
		if h.o.Overview != nil {
			h.nudgeOverview()
		}
		return
	}
}

// replay sends the matching entries after last, page by page, until the end of the stream;
// it returns the last cursor read and the count scanned so far. false: stop (the client
// went away, was replaced, or was told why).
func (c *client) replay(ctx context.Context, s *subscription, last cursor, scanned int) (cursor, int, bool) {
	h := c.h
	for {
		page, err := h.o.Store.AlertsAfter(ctx, last.String(), int64(h.o.ReplayPage))
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("alert_stream_unreadable", "err", err)
				c.abandon(ctx, s, errorf("", "the alert stream cannot be read now; subscribe again"))
			}
			return last, scanned, false
		}
		if h.o.ReplayMax > 0 && scanned+len(page) > h.o.ReplayMax {
			c.abandon(ctx, s, errorf("since",
				"more than %d alerts to replay: read the current alerts from GET /api/v1/alerts, then subscribe without since", h.o.ReplayMax))
			return last, scanned, false
		}
		scanned += len(page)
		for _, sa := range page {
			e, err := newEntry(sa, false)
			if e == nil {
				continue
			}
			last = e.cur
			if err != nil || !s.f.match(e) {
				continue
			}
			if !c.sendWait(ctx, outMsg{data: e.data, gen: s.gen}) {
				return last, scanned, false
			}
		}
		if h.afterReplayPage != nil {
			h.afterReplayPage(len(page) < h.o.ReplayPage)
		}
		if len(page) < h.o.ReplayPage {
			return last, scanned, true
		}
	}
}

// abandon ends a subscription that cannot go live and tells the client why; the client
// then has no subscription until it subscribes again.
func (c *client) abandon(ctx context.Context, s *subscription, em *errorMessage) {
	c.h.mu.Lock()
	if c.sub == s {
		c.sub = nil
	}
	c.h.mu.Unlock()
	c.sendWait(ctx, outMsg{data: mustJSON(em), gen: s.gen})
}

// sendWait queues m, waiting for room: a replay goes at the client's pace.
func (c *client) sendWait(ctx context.Context, m outMsg) bool {
	select {
	case c.send <- m:
		return true
	case <-ctx.Done():
		return false
	case <-c.done:
		return false
	}
}

// waitRoom waits until the writer has emptied the client's queue, so that the switch to
// live, under the hub's lock, finds room for pending (at most SendBuffer-1 entries) and
// the subscribed message without waiting. While the subscription is not live only this
// goroutine fills the queue (and the reader's rare error answers).
func (c *client) waitRoom(ctx context.Context) bool {
	for len(c.send) > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-c.done:
			return false
		case <-time.After(2 * time.Millisecond):
		}
	}
	return true
}
