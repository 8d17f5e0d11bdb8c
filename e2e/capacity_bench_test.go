package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// openCaseEvents are the six events of an open case: submitted, accepted, handed over
// (step), suspended, resumed and a fee charged (which fires its fee_violation alert), all
// reported on time.
var openCaseEvents = []string{
	`"type":"submitted","matter":"ENV-EIA-001","handler":"zhang.san","at":"2026-03-26T08:00:00+08:00"`,
	`"type":"accepted","at":"2026-03-26T08:10:00+08:00"`,
	`"type":"step","handler":"li.si","at":"2026-03-26T08:20:00+08:00"`,
	`"type":"suspended","reason":"expert_review","at":"2026-03-26T08:30:00+08:00"`,
	`"type":"resumed","at":"2026-03-26T08:40:00+08:00"`,
	`"type":"fee_charged","amount_yuan":"120.00","at":"2026-03-26T08:50:00+08:00"`,
}

// redisInfo reads one field of INFO section from Redis at addr.
func redisInfo(tb testing.TB, rc *redis.Client, section, field string) int64 {
	tb.Helper()
	info, err := rc.Info(context.Background(), section).Result()
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				tb.Fatalf("INFO %s %s: %q", section, field, v)
			}
			return n
		}
	}
	tb.Fatalf("no %s in INFO %s", field, section)
	return 0
}

// BenchmarkRedisMemoryPerOpenCase measures what an open case of six events costs in Redis:
// INFO memory's used_memory before and after 1000×b.N cases are stored and applied, on a
// redis-server of the benchmark's own; and MEMORY USAGE of the keys that hold one case's
// name (its events, state, record), the rest being the shared indexes, the alert stream
// and the counters. Run with -benchtime Nx for N thousand cases.
func BenchmarkRedisMemoryPerOpenCase(b *testing.B) {
	heavy.Lock()
	defer heavy.Unlock()
	addr := testredis.StartServer(b)
	in := servicetest.StartServe(b, "redis://"+addr, "duban:", "2026-03-26T09:00:00+08:00", "")
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	n := 1000 * b.N
	post := func(lo, hi int) {
		var sb strings.Builder
		sb.WriteByte('[')
		for c := lo; c < hi; c++ {
			for k, ev := range openCaseEvents {
				if c > lo || k > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"event_id":"e%d","case_id":"env-2026-%06d","department":"env",%s}`, k, c, ev)
			}
		}
		sb.WriteByte(']')
		if code, body, _ := in.Do("POST", "/api/v1/events", "admin-secret", sb.String()); code != 202 || body["rejected"] != 0.0 {
			b.Fatalf("post: %d %v", code, body)
		}
	}
	applied := func(want int) {
		eventually.Within(b, 5*time.Minute, fmt.Sprintf("%d open cases", want), func() bool {
			_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
			return ov["open"] == float64(want)
		})
	}
	// One case first, so that the structures every case shares exist before the measure.
	post(0, 1)
	applied(1)
	b.ResetTimer()
	before := redisInfo(b, rc, "memory", "used_memory")
	for lo := 1; lo <= n; lo += 100 {
		post(lo, min(lo+100, n+1))
	}
	applied(n + 1)
	after := redisInfo(b, rc, "memory", "used_memory")
	b.StopTimer()
	var own int64
	keys, err := rc.Keys(context.Background(), "*env-2026-000500*").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		u, err := rc.MemoryUsage(context.Background(), k, 0).Result() // SAMPLES 0: exact
		if err != nil {
			b.Fatal(err)
		}
		own += u
	}
	total := redisInfoKeys(b, rc)
	_, al, _ := in.Do("GET", "/api/v1/alerts?case_id=env-2026-000500", "viewer-secret", "")
	var kinds []string
	list, _ := al["alerts"].([]any)
	for _, a := range list {
		kinds = append(kinds, fmt.Sprint(a.(map[string]any)["kind"]))
	}
	perCase := float64(after-before) / float64(n)
	b.ReportMetric(perCase, "redis-B/case")
	b.ReportMetric(float64(own), "own-keys-B/case")
	b.Logf("FIGURES redis memory per open case (6 events; its alerts: %v): %d cases; used_memory %d → %d bytes: %.0f bytes per case; the %d keys named after one case: %d bytes (MEMORY USAGE), the rest is shared indexes, the alert stream and counters; keys in all %d",
		kinds, n, before, after, perCase, len(keys), own, total)
}

// redisInfoKeys is the number of keys of db 0.
func redisInfoKeys(tb testing.TB, rc *redis.Client) int64 {
	tb.Helper()
	n, err := rc.DBSize(context.Background()).Result()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkServiceMemoryPerWebSocket measures what an idle, subscribed WebSocket client
// costs the service: the resident set of a `duban serve` process (built without the race
// detector) before and after 1000×b.N clients connect and subscribe, and its Go heap in
// use and goroutines as its /metrics tells them. Run with -benchtime Nx for N thousand.
func BenchmarkServiceMemoryPerWebSocket(b *testing.B) {
	heavy.Lock()
	defer heavy.Unlock()
	addr := testredis.StartServer(b)
	c := startChild(b, addr, servicetest.Config)
	n := 1000 * b.N
	dial := func() *websocket.Conn {
		u := "ws" + strings.TrimPrefix(c.base, "http") + "/ws?token=" + url.QueryEscape("viewer-secret")
		conn, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatalf("dial: %v", err)
		}
		if err := conn.WriteJSON(map[string]any{"op": "subscribe", "departments": []string{"env"}}); err != nil {
			b.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			var m struct {
				Type string `json:"type"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				b.Fatalf("subscribe: %v", err)
			}
			if m.Type == "subscribed" {
				return conn
			}
		}
	}
	// One client first: the hub's reader and its buffers are there before the measure.
	first := dial()
	defer first.Close()
	settle := func() (rss, heap, goroutines float64) {
		time.Sleep(2 * time.Second) // let the last writes and a GC cycle pass
		heap, goroutines = metric(b, c.base, "go_memstats_heap_inuse_bytes"), metric(b, c.base, "go_goroutines")
		return c.rss(b), heap, goroutines
	}
	rss0, heap0, g0 := settle()
	b.ResetTimer()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = dial()
	}
	b.StopTimer()
	rss1, heap1, g1 := settle()
	for _, conn := range conns {
		conn.Close()
	}
	perRSS := (rss1 - rss0) * (1 << 20) / float64(n)
	perHeap := (heap1 - heap0) / float64(n)
	b.ReportMetric(perRSS/1024, "rss-KiB/conn")
	b.ReportMetric(perHeap/1024, "heap-KiB/conn")
	b.Logf("FIGURES service memory per WebSocket client: %d subscribed clients; RSS %.1f → %.1f MiB: %.1f KiB per client; Go heap in use %.1f → %.1f MiB: %.1f KiB per client; goroutines %.0f → %.0f (%.1f per client)",
		n, rss0, rss1, perRSS/1024, heap0/(1<<20), heap1/(1<<20), perHeap/1024, g0, g1, (g1-g0)/float64(n))
}

// metric reads one unlabelled gauge from the service's /metrics.
func metric(tb testing.TB, base, name string) float64 {
	tb.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				tb.Fatalf("%s %q: %v", name, v, err)
			}
			return f
		}
	}
	tb.Fatalf("no %s in /metrics", name)
	return 0
}
