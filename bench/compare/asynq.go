package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// asynqFigures: lag from each task's ProcessAt to its handler starting, with o.open tasks
// scheduled far ahead besides; and a burst of o.burst tasks all due at one instant.
type asynqFigures struct {
	Tuned           bool    `json:"tuned"`
	Config          string  `json:"config"`
	Open            int     `json:"open_tasks"`
	Probes          int     `json:"probes"`
	LagP50          float64 `json:"lag_p50_ms"`
	LagP99          float64 `json:"lag_p99_ms"`
	LagMax          float64 `json:"lag_max_ms"`
	Burst           int     `json:"burst_tasks"`
	BurstSeconds    float64 `json:"burst_s"` // from the instant to the last handler started
	BurstRate       float64 `json:"burst_per_s"`
	RedisCPUSeconds float64 `json:"burst_redis_cpu_s"`
}

// runAsynq measures asynq on a redis-server of its own: its defaults, or tuned for latency
// (a 50 ms check for due tasks instead of 5 s, a 5 ms idle poll instead of 1 s, 64 workers).
func runAsynq(ctx context.Context, o options, tuned bool) (*asynqFigures, error) {
	addr, stop, err := startRedis(ctx, o.redis)
	if err != nil {
		return nil, err
	}
	defer stop()
	cfg := asynq.Config{Logger: quiet{}, LogLevel: asynq.ErrorLevel}
	f := &asynqFigures{Tuned: tuned, Config: "defaults (DelayedTaskCheckInterval 5s, TaskCheckInterval 1s, Concurrency = CPUs)",
		Open: o.open, Probes: o.probes, Burst: o.burst}
	if tuned {
		cfg.DelayedTaskCheckInterval, cfg.TaskCheckInterval, cfg.Concurrency = 50*time.Millisecond, 5*time.Millisecond, 64
		f.Config = "tuned (DelayedTaskCheckInterval 50ms, TaskCheckInterval 5ms, Concurrency 64)"
	}
	ropt := asynq.RedisClientOpt{Addr: addr}
	client := asynq.NewClient(ropt)
	defer client.Close()

	var (
		mu         sync.Mutex
		started    = map[string]time.Time{}
		due        = map[string]time.Time{}
		burstCount int
		burstLast  time.Time
	)
	srv := asynq.NewServer(ropt, cfg)
	mux := asynq.NewServeMux()
	mux.HandleFunc("deadline", func(_ context.Context, t *asynq.Task) error {
		now := wall()
		id := string(t.Payload())
		mu.Lock()
		started[id] = now
		if strings.HasPrefix(id, "burst-") {
			burstCount++
			burstLast = maxTime(burstLast, now)
		}
		mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	defer srv.Shutdown()

	// The open cases: one task each, due a year ahead.
	far := wall().AddDate(1, 0, 0)
	if err := enqueueAll(ctx, client, o.open, func(i int) (string, time.Time) { return fmt.Sprintf("open-%d", i), far }); err != nil {
		return nil, err
	}
	// The lag probes: five due at each whole second (asynq keeps ProcessAt in whole seconds,
	// and a deadline of duban is a whole instant too), from 2 s ahead.
	first := wall().Add(3 * time.Second).Truncate(time.Second)
	if err := enqueueAll(ctx, client, o.probes, func(i int) (string, time.Time) {
		id, at := fmt.Sprintf("probe-%d", i), first.Add(time.Duration(i/5)*time.Second)
		mu.Lock()
		due[id] = at
		mu.Unlock()
		return id, at
	}); err != nil {
		return nil, err
	}
	last := first.Add(time.Duration(o.probes/5+1) * time.Second)
	if err := waitFor(ctx, last.Add(30*time.Second), func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for id := range due {
			if _, ok := started[id]; ok {
				n++
			}
		}
		return n == len(due)
	}); err != nil {
		return nil, fmt.Errorf("lag probes: %w", err)
	}
	var lags []time.Duration
	mu.Lock()
	for id, at := range due {
		lags = append(lags, started[id].Sub(at))
	}
	mu.Unlock()
	f.LagP50, f.LagP99, f.LagMax = percentile(lags, 50), percentile(lags, 99), percentile(lags, 100)

	// The burst: every task due at one instant, set after a trial of the enqueue rate so that
	// the enqueueing is done before it.
	t0 := wall()
	if err := enqueueAll(ctx, client, 1000, func(i int) (string, time.Time) { return fmt.Sprintf("trial-%d", i), far }); err != nil {
		return nil, err
	}
	per := wall().Sub(t0) / 1000
	instant := wall().Add(3*time.Second + 2*per*time.Duration(o.burst)).Truncate(time.Second)
	if err := enqueueAll(ctx, client, o.burst, func(i int) (string, time.Time) { return fmt.Sprintf("burst-%d", i), instant }); err != nil {
		return nil, err
	}
	if wall().After(instant) {
		return nil, fmt.Errorf("enqueueing %d tasks outlasted their instant", o.burst)
	}
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	time.Sleep(time.Until(instant) - 200*time.Millisecond)
	cpu0 := redisCPU(ctx, rc)
	if err := waitFor(ctx, instant.Add(10*time.Minute), func() bool {
		mu.Lock()
		defer mu.Unlock()
		return burstCount >= o.burst
	}); err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	f.RedisCPUSeconds = redisCPU(ctx, rc) - cpu0
	mu.Lock()
	f.BurstSeconds = burstLast.Sub(instant).Seconds()
	mu.Unlock()
	f.BurstRate = float64(o.burst) / f.BurstSeconds
	return f, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// enqueueAll enqueues n tasks, eight at a time, task i with the payload and ProcessAt that
// at(i) gives.
func enqueueAll(ctx context.Context, c *asynq.Client, n int, at func(i int) (string, time.Time)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, t := at(i)
				if _, err := c.EnqueueContext(ctx, asynq.NewTask("deadline", []byte(id)), asynq.ProcessAt(t), asynq.MaxRetry(0)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// waitFor polls ok every 5 ms until it holds, or until the real instant limit.
func waitFor(ctx context.Context, limit time.Time, ok func() bool) error {
	for !ok() {
		if wall().After(limit) {
			return errTimeout
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// quiet is asynq's logger, silenced but for errors.
type quiet struct{}

func (quiet) Debug(...any)   {}
func (quiet) Info(...any)    {}
func (quiet) Warn(...any)    {}
func (quiet) Error(a ...any) { log.Print(a...) }
func (quiet) Fatal(a ...any) { log.Fatal(a...) }
