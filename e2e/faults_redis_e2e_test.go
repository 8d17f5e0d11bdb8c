package e2e_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// faultConfig: the cases of burstCases were accepted two weeks before they are reported.
// frozenFor is how long Redis stays frozen.
var frozenFor = 30 * time.Second

const faultConfig = servicetest.Config + "rules: { report_within: 720h }\n"

// startManual runs one replica in-process on the manual business clock clk, against the
// redis-server at redisAddr, with its log in the service's format into the returned
// instance's logs.
func startManual(t *testing.T, redisAddr string, clk *clock.ManualClock, cfgText string) *servicetest.Instance {
	t.Helper()
	return servicetest.Start(t, servicetest.ServeOn(map[string]string{
		"DUBAN_CONFIG": servicetest.WriteConfig(t, cfgText), "DUBAN_REDIS_URL": "redis://" + redisAddr}, clk))
}

// streamAlerts reads the alert stream: every revision-1 entry's case and kind, and how
// many alerts fired more than once.
func streamAlerts(t *testing.T, store *rdb.Store) (fired map[string]string, twice int) {
	t.Helper()
	fired = map[string]string{} // alert id → case_id|kind
	cursor := ""
	for {
		batch, err := store.AlertsAfter(t.Context(), cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return fired, twice
		}
		for _, e := range batch {
			var a struct {
				ID       string `json:"id"`
				Revision int    `json:"revision"`
				CaseID   string `json:"case_id"`
				Kind     string `json:"kind"`
			}
			if err := json.Unmarshal(e.Doc, &a); err != nil {
				t.Fatal(err)
			}
			if a.Revision == 1 {
				if _, dup := fired[a.ID]; dup {
					twice++
				}
				fired[a.ID] = a.CaseID + "|" + a.Kind
			}
			cursor = e.Cursor
		}
	}
}

// promiseOverdue counts the cases of burstCases(0, n) whose promise_overdue alert fired.
func promiseOverdue(fired map[string]string, lo, n int) int {
	got := 0
	for i := lo; i < lo+n; i++ {
		want := fmt.Sprintf("env-burst-%04d|promise_overdue", i)
		for _, v := range fired {
			if v == want {
				got++
				break
			}
		}
	}
	return got
}

// Redis frozen (SIGSTOP) for 30 s while requests keep coming: every answer — writes and
// reads — is a 503 with a whole-seconds Retry-After within 5 s; the outage is logged once
// in the service's format; the business clock passes the cases' promised deadline
// meanwhile; once Redis is thawed, service resumes on its own within 10 s and the
// deadlines that came due are fired, each once.
func TestRedisFrozenAnswersPromptly(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t)
	clk := clock.Manual(time.Date(2026, 3, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	in := startManual(t, redisAddr, clk, faultConfig)
	const n = 20
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(0, n)); code != 202 || b["accepted"] != float64(2*n) {
		t.Fatalf("post: %d %v", code, b["accepted"])
	}
	eventually.True(t, "every case applied", func() bool {
		_, l, _ := in.Do("GET", "/api/v1/cases?limit=100", "viewer-secret", "")
		cs, _ := l["cases"].([]any)
		return len(cs) == n
	})

	testredis.Freeze(t, redisAddr)
	frozen := true
	defer func() {
		if frozen {
			testredis.Thaw(t, redisAddr)
		}
	}()
	// The promised deadline (03-18 00:00) passes while Redis is away.
	clk.Set(time.Date(2026, 3, 18, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	var answers, prompt, with503 int
	var slowest time.Duration
	for start := time.Now(); time.Since(start) < frozenFor; time.Sleep(time.Second) {
		for _, q := range []struct{ method, path, token, body string }{
			{"POST", "/api/v1/events", "env-collector-secret", burstCases(n, 5)},
			{"GET", "/api/v1/cases", "viewer-secret", ""},
			{"GET", "/api/v1/alerts", "viewer-secret", ""},
			{"GET", "/api/v1/cases/env-burst-0001", "viewer-secret", ""},
		} {
			t0 := time.Now()
			code, body, h := in.Do(q.method, q.path, q.token, q.body)
			took := time.Since(t0)
			answers++
			slowest = max(slowest, took)
			if took <= 5*time.Second {
				prompt++
			}
			ra, err := strconv.Atoi(h.Get("Retry-After"))
			if code == 503 && err == nil && ra >= 1 {
				with503++
			} else {
				t.Errorf("%s %s with Redis frozen: %d, Retry-After %q, %v", q.method, q.path, code, h.Get("Retry-After"), body)
			}
		}
	}
	testredis.Thaw(t, redisAddr)
	frozen = false
	thawed := time.Now()
	var recovered time.Duration
	eventually.True(t, "a POST accepted again", func() bool {
		code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(n, 5))
		recovered = time.Since(thawed)
		if code != 202 && recovered > 9*time.Second {
			t.Logf("still %d %v; logs:\n%s", code, b, in.Logs.String())
		}
		return code == 202
	})
	store := rdbtest.At(t, "redis://"+redisAddr, "duban:")
	var fired map[string]string
	var twice int
	eventually.True(t, "the promise_overdue of every case", func() bool {
		fired, twice = streamAlerts(t, store)
		return promiseOverdue(fired, 0, n+5) == n+5
	})
	outages := strings.Count(in.Logs.String(), "msg=redis_unavailable")
	t.Logf("FIGURES redis frozen 30 s: %d answers, %d within 5 s (slowest %v), %d were 503 with Retry-After; logged %d outage(s); service back %v after thaw; promise_overdue fired for %d of %d cases, alerts fired %d, fired twice %d",
		answers, prompt, slowest.Round(time.Millisecond), with503, outages, recovered.Round(time.Millisecond), promiseOverdue(fired, 0, n+5), n+5, len(fired), twice)
	if prompt != answers {
		t.Errorf("%d of %d answers took over 5 s (slowest %v)", answers-prompt, answers, slowest)
	}
	if outages != 1 || !strings.Contains(in.Logs.String(), "msg=redis_recovered") {
		t.Errorf("the outage was logged %d times (want once), recovery logged: %v\n%s", outages,
			strings.Contains(in.Logs.String(), "msg=redis_recovered"), in.Logs.String())
	}
	if twice != 0 {
		t.Errorf("%d alerts fired twice", twice)
	}
}

// Redis SIGKILLed in the middle of an ingest load, with AOF and appendfsync always, then
// restarted from its AOF: every event answered 202 is present afterwards and applied once
// (one promise_overdue per case when its deadline passes), and the clients' retries of
// the 503s they got are answered as duplicates or accepted, never stored twice.
func TestRedisKilledDuringIngest(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	clk := clock.Manual(time.Date(2026, 3, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	in := startManual(t, redisAddr, clk, faultConfig)
	const batches, per = 60, 5 // 300 cases, 600 events
	acked := map[int]bool{}    // batch → answered 202
	killed := false
	for b := 0; b < batches; b++ {
		if b == batches/2 {
			testredis.Kill(t, redisAddr)
			killed = true
		}
		if b == batches/2+5 {
			testredis.Restart(t, redisAddr)
			time.Sleep(time.Second) // the store's probe finds it within 500 ms
		}
		code, _, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(b*per, per))
		acked[b] = code == 202
		if code != 202 && code != 503 {
			t.Fatalf("batch %d: %d", b, code)
		}
		if !killed && code != 202 {
			t.Fatalf("batch %d refused before the kill: %d", b, code)
		}
	}
	// The clients retry what was refused, as the Retry-After tells them.
	retried := 0
	for b := range batches {
		if acked[b] {
			continue
		}
		eventually.True(t, fmt.Sprintf("batch %d accepted on retry", b), func() bool {
			code, _, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(b*per, per))
			return code == 202
		})
		retried++
	}
	store := rdbtest.At(t, "redis://"+redisAddr, "duban:")
	present, ackedEvents := 0, 0
	for b := range batches {
		for i := b * per; i < (b+1)*per; i++ {
			evs, err := store.Events(t.Context(), fmt.Sprintf("env-burst-%04d", i))
			if err != nil {
				t.Fatal(err)
			}
			if acked[b] {
				ackedEvents += 2
				present += min(len(evs), 2)
			}
			if len(evs) != 2 {
				t.Errorf("case %d holds %d events, want 2", i, len(evs))
			}
		}
	}
	clk.Set(time.Date(2026, 3, 18, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	var fired map[string]string
	var twice int
	// Cases claimed by the applier when Redis died are taken again once their lease
	// lapses (30 s, real time): wait up to a minute.
	eventually.Every(t, time.Minute, 100*time.Millisecond, func() string {
		return fmt.Sprintf("promise_overdue for all %d cases: %d fired", batches*per, promiseOverdue(fired, 0, batches*per))
	}, func() bool {
		fired, twice = streamAlerts(t, store)
		return promiseOverdue(fired, 0, batches*per) == batches*per
	})
	t.Logf("FIGURES redis SIGKILL during ingest (appendfsync always): acknowledged %d events before/after the kill, present %d, batches refused and retried %d, promise_overdue fired %d of %d cases, applied twice %d",
		ackedEvents, present, retried, promiseOverdue(fired, 0, batches*per), batches*per, twice)
	if present != ackedEvents {
		t.Errorf("%d acknowledged events are missing", ackedEvents-present)
	}
	if twice != 0 {
		t.Errorf("%d alerts fired twice", twice)
	}
}
