package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// Against a running service (--url), at tiny sizes: ingestion, memory (with --redis),
// RSS and the fan-out are measured; timer lag and the burst are reported as not measured.
func TestBenchAgainstURL(t *testing.T) {
	url, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url, prefix, "", "")
	o := Defaults()
	o.URL, o.Token, o.ViewerToken = in.Base, "admin-secret", "viewer-secret"
	o.RedisURL, o.RedisPrefix = url, prefix
	o.Rates, o.RateFor, o.Cases, o.Batch = []int{300}, time.Second, 200, 60
	o.Clients, o.Alerts, o.JSON, o.Progress = 5, 2, true, false
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), o, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Mode != "url" || len(r.Ingest) != 1 || r.Saturation == nil || r.Saturation.AppliedEPS <= 0 || r.Memory == nil ||
		r.Memory.CaseKeys == 0 || r.RSS == nil || r.RSS.AfterIngestMB <= 0 || r.Fanout == nil || r.Fanout.Receipts != 10 {
		t.Fatalf("figures:\n%s", out.String())
	}
	if r.TimerLag != nil || r.Burst != nil || len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], "steer") {
		t.Fatalf("timer lag and burst should be skipped:\n%s", out.String())
	}
}
