package e2e_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
)

// With Redis killed, every endpoint that needs it answers a prompt 503 with a whole-seconds
// Retry-After, and those that do not need it answer as usual; the instance's middleware
// checks every answer against docs/openapi.yaml (which requires Retry-After on a 503).
func TestRedisAwayEveryEndpointAnswers503(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t)
	clk := clock.Manual(time.Date(2026, 3, 18, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	in := startManual(t, redisAddr, clk, faultConfig)
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", burstCases(0, 1)); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var alertID string
	eventually.True(t, "the case's alerts", func() bool {
		got := alertsOf(t, in, "viewer-secret", "case_id=env-burst-0000")
		if len(got) > 0 {
			alertID, _ = got[0]["id"].(string)
		}
		return alertID != ""
	})
	alert := "/api/v1/alerts/" + url.PathEscape(alertID)
	testredis.Kill(t, redisAddr)

	note := `{"note":"已核实"}`
	needRedis := []struct{ method, path, token, body string }{
		{"POST", "/api/v1/events", "env-collector-secret", burstCases(1, 1)},
		{"GET", "/api/v1/cases", "viewer-secret", ""},
		{"GET", "/api/v1/cases/env-burst-0000", "viewer-secret", ""},
		{"GET", "/api/v1/alerts", "viewer-secret", ""},
		{"GET", alert, "viewer-secret", ""},
		{"POST", alert + "/ack", "supervisor-secret", note},
		{"POST", alert + "/resolve", "supervisor-secret", note},
		{"POST", alert + "/exempt", "supervisor-secret", note},
		{"GET", "/api/v1/accountability", "supervisor-secret", ""},
		{"GET", "/api/v1/overview", "viewer-secret", ""},
		{"GET", "/api/v1/trend", "viewer-secret", ""},
		{"GET", "/api/v1/rankings", "viewer-secret", ""},
		{"GET", "/api/v1/rankings/2026-02", "viewer-secret", ""},
		{"GET", "/api/v1/rankings/2026-02.csv", "viewer-secret", ""},
		{"GET", "/api/v1/rankings/2026-02.html", "viewer-secret", ""},
		{"PUT", "/api/v1/calendar/2027", "admin-secret", "year: 2027\noff:\n  - 2027-01-01\nwork: []\n"},
		{"GET", "/api/v1/deadletters", "admin-secret", ""},
		{"POST", "/api/v1/deadletters/env-burst-0000/replay", "admin-secret", ""},
		{"GET", "/api/v1/audit", "supervisor-secret", ""},
		{"POST", "/api/v1/subscriptions", "supervisor-secret", `{"url":"https://hooks.example.gov.cn/duban","secret":"a-secret-of-32-characters-or-more!!"}`},
		{"GET", "/api/v1/subscriptions", "supervisor-secret", ""},
		{"GET", "/api/v1/subscriptions/sub-3f2a9c0d11e4b5a6", "supervisor-secret", ""},
		{"DELETE", "/api/v1/subscriptions/sub-3f2a9c0d11e4b5a6", "supervisor-secret", ""},
		{"GET", "/readyz", "", ""},
	}
	var slowest time.Duration
	for _, q := range needRedis {
		t0 := time.Now()
		code, body, h := in.Do(q.method, q.path, q.token, q.body)
		took := time.Since(t0)
		slowest = max(slowest, took)
		ra, err := strconv.Atoi(h.Get("Retry-After"))
		if code != http.StatusServiceUnavailable || err != nil || ra < 1 || took > 5*time.Second {
			t.Errorf("%s %s with Redis away: %d after %v, Retry-After %q: %v", q.method, q.path, code, took, h.Get("Retry-After"), body)
		}
	}
	// What needs no Redis goes on.
	for _, q := range []struct {
		path string
		want int
	}{
		{"/healthz", 200}, {"/metrics", 200}, {"/login", 200}, {"/api/v1/calendar/2026", 200},
	} {
		if code, body, _ := in.Do("GET", q.path, "viewer-secret", ""); code != q.want {
			t.Errorf("GET %s with Redis away: %d, want %d: %.200v", q.path, code, q.want, body)
		}
	}
	t.Logf("FIGURES redis away: %d endpoints answered 503 with Retry-After, the slowest in %v", len(needRedis), slowest.Round(time.Millisecond))
}

// The two refusals of the push API that protect the process, through an instance whose
// middleware checks them against docs/openapi.yaml: a batch that does not fit in the
// in-flight budget beside one being received is a 503 with Retry-After, before its body is
// read; a body not complete within limits.body_timeout is a 408, nothing stored.
func TestInflightBudgetAndBodyTimeoutAnswers(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t)
	clk := clock.Manual(time.Date(2026, 3, 18, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	cfg := strings.Replace(faultConfig, "limits: {", "limits: { body_timeout: 2s, body_bytes: 1048576, inflight_bytes: 1048576,", 1)
	in := startManual(t, redisAddr, clk, cfg)

	held := bigBatch("held", 500, 600_000)
	var sentHalf sync.WaitGroup
	sentHalf.Add(1)
	release := make(chan struct{})
	heldStatus := make(chan int, 1)
	go func() { heldStatus <- holdOpen(in.Base, "env-collector-secret", held, &sentHalf, release) }()
	sentHalf.Wait()
	other := string(bigBatch("other", 500, 600_000))
	var ra string
	eventually.True(t, "a second large batch refused while the first is held", func() bool {
		code, _, h := in.Do("POST", "/api/v1/events", "env-collector-secret", other)
		ra = h.Get("Retry-After")
		return code == http.StatusServiceUnavailable
	})
	close(release)
	if s := <-heldStatus; s != http.StatusAccepted {
		t.Errorf("the held batch was answered %d, want 202", s)
	}
	if n, err := strconv.Atoi(ra); err != nil || n < 1 {
		t.Errorf("the budget's 503 has Retry-After %q, want whole seconds", ra)
	}
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", other); code != 202 {
		t.Errorf("the refused batch, sent again once the first was taken: %d %v", code, b)
	}

	// A body that stops short of its Content-Length.
	body := bigBatch("slow", 10, 4096)
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.Base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer env-collector-secret\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	_, _ = conn.Write(body[:len(body)-10])
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the slow body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("the slow body was answered %s, want 408", resp.Status)
	}
	if code, c, _ := in.Do("GET", "/api/v1/cases/slow-00000", "viewer-secret", ""); code != 404 {
		t.Errorf("a case of the slow body: %d %v", code, c)
	}
	t.Logf("FIGURES push API refusals: budget 503 with Retry-After %s s; slow body answered %s", ra, resp.Status)
}
