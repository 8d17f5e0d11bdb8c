package e2e_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// burstCases returns the events of n env cases, ids from lo, all accepted Tue 03-03 so that
// their promised deadline ends at the same midnight, 03-18 00:00 (decision_due, yellow,
// fired on 03-16, is already due when they are applied). Handlers take six cases each, so
// that fifty fault_threshold alerts also fire, from the relay, across replicas.
func burstCases(lo, n int) string {
	var evs []string
	for i := lo; i < lo+n; i++ {
		id := fmt.Sprintf("env-burst-%04d", i)
		evs = append(evs,
			fmt.Sprintf(`{"event_id":"%s-1","case_id":%q,"department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":"h%02d"}`, id, id, i%50),
			fmt.Sprintf(`{"event_id":"%s-2","case_id":%q,"department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"}`, id, id))
	}
	return "[" + strings.Join(evs, ",") + "]"
}

// Three `duban serve` replicas on one Redis and prefix, each with its own business clock,
// HTTP port and live hub. 300 cases go overdue at the same simulated midnight, and replica C
// is killed in the middle of committing them. Then every alert has fired exactly once (one
// revision-1 entry per alert id on the stream), and every WebSocket client of the
// survivors has received every one of them, once.
//
// "Killed", in-process: each replica reaches Redis through a TCP proxy of the test's, and
// C's clients reach C through one too. The kill resets every one of C's connections at once,
// dropping the commit C was sending: from that instant C can neither finish nor undo
// anything — no drain, no lease released, the cases it claimed left to lapse (30 s, real
// time) — which is what the rest of the system sees of a SIGKILL or a machine losing power.
// Its goroutines, with nothing left to reach, are stopped at the end of the test.
//
// To be sure C dies holding the burst (rather than after the others took it all), A and B
// are cut off from Redis by a short partition around the midnight: their requests hang
// while C alone sees the cases fall due, claims them and starts to commit.
func TestReplicaKilledMidBurst(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	r, err := config.ParseRedisURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if r.Password != "" || r.TLS || r.Mode != config.RedisSingle {
		t.Skip("the proxies stand in front of a single Redis without TLS or password")
	}
	viaProxy := func() (*tcpProxy, string) {
		p := startProxy(t, r.Addrs[0])
		return p, fmt.Sprintf("redis://%s/%d", p.addr(), r.DB)
	}
	// 22:30 at 720×: the midnight of the burst comes 7.5 s of real time after the start,
	// time enough to start three replicas and post the cases. The cases were accepted two
	// weeks before they are reported: a backfill, not late reports (which would add 600
	// late_report alerts to count).
	cfg := servicetest.Config + "rules: { report_within: 720h }\n"
	start := func(p *tcpProxy, redisURL string) *servicetest.Instance {
		in, _ := startDuban(t, []string{"serve"}, map[string]string{"DUBAN_REDIS_URL": redisURL,
			"DUBAN_REDIS_PREFIX": prefix, "DUBAN_CLOCK_START": "2026-03-17T22:30:00+08:00", "DUBAN_CLOCK_RATE": "720"}, cfg)
		return in
	}
	redisA, urlA := viaProxy()
	redisB, urlB := viaProxy()
	redisC, urlC := viaProxy()
	a, b, c := start(redisA, urlA), start(redisB, urlB), start(redisC, urlC)
	httpC := startProxy(t, strings.TrimPrefix(c.Base, "http://"))
	cViaProxy := &servicetest.Instance{T: t, Base: "http://" + httpC.addr()}
	store := rdbtest.At(t, url, prefix)

	// Screens on every replica, subscribed before anything happens.
	var survivors []*feed
	for _, in := range []*servicetest.Instance{a, a, b, b} {
		survivors = append(survivors, openFeed(t, in, "viewer-secret", map[string]any{}))
	}
	onC := openFeed(t, cViaProxy, "viewer-secret", map[string]any{})

	// 300 cases, posted 30 at a time to the three replicas in turn.
	const n = 300
	replicas := []*servicetest.Instance{a, b, cViaProxy}
	for i := 0; i < n/30; i++ {
		in := replicas[i%3]
		if code, body, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(i*30, 30)); code != 202 || body["accepted"] != 60.0 {
			t.Fatalf("post to replica %d: %d %v", i%3, code, body)
		}
	}
	eventually.True(t, "300 yellow cases before midnight", func() bool {
		_, ov, _ := a.Do("GET", "/api/v1/overview", "viewer-secret", "")
		return ov["open"] == float64(n) && ov["yellow"] == float64(n)
	})
	if _, ov, _ := a.Do("GET", "/api/v1/overview", "viewer-secret", ""); ov["red"] != 0.0 {
		t.Fatalf("red before midnight — the cases were posted too late for the timers: %v", ov)
	}

	// Partition A and B; kill C as it sends its first commit of the burst (commit.lua, by
	// its SHA), then heal the partition.
	sum := sha1.Sum(readFile(t, "../rdb/lua/commit.lua"))
	sprung := redisC.killOn([]byte(hex.EncodeToString(sum[:])))
	redisA.pause()
	redisB.pause()
	select {
	case <-sprung:
	case <-time.After(20 * time.Second):
		t.Fatal("C did not commit the burst within 20 s")
	}
	httpC.kill()
	killedAt := time.Now()
	redisA.resume()
	redisB.resume()
	if red := slices.ContainsFunc(survivors[0].alerts(), func(m wsMsg) bool { return m.Alert["kind"] == "promise_overdue" }); red {
		t.Error("a red alert of the burst was out before C died with it")
	}

	// Every alert: 300 decision_due, 300 promise_overdue, 50 fault_threshold.
	want := map[string]int{"decision_due": n, "promise_overdue": n, "fault_threshold": 50}
	total := 2*n + 50
	for i, f := range survivors {
		f.wait(t, fmt.Sprintf("all %d alerts on survivor client %d", total, i), 90*time.Second, func(ms []wsMsg) bool {
			fired := map[string]int{}
			for _, m := range ms {
				if m.Alert["revision"] == 1.0 {
					fired[m.Alert["kind"].(string)]++
				}
			}
			return fmt.Sprint(fired) == fmt.Sprint(want)
		})
	}
	t.Logf("C killed mid-commit; the survivors fired and delivered the burst within %v (C's lease: 30 s)",
		time.Since(killedAt).Round(100*time.Millisecond))
	firedAt := checkStreamOnce(t, store, total)

	// Each survivor's client saw each stream entry once, and every fired alert.
	for i, f := range survivors {
		seen := map[string]bool{}
		fired := map[string]bool{}
		for _, m := range f.alerts() {
			if seen[m.Cursor] {
				t.Errorf("client %d got stream entry %s twice", i, m.Cursor)
			}
			seen[m.Cursor] = true
			if m.Alert["revision"] == 1.0 {
				fired[m.Alert["id"].(string)] = true
			}
		}
		for id := range firedAt {
			if !fired[id] {
				t.Errorf("client %d never got alert %s", i, id)
			}
		}
	}
	t.Logf("the client of the killed replica got %d alerts before it was cut off", len(onC.alerts()))
	_, ov, _ := b.Do("GET", "/api/v1/overview", "viewer-secret", "")
	if ov["open"] != float64(n) || ov["red"] != float64(n) {
		t.Errorf("overview after the burst: %v", ov)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
