package live

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
)

func TestSubscribeAndFilter(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	th := startHub(t, store, Options{})
	docs := [][]byte{
		doc("a1", "env", "red", "promise_overdue", 0),
		doc("a2", "transport", "yellow", "decision_due", 0),
		doc("a3", "env", "yellow", "late_report", 0),
		doc("a4", "transport", "red", "statutory_overdue", 0),
		doc("a5", "", "yellow", "calendar_missing", 0),
		doc("a6", "env", "red", "fee_violation", 0),
	}
	cases := []struct {
		name  string
		token string
		sub   map[string]any
		want  []string
	}{
		{"all", viewerToken, map[string]any{}, []string{"a1", "a2", "a3", "a4", "a5", "a6"}},
		{"empty lists mean all", viewerToken, map[string]any{"departments": []string{}, "levels": []string{}, "kinds": []string{}}, []string{"a1", "a2", "a3", "a4", "a5", "a6"}},
		{"department", viewerToken, map[string]any{"departments": []string{"transport"}}, []string{"a2", "a4"}},
		{"two departments", viewerToken, map[string]any{"departments": []string{"transport", "env"}}, []string{"a1", "a2", "a3", "a4", "a6"}},
		{"level", viewerToken, map[string]any{"levels": []string{"red"}}, []string{"a1", "a4", "a6"}},
		{"kinds", viewerToken, map[string]any{"kinds": []string{"decision_due", "calendar_missing"}}, []string{"a2", "a5"}},
		{"all three", viewerToken, map[string]any{"departments": []string{"env"}, "levels": []string{"red"}, "kinds": []string{"fee_violation"}}, []string{"a6"}},
		{"scoped token, no filter", envScreenToken, map[string]any{}, []string{"a1", "a3", "a6"}},
		{"scoped token, own department", envScreenToken, map[string]any{"departments": []string{"env"}, "levels": []string{"yellow"}}, []string{"a3"}},
		{"collector reads its department", envCollector, map[string]any{}, []string{"a1", "a3", "a6"}},
	}
	clients := make([]*wsClient, len(cases))
	for i, tc := range cases {
		clients[i] = th.dial(tc.token, i%2 == 0)
		if replayed, _ := clients[i].subscribe(tc.sub); len(replayed) != 0 {
			t.Fatalf("%s: replayed %v without since", tc.name, ids(replayed))
		}
	}
	appendAlerts(t, store, docs...)
	for i, tc := range cases {
		got := ids(clients[i].alerts(len(tc.want)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for i := range cases {
		clients[i].quiet(50 * time.Millisecond)
	}
}

func TestScopedTokenIsolation(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	th := startHub(t, store, Options{})
	c := th.dial(envScreenToken, true)
	c.subscribe(map[string]any{})
	// Asking for another department is refused, and the subscription stays as it was.
	c.send(map[string]any{"op": "subscribe", "departments": []string{"transport"}})
	if m := c.mustRead(); m.Type != "error" || m.Field != "departments" {
		t.Fatalf("subscribe to transport with the env screen token: %+v", m)
	}
	c.send(map[string]any{"op": "subscribe", "departments": []string{"env", "transport"}})
	if m := c.mustRead(); m.Type != "error" || m.Field != "departments" {
		t.Fatalf("subscribe to env and transport with the env screen token: %+v", m)
	}
	appendAlerts(t, store, doc("t1", "transport", "red", "promise_overdue", 0),
		doc("s1", "", "yellow", "calendar_missing", 0), doc("e1", "env", "red", "promise_overdue", 0))
	if got := c.alerts(1); got[0].Alert.ID != "e1" {
		t.Fatalf("env screen got %v, want e1 only", ids(got))
	}
	// Nor does a replay show another department's alerts.
	c.send(map[string]any{"op": "subscribe", "since": "0-0"})
	replayed, _ := c.subscribeAnswer()
	if !slices.Equal(ids(replayed), []string{"e1"}) {
		t.Fatalf("env screen replay: %v, want [e1]", ids(replayed))
	}
	c.quiet(200 * time.Millisecond)
}

// subscribeAnswer reads what follows a subscribe already sent.
func (c *wsClient) subscribeAnswer() ([]msg, string) {
	c.t.Helper()
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

func TestNewSubscribeReplacesTheOld(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	th := startHub(t, store, Options{})
	c := th.dial(viewerToken, false)
	c.subscribe(map[string]any{"departments": []string{"env"}})
	appendAlerts(t, store, doc("e1", "env", "red", "promise_overdue", 0))
	c.alerts(1)
	c.subscribe(map[string]any{"departments": []string{"transport"}})
	appendAlerts(t, store, doc("e2", "env", "red", "promise_overdue", 0), doc("t1", "transport", "red", "promise_overdue", 0))
	if got := c.alerts(1); got[0].Alert.ID != "t1" {
		t.Fatalf("after resubscribing to transport: %v", ids(got))
	}
}

// A client's cursor carries it across a replica restart: alerts appended while no hub ran
// are replayed, in order, with the cursors they have live, then live ones follow, each
// exactly once.
func TestReconnectAcrossHubRestart(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	a := startHub(t, store, Options{})
	c := a.dial(viewerToken, true)
	c.subscribe(map[string]any{"levels": []string{"red"}})
	appendAlerts(t, store, redAlerts("before", "env", 3)...)
	got := c.alerts(3)
	since := got[2].Cursor
	a.stop()
	if _, err := c.read(5 * time.Second); !isClose(err, 1001) {
		t.Fatalf("on hub stop: %v, want close 1001", err)
	}

	down := appendAlerts(t, store, redAlerts("down", "env", 5)...)
	appendAlerts(t, store, doc("down-yellow", "env", "yellow", "decision_due", 0))

	b := startHub(t, store, Options{})
	appendAlerts(t, store, redAlerts("restarted", "transport", 2)...) // before the client is back
	c = b.dial(viewerToken, true)
	c.send(map[string]any{"op": "subscribe", "levels": []string{"red"}, "since": since})
	replayed, cur := c.subscribeAnswer()
	want := []string{"down-0", "down-1", "down-2", "down-3", "down-4", "restarted-0", "restarted-1"}
	if !slices.Equal(ids(replayed), want) {
		t.Fatalf("replayed %v, want %v", ids(replayed), want)
	}
	checkOrder(t, replayed)
	for i, cs := range down {
		if replayed[i].Cursor != cs {
			t.Errorf("replayed %s has cursor %s, live it had %s", replayed[i].Alert.ID, replayed[i].Cursor, cs)
		}
	}
	if cur != replayed[len(replayed)-1].Cursor {
		t.Errorf("subscribed cursor %s, want the last replayed %s", cur, replayed[len(replayed)-1].Cursor)
	}
	appendAlerts(t, store, redAlerts("live", "env", 2)...)
	if got := c.alerts(2); !slices.Equal(ids(got), []string{"live-0", "live-1"}) {
		t.Fatalf("live after replay: %v", ids(got))
	}
	c.quiet(200 * time.Millisecond)
	// Reconnecting with the subscribed cursor replays only what came after it.
	c2 := b.dial(viewerToken, false)
	c2.send(map[string]any{"op": "subscribe", "levels": []string{"red"}, "since": cur})
	if replayed, _ := c2.subscribeAnswer(); !slices.Equal(ids(replayed), []string{"live-0", "live-1"}) {
		t.Fatalf("replay from the subscribed cursor: %v", ids(replayed))
	}
}

// Live alerts appended while a long replay runs are neither lost nor repeated. The hub fans
// them out while the client replays: between pages (the replay reads them as well: the
// pending copies are dropped), and after the replay's last read (only the pending copies
// have them: they are sent before subscribed). Three sizes of send buffer take the three
// paths of the handover: pending fits the queue; pending overflows (dropped, re-read from
// the stream); pending just fits.
func TestLiveAlertsDuringLongReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		sendBuffer, final int
	}{
		{"pending buffered", 256, 7},
		{"pending overflows", 4, 7},
		{"pending just fits", 16, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newStore(t)
			const old, perPage, pages = 1000, 7, 20
			appendAlerts(t, store, redAlerts("old", "env", old)...)
			var mu sync.Mutex // the hook runs in the replay's goroutine
			page, finals := 0, 0
			var live []string
			th := startHub(t, store, Options{ReplayPage: 50, SendBuffer: tc.sendBuffer}, func(h *Hub) {
				h.afterReplayPage = func(final bool) {
					mu.Lock()
					defer mu.Unlock()
					page++
					n := perPage
					switch {
					case final && finals == 0:
						finals++
						n = tc.final
					case final || page > pages:
						return
					}
					name := fmt.Sprintf("live%d", page)
					cs := appendAlerts(t, store, redAlerts(name, "env", n)...)
					want, _ := parseCursor(cs[len(cs)-1])
					eventually.True(t, "the hub to fan out", func() bool { return !want.after(h.position()) })
					for i := range n {
						live = append(live, fmt.Sprintf("%s-%d", name, i))
					}
				}
			})
			c := th.dial(viewerToken, false)
			c.send(map[string]any{"op": "subscribe", "since": "0-0"})
			replayed, cur := c.subscribeAnswer()
			mu.Lock()
			defer mu.Unlock()
			want := make([]string, 0, old+len(live))
			for i := range old {
				want = append(want, fmt.Sprintf("old-%d", i))
			}
			want = append(want, live...)
			if len(live) != perPage*pages+tc.final {
				t.Fatalf("%d live alerts were appended during the replay, want %d", len(live), perPage*pages+tc.final)
			}
			if !slices.Equal(ids(replayed), want) {
				t.Fatalf("replayed %d alerts, want %d; first difference at %d", len(replayed), len(want), firstDiff(ids(replayed), want))
			}
			checkOrder(t, replayed)
			if cur != replayed[len(replayed)-1].Cursor {
				t.Errorf("subscribed cursor %s, want %s", cur, replayed[len(replayed)-1].Cursor)
			}
			appendAlerts(t, store, redAlerts("after", "env", 3)...)
			if got := c.alerts(3); !slices.Equal(ids(got), []string{"after-0", "after-1", "after-2"}) {
				t.Fatalf("live after the replay: %v", ids(got))
			}
			c.quiet(200 * time.Millisecond)
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Two replicas on one Redis: each hub reads the one stream, so a client on B sees what was
// appended through A's store, in the same order and with the same cursors as a client on A.
func TestTwoReplicasShareTheStream(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	a := startHub(t, store, Options{})
	b := startHub(t, store, Options{})
	ca, cb := a.dial(viewerToken, true), b.dial(viewerToken, true)
	ca.subscribe(map[string]any{})
	cb.subscribe(map[string]any{})
	cs := appendAlerts(t, store, redAlerts("x", "env", 4)...)
	ga, gb := ca.alerts(4), cb.alerts(4)
	for i := range cs {
		if ga[i].Cursor != cs[i] || gb[i].Cursor != cs[i] || ga[i].Alert.ID != gb[i].Alert.ID {
			t.Fatalf("alert %d: A %s %s, B %s %s, appended %s", i, ga[i].Alert.ID, ga[i].Cursor, gb[i].Alert.ID, gb[i].Cursor, cs[i])
		}
	}
}

func TestReplayFromBeforeRetentionAndItsLimits(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	appendAlerts(t, store, redAlerts("kept", "env", 3)...)
	th := startHub(t, store, Options{ReplayMax: 5, ReplayPage: 2})
	c := th.dial(viewerToken, false)
	// A cursor older than anything kept replays from the oldest kept entry.
	c.send(map[string]any{"op": "subscribe", "since": "1-0"})
	if replayed, _ := c.subscribeAnswer(); !slices.Equal(ids(replayed), []string{"kept-0", "kept-1", "kept-2"}) {
		t.Fatalf("replay from before the retention: %v", ids(replayed))
	}
	appendAlerts(t, store, redAlerts("more", "env", 3)...)
	c.alerts(3)
	// Six entries to replay, over ReplayMax 5: refused with an error about since.
	c.send(map[string]any{"op": "subscribe", "since": "0-0"})
	for {
		m := c.mustRead()
		if m.Type == "error" {
			if m.Field != "since" {
				t.Fatalf("error: %+v", m)
			}
			break
		}
		if m.Type == "subscribed" {
			t.Fatal("subscribed past ReplayMax")
		}
	}
}

func TestClientMessageErrors(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	top := appendAlerts(t, store, doc("only", "env", "red", "promise_overdue", 0))[0]
	th := startHub(t, store, Options{})
	c := th.dial(viewerToken, false)
	future, _ := parseCursor(top)
	future.ms += 60_000
	for _, tc := range []struct {
		name  string
		send  any
		field string
	}{
		{"malformed since", map[string]any{"op": "subscribe", "since": "yesterday"}, "since"},
		{"short since", map[string]any{"op": "subscribe", "since": "1767225600000"}, "since"},
		{"since after the newest alert", map[string]any{"op": "subscribe", "since": future.String()}, "since"},
		{"unknown level", map[string]any{"op": "subscribe", "levels": []string{"purple"}}, "levels"},
		{"unknown kind", map[string]any{"op": "subscribe", "kinds": []string{"nope"}}, "kinds"},
		{"unknown op", map[string]any{"op": "unsubscribe"}, "op"},
		{"not an object", []int{1, 2}, ""},
	} {
		c.send(tc.send)
		m := c.mustRead()
		if m.Type != "error" || m.Field != tc.field || m.Error == "" {
			t.Errorf("%s: %+v, want an error about %q", tc.name, m, tc.field)
		}
	}
	// The connection is still usable.
	if replayed, _ := c.subscribe(map[string]any{"since": "0-0"}); len(replayed) != 1 {
		t.Fatalf("after the errors: replayed %v", ids(replayed))
	}
	// A message over the read limit closes the connection with 1009.
	if err := c.conn.WriteMessage(1, []byte(`{"op":"subscribe","kinds":["`+string(make([]byte, 5000))+`"]}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := c.read(5 * time.Second)
		if err != nil {
			if !isClose(err, 1009) {
				t.Fatalf("after an oversized message: %v, want close 1009", err)
			}
			break
		}
	}
}
