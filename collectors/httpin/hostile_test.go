package httpin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/duban-gov/duban/collectors/httpin"
)

// hostileSeeds are bodies seen in the probe of the service from outside, and their kin.
var hostileSeeds = []struct {
	contentType string
	body        string
}{
	{"application/json", `{"event_id":"e1","case_id":"c1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"}`},
	{"application/json", `[{"event_id":"e1","case_id":"c1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"},{"event_id":"e2","case_id":"c2"}]`},
	{"application/x-ndjson", "{\"event_id\":\"e3\",\"case_id\":\"c3\",\"department\":\"env\",\"matter\":\"ENV-EIA-001\",\"type\":\"submitted\",\"at\":\"2026-03-02T09:00:00+08:00\"}\n{broken\n"},
	{"", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)},
	{"application/json", "{\"event_id\":\"e\xff\xfe\",\"case_id\":\"c4\"}"},
	{"application/json", `{"event_id":"e5","case_id":"../../etc/passwd","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"}`},
	{"application/json", `{"event_id":"e6","case_id":"duban:{x}:cases","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"9999-12-31T23:59:59Z"}`},
	{"application/json", `{"event_id":"e7","case_id":"c7","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","amount":1e400}`},
	{"application/json", "{\"event_id\":\"e8\",\"case_id\":\"c\\u0000\\u001b8\"}"},
	{"", `[]`},
	{"", `[1,"x",null,{}]`},
	{"application/json", `{"a":` + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 21)},
}

// idsOf reads back each event of a body as the handler cuts it (a JSON object, an array
// of them, or NDJSON, chosen by the media type in any case, or sniffed when the type says
// neither), as far as it can be read: its case_id and event_id when both are strings.
func idsOf(contentType string, body []byte) [][2]string {
	var vals []json.RawMessage
	t := bytes.TrimSpace(bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}))
	mt, _, _ := mime.ParseMediaType(contentType) // lower-cased; "" when unreadable
	ndjson := map[string]bool{"application/x-ndjson": true, "application/ndjson": true,
		"application/jsonl": true, "application/x-jsonlines": true, "application/jsonlines": true}[mt]
	sniffed := mt != "application/json" && !ndjson
	switch {
	case ndjson, sniffed && len(t) > 0 && t[0] == '{' && !json.Valid(t):
		for line := range bytes.SplitSeq(t, []byte{'\n'}) {
			if line = bytes.TrimSpace(line); len(line) > 0 { // blank lines are no events
				vals = append(vals, line)
			}
		}
	case len(t) > 0 && t[0] == '[':
		_ = json.Unmarshal(t, &vals)
	default:
		vals = []json.RawMessage{t}
	}
	out := make([][2]string, len(vals))
	for i, v := range vals {
		var m struct {
			CaseID  any `json:"case_id"`
			EventID any `json:"event_id"`
		}
		if json.Unmarshal(v, &m) == nil {
			c, _ := m.CaseID.(string)
			e, _ := m.EventID.(string)
			out[i] = [2]string{c, e}
		}
	}
	return out
}

// FuzzPostEvents sends any bytes to the whole handler, behind the authenticator, on a real
// Redis: the answer is never a 5xx, and an event is stored exactly when the answer says
// accepted or duplicate — never one the answer rejected, never half of a batch the answer
// refused. `make test` runs it over the seeds; `go test -fuzz FuzzPostEvents
// ./collectors/httpin` explores further.
//
// What that command shows is the fuzzing engine's, not a hang: it first builds this package
// and everything under it again with coverage instrumentation and prints nothing meanwhile
// (about 5 minutes on a cold build cache on a busy 2-core machine, seconds once cached).
// Then each input that widens coverage is minimised, every candidate a request through
// HTTP and Redis, and the status line says "0/sec" for as long as that lasts (up to
// -fuzzminimizetime, 60 s by default); -fuzzminimizetime=1x keeps it exploring instead.
func FuzzPostEvents(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s.contentType, []byte(s.body))
	}
	e := newEnv(f, func(o *httpin.Options) {
		o.Limits.EventsPerSecondPerToken = 1e9
		o.Logger = slog.New(slog.DiscardHandler) // f may not log from inside Fuzz
	})
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		// A header value cannot hold control characters: Go's client refuses to send one
		// (testdata/fuzz holds the input that showed it). They are dropped, so that the
		// rest of the value still reaches the server.
		contentType = strings.Map(func(r rune) rune {
			if (r < ' ' && r != '\t') || r == 0x7f {
				return -1
			}
			return r
		}, contentType)
		// Each input under its own IDs' namespace: a case sent before is told apart by
		// what this input's answer says, not by what an earlier one stored.
		r := e.post(t, supervisorToken, contentType, string(body))
		if r.status >= 500 {
			t.Fatalf("status %d for %q: %s", r.status, trim(body), r.body)
		}
		ids := idsOf(contentType, body)
		if r.status != http.StatusAccepted {
			for _, id := range ids {
				if id[0] != "" && id[1] != "" && e.has(t, id[0], id[1]) && !e.seen(id) {
					t.Fatalf("refused with %d but event %v is stored: %s", r.status, id, r.body)
				}
			}
			return
		}
		a := r.answer(t)
		for _, res := range a.Results {
			if res.Status == httpin.StatusRejected || res.Index >= len(ids) {
				continue
			}
			id := ids[res.Index]
			if !e.has(t, id[0], id[1]) {
				t.Fatalf("event %d %v answered %s but not stored: %s", res.Index, id, res.Status, r.body)
			}
			e.accepted.Store(id, true)
		}
		n.Add(1)
	})
}

// has reports whether the store holds event eventID of case caseID.
func (e *env) has(t testing.TB, caseID, eventID string) bool {
	t.Helper()
	for _, ev := range e.events(t, caseID) {
		if ev.EventID == eventID {
			return true
		}
	}
	return false
}

// seen reports whether an earlier input had the event accepted.
func (e *env) seen(id [2]string) bool {
	_, ok := e.accepted.Load(id)
	return ok
}

func trim(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// The probe's hostile inputs, each as one event beside a good one in the same batch,
// through a real server: the bad event is rejected naming its field and not stored; the
// good one is stored. Bodies that cannot be read as a whole are a 4xx, nothing stored.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpin.Options) { o.Limits.EventsPerSecondPerToken = 1e9 })
	mib := strings.Repeat("x", 1<<20)
	for i, tc := range []struct {
		name  string
		kv    []any // changes to a good event
		field string
	}{
		{"1 MiB case_id", []any{"case_id", mib}, "case_id"},
		{"1 MiB event_id", []any{"event_id", mib}, "event_id"},
		{"1 MiB handler", []any{"handler", mib}, "handler"},
		{"1 MiB note", []any{"note", mib}, "note"},
		{"1 MiB matter", []any{"matter", mib}, "matter"},
		{"invalid UTF-8 in case_id", []any{"case_id", "c\xff\xfe"}, "case_id"},
		{"control characters in case_id", []any{"case_id", "c\x00\x1b[2J"}, "case_id"},
		{"control characters in handler", []any{"handler", "张\x07三"}, "handler"},
		{"key-like case_id", []any{"case_id", "duban:{env}:case:x"}, "case_id"},
		{"path-like case_id", []any{"case_id", "env/../x"}, "case_id"},
		{"dot case_id", []any{"case_id", ".."}, "case_id"},
		{"dot segment inside case_id", []any{"case_id", "a/./b"}, "case_id"},
		{"year 9999", []any{"at", "9999-12-31T23:59:59Z"}, "at"},
		{"year 0001", []any{"at", "0001-01-01T00:00:00Z"}, "at"},
		{"not a date", []any{"at", "yesterday"}, "at"},
		{"absurd number as at", []any{"at", 1e308}, "at"},
		{"absurd seq", []any{"seq", 1e308}, "seq"},
		{"huge amount", []any{"amount_yuan", "1e308"}, "amount_yuan"},
		{"negative amount", []any{"amount_yuan", "-1"}, "amount_yuan"},
		{"absurd days", []any{"type", "extended", "days", 1e12}, "days"},
		{"object as type", []any{"type", map[string]any{"$gt": ""}}, "type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := ev(fmt.Sprintf("good-%d", i), "g1")
			bad := ev(fmt.Sprintf("bad-%d", i), "b1", tc.kv...)
			r := e.post(t, supervisorToken, "application/json", jsonOf(t, []any{bad, good}))
			a := r.answer(t)
			if got := statuses(a); got[0] != httpin.StatusRejected || got[1] != httpin.StatusAccepted {
				t.Fatalf("statuses %v, want [rejected accepted]: %s", got, r.body)
			}
			named := false
			for _, fe := range a.Results[0].Errors {
				named = named || fe.Field == tc.field
			}
			if !named {
				t.Errorf("the rejection names %v, not %s", a.Results[0].Errors, tc.field)
			}
			if len(e.events(t, fmt.Sprintf("good-%d", i))) != 1 {
				t.Error("the good event beside the bad one is not stored")
			}
			if id, ok := bad["case_id"].(string); ok && len(id) <= 128 && !strings.HasPrefix(id, "/") && !strings.Contains(id, "..") {
				if n := len(e.events(t, id)); n != 0 {
					t.Errorf("the bad event's case holds %d events", n)
				}
			}
		})
	}
	// Bodies no event can be read from: 4xx, nothing stored.
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"100k-deep JSON", "application/json", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), 400},
		{"100k-deep object", "application/json", strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000), 400},
		{"invalid UTF-8 body", "application/json", "\xff\xfe\xfd", 400},
		{"NUL bytes", "", "\x00\x00\x00", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, supervisorToken, tc.contentType, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", r.status, tc.status, r.body)
			}
			var body map[string]any
			if json.Unmarshal(r.body, &body) != nil || body["error"] == "" {
				t.Errorf("answer %.200s is not a JSON error", r.body)
			}
		})
	}
}
