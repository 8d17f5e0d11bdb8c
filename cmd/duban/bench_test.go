package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/duban-gov/duban/benchmark"
)

// duban bench at tiny sizes, as a process of its own that starts its own redis-server and
// service (this test binary again): every figure is there and sane. Not a timing test.
func TestBenchSmoke(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is not on the PATH: %v", err)
		}
		t.Skipf("redis-server is not on the PATH: %v", err)
	}
	r, _ := runMain(t, map[string]string{"PATH": os.Getenv("PATH"), "TMPDIR": t.TempDir()},
		"bench", "--json", "--progress=false", "--rates", "300", "--rate-for", "1s", "--cases", "300", "--batch", "100",
		"--probes", "1", "--burst", "100", "--clients", "5", "--alerts", "2")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var res benchmark.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	bad := func(what string, v any) { t.Errorf("%s: %v\n%s", what, v, r.stdout) }
	if res.Mode != "own" || res.CPUs < 1 || res.Date == "" || len(res.Skipped) != 0 {
		bad("header", res)
	}
	phases := append([]benchmark.IngestFigures{}, res.Ingest...)
	if len(res.Ingest) != 1 || res.Ingest[0].OfferedEPS != 300 || res.Saturation == nil {
		t.Fatalf("ingest phases: %+v %+v", res.Ingest, res.Saturation)
	}
	phases = append(phases, *res.Saturation)
	for _, f := range phases {
		if f.Events <= 0 || f.AppliedEPS <= 0 || f.P50Millis <= 0 || f.P99Millis < f.P50Millis || f.P99Millis > 30_000 {
			bad("ingest", f)
		}
	}
	if m := res.Memory; m == nil || m.Cases != 299 || m.BytesPerCase < 200 || m.BytesPerCase > 100_000 || m.CaseKeys == 0 || m.CaseKeyBytes <= 0 {
		bad("memory", res.Memory)
	}
	if s := res.RSS; s == nil || s.OpenCases != 300 || s.AfterIngestMB < 5 || s.WithClientsMB < 5 || s.Clients != 5 {
		bad("rss", res.RSS)
	}
	if f := res.Fanout; f == nil || f.Receipts != 10 || f.Lost != 0 || f.P50Millis <= 0 || f.P99Millis < f.P50Millis {
		bad("fanout", res.Fanout)
	}
	// 20 probes, one per promised limit: each a decision_due and a promise_overdue.
	if l := res.TimerLag; l == nil || l.Alerts != 40 || l.P50Millis < 0 || l.P99Millis < l.P50Millis || l.MaxMillis > 60_000 {
		bad("timer lag", res.TimerLag)
	}
	if b := res.Burst; b == nil || b.Deadlines != 100 || b.FiredSeconds <= 0 || b.RelayedSeconds <= 0 ||
		b.FiredPerSecond <= 0 || b.RedisCPUSeconds < 0 {
		bad("burst", res.Burst)
	}
}
