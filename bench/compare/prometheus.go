package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// promFigures: from each probe case's deadline to Alertmanager's webhook notification of its
// alert, with o.open cases' deadlines far ahead besides.
type promFigures struct {
	Config string  `json:"config"`
	Open   int     `json:"open_cases"`
	Probes int     `json:"probes"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

const (
	promScrape = "1s"
	promEval   = "1s"
)

// runPrometheus serves one gauge per case, case_deadline_timestamp_seconds{case_id}, for
// Prometheus to scrape; the rule CaseOverdue fires once time() has passed a deadline, and
// Alertmanager, grouping by case, posts each notification to a webhook here.
func runPrometheus(ctx context.Context, o options) (*promFigures, error) {
	dir, err := os.MkdirTemp("", "compare-prom-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var (
		mu       sync.Mutex
		deadline = map[string]time.Time{}
		notified = map[string]time.Time{}
	)
	far := wall().AddDate(1, 0, 0)
	for i := range o.open {
		deadline[fmt.Sprintf("open-%d", i)] = far
	}
	first := wall().Add(20 * time.Second) // Prometheus and Alertmanager start, scrape and settle
	for i := range o.promProbes {
		deadline[fmt.Sprintf("probe-%d", i)] = first.Add(time.Duration(i) * 700 * time.Millisecond)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		b.WriteString("# TYPE case_deadline_timestamp_seconds gauge\n")
		mu.Lock()
		for id, t := range deadline {
			fmt.Fprintf(&b, "case_deadline_timestamp_seconds{case_id=%q} %.3f\n", id, float64(t.UnixMilli())/1000)
		}
		mu.Unlock()
		_, _ = w.Write([]byte(b.String()))
	})
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		now := wall()
		var msg struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err == nil {
			mu.Lock()
			for _, a := range msg.Alerts {
				if id := a.Labels["case_id"]; a.Status == "firing" && id != "" {
					if _, ok := notified[id]; !ok {
						notified[id] = now
					}
				}
			}
			mu.Unlock()
		}
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	self := ln.Addr().String()

	amPort, err := freePort()
	if err != nil {
		return nil, err
	}
	clusterPort, err := freePort()
	if err != nil {
		return nil, err
	}
	promPort, err := freePort()
	if err != nil {
		return nil, err
	}
	amYAML := fmt.Sprintf(`route:
  receiver: hook
  group_by: [case_id]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://%s/hook
        send_resolved: false
`, self)
	promYAML := fmt.Sprintf(`global:
  scrape_interval: %s
  evaluation_interval: %s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["127.0.0.1:%d"] }]
scrape_configs:
  - job_name: cases
    static_configs: [{ targets: ["%s"] }]
`, promScrape, promEval, amPort, self)
	rules := `groups:
  - name: deadlines
    rules:
      - alert: CaseOverdue
        expr: case_deadline_timestamp_seconds < time()
        for: 0s
`
	for name, body := range map[string]string{"am.yml": amYAML, "prometheus.yml": promYAML, "rules.yml": rules} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	start := func(bin string, args ...string) (func(), error) {
		cmd := exec.Command(bin, args...)
		logf, err := os.Create(filepath.Join(dir, filepath.Base(bin)+".log"))
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("%s: %w", bin, err)
		}
		return func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() }, nil
	}
	stopAM, err := start(o.alertmgr, "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(amPort), "--cluster.listen-address=127.0.0.1:"+strconv.Itoa(clusterPort))
	if err != nil {
		return nil, err
	}
	defer stopAM()
	stopProm, err := start(o.prometheus, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(promPort))
	if err != nil {
		return nil, err
	}
	defer stopProm()
	last := first.Add(time.Duration(o.promProbes) * 700 * time.Millisecond)
	err = waitFor(ctx, last.Add(2*time.Minute), func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for i := range o.promProbes {
			if _, ok := notified[fmt.Sprintf("probe-%d", i)]; ok {
				n++
			}
		}
		return n == o.promProbes
	})
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(dir, filepath.Base(o.prometheus)+".log"))
		return nil, fmt.Errorf("notifications: %w\n%s", err, tail(logs))
	}
	var lags []time.Duration
	mu.Lock()
	for i := range o.promProbes {
		id := fmt.Sprintf("probe-%d", i)
		lags = append(lags, notified[id].Sub(deadline[id]))
	}
	mu.Unlock()
	return &promFigures{Config: fmt.Sprintf("scrape_interval %s, evaluation_interval %s, rule for: 0s; Alertmanager group_by [case_id], group_wait 0s, group_interval 1s", promScrape, promEval),
		Open: o.open, Probes: o.promProbes, P50: percentile(lags, 50), P99: percentile(lags, 99), Max: percentile(lags, 100)}, nil
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}
