package live

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/web"
)

func isClose(err error, code int) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}

// A client that stops reading fills its socket, then its send buffer, and is closed with
// 4008; a fast client on the same hub meanwhile receives every alert.
func TestSlowClientIsClosedAndNeverSlowsTheOthers(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	// WriteTimeout is long so the slow client's blocked write outlasts the test: the 4008
	// close frame then follows the data it has not read yet.
	th := startHub(t, store, Options{SendBuffer: 4, WriteTimeout: 30 * time.Second})
	slow := th.dial(viewerToken, true)
	slow.subscribe(map[string]any{})
	fast := th.dial(viewerToken, true)
	fast.subscribe(map[string]any{})
	eventually.True(t, "two clients", func() bool { return th.Clients() == 2 })

	// 32 KiB alerts, two at a time: the fast client keeps up; the slow one's socket buffers
	// (a few MiB on loopback: the receiver's does not grow while nobody reads) fill, then its
	// 4 queued messages.
	const rounds, per, pad = 300, 2, 32 << 10
	for r := range rounds {
		docs := make([][]byte, per)
		for i := range docs {
			docs[i] = doc("big", "env", "red", "promise_overdue", pad)
		}
		appendAlerts(t, store, docs...)
		if got := fast.alerts(per); len(got) != per {
			t.Fatalf("round %d: fast client got %d", r, len(got))
		}
	}
	eventually.True(t, "the slow client to be dropped", func() bool { return th.Clients() == 1 })
	// The slow client, reading at last, finds what was in flight, then close 4008.
	n := 0
	for {
		_, err := slow.read(10 * time.Second)
		if err != nil {
			if !isClose(err, CloseTooSlow) {
				t.Fatalf("slow client after %d messages: %v, want close 4008", n, err)
			}
			break
		}
		n++
	}
	if n >= rounds*per {
		t.Fatalf("the slow client received all %d alerts; it was not slow", n)
	}
	// The fast one is still live.
	appendAlerts(t, store, doc("after", "env", "red", "promise_overdue", 0))
	if got := fast.alerts(1); got[0].Alert.ID != "after" {
		t.Fatalf("fast client after the drop: %v", ids(got))
	}
}

// The server pings; a client that answers (gorilla answers while reading) stays, one that
// shows no sign of life within PingInterval+WriteTimeout is dropped.
func TestPingPongDeadlines(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	th := startHub(t, store, Options{PingInterval: 200 * time.Millisecond, WriteTimeout: time.Second})
	alive := th.dial(viewerToken, false)
	mute := th.dial(viewerToken, false)
	alive.subscribe(map[string]any{})
	mute.subscribe(map[string]any{})
	var pings atomic.Int32
	alive.conn.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = alive.conn.SetReadDeadline(time.Time{})
		for {
			if _, _, err := alive.conn.ReadMessage(); err != nil {
				return
			}
		}
	})
	eventually.True(t, "the mute client to be dropped", func() bool { return th.Clients() == 1 })
	time.Sleep(1500 * time.Millisecond) // past another read deadline
	if th.Clients() != 1 {
		t.Fatal("the answering client was dropped too")
	}
	alive.conn.Close()
	wg.Wait()
	if pings.Load() == 0 {
		t.Fatal("the server sent no ping")
	}
}

func TestHandshakeRefusals(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	th := startHub(t, store, Options{
		AllowedOrigins: []string{"https://screen.example.gov.cn"},
		Session: func(r *http.Request) (web.Principal, bool) {
			if c, err := r.Cookie("test_session"); err == nil && c.Value == "ok" {
				return web.Principal{Name: "session", Role: web.Viewer}, true
			}
			return web.Principal{}, false
		},
	})
	host := strings.TrimPrefix(th.srv.URL, "http://")
	for _, tc := range []struct {
		name   string
		token  string
		header http.Header
		status int // 101 for accepted
	}{
		{"no token", "", nil, 401},
		{"unknown token", "nope", nil, 401},
		{"query token", viewerToken, nil, 101},
		{"foreign origin", viewerToken, http.Header{"Origin": {"https://evil.example"}}, 403},
		{"same host origin", viewerToken, http.Header{"Origin": {"http://" + host}}, 101},
		{"same host, other scheme", viewerToken, http.Header{"Origin": {"https://" + host}}, 403},
		{"same host over a TLS proxy", viewerToken, http.Header{"Origin": {"https://" + host}, "X-Forwarded-Proto": {"https"}}, 101},
		{"same host, plain page behind a TLS proxy", viewerToken, http.Header{"Origin": {"http://" + host}, "X-Forwarded-Proto": {"https"}}, 403},
		{"allowed origin", viewerToken, http.Header{"Origin": {"https://screen.example.gov.cn"}}, 101},
		{"allowed origin, other scheme", viewerToken, http.Header{"Origin": {"http://screen.example.gov.cn"}}, 403},
		{"session hook", "", http.Header{"Cookie": {"test_session=ok"}}, 101},
		{"bad session, no token", "", http.Header{"Cookie": {"test_session=bad"}}, 401},
	} {
		_, resp, err := th.tryDial(tc.token, false, tc.header, nil)
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		if status != tc.status {
			t.Errorf("%s: status %d (%v), want %d", tc.name, status, err, tc.status)
			continue
		}
		if status != 101 {
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["error"] == "" {
				t.Errorf("%s: body %v %v, want a JSON error", tc.name, body, err)
			}
		}
	}
	// Header token too.
	c := th.dial(viewerToken, true)
	c.subscribe(map[string]any{})
}

// Overviews: at most one per OverviewEvery per client, computed once per scope, sent only
// when the figures changed; a department-bound token gets its department's.
func TestOverviewCoalescedPerScope(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	var mu sync.Mutex
	calls := map[string]int{}
	figure := 0
	const every = 300 * time.Millisecond
	th := startHub(t, store, Options{OverviewEvery: every, Overview: func(_ context.Context, dept string) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[dept]++
		return map[string]any{"scope": dept, "open": figure}, nil
	}})
	all, env, env2 := th.dial(viewerToken, true), th.dial(envScreenToken, true), th.dial(envScreenToken, false)
	all.subscribe(map[string]any{})
	env.subscribe(map[string]any{})
	env2.subscribe(map[string]any{})
	type ov struct {
		Scope string `json:"scope"`
		Open  int    `json:"open"`
	}
	readOverview := func(c *wsClient) (ov, time.Time) {
		t.Helper()
		m := c.mustRead()
		if m.Type != "overview" {
			t.Fatalf("got %+v, want an overview", m)
		}
		var o ov
		_ = json.Unmarshal(m.Overview, &o)
		return o, time.Now()
	}
	// Each gets the current figures once subscribed.
	if o, _ := readOverview(all); o.Scope != "" {
		t.Fatalf("viewer overview: %+v", o)
	}
	for _, c := range []*wsClient{env, env2} {
		if o, _ := readOverview(c); o.Scope != "env" {
			t.Fatalf("env screen overview: %+v", o)
		}
	}
	// A burst of changes: coalesced to at most one message per interval.
	stopBurst := time.Now().Add(1200 * time.Millisecond)
	go func() {
		for time.Now().Before(stopBurst) {
			mu.Lock()
			figure++
			mu.Unlock()
			th.OverviewChanged()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var times []time.Time
	for {
		m, err := all.read(every + 500*time.Millisecond)
		if err != nil {
			break // quiet again
		}
		if m.Type != "overview" {
			t.Fatalf("%+v", m)
		}
		times = append(times, time.Now())
	}
	if len(times) < 2 || len(times) > 6 {
		t.Fatalf("%d overview messages for a 1.2 s burst of changes, want 2 to 6 (one per %v)", len(times), every)
	}
	for i := 1; i < len(times); i++ {
		// Delivery jitter aside, messages are spaced by the interval.
		if d := times[i].Sub(times[i-1]); d < every-100*time.Millisecond {
			t.Errorf("overviews %d and %d only %v apart", i-1, i, d)
		}
	}
	// Unchanged figures send nothing.
	mu.Lock()
	before := calls[""] + calls["env"]
	mu.Unlock()
	th.OverviewChanged()
	time.Sleep(2 * every)
	mu.Lock()
	after, perScope := calls[""]+calls["env"], calls["env"]
	mu.Unlock()
	if after != before+2 {
		t.Errorf("one change computed %d overviews, want 2 (one per scope)", after-before)
	}
	_ = perScope
	// The burst went to the env screens as well, computed once for both.
	for _, c := range []*wsClient{env, env2} {
		n := 0
		for {
			m, err := c.read(100 * time.Millisecond)
			if err != nil {
				break
			}
			if m.Type == "overview" {
				n++
			}
		}
		if n < 1 {
			t.Errorf("env screen got no overview of the burst")
		}
	}
	if _, err := all.read(200 * time.Millisecond); err == nil {
		t.Error("an overview was sent for unchanged figures")
	}
}

func TestClientsGauge(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	reg := prometheus.NewRegistry()
	th := startHub(t, store, Options{Registerer: reg})
	a := th.dial(viewerToken, true)
	th.dial(viewerToken, false)
	gauge := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "duban_websocket_clients" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no duban_websocket_clients")
		return 0
	}
	eventually.True(t, "two clients", func() bool { return gauge() == 2 })
	a.conn.Close()
	eventually.True(t, "one client", func() bool { return gauge() == 1 })
}

// The figures also follow the alert stream (every alert moves the levels) and a periodic
// refresh (another replica's changes that came without an alert).
func TestOverviewFollowsAlertsAndRefresh(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	var open atomic.Int64
	th := startHub(t, store, Options{OverviewEvery: 50 * time.Millisecond, OverviewRefresh: 400 * time.Millisecond,
		OverviewDelay: 10 * time.Millisecond,
		Overview: func(context.Context, string) (any, error) {
			return map[string]any{"at": time.Now(), "open": open.Load()}, nil
		}})
	c := th.dial(viewerToken, true)
	c.subscribe(map[string]any{})
	next := func(want int64) {
		t.Helper()
		for {
			m := c.mustRead()
			if m.Type != "overview" {
				continue
			}
			var o struct{ Open int64 }
			_ = json.Unmarshal(m.Overview, &o)
			if o.Open == want {
				return
			}
			t.Fatalf("overview open=%d, want %d", o.Open, want)
		}
	}
	next(0)
	open.Store(1)
	appendAlerts(t, store, doc("a", "env", "red", "promise_overdue", 0))
	start := time.Now()
	next(1)
	if d := time.Since(start); d > 350*time.Millisecond {
		t.Errorf("the overview followed the alert only after %v", d)
	}
	open.Store(2) // no signal: the refresh finds it
	next(2)
	// Refreshes that find the same figures (only "at" differs) send nothing.
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		m, err := c.read(time.Until(end))
		if err == nil {
			t.Fatalf("unchanged figures sent again: %+v", m)
		}
	}
}
