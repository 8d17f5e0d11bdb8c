package e2e_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// wsMsg is a message of the live feed.
type wsMsg struct {
	Type     string         `json:"type"`
	Cursor   string         `json:"cursor"`
	Alert    map[string]any `json:"alert"`
	Order    map[string]any `json:"order"`
	Overview map[string]any `json:"overview"`
	Error    string         `json:"error"`
}

// wsDial opens GET /ws on the instance with a token.
func wsDial(t *testing.T, in *servicetest.Instance, token string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(in.Base, "http") + "/ws?token=" + url.QueryEscape(token)
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (%d)", u, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func wsRead(t *testing.T, c *websocket.Conn, d time.Duration) (wsMsg, error) {
	t.Helper()
	var m wsMsg
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ReadMessage()
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m, nil
}

// wsSubscribe subscribes and returns the alerts replayed and the subscribed cursor.
func wsSubscribe(t *testing.T, c *websocket.Conn, sub map[string]any) ([]wsMsg, string) {
	t.Helper()
	sub["op"] = "subscribe"
	if err := c.WriteJSON(sub); err != nil {
		t.Fatal(err)
	}
	var replayed []wsMsg
	for {
		m, err := wsRead(t, c, 10*time.Second)
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		switch m.Type {
		case "subscribed":
			return replayed, m.Cursor
		case "alert", "order":
			replayed = append(replayed, m)
		case "overview":
		default:
			t.Fatalf("subscribe: %+v", m)
		}
	}
}

// cursorAfter compares two stream cursors "<ms>-<seq>".
func cursorAfter(a, b string) bool {
	parse := func(s string) (ms, seq uint64) {
		x, y, _ := strings.Cut(s, "-")
		ms, _ = strconv.ParseUint(x, 10, 64)
		seq, _ = strconv.ParseUint(y, 10, 64)
		return
	}
	am, as := parse(a)
	bm, bs := parse(b)
	return am > bm || am == bm && as > bs
}

// wsNextAlert reads until an alert arrives (overviews are skipped).
func wsNextAlert(t *testing.T, c *websocket.Conn) wsMsg {
	t.Helper()
	for {
		m, err := wsRead(t, c, 15*time.Second)
		if err != nil {
			t.Fatalf("waiting for an alert: %v", err)
		}
		if m.Type == "alert" {
			return m
		}
	}
}

// The whole service: an overdue case posted through the push API fires promise_overdue,
// which reaches the subscribed screens over /ws (and not another department's), then comes
// again acknowledged; the screen's figures follow.
func TestLiveFeedEndToEnd(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	all := wsDial(t, in, "viewer-secret")
	env := wsDial(t, in, "env-screen-secret")
	transport := wsDial(t, in, "transport-collector-secret")
	wsSubscribe(t, all, map[string]any{"kinds": []string{"promise_overdue"}})
	wsSubscribe(t, env, map[string]any{"levels": []string{"red"}})
	wsSubscribe(t, transport, map[string]any{})

	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", overdueCase); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	fired := wsNextAlert(t, all)
	a := fired.Alert
	if a["kind"] != "promise_overdue" || a["level"] != "red" || a["state"] != "firing" ||
		a["case_id"] != "env-2026-000777" || a["department"] != "env" || fired.Cursor == "" {
		t.Fatalf("alert over /ws: %+v", fired)
	}
	if m := wsNextAlert(t, env); m.Alert["id"] != a["id"] || m.Cursor != fired.Cursor {
		t.Fatalf("env screen: %+v, want %v at %s", m, a["id"], fired.Cursor)
	}

	// Acknowledging sends the alert again with its new state, at a later cursor.
	path := "/api/v1/alerts/" + url.PathEscape(a["id"].(string)) + "/ack"
	if code, b, _ := in.Do("POST", path, "supervisor-secret", `{"note":"已电话督办"}`); code != 200 {
		t.Fatalf("ack: %d %v", code, b)
	}
	acked := wsNextAlert(t, all)
	if acked.Alert["id"] != a["id"] || acked.Alert["state"] != "acknowledged" || !cursorAfter(acked.Cursor, fired.Cursor) {
		t.Fatalf("after ack: %+v (fired at %s)", acked, fired.Cursor)
	}

	// The screen's figures: an overview with the red case arrives.
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, err := wsRead(t, all, time.Until(deadline))
		if err != nil {
			t.Fatalf("no overview with the red case: %v", err)
		}
		if m.Type == "overview" && m.Overview["red"] == 1.0 {
			break
		}
	}
	// The transport collector saw none of env's alerts.
	for {
		m, err := wsRead(t, transport, 300*time.Millisecond)
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			t.Fatal(err)
		}
		if m.Type == "alert" {
			t.Fatalf("transport collector got %+v", m)
		}
	}
	// Without a token: 401.
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(in.Base, "http")+"/ws", nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("dial without a token: %v %v", err, resp)
	}
}

// Two replicas on one Redis: a screen on B sees the alert fired through A; B stops, and the
// screen reconnects to A with its cursor: it gets what happened meanwhile, once.
func TestLiveFeedAcrossReplicas(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	a := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	b := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	onB := wsDial(t, b, "viewer-secret")
	wsSubscribe(t, onB, map[string]any{"kinds": []string{"promise_overdue"}})
	if code, body, _ := a.Do("POST", "/api/v1/events", "env-collector-secret", overdueCase); code != 202 {
		t.Fatalf("post to A: %d %v", code, body)
	}
	fired := wsNextAlert(t, onB)
	if fired.Alert["case_id"] != "env-2026-000777" || fired.Alert["state"] != "firing" {
		t.Fatalf("on B: %+v", fired)
	}

	if code := b.Shutdown(); code != 0 {
		t.Fatalf("B exited with %d", code)
	}
	for {
		_, err := wsRead(t, onB, 10*time.Second)
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("B's client on shutdown: %v, want close 1001", err)
			}
			break
		}
	}
	path := "/api/v1/alerts/" + url.PathEscape(fired.Alert["id"].(string)) + "/ack"
	if code, body, _ := a.Do("POST", path, "supervisor-secret", `{"note":"B is down"}`); code != 200 {
		t.Fatalf("ack on A: %d %v", code, body)
	}
	var replayed []wsMsg
	for deadline := time.Now().Add(10 * time.Second); len(replayed) == 0; {
		// The ack reaches the stream through the relay, asynchronously: reconnect until it
		// is there. (A new connection each time: on the same one, the ack could arrive live
		// under one subscribe, then be replayed again by the next.)
		if time.Now().After(deadline) {
			t.Fatal("the acknowledgement never reached the stream")
		}
		onA := wsDial(t, a, "viewer-secret")
		replayed, _ = wsSubscribe(t, onA, map[string]any{"kinds": []string{"promise_overdue"}, "since": fired.Cursor})
		onA.Close()
	}
	if len(replayed) != 1 || replayed[0].Alert["id"] != fired.Alert["id"] || replayed[0].Alert["state"] != "acknowledged" {
		t.Fatalf("replayed on A since %s: %+v", fired.Cursor, replayed)
	}
}
