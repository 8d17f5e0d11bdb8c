package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/alerts/webhook"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/workday"
)

// BenchmarkWebhookBacklog measures how fast one subscription drains a backlog: N alerts
// (DUBAN_BENCH_ALERTS, default 10,000) are on the alert stream before the dispatcher starts,
// as after a midnight burst; one subscription matches them all; its receiver, an
// httptest.Server on loopback, reads each body, records the delivery id and answers 204. The
// dispatcher runs with the production options (only the store is set): default client,
// lease, poll and retry schedule. The time runs from the dispatcher's start to the receiver
// having all N deliveries.
//
// Besides deliveries/s and s_total it reports where the worker's time goes: redis_share is
// the time spent in Redis commands (a go-redis hook on the store's client; the follower's
// blocking XREAD left out), http_share the time from each request's start to the first byte
// of its answer (an httptrace.ClientTrace on the dispatcher's context, so the production
// client is unchanged); the rest is the dispatcher's own CPU (filters, JSON, HMAC) and
// goroutine hand-offs. The worker is one goroutine doing one thing at a time, so the shares
// add up to at most 1 (the lease and subscription polls every 2 s are in redis_share too;
// they are a few commands).
func BenchmarkWebhookBacklog(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("DUBAN_BENCH_ALERTS")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		b.StopTimer()
		e := newEnv(b)
		ctx := context.Background()

		var received atomic.Int64
		all := make(chan struct{})
		var mu sync.Mutex
		gotIDs := make([]string, 0, n)
		var handler atomic.Int64 // nanoseconds inside the receiver's handler
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			_, _ = io.Copy(io.Discard, r.Body)
			mu.Lock()
			gotIDs = append(gotIDs, r.Header.Get("X-Duban-Delivery"))
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			handler.Add(int64(time.Since(start)))
			if received.Add(1) == int64(n) {
				close(all)
			}
		}))
		b.Cleanup(rcv.Close)
		id := e.subscribe(rcv.URL, secret, "") // matches everything

		// The backlog, appended as the relay appends (the subscription starts at the newest
		// entry, so after it).
		cursors := make([]string, 0, n)
		var size int
		for lo := 0; lo < n; lo += 1000 {
			docs := make([][]byte, 0, 1000)
			for i := lo; i < min(lo+1000, n); i++ {
				doc, err := json.Marshal(benchAlert(i + 1))
				if err != nil {
					b.Fatal(err)
				}
				size += len(doc)
				docs = append(docs, doc)
			}
			cs, err := e.store.AppendAlerts(ctx, docs, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			cursors = append(cursors, cs...)
		}

		var redisNs atomic.Int64
		e.store.Client().AddHook(redisTimer{&redisNs})
		var httpNs, httpStart atomic.Int64 // one request in flight per subscription: one start
		trace := &httptrace.ClientTrace{
			GetConn:              func(string) { httpStart.Store(time.Now().UnixNano()) },
			GotFirstResponseByte: func() { httpNs.Add(time.Now().UnixNano() - httpStart.Load()) },
		}
		d, err := webhook.New(webhook.Options{Store: e.store})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(httptrace.WithClientTrace(ctx, trace))
		done := make(chan struct{})

		b.StartTimer()
		start := time.Now()
		go func() { defer close(done); _ = d.Run(rctx) }()
		b.Cleanup(func() { cancel(); <-done }) // also after a Fatal, before the store closes
		select {
		case <-all:
		case <-time.After(time.Duration(n)*10*time.Millisecond + time.Minute):
			b.Fatalf("%d of %d deliveries after %v", received.Load(), n, time.Since(start))
		}
		took := time.Since(start)
		b.StopTimer()
		redisBusy, httpBusy := redisNs.Load(), httpNs.Load()
		cancel()
		<-done

		mu.Lock()
		if want := deliveryIDs(id, cursors); !slices.Equal(gotIDs, want) {
			b.Fatalf("deliveries out of order or repeated: got %d, want %d in stream order", len(gotIDs), len(want))
		}
		mu.Unlock()
		b.ReportMetric(float64(n)/took.Seconds(), "deliveries/s")
		b.ReportMetric(took.Seconds(), "s_total")
		b.ReportMetric(float64(redisBusy)/float64(took), "redis_share")
		b.ReportMetric(float64(httpBusy)/float64(took), "http_share")
		b.ReportMetric(float64(handler.Load())/float64(took), "receiver_share")
		b.ReportMetric(float64(size)/float64(n), "alert_bytes")
	}
}

// benchAlert is a realistic alert stream entry: a promise_overdue as the engine fires it,
// with its deadline, handler and first history step (about 550 bytes of JSON).
func benchAlert(n int) *alerting.Record {
	caseID := fmt.Sprintf("env-2026-%06d", n)
	key := "promise_overdue:2026-03-16"
	due := time.Date(2026, 3, 17, 0, 0, 0, 0, cst)
	fired := due.Add(120 * time.Millisecond)
	return &alerting.Record{ID: alerting.CaseAlertID(caseID, key), Key: key, Kind: monitor.PromiseOverdue,
		Level: monitor.PromiseOverdue.Level(), State: alerting.Firing, CaseID: caseID, Department: "env",
		Matter: "ENV-EIA-001", Handler: "zhang.san",
		Due:     &deadline.Deadline{Date: workday.NewDate(2026, 3, 16), At: due},
		Instant: due, FiredAt: fired,
		Message: "办件 " + caseID + " 超过承诺时限（10个工作日）", Updated: fired,
		History: []alerting.Step{{State: alerting.Firing, At: fired}}, Revision: 1}
}

// redisTimer adds up the time spent in Redis commands, except the follower's blocking XREAD
// (it waits in parallel with the worker, up to a second at a time).
type redisTimer struct{ ns *atomic.Int64 }

func (redisTimer) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisTimer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "xread" {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		h.ns.Add(int64(time.Since(start)))
		return err
	}
}

func (h redisTimer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.ns.Add(int64(time.Since(start)))
		return err
	}
}
