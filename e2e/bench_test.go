package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// BenchmarkIngestToApplied measures events per second from HTTP to applied case state:
// batches of 500 events (100 new cases × 5 events) posted to a running service, timed until
// no case is left to apply. Redis runs on the same machine.
func BenchmarkIngestToApplied(b *testing.B) {
	url, prefix := testredis.New(b)
	in := servicetest.StartServe(b, url, prefix, "2026-03-26T09:00:00+08:00", "")
	o, err := rdbtest.Options(url)
	if err != nil {
		b.Fatal(err)
	}
	o.Prefix = prefix
	store, err := rdb.Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	types := []string{
		// Reported within report_within, as departments do: no late_report alerts.
		`"type":"submitted","matter":"ENV-EIA-001","at":"2026-03-25T09:30:00+08:00"`,
		`"type":"accepted","at":"2026-03-25T10:00:00+08:00"`,
		`"type":"suspended","reason":"expert_review","at":"2026-03-25T15:00:00+08:00"`,
		`"type":"resumed","at":"2026-03-25T16:00:00+08:00"`,
		`"type":"decided","result":"approved","at":"2026-03-26T08:00:00+08:00"`,
	}
	bodies := make([]string, b.N)
	for i := range b.N {
		var sb strings.Builder
		sb.WriteByte('[')
		for c := range 100 {
			for k, t := range types {
				if c > 0 || k > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"event_id":"e%d","case_id":"bench-%d-%d","department":"env",%s}`, k, i, c, t)
			}
		}
		sb.WriteByte(']')
		bodies[i] = sb.String()
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		req, _ := http.NewRequest("POST", in.Base+"/api/v1/events", strings.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer admin-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 202 {
			b.Fatalf("post: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	eventually.Every(b, 5*time.Minute, 2*time.Millisecond, func() string { return "no dirty case left" }, func() bool {
		n, err := store.DirtyCount(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return n == 0
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*500)/elapsed.Seconds(), "events/s")
}
