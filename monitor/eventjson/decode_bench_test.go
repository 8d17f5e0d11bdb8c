package eventjson

import (
	"os"
	"testing"
)

// BenchmarkDecodeEvent decodes the events a department system typically sends: the contract's
// example (every field), the testdata events (one with CJK text, an escaped line break and an
// unknown nested field) and an event as an ASCII-only encoder (Python's json.dumps) writes it.
func BenchmarkDecodeEvent(b *testing.B) {
	cases := []struct{ name, raw string }{
		{"contract", contractExample},
		{"ascii_escaped", `{"event_id": "env-2026-000123-05", "case_id": "env-2026-000123", "department": "env", "type": "suspended", "at": "2026-03-05T16:30:00.250+08:00", "reason": "other", "note": "\u7533\u8bf7\u4eba\u8981\u6c42\u6682\u7f13\n\uff08\u4e66\u9762\u7533\u8bf7\uff09", "handler": "\u674e\u56db"}`},
	}
	for _, name := range []string{"submitted", "suspended", "fee_charged"} {
		raw, err := os.ReadFile("testdata/events/" + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, struct{ name, raw string }{name, string(raw)})
	}
	for _, c := range cases {
		raw := []byte(c.raw)
		if _, errs := Decode(raw); errs != nil {
			b.Fatalf("%s: %v", c.name, errs)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				Decode(raw)
			}
		})
	}
}
