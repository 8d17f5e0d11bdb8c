package httpin_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/httpin"
)

// BenchmarkIngestBatch500 posts batches of 500 events (100 cases of 5 events each, all new)
// through the whole handler — authentication, decoding, validation, one pipelined Ingest —
// into the real test Redis, and reports events stored per second.
func BenchmarkIngestBatch500(b *testing.B) {
	const cases, perCase = 100, 5
	e := newEnv(b, func(o *httpin.Options) {
		o.Limits.EventsPerSecondPerToken = 1e12
		o.Logger = slog.New(slog.DiscardHandler)
		o.Registerer = nil
	})
	types := []string{"submitted", "accepted", "step", "supplement_requested", "supplement_received"}
	bodies := make([]string, b.N)
	for n := range bodies {
		evs := make([]any, 0, cases*perCase)
		for c := range cases {
			caseID := fmt.Sprintf("env-2026-%06d-%03d", n, c)
			for i, typ := range types {
				evs = append(evs, ev(caseID, fmt.Sprintf("%s-%02d", caseID, i), "type", typ,
					"at", t0.Add(time.Duration(i-10)*time.Hour).Format(time.RFC3339),
					"seq", i, "handler", "zhang.san"))
			}
		}
		bodies[n] = jsonOf(b, evs)
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	for n := range b.N {
		a := e.post(b, envToken, "application/json", bodies[n])
		if a.status != http.StatusAccepted || !strings.Contains(string(a.body[:40]), `"accepted":500,`) {
			b.Fatalf("status %d: %.200s", a.status, a.body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cases*perCase*b.N)/b.Elapsed().Seconds(), "events/s")
}
