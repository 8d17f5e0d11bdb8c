// Command compare runs `duban bench` and, in the same run on the same machine, the software
// a supervision bureau would otherwise use for deadlines, each through its real software:
//
//   - asynq v0.26 (github.com/hibiken/asynq): one task per deadline, scheduled with
//     ProcessAt, on a redis-server of its own, with asynq's defaults and tuned;
//   - Prometheus and Alertmanager (the Debian packages' binaries): one gauge per case
//     holding its deadline, an alert rule that fires once the deadline has passed, and a
//     webhook receiver for the notifications.
//
// It prints each comparable figure as duban ÷ alternative. It is a module of its own so that
// the service's go.mod stays free of asynq. Run it from a checkout:
//
//	cd bench/compare && go run . [flags]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
)

type options struct {
	exe        string // the duban binary; empty: build it
	benchArgs  string // more flags for duban bench
	open       int    // open cases / far deadlines besides the measured ones
	probes     int    // lag probes of the alternatives
	burst      int    // deadlines of the midnight burst
	promProbes int    // Prometheus: cases whose deadline passes during the run
	prometheus string
	alertmgr   string
	redis      string
	out        string // the combined JSON, when set
	skipProm   bool
}

func main() {
	var o options
	flag.StringVar(&o.exe, "duban", "", "the duban binary (default: build ../../cmd/duban)")
	flag.StringVar(&o.benchArgs, "bench-args", "", "more flags for duban bench, space-separated")
	flag.IntVar(&o.open, "open", 20000, "open cases (duban bench --cases) and far deadlines of the alternatives")
	flag.IntVar(&o.probes, "probes", 100, "asynq: tasks due one after another for the lag")
	flag.IntVar(&o.burst, "burst", 10000, "deadlines at one instant (duban bench --burst)")
	flag.IntVar(&o.promProbes, "prom-probes", 20, "Prometheus: cases whose deadline passes during the run")
	flag.StringVar(&o.prometheus, "prometheus", "/usr/bin/prometheus", "the prometheus binary")
	flag.StringVar(&o.alertmgr, "alertmanager", "/usr/bin/prometheus-alertmanager", "the alertmanager binary")
	flag.StringVar(&o.redis, "redis-server", "redis-server", "the redis-server binary")
	flag.StringVar(&o.out, "json", "", "also write every figure as JSON to this `file`")
	flag.BoolVar(&o.skipProm, "no-prometheus", false, "leave Prometheus and Alertmanager out")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// report is everything one run measured.
type report struct {
	Date         string          `json:"date"`
	LoadStart    float64         `json:"load_avg_start"`
	LoadEnd      float64         `json:"load_avg_end"`
	Duban        json.RawMessage `json:"duban"`
	AsynqDefault *asynqFigures   `json:"asynq_default"`
	AsynqTuned   *asynqFigures   `json:"asynq_tuned"`
	Prometheus   *promFigures    `json:"prometheus_alertmanager,omitempty"`
}

// dubanFigures is what the comparison reads of `duban bench --json`.
type dubanFigures struct {
	TimerLag *struct {
		P50 float64 `json:"p50_ms"`
		P99 float64 `json:"p99_ms"`
	} `json:"timer_lag"`
	Burst *struct {
		Fired   float64 `json:"fired_s"`
		Relayed float64 `json:"relayed_s"`
		Rate    float64 `json:"fired_per_s"`
	} `json:"burst"`
}

func run(ctx context.Context, o options) error {
	rep := report{Date: wall().UTC().Format(time.RFC3339), LoadStart: loadAvg()}
	exe := o.exe
	if exe == "" {
		dir, err := os.MkdirTemp("", "duban-compare-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		exe = filepath.Join(dir, "duban")
		fmt.Fprintln(os.Stderr, "building duban …")
		build := exec.CommandContext(ctx, "go", "build", "-o", exe, "./cmd/duban")
		build.Dir = filepath.Join("..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/duban: %w", err)
		}
	}
	args := []string{"bench", "--json", "--cases", strconv.Itoa(o.open), "--burst", strconv.Itoa(o.burst)}
	args = append(args, strings.Fields(o.benchArgs)...)
	fmt.Fprintf(os.Stderr, "duban %s\n", strings.Join(args, " "))
	var out bytes.Buffer
	bench := exec.CommandContext(ctx, exe, args...)
	bench.Stdout, bench.Stderr = &out, os.Stderr
	if err := bench.Run(); err != nil {
		return fmt.Errorf("duban bench: %w", err)
	}
	rep.Duban = json.RawMessage(out.Bytes())
	var d dubanFigures
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return fmt.Errorf("duban bench --json: %w", err)
	}
	var err error
	fmt.Fprintln(os.Stderr, "asynq, defaults …")
	if rep.AsynqDefault, err = runAsynq(ctx, o, false); err != nil {
		return fmt.Errorf("asynq (defaults): %w", err)
	}
	fmt.Fprintln(os.Stderr, "asynq, tuned …")
	if rep.AsynqTuned, err = runAsynq(ctx, o, true); err != nil {
		return fmt.Errorf("asynq (tuned): %w", err)
	}
	if !o.skipProm {
		fmt.Fprintln(os.Stderr, "Prometheus and Alertmanager …")
		if rep.Prometheus, err = runPrometheus(ctx, o); err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
	}
	rep.LoadEnd = loadAvg()
	printTable(os.Stdout, rep, d)
	if o.out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(o.out, append(b, '\n'), 0o644)
	}
	return nil
}

func printTable(w io.Writer, rep report, d dubanFigures) {
	fmt.Fprintf(w, "compare, %s, load average %.2f → %.2f\n\n", rep.Date, rep.LoadStart, rep.LoadEnd)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tduban\talternative\tvalue\tduban ÷ alternative")
	row := func(fig string, dv float64, alt string, av float64, unit string) {
		fmt.Fprintf(tw, "%s\t%.3g %s\t%s\t%.3g %s\t%.3g\n", fig, dv, unit, alt, av, unit, dv/av)
	}
	if d.TimerLag != nil {
		for _, a := range []struct {
			name string
			f    *asynqFigures
		}{{"asynq defaults", rep.AsynqDefault}, {"asynq tuned", rep.AsynqTuned}} {
			row("lag p50", d.TimerLag.P50, a.name, a.f.LagP50, "ms")
			row("lag p99", d.TimerLag.P99, a.name, a.f.LagP99, "ms")
		}
		if p := rep.Prometheus; p != nil {
			row("deadline → notification p50", d.TimerLag.P50, "Prometheus+Alertmanager", p.P50, "ms")
			row("deadline → notification p99", d.TimerLag.P99, "Prometheus+Alertmanager", p.P99, "ms")
		}
	}
	if d.Burst != nil {
		for _, a := range []struct {
			name string
			f    *asynqFigures
		}{{"asynq defaults", rep.AsynqDefault}, {"asynq tuned", rep.AsynqTuned}} {
			row("burst: all fired", d.Burst.Fired, a.name, a.f.BurstSeconds, "s")
			row("burst fire rate", d.Burst.Rate, a.name, a.f.BurstRate, "/s")
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nduban's lag is the time from a deadline to its alert committed; asynq's from ProcessAt to its handler starting;")
	fmt.Fprintln(w, "Prometheus+Alertmanager's from the deadline to the webhook notification received.")
}

// percentile is the nearest-rank p-th percentile of ds (sorted in place), in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return -1
	}
	slices.Sort(ds)
	i := (len(ds)*p + 99) / 100
	return float64(ds[max(i, 1)-1]) / float64(time.Millisecond)
}

// startRedis starts a redis-server of its own on a free port; stop ends it.
func startRedis(ctx context.Context, bin string) (addr string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "compare-redis-")
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = os.RemoveAll(dir) }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	for i := 0; ; i++ {
		if err := rc.Ping(ctx).Err(); err == nil {
			return addr, stop, nil
		} else if i > 200 {
			stop()
			return "", nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// redisCPU is the server's CPU seconds so far.
func redisCPU(ctx context.Context, rc *redis.Client) float64 {
	s, err := rc.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total
}

func loadAvg() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(raw))[0], 64)
	return f
}

var errTimeout = errors.New("timed out")
