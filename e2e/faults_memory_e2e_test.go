package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/syncbuf"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// heavy serialises the fault tests that load the machine (a child process, 100 connections
// of 8 MiB, Redis frozen): they run one at a time even under -parallel.
var heavy sync.Mutex

// buildDuban builds this program without the race detector (whose memory overhead would
// swamp what a memory test measures) into a temporary folder, once per test binary.
var buildDuban = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "duban-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "duban")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "build", "-o", bin, "../cmd/duban").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// child is a `duban serve` process of the test's own.
type child struct {
	cmd  *exec.Cmd
	base string
	logs *syncbuf.Buffer
}

// startChild builds duban and runs `duban serve` with config (YAML) on redisAddr, and
// waits until it is ready. env ("KEY=value") is added to, or overrides, its environment.
func startChild(t testing.TB, redisAddr, config string, env ...string) *child {
	t.Helper()
	bin, err := buildDuban()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	c := &child{base: "http://" + addr, logs: &syncbuf.Buffer{}}
	c.cmd = exec.Command(bin, "serve")
	c.cmd.Env = []string{"DUBAN_CONFIG=" + cfgPath, "DUBAN_LISTEN=" + addr,
		"DUBAN_REDIS_URL=redis://" + redisAddr, "DUBAN_CLOCK_START=2026-03-02T10:00:00+08:00"}
	c.cmd.Env = append(c.cmd.Env, env...) // the last of a key wins
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
			<-exited
		}
	})
	var lastErr error
	eventually.Every(t, 30*time.Second, 50*time.Millisecond, func() string {
		return fmt.Sprintf("duban serve to be ready (%v):\n%s", lastErr, c.logs.String())
	}, func() bool {
		resp, err := http.Get(c.base + "/readyz")
		if lastErr = err; err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		select {
		case <-exited:
			t.Fatalf("duban serve exited:\n%s", c.logs.String())
		default:
		}
		return false
	})
	return c
}

// peakRSS is the process's peak resident set (VmHWM), in MiB.
func (c *child) peakRSS(t testing.TB) float64 { return c.memStatus(t, "VmHWM") }

// rss is the process's resident set now (VmRSS), in MiB.
func (c *child) rss(t testing.TB) float64 { return c.memStatus(t, "VmRSS") }

// memStatus reads a figure in kB of /proc/<pid>/status, in MiB.
func (c *child) memStatus(t testing.TB, key string) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err) // not Linux: the figure cannot be read
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("%s %q: %v", key, v, err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatalf("no %s in /proc/<pid>/status", key)
	return 0
}

// bigBatch is a JSON array of n env cases' submitted events, ids from prefix, padded with
// notes so that the body is just under size bytes.
func bigBatch(prefix string, n, size int) []byte {
	const at = "2026-03-02T09:00:00+08:00"
	one := func(i int, note string) string {
		return fmt.Sprintf(`{"event_id":"%s-%05d","case_id":"%s-%05d","department":"env","matter":"ENV-EIA-001","type":"submitted","at":%q,"note":%q}`,
			prefix, i, prefix, i, at, note)
	}
	bare := len(one(0, ""))
	pad := min((size-2)/n-bare-1, 2000)
	note := strings.Repeat("x", pad)
	var b bytes.Buffer
	b.Grow(size)
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one(i, note))
	}
	b.WriteByte(']')
	return b.Bytes()
}

// holdOpen sends body on its own connection in two halves, the second only after release
// is closed, and returns the answer's status (0 when no answer came).
func holdOpen(base, token string, body []byte, sentHalf *sync.WaitGroup, release <-chan struct{}) int {
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		sentHalf.Done()
		return 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	status := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	head := fmt.Sprintf("POST /api/v1/events HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", token, len(body))
	half := len(body) / 2
	_, err = conn.Write(append([]byte(head), body[:half]...))
	sentHalf.Done()
	if err == nil {
		select {
		case s := <-status: // answered before the whole body: refused
			return s
		case <-release:
		}
		_, _ = conn.Write(body[half:])
	}
	return <-status
}

// Item 1 and the last fault: 40, then 100 clients each send an 8 MiB batch and hold it
// open half sent until all have started; the process's peak RSS stays under 300 MiB and
// every request is answered (202, or 503 with Retry-After for those over
// limits.inflight_bytes). A real `duban serve` process, built without the race detector.
func TestConcurrentLargeBatchesStayBounded(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t)
	c := startChild(t, redisAddr, servicetest.Config+"")
	body := bigBatch("mem", 10_000, 8<<20)
	if len(body) > 8<<20 {
		t.Fatalf("the batch is %d bytes, over 8 MiB", len(body))
	}
	const bound = 300.0 // MiB
	before := c.peakRSS(t)
	for _, n := range []int{40, 100} {
		var sentHalf sync.WaitGroup
		sentHalf.Add(n)
		release := make(chan struct{})
		statuses := make([]int, n)
		var done sync.WaitGroup
		for i := range n {
			done.Go(func() { statuses[i] = holdOpen(c.base, "env-collector-secret", body, &sentHalf, release) })
		}
		sentHalf.Wait()
		time.Sleep(500 * time.Millisecond) // all held open at once
		close(release)
		done.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		peak := c.peakRSS(t)
		t.Logf("FIGURES large batches: %d concurrent 8 MiB batches held open: answered 202 ×%d, 503 ×%d, other %v, unanswered %d; peak RSS %.0f MiB (before: %.0f MiB, bound %.0f MiB)",
			n, count[202], count[503], count, count[0], peak, before, bound)
		if count[0] > 0 {
			t.Errorf("%d of %d requests got no answer", count[0], n)
		}
		if count[202] == 0 {
			t.Errorf("no batch was taken at all: %v", count)
		}
		if count[202]+count[503] != n {
			t.Errorf("answers other than 202 and 503: %v\n%s", count, c.logs.String())
		}
		if peak > bound {
			t.Errorf("peak RSS %.0f MiB is over the bound of %.0f MiB", peak, bound)
		}
	}
}

// A client whose body does not arrive within limits.body_timeout is answered 408 or cut
// off, nothing of its batch is stored, and the clients beside it are served meanwhile.
func TestSlowBodyIsCutOff(t *testing.T) {
	heavy.Lock()
	defer heavy.Unlock()
	redisAddr := testredis.StartServer(t)
	c := startChild(t, redisAddr, strings.Replace(servicetest.Config, "limits: {", "limits: { body_timeout: 1s,", 1))
	body := bigBatch("slow", 10, 4096)
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer env-collector-secret\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	_, _ = conn.Write(body[:len(body)-10]) // all but the end, then nothing
	start := time.Now()
	// Others are served while the slow one waits.
	in := &servicetest.Instance{T: t, Base: c.base}
	served := 0
	for i := range 5 {
		if code, _, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", string(bigBatch(fmt.Sprintf("fast%d", i), 2, 1024))); code == 202 {
			served++
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(start)
	outcome := "connection closed"
	if err == nil {
		resp.Body.Close()
		outcome = resp.Status
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("the slow body was answered %s, want 408 or a closed connection", resp.Status)
		}
	}
	if took > 8*time.Second {
		t.Errorf("the slow body was ended after %v, want about the 1 s body timeout", took)
	}
	store := rdbtest.At(t, "redis://"+redisAddr, "duban:")
	evs, err := store.Events(context.Background(), "slow-00000")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURES slow body: answered %q after %v; slow batch events stored %d (want 0); other clients served %d of 5", outcome, took.Round(time.Millisecond), len(evs), served)
	if len(evs) != 0 {
		t.Errorf("%d events of the slow batch are stored", len(evs))
	}
	if served != 5 {
		t.Errorf("only %d of 5 other clients were served", served)
	}
}
