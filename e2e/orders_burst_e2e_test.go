package e2e_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
	"github.com/duban-gov/duban/supervision"
)

// seedOrders opens n env orders at the clock's instant with reply_days 0, so that all come
// due at the end of the day, through the orders' engine on store (as the API does, without
// HTTP: the subject of the tests that use it is the firing, not the opening).
func seedOrders(tb testing.TB, store *rdb.Store, clk clock.Clock, n int) []string {
	tb.Helper()
	loc := cst
	rules := func() fold.Rules { return fold.Rules{Calendar: workday.Builtin(), Loc: loc} }
	orders, err := engine.NewOrders(engine.OrderOptions{Store: store, Rules: rules,
		Settings: supervision.DefaultSettings(), Clock: clk})
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	zero := 0
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				o, err := orders.Open(context.Background(), supervision.Action{By: "supervisor:seed",
					Kind: supervision.Rectify, Opinion: "请当日办结", ReplyDays: &zero,
					Case: &supervision.CaseRef{ID: fmt.Sprintf("env-ob-%05d", i), Department: "env"}})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = o.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return ids
}

// Three replicas on one Redis and one simulated clock; 10,000 orders come due at one
// midnight, and replica C is killed as it writes the first of them (ordersave.lua, by its
// SHA), while A and B are cut off from Redis. After C's leases lapse the survivors fire the
// rest: every order_overdue is on the alert stream exactly once, and the order figures
// count 10,000 open orders past their deadline.
func TestOrdersBurstReplicaKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10,000-order burst with a 30 s lease to lapse")
	}
	t.Parallel()
	url, prefix := testredis.New(t)
	r, err := config.ParseRedisURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if r.Password != "" || r.TLS || r.Mode != config.RedisSingle {
		t.Skip("the proxies stand in front of a single Redis without TLS or password")
	}
	store := rdbtest.At(t, url, prefix)
	clk := clock.Manual(time.Date(2026, 3, 17, 10, 0, 0, 0, cst))
	const n = 10_000
	ids := seedOrders(t, store, clk, n)
	if ids[0] == "" || ids[n-1] == "" {
		t.Fatal("orders not opened")
	}

	start := func() (*tcpProxy, *servicetest.Instance) {
		p := startProxy(t, r.Addrs[0])
		in := servicetest.Start(t, servicetest.ServeOn(map[string]string{
			"DUBAN_CONFIG": servicetest.WriteConfig(t, ordersConfig), "DUBAN_REDIS_PREFIX": prefix,
			"DUBAN_REDIS_URL": fmt.Sprintf("redis://%s/%d", p.addr(), r.DB)}, clk))
		return p, in
	}
	redisA, a := start()
	redisB, _ := start()
	redisC, _ := start()
	sum := sha1.Sum(readFile(t, "../rdb/lua/ordersave.lua"))
	sprung := redisC.killOn([]byte(hex.EncodeToString(sum[:])))
	redisA.pause()
	redisB.pause()
	clk.Set(time.Date(2026, 3, 18, 0, 0, 0, 0, cst))
	select {
	case <-sprung:
	case <-time.After(30 * time.Second):
		t.Fatal("C did not write the burst within 30 s")
	}
	killedAt := time.Now()
	redisA.resume()
	redisB.resume()

	eventually.Within(t, 120*time.Second, "10,000 orders overdue in the figures", func() bool {
		figs, err := store.OrderFigures(context.Background())
		return err == nil && figs["overdue|env"] == n
	})
	t.Logf("C killed mid-burst; the survivors fired the rest within %v (C's lease: 30 s)", time.Since(killedAt).Round(100*time.Millisecond))
	fired := checkStreamOnce(t, store, n)
	for _, id := range ids {
		if _, ok := fired[supervision.AlertID(id, supervision.OrderOverdue, 1)]; !ok {
			t.Fatalf("order_overdue of %s never fired", id)
		}
	}
	_, ov, _ := a.Do("GET", "/api/v1/overview", "viewer-secret", "")
	if ov["orders_open"] != float64(n) || ov["orders_overdue"] != float64(n) {
		t.Errorf("overview after the burst: %v %v", ov["orders_open"], ov["orders_overdue"])
	}
}
