package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/supervision"
)

// BenchmarkOrdersMidnightBurst: DUBAN_BENCH_ORDERS supervision orders (default 10,000),
// opened with reply_days 0 on one day, all come due at its midnight. Timed from the clock
// reaching it to every order_overdue committed (fired: nothing left due or dirty), and to
// every one on the alert stream (relayed), with one replica's timer engine, applier (the
// orders dispatched to their Subject) and relay running as in `serve`.
func BenchmarkOrdersMidnightBurst(b *testing.B) {
	n := envInt("DUBAN_BENCH_ORDERS", 10_000)
	for range b.N {
		store := rdbtest.Store(b)
		clk := clock.Manual(at("2026-03-17 10:00"))
		rules := func() fold.Rules {
			return fold.Rules{Catalog: catalog, Calendar: workday.Builtin(), Loc: shanghai, ReportWithin: 24 * time.Hour}
		}
		w := &world{}
		// The orders' engine wakes the relay when it writes, as the pipeline does.
		orders, err := engine.NewOrders(engine.OrderOptions{Store: store, Rules: rules, Settings: supervision.DefaultSettings(),
			Clock: clk, Saved: func([]time.Time) {
				if w.relay != nil {
					w.relay.Wake()
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		zero := 0
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					if _, err := orders.Open(ctx, supervision.Action{By: "supervisor:bench", Kind: supervision.Rectify,
						Opinion: "请当日办结", ReplyDays: &zero,
						Case: &supervision.CaseRef{ID: fmt.Sprintf("ob-%06d", i), Department: "env"}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		midnight := at("2026-03-18 00:00")

		counter := newRelayCounter(n) // one outbox entry per order: its tick at midnight
		w.relay, err = engine.NewRelay(engine.RelayOptions{Store: store, Clock: clk, Loc: shanghai, Relayed: counter.relayed})
		if err != nil {
			b.Fatal(err)
		}
		w.app, err = engine.NewApplier(engine.ApplierOptions{Store: store, Rules: rules, Clock: clk,
			Subjects: []engine.Subject{orders.Subject()}})
		if err != nil {
			b.Fatal(err)
		}
		w.timers, err = engine.NewTimers(engine.TimerOptions{Store: store, Clock: clk,
			HandedOver: func([]rdb.DueTimer) { w.app.Wake() }})
		if err != nil {
			b.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		w.run(runCtx)
		waitRelayed(b, store) // the openings' entries
		counter.arm()
		b.ResetTimer()
		t0 := time.Now()
		clk.Set(midnight)
		waitIdle(b, store, midnight)
		fired := time.Since(t0)
		<-counter.done
		all := time.Since(t0)
		b.StopTimer()
		cancel()
		w.wait()
		entries, err := store.AlertsAfter(ctx, "", int64(3*n))
		if err != nil {
			b.Fatal(err)
		}
		alerts := 0
		for _, e := range entries {
			if e.Order == nil {
				alerts++
			}
		}
		if alerts != n {
			b.Fatalf("%d alerts on the stream, want %d", alerts, n)
		}
		b.ReportMetric(fired.Seconds(), "s_fired")
		b.ReportMetric(all.Seconds(), "s_relayed")
		b.ReportMetric(float64(n)/all.Seconds(), "alerts/s")
	}
}
