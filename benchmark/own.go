package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duban-gov/duban/monitor/clock"
)

// Tokens of the service `duban bench` starts for itself.
const (
	ownAdminToken  = "bench-admin-secret"
	ownViewerToken = "bench-viewer-secret"
)

// clockStart is where the business clock of the bench's own service starts: a Monday
// morning, so that every deadline the bench sets falls within the built-in 2026 calendar.
const clockStart = "2026-03-02T09:00:00+08:00"

// ownConfig is the configuration of the bench's own service. Departments: bench (the open
// cases, whose deadlines lie months ahead, and the timer-lag probes, one matter for each
// promised limit of 3…22 working days), burst (the midnight) and fan (the WebSocket
// fan-out's triggers). The monthly ranking is moved to January so it never runs during a
// bench, and the ingestion limits are lifted.
func ownConfig() string {
	var b strings.Builder
	b.WriteString(`limits: { events_per_second_per_token: 1000000, batch_events: 10000, body_bytes: 33554432, inflight_bytes: 268435456 }
ranking: { schedule: "0 2 2 1 *" }
auth:
  tokens:
    - { token: ` + ownAdminToken + `, role: admin }
    - { token: ` + ownViewerToken + `, role: viewer }
catalog:
  departments:
    - { code: bench, name: 基准测试局 }
    - { code: burst, name: 午夜测试局 }
    - { code: fan, name: 推送测试局 }
  matters:
    - { code: ` + farMatter + `, name: 远期事项, department: bench, statutory_days: 150, promised_days: 120 }
    - { code: ` + burstMatter + `, name: 午夜事项, department: burst, statutory_days: 150, promised_days: 3 }
    - { code: ` + fanMatter + `, name: 推送事项, department: fan, statutory_days: 150, promised_days: 3 }
`)
	for d := lagFirstDays; d <= lagLastDays; d++ {
		fmt.Fprintf(&b, "    - { code: %s, name: 时延事项%d, department: bench, statutory_days: 150, promised_days: %d }\n", lagMatter(d), d, d)
	}
	return b.String()
}

const (
	farMatter   = "BENCH-FAR"
	burstMatter = "BENCH-BURST"
	fanMatter   = "BENCH-FAN"

	lagFirstDays, lagLastDays = 3, 22
)

func lagMatter(days int) string { return fmt.Sprintf("BENCH-L%02d", days) }

// ownService is a redis-server and a duban service, both children of this process, in a
// temporary directory of their own.
type ownService struct {
	dir       string
	redisAddr string
	base      string // http://127.0.0.1:PORT
	redis     *exec.Cmd
	svc       *exec.Cmd
	svcDone   chan error
}

// startOwn starts redis-server (redisBin) on a free port and exe as the bench's service on
// it. The service's log goes to a file in the directory, shown when it fails.
func startOwn(ctx context.Context, exe, redisBin string) (_ *ownService, err error) {
	dir, err := os.MkdirTemp("", "duban-bench-")
	if err != nil {
		return nil, err
	}
	o := &ownService{dir: dir}
	defer func() {
		if err != nil {
			o.close()
		}
	}()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	o.redisAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	o.redis = exec.Command(redisBin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--protected-mode", "no")
	o.redis.SysProcAttr = childAttr()
	rlog, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, err
	}
	defer rlog.Close()
	o.redis.Stdout, o.redis.Stderr = rlog, rlog
	if err := o.redis.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", redisBin, err)
	}
	rc := redis.NewClient(&redis.Options{Addr: o.redisAddr})
	defer rc.Close()
	if err := retry(ctx, 10*time.Second, func() error { return rc.Ping(ctx).Err() }); err != nil {
		b, _ := os.ReadFile(rlog.Name())
		return nil, fmt.Errorf("redis-server on %s did not answer: %w\n%s", o.redisAddr, err, b)
	}

	cfgPath := filepath.Join(dir, "duban.yaml")
	if err := os.WriteFile(cfgPath, []byte(ownConfig()), 0o600); err != nil {
		return nil, err
	}
	o.svc = exec.Command(exe, "bench")
	o.svc.Env = append(os.Environ(), ChildEnv+"=1", "DUBAN_CONFIG="+cfgPath, "DUBAN_REDIS_URL=redis://"+o.redisAddr,
		"DUBAN_LISTEN=127.0.0.1:0", "DUBAN_REDIS_PREFIX=duban:", "DUBAN_CLOCK_START="+clockStart, "DUBAN_CLOCK_RATE=1")
	o.svc.SysProcAttr = childAttr()
	slog, err := os.Create(filepath.Join(dir, "service.log"))
	if err != nil {
		return nil, err
	}
	defer slog.Close()
	o.svc.Stderr = slog
	out, err := o.svc.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := o.svc.Start(); err != nil {
		return nil, fmt.Errorf("start the service (%s bench): %w", exe, err)
	}
	addr := make(chan string, 1)
	o.svcDone = make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listenPrefix); ok {
				addr <- a
			}
		}
		o.svcDone <- o.svc.Wait()
	}()
	select {
	case a := <-addr:
		o.base = "http://" + a
		return o, nil
	case err := <-o.svcDone:
		o.svcDone <- err
		return nil, fmt.Errorf("the service exited (%v):\n%s", err, o.serviceLog())
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("the service did not listen within 60 s:\n%s", o.serviceLog())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serviceLog is the end of the service's log.
func (o *ownService) serviceLog() string {
	b, _ := os.ReadFile(filepath.Join(o.dir, "service.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// pid is the service's process id, for its resident set.
func (o *ownService) pid() int { return o.svc.Process.Pid }

// close stops the service (SIGTERM, then SIGKILL after 15 s) and Redis, and removes the
// directory.
func (o *ownService) close() {
	if o.svc != nil && o.svc.Process != nil {
		_ = o.svc.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-o.svcDone:
			o.svcDone <- err
		case <-time.After(15 * time.Second):
			_ = o.svc.Process.Kill()
		}
	}
	if o.redis != nil && o.redis.Process != nil {
		_ = o.redis.Process.Kill()
		_ = o.redis.Wait()
	}
	_ = os.RemoveAll(o.dir)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// retry calls f every 50 ms until it succeeds, for at most limit of real time.
func retry(ctx context.Context, limit time.Duration, f func() error) error {
	end := clock.Wall().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if clock.Wall().After(end) {
			return err
		}
		if !clock.Sleep(ctx, 50*time.Millisecond) {
			return errors.Join(err, ctx.Err())
		}
	}
}
