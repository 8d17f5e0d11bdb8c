package live

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// Tokens of the test authenticator.
const (
	viewerToken    = "viewer-secret"
	envScreenToken = "env-screen-secret"
	envCollector   = "env-collector-secret"
)

func testAuth() *web.Authenticator {
	tok := func(secret string, role web.Role, dept string) web.Token {
		return web.Token{SHA256: sha256.Sum256([]byte(secret)), Role: role, Department: dept}
	}
	return web.NewAuthenticator([]web.Token{
		tok(viewerToken, web.Viewer, ""),
		tok(envScreenToken, web.Viewer, "env"),
		tok(envCollector, web.Collector, "env"),
	}, false)
}

// testHub is a running hub behind an httptest server.
type testHub struct {
	*Hub
	t    testing.TB
	srv  *httptest.Server
	url  string // ws://…/ws
	stop func()
}

// startHub runs a hub on store with o's limits (Store and Auth are filled in); setup, if
// set, sees the hub before it runs. Stopping it is registered as a cleanup.
func startHub(t testing.TB, store *rdb.Store, o Options, setup ...func(*Hub)) *testHub {
	t.Helper()
	o.Store, o.Auth = store, testAuth()
	if o.FeedBlock == 0 {
		o.FeedBlock = 200 * time.Millisecond
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	srv := httptest.NewServer(mux)
	th := &testHub{Hub: h, t: t, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"}
	var stopped atomic.Bool
	th.stop = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("hub did not stop within 10 s")
		}
		srv.Close()
	}
	t.Cleanup(th.stop)
	select {
	case <-h.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("hub did not start")
	}
	return th
}

// wsClient is a test client.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

// dial connects with the token in the query (header false) or the Authorization header.
func (th *testHub) dial(token string, header bool) *wsClient {
	th.t.Helper()
	c, resp, err := th.tryDial(token, header, nil, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		th.t.Fatalf("dial: %v (status %d)", err, status)
	}
	return c
}

func (th *testHub) tryDial(token string, header bool, h http.Header, d *websocket.Dialer) (*wsClient, *http.Response, error) {
	u := th.url
	if h == nil {
		h = http.Header{}
	}
	if token != "" && header {
		h.Set("Authorization", "Bearer "+token)
	} else if token != "" {
		u += "?token=" + token
	}
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, resp, err := d.Dial(u, h)
	if err != nil {
		return nil, resp, err
	}
	th.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: th.t, conn: conn}, resp, nil
}

// msg is any server message.
type msg struct {
	Type     string          `json:"type"`
	Cursor   string          `json:"cursor"`
	Alert    *alertMsg       `json:"alert"`
	Overview json.RawMessage `json:"overview"`
	Error    string          `json:"error"`
	Field    string          `json:"field"`
}

type alertMsg struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Level      string `json:"level"`
	State      string `json:"state"`
	Department string `json:"department"`
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// read reads one message within d.
func (c *wsClient) read(d time.Duration) (msg, error) {
	var m msg
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode %s: %w", b, err)
	}
	return m, nil
}

func (c *wsClient) mustRead() msg {
	c.t.Helper()
	m, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// subscribe sends a subscribe and reads up to the subscribed answer; it returns the
// alerts replayed before it and its cursor.
func (c *wsClient) subscribe(sub map[string]any) ([]msg, string) {
	c.t.Helper()
	sub["op"] = "subscribe"
	c.send(sub)
	var replayed []msg
	for {
		m := c.mustRead()
		switch m.Type {
		case "subscribed":
			return replayed, m.Cursor
		case "alert":
			replayed = append(replayed, m)
		case "overview":
		default:
			c.t.Fatalf("while subscribing: %+v", m)
		}
	}
}

// alerts reads n alert messages (skipping overviews).
func (c *wsClient) alerts(n int) []msg {
	c.t.Helper()
	var out []msg
	for len(out) < n {
		m := c.mustRead()
		switch m.Type {
		case "alert":
			out = append(out, m)
		case "overview":
		default:
			c.t.Fatalf("reading alert %d of %d: %+v", len(out)+1, n, m)
		}
	}
	return out
}

// quiet checks that no alert arrives within d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); {
		m, err := c.read(time.Until(end))
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return
			}
			c.t.Fatalf("read: %v", err)
		}
		if m.Type == "alert" {
			c.t.Fatalf("unexpected alert: %+v", m.Alert)
		}
	}
}

// doc is an alert record as the stream holds it; pad adds a note of that many bytes.
func doc(id, dept, level, kind string, pad int) []byte {
	rec := map[string]any{"id": id, "kind": kind, "level": level, "state": "firing",
		"department": dept, "message": "test alert " + id}
	if pad > 0 {
		rec["note"] = strings.Repeat("x", pad)
	}
	b, _ := json.Marshal(rec)
	return b
}

// appendAlerts appends records to the store's alert stream and returns their cursors.
func appendAlerts(t testing.TB, store *rdb.Store, docs ...[]byte) []string {
	t.Helper()
	cs, err := store.AppendAlerts(context.Background(), docs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// redAlerts makes n red promise_overdue alerts of dept named prefix-0…
func redAlerts(prefix, dept string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = doc(fmt.Sprintf("%s-%d", prefix, i), dept, "red", "promise_overdue", 0)
	}
	return out
}

// ids lists the alert ids of messages.
func ids(ms []msg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Alert.ID
	}
	return out
}

// checkOrder fails unless the messages' cursors strictly increase.
func checkOrder(t testing.TB, ms []msg) {
	t.Helper()
	var prev cursor
	for i, m := range ms {
		c, ok := parseCursor(m.Cursor)
		if !ok {
			t.Fatalf("message %d: bad cursor %q", i, m.Cursor)
		}
		if i > 0 && !c.after(prev) {
			t.Fatalf("message %d: cursor %s not after %s (duplicate or out of order)", i, c, prev)
		}
		prev = c
	}
}

func newStore(t testing.TB) *rdb.Store { return rdbtest.Store(t) }

// position is the hub's stream position.
func (h *Hub) position() cursor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pos
}
