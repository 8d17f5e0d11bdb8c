package live

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/monitor/clock"
)

// overviewState is the last overview computed for one scope ("" for all departments, or
// one department for clients whose token is bound to it).
type overviewState struct {
	data  []byte
	key   []byte // data without the overview's "at": what must differ to send again
	pm    *websocket.PreparedMessage
	ver   uint64 // changes only when data does
	stale bool   // the figures changed since data was computed
}

// overviewLoop sends overview messages: woken by OverviewChanged, by a new live
// subscription or every OverviewRefresh, it waits OverviewDelay (alerts go first), runs at
// most once per OverviewEvery, computes the figures once per scope that has live clients
// (only those it does not have, unless they changed), and queues them for every live
// client that has not had its scope's current version. So a client gets at most one
// overview per OverviewEvery, and only when its figures differ from the last it got.
func (h *Hub) overviewLoop(ctx context.Context) {
	states := make(map[string]*overviewState)
	var ver uint64
	var last time.Time
	refresh := time.NewTicker(h.o.OverviewRefresh)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.ovNudge.C():
		case <-refresh.C:
			h.ovChanged.Store(true)
		}
		if !clock.Sleep(ctx, max(h.o.OverviewDelay, time.Until(last.Add(h.o.OverviewEvery)))) {
			return
		}
		last = clock.Wall()
		if h.ovChanged.Swap(false) {
			for _, st := range states {
				st.stale = true
			}
		}
		scopes := make(map[string]bool)
		h.mu.Lock()
		for c := range h.conns {
			if c.sub != nil && c.sub.live {
				scopes[c.p.Department] = true
			}
		}
		h.mu.Unlock()
		for scope := range scopes {
			st := states[scope]
			if st != nil && !st.stale {
				continue
			}
			data, err := h.computeOverview(ctx, scope)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				h.log.Error("overview_failed", "department", scope, "err", err)
				continue
			}
			if st == nil {
				st = &overviewState{}
				states[scope] = st
			}
			st.stale = false
			if key := figuresKey(data); !bytes.Equal(key, st.key) {
				st.key = key
				pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
				if err != nil {
					h.log.Error("overview_failed", "department", scope, "err", err)
					continue
				}
				ver++
				st.data, st.pm, st.ver = data, pm, ver
			}
		}
		h.mu.Lock()
		for c := range h.conns {
			if c.sub == nil || !c.sub.live {
				continue
			}
			st := states[c.p.Department]
			if st == nil || st.pm == nil || c.ovVer == st.ver {
				continue
			}
			c.ovVer = st.ver
			select {
			case c.send <- outMsg{pm: st.pm, gen: c.sub.gen}:
			default:
				h.dropLocked(c, CloseTooSlow, "too slow: reconnect with since")
			}
		}
		h.mu.Unlock()
	}
}

func (h *Hub) computeOverview(ctx context.Context, scope string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := h.o.Overview(ctx, scope)
	if err != nil {
		return nil, err
	}
	return json.Marshal(overviewMessage{Type: "overview", Overview: v})
}

// figuresKey is an overview message without the overview's top-level "at" (the instant the
// figures were read, which differs on every read): two overviews with the same key carry the
// same figures, and the second is not sent.
func figuresKey(msg []byte) []byte {
	var m struct {
		Overview map[string]json.RawMessage `json:"overview"`
	}
	if json.Unmarshal(msg, &m) != nil || m.Overview == nil {
		return msg
	}
	delete(m.Overview, "at")
	key, err := json.Marshal(m.Overview) // map keys sorted: a canonical form
	if err != nil {
		return msg
	}
	return key
}
