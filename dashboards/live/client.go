package live

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor/clock"
)

// outMsg is one message queued for a client: prepared (shared by every client) or raw.
// A message of an earlier subscription (gen) than the client's current one is skipped by
// the writer; gen 0 is always sent.
type outMsg struct {
	pm   *websocket.PreparedMessage
	data []byte
	gen  uint64
}

// client is one WebSocket connection: its reader is the handler's goroutine, its writer
// owns every data write, and each subscribe runs a short-lived goroutine that replays and
// then switches the subscription to live.
type client struct {
	h      *Hub
	conn   *websocket.Conn
	p      web.Principal
	remote string
	send   chan outMsg

	done      chan struct{} // closed by kick: the writer closes the connection
	kicked    atomic.Bool   // set just before done is closed (cheaper to poll)
	once      sync.Once
	closeCode int // set before done is closed; 0 sends no close frame
	closeText string
	readDone  chan struct{} // closed when the reader stops

	gen atomic.Uint64 // the current subscription's generation

	// Guarded by h.mu.
	sub   *subscription
	ovVer uint64 // the overview version last queued

	// The reader's: the running subscribe.
	cancel   context.CancelFunc
	subsDone chan struct{}
}

// kick closes the client: the writer sends a close frame with code (none for 0) and
// closes the connection. It never blocks; the first call wins.
func (c *client) kick(code int, text string) {
	c.once.Do(func() {
		c.closeCode, c.closeText = code, text
		c.kicked.Store(true)
		close(c.done)
	})
}

// shutdown closes the client with 1001 and cuts short a write in progress, so a replica
// stops within its drain time even with clients that do not read.
func (c *client) shutdown() {
	c.kick(websocket.CloseGoingAway, "server shutting down")
	_ = c.conn.NetConn().SetWriteDeadline(clock.Wall().Add(closeGrace))
}

// ServeHTTP upgrades GET /ws to a WebSocket for the request's principal: the session
// (Options.Session) or a token, else 401. A browser's Origin must be this host or one of
// AllowedOrigins (403).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		web.WriteError(w, r, web.Errorf(web.MethodNotAllowed, "", "use GET with a WebSocket upgrade"))
		return
	}
	if h.o.Session != nil {
		if p, ok := h.o.Session(r); ok {
			h.serve(w, r, p)
			return
		}
	}
	h.authed.ServeHTTP(w, r)
}

func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: browsers always send Origin on a WebSocket handshake
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	// The service's own origin is its scheme as well as its host: a page served over plain
	// HTTP on the same host (another port's proxy, a downgraded link) is another origin.
	own := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		own = "https"
	}
	if strings.EqualFold(u.Host, r.Host) && strings.EqualFold(u.Scheme, own) {
		return true
	}
	return h.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// serve runs one connection for principal p until it ends.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, p web.Principal) {
	if !h.originAllowed(r) {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "Origin", "origin %q may not open the live feed; add it to auth.allowed_origins", r.Header.Get("Origin")))
		return
	}
	if p.Department == "" && p.Role < web.Viewer {
		web.WriteError(w, r, web.Errorf(web.Forbidden, "", "this token may not read alerts"))
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		web.WriteError(w, r, web.Errorf(web.Unavailable, "", "the live feed is shutting down"))
		return
	}
	h.clients.Add(1)
	h.mu.Unlock()
	defer h.clients.Done()

	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	c := &client{h: h, conn: conn, p: p, remote: r.RemoteAddr,
		send: make(chan outMsg, h.o.SendBuffer), done: make(chan struct{}), readDone: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.shutdown()
		c.writeLoop()
		return
	}
	h.conns[c] = struct{}{}
	h.count.Add(1)
	h.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(c.writeLoop)
	c.readLoop()
	close(c.readDone)
	c.stopSubscribe()
	h.mu.Lock()
	h.dropLocked(c, 0, "")
	h.mu.Unlock()
	wg.Wait()
}

// readLoop reads the client's messages until the connection fails or is closed. Pongs,
// pings and messages all extend the read deadline.
func (c *client) readLoop() {
	h := c.h
	wait := h.o.PingInterval + h.o.WriteTimeout
	alive := func() { _ = c.conn.SetReadDeadline(clock.Wall().Add(wait)) }
	c.conn.SetReadLimit(h.o.ReadLimit)
	alive()
	c.conn.SetPongHandler(func(string) error { alive(); return nil })
	c.conn.SetPingHandler(func(data string) error {
		alive()
		err := c.conn.WriteControl(websocket.PongMessage, []byte(data), clock.Wall().Add(h.o.WriteTimeout))
		if err == websocket.ErrCloseSent {
			return nil
		}
		return err
	})
	for {
		kind, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		alive()
		if kind != websocket.TextMessage {
			c.reply(errorf("", "send JSON text messages"))
			continue
		}
		var m clientMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			c.reply(errorf("", "not a JSON object: %v", err))
			continue
		}
		switch m.Op {
		case "subscribe":
			c.subscribe(&m)
		default:
			c.reply(errorf("op", "unknown op %q: want subscribe", m.Op))
		}
	}
}

// reply queues a message outside any subscription; a client that has not made room for it
// within WriteTimeout is too slow. It queues under the hub's lock, like every producer but
// a replay (which runs in the goroutine that also does the switch to live), so the switch
// finds the room it checked.
func (c *client) reply(v any) {
	h := c.h
	m := outMsg{data: mustJSON(v)}
	deadline := clock.Wall().Add(h.o.WriteTimeout)
	for {
		h.mu.Lock()
		select {
		case c.send <- m:
			h.mu.Unlock()
			return
		default:
		}
		if clock.Wall().After(deadline) {
			h.dropLocked(c, CloseTooSlow, "too slow: reconnect with since")
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		select {
		case <-c.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// writeLoop writes queued messages and pings until the client is kicked, then sends the
// close frame, gives the client closeGrace to answer it, and closes the connection.
func (c *client) writeLoop() {
	h := c.h
	ping := time.NewTicker(h.o.PingInterval)
	defer ping.Stop()
	defer c.conn.Close()
	for {
		select {
		case <-c.done:
			c.closeNow()
			return
		case m := <-c.send:
			if c.kicked.Load() { // a kick goes before what is still queued
				c.closeNow()
				return
			}
			if m.gen != 0 && m.gen != c.gen.Load() {
				continue
			}
			_ = c.conn.SetWriteDeadline(clock.Wall().Add(h.o.WriteTimeout))
			var err error
			if m.pm != nil {
				err = c.conn.WritePreparedMessage(m.pm)
			} else {
				err = c.conn.WriteMessage(websocket.TextMessage, m.data)
			}
			if err != nil {
				c.kick(0, "")
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, clock.Wall().Add(h.o.WriteTimeout)); err != nil {
				c.kick(0, "")
				return
			}
		}
	}
}

// closeNow sends the close frame of the kick, if any, and waits up to closeGrace for the
// reader to see the client's answer.
func (c *client) closeNow() {
	if c.closeCode == 0 {
		return
	}
	err := c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(c.closeCode, c.closeText), clock.Wall().Add(c.h.o.WriteTimeout))
	if err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readDone:
	case <-t.C:
	}
}
