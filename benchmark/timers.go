package benchmark

import (
	"context"
	"fmt"
	"time"

	"github.com/duban-gov/duban/internal/wsload"
	"github.com/duban-gov/duban/monitor/clock"
)

const firedTotal = "duban_alerts_fired_total"

// timerLag opens --probes cases for each promised limit of 3…22 working days, runs the
// business clock at --lag-rate until every one is overdue, and reads from each alert its
// fire time minus its due time, in real time (÷ the rate). The open cases of the ingestion
// stay open all along, their deadlines months ahead.
func (b *bench) timerLag(ctx context.Context) error {
	if b.o.Probes == 0 {
		b.res.skip("timer lag: --probes 0")
		return nil
	}
	now, err := b.api.clock(ctx)
	if err != nil {
		return err
	}
	var ids []string
	var body []byte
	for d := lagFirstDays; d <= lagLastDays; d++ {
		for k := range b.o.Probes {
			id := fmt.Sprintf("lag-%s-%02d-%03d", b.run, d, k)
			ids = append(ids, id)
			body = twoEvents(body, id, "bench", lagMatter(d), now.Add(-time.Minute))
		}
	}
	src := make(chan []byte, 1)
	src <- body
	close(src)
	if _, err := b.post(ctx, "timer lag: opening the probes", 0, src); err != nil {
		return err
	}
	m0, err := b.api.metrics(ctx)
	if err != nil {
		return err
	}
	red0 := m0.sum(firedTotal, `department="bench"`, `kind="promise_overdue"`)
	if _, err := b.api.steer(ctx, clockState{Rate: b.o.LagRate}); err != nil {
		return err
	}
	err = retry(ctx, 5*time.Minute, func() error {
		m, err := b.api.metrics(ctx)
		if err != nil {
			return err
		}
		got := int(m.sum(firedTotal, `department="bench"`, `kind="promise_overdue"`) - red0)
		t, _ := b.api.clock(ctx)
		b.prog.set("timer lag: business time %s, %d of %d probes overdue", t.Format("2006-01-02 15:04"), got, len(ids))
		if got < len(ids) {
			return fmt.Errorf("%d of %d probes overdue", got, len(ids))
		}
		return nil
	})
	if _, serr := b.api.steer(ctx, clockState{Rate: 1}); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	var lags []time.Duration
	for i, id := range ids {
		b.prog.set("timer lag: reading the alerts of probe %d of %d", i+1, len(ids))
		as, err := b.api.caseAlerts(ctx, id)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Due != nil {
				lags = append(lags, time.Duration(float64(a.FiredAt.Sub(a.Instant))/b.o.LagRate))
			}
		}
	}
	s := wsload.Summarize(lags)
	b.res.TimerLag = &LagFigures{OpenCases: b.res.RSS.OpenCases, Alerts: s.N, ClockRate: b.o.LagRate,
		P50Millis: millis(s.P50), P99Millis: millis(s.P99), MaxMillis: millis(s.Max)}
	return nil
}

// burst opens --burst cases whose promised deadline ends at the same midnight, lets their
// yellow warnings fire and drain a minute before it, then jumps the clock to the midnight
// and times every promise_overdue alert: committed (the service's fired counter, polled
// every 20 ms) and on the alert stream (the relay has copied every outbox entry, read from
// the bench's Redis every 50 ms). A single /ws client cannot watch this: the live feed drops
// a client that falls a burst behind, and it resumes from its cursor, as a screen does.
func (b *bench) burst(ctx context.Context) error {
	k := b.o.Burst
	if k == 0 {
		b.res.skip("midnight burst: --burst 0")
		return nil
	}
	now, err := b.api.clock(ctx)
	if err != nil {
		return err
	}
	id := func(i int) string { return fmt.Sprintf("burst-%s-%07d", b.run, i) }
	if _, err := b.post(ctx, "midnight burst: opening the cases", 0, batches(ctx, k, b.o.Batch, func(buf []byte, i int) []byte {
		return twoEvents(buf, id(i), "burst", burstMatter, now.Add(-time.Minute))
	})); err != nil {
		return err
	}
	var cs struct {
		Due *struct {
			At time.Time `json:"at"`
		} `json:"decision_due_promised"`
	}
	if err := b.api.getJSON(ctx, "/api/v1/cases/"+id(0), &cs); err != nil {
		return err
	}
	if cs.Due == nil {
		return fmt.Errorf("case %s has no promised deadline", id(0))
	}
	midnight := cs.Due.At
	// A minute before: the yellow warnings fire, and the bench waits until all are committed
	// and relayed, and no timer is due, so that the midnight starts quiet.
	m0, err := b.api.metrics(ctx)
	if err != nil {
		return err
	}
	yellow0 := m0.sum(firedTotal, `department="burst"`, `kind="decision_due"`)
	before := midnight.Add(-time.Minute)
	if _, err := b.api.steer(ctx, clockState{Set: before.Format(time.RFC3339Nano), Rate: 1}); err != nil {
		return err
	}
	err = retry(ctx, 10*time.Minute, func() error {
		m, err := b.api.metrics(ctx)
		if err != nil {
			return err
		}
		got := int(m.sum(firedTotal, `department="burst"`, `kind="decision_due"`) - yellow0)
		b.prog.set("midnight burst: %d of %d yellow warnings fired before it", got, k)
		if got < k {
			return fmt.Errorf("%d of %d yellow warnings fired", got, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := b.waitRelayed(ctx); err != nil {
		return err
	}
	m1, err := b.api.metrics(ctx)
	if err != nil {
		return err
	}
	red0 := m1.sum(firedTotal, `department="burst"`, `kind="promise_overdue"`)
	cpu0, err := b.redisCPU(ctx)
	if err != nil {
		return err
	}
	b.prog.set("midnight burst: %d deadlines", k)
	start := clock.Wall()
	if _, err := b.api.steer(ctx, clockState{Set: midnight.Format(time.RFC3339Nano), Rate: 1}); err != nil {
		return err
	}
	var fired time.Duration
	for {
		m, err := b.api.metrics(ctx)
		if err != nil {
			return err
		}
		got := int(m.sum(firedTotal, `department="burst"`, `kind="promise_overdue"`) - red0)
		if got >= k {
			fired = time.Since(start)
			break
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("%d of %d fired after 10 minutes", got, k)
		}
		b.prog.set("midnight burst: %d of %d fired", got, k)
		if !clock.Sleep(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	if err := b.waitRelayed(ctx); err != nil {
		return err
	}
	relayed := time.Since(start)
	cpu1, err := b.redisCPU(ctx)
	if err != nil {
		return err
	}
	b.res.Burst = &BurstFigures{Deadlines: k, FiredSeconds: fired.Seconds(), RelayedSeconds: relayed.Seconds(),
		FiredPerSecond: float64(k) / fired.Seconds(), RedisCPUSeconds: cpu1 - cpu0, RedisMicrosPerOp: (cpu1 - cpu0) * 1e6 / float64(k)}
	return nil
}

// redisCPU is the Redis server's CPU seconds so far (user + system).
func (b *bench) redisCPU(ctx context.Context) (float64, error) {
	s, err := b.rc.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var total float64
	for _, f := range []string{"used_cpu_sys", "used_cpu_user"} {
		var v float64
		if _, err := fmt.Sscan(field(s, f), &v); err != nil {
			return 0, fmt.Errorf("INFO cpu %s: %w", f, err)
		}
		total += v
	}
	return total, nil
}

// waitRelayed waits, reading the bench's own Redis, until the relay has copied every outbox
// entry onto the alert stream and no case is waiting to be applied.
func (b *bench) waitRelayed(ctx context.Context) error {
	return retry(ctx, 10*time.Minute, func() error {
		cps, err := b.store.RelayCheckpoints(ctx)
		if err != nil {
			return err
		}
		heads, err := b.store.OutboxHeads(ctx, cps, 1)
		if err != nil {
			return err
		}
		dirty, err := b.store.DirtyCount(ctx)
		if err != nil {
			return err
		}
		if len(heads) > 0 || dirty > 0 {
			b.prog.set("waiting for the service to settle: %d cases to apply, outbox not empty: %v", dirty, len(heads) > 0)
			return fmt.Errorf("not settled: %d cases to apply, %d outbox partitions behind", dirty, len(heads))
		}
		return nil
	})
}
