package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts/webhook"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/rdb"
)

const secret = "0123456789abcdef-secret"

// A receiver that fails for a while, then recovers, gets every alert once it answers 2xx,
// in stream order, with valid signatures (the receiver checks them) and no gap.
func TestFailingReceiverRecoversInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, secret, func(n int, _ webhook.Payload) int {
		if n < 7 || n == 12 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	id := e.subscribe(rc.srv.URL, secret, "")
	rc.sub = id
	cursors := e.fire(many(10, "env", monitor.PromiseOverdue)...) // a backlog before the dispatcher starts
	e.dispatcher(webhook.Options{Registerer: e.reg})
	cursors = append(cursors, e.fire(many(10, "transport", monitor.DecisionDue)...)...) // and live ones
	want := deliveryIDs(id, cursors)
	eventually.True(t, "every alert delivered", func() bool { return len(rc.ok()) >= len(want) })
	if got := ids(rc.ok()); !slices.Equal(got, want) {
		t.Fatalf("delivered\n%v\nwant\n%v", got, want)
	}
	// Every attempt, failed or not, was of the oldest entry not yet acknowledged.
	rc.mu.Lock()
	all := slices.Clone(rc.all)
	rc.mu.Unlock()
	for i, g := range all {
		if i > 0 && before(g.DeliveryID, all[i-1].DeliveryID) {
			t.Fatalf("attempt %d (%s) went back after %s", i, g.DeliveryID, all[i-1].DeliveryID)
		}
	}
	eventually.True(t, "the delivery state", func() bool {
		d := e.delivery(id)
		return d["delivered"] == 20.0 && d["backlog"] == 0.0 && d["position"] == cursors[19]
	})
	d := e.delivery(id)
	if !strings.HasPrefix(d["last_error"].(string), "HTTP 500") || d["last_success"] == nil ||
		d["failing_since"] != nil || d["dropped"] != 0.0 {
		t.Errorf("delivery state: %v", d)
	}
	if n := counter(t, e.reg, "duban_webhook_deliveries_total", map[string]string{"subscription": id, "outcome": "failure"}); n != 8 {
		t.Errorf("failures counted: %v, want 8", n)
	}
	if n := counter(t, e.reg, "duban_webhook_deliveries_total", map[string]string{"subscription": id, "outcome": "success"}); n != 20 {
		t.Errorf("successes counted: %v, want 20", n)
	}
	if n := counter(t, e.reg, "duban_webhook_backlog", map[string]string{"subscription": id}); n != 0 {
		t.Errorf("backlog gauge: %v", n)
	}
}

// A receiver that never answers does not slow another subscription.
func TestHangingReceiverDelaysNobodyElse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	release := make(chan struct{})
	hang := newReceiver(t, secret, func(int, webhook.Payload) int { <-release; return 200 })
	t.Cleanup(func() { close(release) }) // runs before the servers close
	fine := newReceiver(t, secret, nil)
	e.subscribe(hang.srv.URL, secret, "")
	id := e.subscribe(fine.srv.URL, secret, "")
	fine.sub = id
	e.dispatcher(webhook.Options{}) // the production client: a 10 s timeout
	cursors := e.fire(many(30, "env", monitor.PromiseOverdue)...)
	start := time.Now()
	eventually.True(t, "the healthy subscription's deliveries", func() bool { return len(fine.ok()) == 30 })
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the healthy subscription took %v", took)
	}
	if got := ids(fine.ok()); !slices.Equal(got, deliveryIDs(id, cursors)) {
		t.Errorf("delivered %v", got)
	}
	hang.mu.Lock()
	stuck := hang.inFlight
	hang.mu.Unlock()
	if stuck != 1 {
		t.Errorf("the hanging receiver has %d requests in flight, want 1 (the first alert)", stuck)
	}
}

// A restart in the middle of a backlog loses nothing and resends nothing acknowledged:
// only the one entry in flight when the dispatcher stopped comes again. Here the receiver
// takes the 41st delivery but answers only after the dispatcher has stopped (its request
// cancelled), so duban never saw that entry acknowledged and sends it again.
func TestRestartMidBacklog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inFlight, resume := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, secret, func(n int, _ webhook.Payload) int {
		if n == 40 {
			close(inFlight)
			<-resume
		}
		return 200
	})
	id := e.subscribe(rc.srv.URL, secret, "")
	rc.sub = id
	cursors := e.fire(many(150, "env", monitor.PromiseOverdue)...)
	_, stop := e.dispatcher(webhook.Options{})
	<-inFlight
	stop()
	close(resume)
	eventually.True(t, "the receiver to finish the request in flight", func() bool { return rc.count() == 41 })
	st, err := e.store.DeliveryStates(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Position != cursors[39] || st[0].Delivered != 40 {
		t.Fatalf("after the stop: position %s (delivered %d), want %s (40)", st[0].Position, st[0].Delivered, cursors[39])
	}

	e.dispatcher(webhook.Options{}) // the new process, on the same Redis
	eventually.True(t, "the rest of the backlog", func() bool { return len(rc.ok()) == len(cursors)+1 })
	got := ids(rc.ok())
	want := deliveryIDs(id, cursors)
	// The one repeat: the entry in flight at the stop, delivered again first.
	if got[40] != want[40] || got[41] != want[40] {
		t.Errorf("deliveries 41 and 42: %v, want %s twice", got[40:42], want[40])
	}
	if got = slices.Delete(got, 41, 42); !slices.Equal(got, want) {
		t.Fatalf("delivered\n%v\nwant\n%v", got, want)
	}
}

// Each subscription is served by one replica at a time; when that replica stops, another
// takes over where it left off.
func TestOneReplicaAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, secret, func(int, webhook.Payload) int { time.Sleep(time.Millisecond); return 200 })
	id := e.subscribe(rc.srv.URL, secret, "")
	rc.sub = id
	_, stopA := e.dispatcher(webhook.Options{Owner: "a"})
	_, stopB := e.dispatcher(webhook.Options{Owner: "b"})
	first := e.fire(many(40, "env", monitor.PromiseOverdue)...)
	eventually.True(t, "the first alerts", func() bool { return len(rc.ok()) == 40 })
	// Stopped only once the last answer is recorded: an entry in flight may come again
	// (TestRestartMidBacklog), and this test wants none.
	eventually.True(t, "the position past the first alerts", func() bool { return e.delivery(id)["position"] == first[39] })
	holder, _ := e.store.HoldLeases(context.Background(), []string{rdb.SubscriptionLease(id)}, "a", time.Second)
	if holder[0] { // a holds it (and renewed it just now): stop a
		stopA()
	} else {
		stopB()
	}
	rest := e.fire(many(40, "transport", monitor.DecisionDue)...)
	eventually.True(t, "the rest", func() bool { return rc.count() >= 80 })
	if got, want := ids(rc.ok()), deliveryIDs(id, append(first, rest...)); !slices.Equal(got, want) {
		t.Fatalf("delivered\n%v\nwant\n%v", got, want)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.maxIn != 1 {
		t.Errorf("%d deliveries of one subscription in flight at once", rc.maxIn)
	}
}

// Filters: each list that is not empty must contain the alert's value; entries that do not
// match are passed over, so the backlog drains.
func TestFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	recs := []alerting.Record{
		alert(1, "env", monitor.PromiseOverdue),       // 0: env red
		alert(2, "env", monitor.DecisionDue),          // 1: env yellow
		alert(3, "transport", monitor.LateReport),     // 2: transport yellow
		alert(4, "transport", monitor.PromiseOverdue), // 3: transport red
		alert(5, "env", monitor.LateReport),           // 4: env yellow
		{ID: "~calendar_missing~2027", Kind: monitor.CalendarMissing, Level: monitor.Yellow,
			State: alerting.Firing, Year: 2027, Message: "2027年工作日历未加载"}, // 5: no department
	}
	subs := []struct {
		name, filters string
		want          []int
	}{
		{"department", `, "departments": ["env"]`, []int{0, 1, 4}},
		{"level", `, "levels": ["red"]`, []int{0, 3}},
		{"kind and department", `, "kinds": ["late_report"], "departments": ["transport"]`, []int{2}},
		{"empty lists", `, "departments": [], "levels": ["yellow", "red"], "kinds": []`, []int{0, 1, 2, 3, 4, 5}},
		{"nothing matches", `, "kinds": ["fee_violation"]`, nil},
	}
	rcs := make([]*receiver, len(subs))
	subIDs := make([]string, len(subs))
	for i, s := range subs {
		rcs[i] = newReceiver(t, secret, nil)
		subIDs[i] = e.subscribe(rcs[i].srv.URL, secret, s.filters)
		rcs[i].sub = subIDs[i]
	}
	e.dispatcher(webhook.Options{})
	cursors := e.fire(recs...)
	for i, s := range subs {
		var want []string
		for _, n := range s.want {
			want = append(want, subIDs[i]+":"+cursors[n])
		}
		eventually.True(t, s.name+": the backlog passed", func() bool {
			d := e.delivery(subIDs[i])
			return d["position"] == cursors[len(cursors)-1] && d["backlog"] == 0.0
		})
		if got := ids(rcs[i].ok()); !slices.Equal(got, want) {
			t.Errorf("%s: delivered %v, want %v", s.name, got, want)
		}
	}
}

// An entry that keeps failing is retried until its retry window ends, then dropped and
// counted, and the next ones are delivered.
func TestDropAfterRetryWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poison := alert(1, "env", monitor.PromiseOverdue).ID
	rc := newReceiver(t, secret, func(_ int, p webhook.Payload) int {
		if strings.Contains(string(p.Alert), poison) {
			return http.StatusBadGateway
		}
		return 200
	})
	id := e.subscribe(rc.srv.URL, secret, "")
	rc.sub = id
	cursors := e.fire(many(3, "env", monitor.PromiseOverdue)...)
	e.dispatcher(webhook.Options{Registerer: e.reg,
		Retry: webhook.Retry{First: time.Millisecond, Max: 10 * time.Millisecond, For: 200 * time.Millisecond}})
	eventually.True(t, "the later alerts", func() bool { return len(rc.ok()) == 2 })
	if got := ids(rc.ok()); !slices.Equal(got, deliveryIDs(id, cursors[1:])) {
		t.Errorf("delivered %v", got)
	}
	// The receiver records a delivery before duban moves the position past it.
	eventually.True(t, "the delivery state", func() bool { return e.delivery(id)["delivered"] == 2.0 })
	d := e.delivery(id)
	if d["dropped"] != 1.0 || d["backlog"] != 0.0 || !strings.HasPrefix(d["last_error"].(string), "HTTP 502") {
		t.Errorf("delivery state: %v", d)
	}
	if n := counter(t, e.reg, "duban_webhook_deliveries_total", map[string]string{"subscription": id, "outcome": "dropped"}); n != 1 {
		t.Errorf("dropped counted: %v", n)
	}
	if n := rc.count() - 2; n < 3 {
		t.Errorf("the poisoned entry was tried %d times; want retries with backoff", n)
	}
}

// DELETE stops deliveries: nothing reaches a deleted subscription's URL afterwards, while
// the others go on.
func TestDeleteStopsDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gone, kept := newReceiver(t, secret, nil), newReceiver(t, secret, nil)
	goneID := e.subscribe(gone.srv.URL, secret, "")
	keptID := e.subscribe(kept.srv.URL, secret, "")
	d, _ := e.dispatcher(webhook.Options{Registerer: e.reg})
	e.wake = d.Wake
	e.fire(many(3, "env", monitor.PromiseOverdue)...)
	eventually.True(t, "the first alerts at both", func() bool { return len(gone.ok()) == 3 && len(kept.ok()) == 3 })
	if code, _, raw := e.call("DELETE", "/api/v1/subscriptions/"+goneID, "supervisor-secret", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", code, raw)
	}
	e.fire(many(3, "transport", monitor.PromiseOverdue)...)
	eventually.True(t, "the later alerts at the kept one", func() bool { return len(kept.ok()) == 6 })
	if n := gone.count(); n != 3 {
		t.Errorf("the deleted subscription got %d deliveries, want 3", n)
	}
	if code, _, _ := e.call("GET", "/api/v1/subscriptions/"+goneID, "supervisor-secret", ""); code != http.StatusNotFound {
		t.Errorf("GET deleted: %d", code)
	}
	if code, _, _ := e.call("DELETE", "/api/v1/subscriptions/"+goneID, "supervisor-secret", ""); code != http.StatusNotFound {
		t.Errorf("DELETE twice: %d", code)
	}
	eventually.True(t, "the deleted subscription's series to go", func() bool {
		return counter(t, e.reg, "duban_webhook_deliveries_total", map[string]string{"subscription": goneID}) == 0
	})
	_ = keptID
}

// A subscription deleted in the middle of a backlog gets nothing after the DELETE's answer
// but the request already in flight: here the receiver deletes its own subscription while
// answering the 5th delivery, and that is the last it sees of 40.
func TestDeleteMidBacklog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var id string
	var mu sync.Mutex
	gone := newReceiver(t, secret, func(n int, _ webhook.Payload) int {
		if n == 4 { // the 5th delivery
			mu.Lock()
			defer mu.Unlock()
			if code, _, raw := e.call("DELETE", "/api/v1/subscriptions/"+id, "supervisor-secret", ""); code != http.StatusNoContent {
				t.Errorf("DELETE: %d %s", code, raw)
			}
		}
		return http.StatusNoContent
	})
	kept := newReceiver(t, secret, nil)
	mu.Lock()
	id = e.subscribe(gone.srv.URL, secret, "")
	mu.Unlock()
	e.subscribe(kept.srv.URL, secret, "")
	e.fire(many(40, "env", monitor.PromiseOverdue)...)
	d, _ := e.dispatcher(webhook.Options{Registerer: e.reg})
	e.wake = d.Wake
	eventually.True(t, "the whole backlog at the kept subscription", func() bool { return len(kept.ok()) == 40 })
	if n := gone.count(); n != 5 {
		t.Errorf("the subscription deleted at its 5th delivery got %d, want 5", n)
	}
}

// Behind a failing entry the retry windows of the next ones run too (they start when an entry
// enters the stream), so a receiver that stays down drops a queue in about one window, not
// one window per entry; each entry is still tried at least once.
func TestDeadReceiverHoldsTheQueueUpByOneWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, secret, func(int, webhook.Payload) int { return http.StatusServiceUnavailable })
	id := e.subscribe(rc.srv.URL, secret, "")
	rc.sub = id
	const window = 300 * time.Millisecond
	cursors := e.fire(many(5, "env", monitor.PromiseOverdue)...)
	start := time.Now()
	e.dispatcher(webhook.Options{Retry: webhook.Retry{First: time.Millisecond, Max: 20 * time.Millisecond, For: window}})
	eventually.True(t, "the queue dropped", func() bool { return e.delivery(id)["dropped"] == 5.0 })
	if took := time.Since(start); took > 3*window {
		t.Errorf("dropping 5 entries took %v, want about one window (%v)", took, window)
	}
	tried := map[string]bool{}
	rc.mu.Lock()
	for _, g := range rc.all {
		tried[g.DeliveryID] = true
	}
	rc.mu.Unlock()
	for _, want := range deliveryIDs(id, cursors) {
		if !tried[want] {
			t.Errorf("%s dropped without an attempt", want)
		}
	}
}
