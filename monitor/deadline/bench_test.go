package deadline

import (
	"testing"
)

// typicalCase is the benchmark's six-event case: submitted, accepted, suspended, resumed,
// extended, decided.
func typicalCase(tb testing.TB) Input {
	tb.Helper()
	m := stdMatter()
	m.MaxSuspensionDays = map[string]int{"expert_review": 30}
	return input(tb, m, []ev{
		{typ: tSub, at: "2026-03-02 09:00", handler: "wang", received: "2026-03-02 09:01"},
		{typ: tAcc, at: "2026-03-03 10:00", handler: "zhang", received: "2026-03-03 10:01"},
		{typ: tSusp, at: "2026-03-05 10:00", reason: "expert_review", received: "2026-03-05 10:01"},
		{typ: tRes, at: "2026-03-12 11:00", received: "2026-03-12 11:01"},
		{typ: tExt, at: "2026-03-16 10:00", days: 5, approver: "li.si", received: "2026-03-16 10:01"},
		{typ: tDec, at: "2026-03-24 15:00", result: "approved", handler: "zhang", received: "2026-03-24 15:01"},
	}, "2026-03-25 10:00")
}

func BenchmarkCompute(b *testing.B) {
	in := typicalCase(b)
	b.ReportAllocs()
	for b.Loop() {
		r := Compute(in)
		if r.Stage != "delivery" {
			b.Fatal(r.Stage)
		}
	}
}

func BenchmarkTimeline(b *testing.B) {
	in := typicalCase(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(Timeline(in)) == 0 {
			b.Fatal("empty timeline")
		}
	}
}
