package eventjson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// contractExample is the example event of the push API, every field filled.
const contractExample = `{
  "event_id": "env-2026-000123-03",
  "case_id": "env-2026-000123",
  "department": "env",
  "matter": "ENV-EIA-001",
  "type": "accepted",
  "at": "2026-03-02T10:15:00+08:00",
  "seq": 3,
  "handler": "zhang.san",
  "days": 10, "approver": "li.si",
  "reason": "expert_review", "note": "…",
  "amount_yuan": "120.00",
  "result": "approved"
}`

func TestDecodeEventContractExample(t *testing.T) {
	e, errs := Decode([]byte(contractExample))
	if errs != nil {
		t.Fatalf("Decode: %v", errs)
	}
	want := monitor.Event{
		EventID: "env-2026-000123-03", CaseID: "env-2026-000123", Department: "env",
		Matter: "ENV-EIA-001", Type: monitor.Accepted, Seq: 3, Handler: "zhang.san",
		Days: 10, Approver: "li.si", Reason: "expert_review", Note: "…",
		AmountYuan: "120.00", Result: "approved",
	}
	got := e
	got.At = time.Time{}
	if got != want {
		t.Errorf("Decode =\n%+v\nwant\n%+v", got, want)
	}
	if !e.At.Equal(time.Date(2026, 3, 2, 2, 15, 0, 0, time.UTC)) {
		t.Errorf("at = %v", e.At)
	}
	if _, off := e.At.Zone(); off != 8*3600 {
		t.Errorf("at offset = %d s, want +08:00 kept", off)
	}
}

func TestDecodeEventAcceptedForms(t *testing.T) {
	tests := []struct {
		name  string
		field string // a JSON member added to a minimal event
		check func(monitor.Event) bool
	}{
		{"at in UTC", `"at":"2026-03-02T02:15:00Z"`, func(e monitor.Event) bool {
			_, off := e.At.Zone()
			return off == 0 && e.At.Equal(time.Date(2026, 3, 2, 2, 15, 0, 0, time.UTC))
		}},
		{"at with fractional seconds", `"at":"2026-03-02T10:15:00.123456789+08:00"`, func(e monitor.Event) bool {
			return e.At.Nanosecond() == 123456789
		}},
		{"at with a negative offset", `"at":"2026-03-01T21:15:00-05:00"`, func(e monitor.Event) bool {
			_, off := e.At.Zone()
			return off == -5*3600 && e.At.Equal(time.Date(2026, 3, 2, 2, 15, 0, 0, time.UTC))
		}},
		{"seq zero", `"seq":0`, func(e monitor.Event) bool { return e.Seq == 0 }},
		{"seq large", `"seq":9223372036854775807`, func(e monitor.Event) bool { return e.Seq == 1<<63-1 }},
		{"days out of range is for monitor.ValidateEvent", `"days":61`, func(e monitor.Event) bool { return e.Days == 61 }},
		{"amount without decimals", `"amount_yuan":"120"`, func(e monitor.Event) bool { return e.AmountYuan == "120" }},
		{"amount with one decimal", `"amount_yuan":"120.5"`, func(e monitor.Event) bool { return e.AmountYuan == "120.5" }},
		{"null is absent", `"matter":null,"seq":null,"days":null,"amount_yuan":null,"at":null`, func(e monitor.Event) bool {
			return e.Matter == "" && e.Seq == 0 && e.Days == 0 && e.AmountYuan == "" && e.At.IsZero()
		}},
		{"empty string is absent", `"handler":"","amount_yuan":""`, func(e monitor.Event) bool {
			return e.Handler == "" && e.AmountYuan == ""
		}},
		{"unknown fields are ignored", `"colour":"red","extra":{"a":[1,2]},"Event_ID":"x","extra":1`, func(e monitor.Event) bool {
			return e.EventID == "e1"
		}},
		{"received_at is the service's", `"received_at":"2026-03-02T10:15:00Z"`, func(e monitor.Event) bool {
			return e.ReceivedAt.IsZero()
		}},
		{"escaped strings", `"note":"line\nbreak \u5f20"`, func(e monitor.Event) bool { return e.Note == "line\nbreak 张" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"event_id":"e1",` + tt.field + `}`
			e, errs := Decode([]byte(raw))
			if errs != nil {
				t.Fatalf("Decode(%s): %v", raw, errs)
			}
			if !tt.check(e) {
				t.Errorf("Decode(%s) = %+v", raw, e)
			}
		})
	}
}

func TestDecodeEventFieldErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields string // JSON members after a valid event_id
		want   []string
	}{
		{"event_id a number", `"case_id":1`, []string{"case_id"}},
		{"department an array", `"department":["env"]`, []string{"department"}},
		{"matter an object", `"matter":{}`, []string{"matter"}},
		{"type a boolean", `"type":true`, []string{"type"}},
		{"handler a number", `"handler":7`, []string{"handler"}},
		{"approver a number", `"approver":7`, []string{"approver"}},
		{"reason a number", `"reason":7`, []string{"reason"}},
		{"note an array", `"note":["a"]`, []string{"note"}},
		{"result a boolean", `"result":true`, []string{"result"}},
		{"ref a number", `"ref":3`, []string{"ref"}},
		{"string of invalid UTF-8", "\"handler\":\"a\xffb\"", []string{"handler"}},

		{"at without offset", `"at":"2026-03-02T10:15:00"`, []string{"at"}},
		{"at with a space", `"at":"2026-03-02 10:15:00+08:00"`, []string{"at"}},
		{"at a date only", `"at":"2026-03-02"`, []string{"at"}},
		{"at lowercase", `"at":"2026-03-02t10:15:00z"`, []string{"at"}},
		{"at with offset without colon", `"at":"2026-03-02T10:15:00+0800"`, []string{"at"}},
		{"at with offset +24:00", `"at":"2026-03-02T10:15:00+24:00"`, []string{"at"}},
		{"at with offset minutes 60", `"at":"2026-03-02T10:15:00+08:60"`, []string{"at"}},
		{"at with a comma fraction", `"at":"2026-03-02T10:15:00,5+08:00"`, []string{"at"}},
		{"at with an empty fraction", `"at":"2026-03-02T10:15:00.+08:00"`, []string{"at"}},
		{"at with 10 fractional digits", `"at":"2026-03-02T10:15:00.1234567890Z"`, []string{"at"}},
		{"at on 30 February", `"at":"2026-02-30T10:15:00Z"`, []string{"at"}},
		{"at hour 24", `"at":"2026-03-02T24:00:00Z"`, []string{"at"}},
		{"at a leap second", `"at":"2016-12-31T23:59:60Z"`, []string{"at"}},
		{"at a Unix time", `"at":1772417700`, []string{"at"}},

		{"seq a string", `"seq":"3"`, []string{"seq"}},
		{"seq a fraction", `"seq":3.5`, []string{"seq"}},
		{"seq with an exponent", `"seq":3e2`, []string{"seq"}},
		{"seq negative", `"seq":-1`, []string{"seq"}},
		{"seq beyond int64", `"seq":9223372036854775808`, []string{"seq"}},

		{"days a string", `"days":"10"`, []string{"days"}},
		{"days a fraction", `"days":10.5`, []string{"days"}},
		{"days 10.0", `"days":10.0`, []string{"days"}},
		{"days beyond int64", `"days":99999999999999999999`, []string{"days"}},

		{"amount a number", `"amount_yuan":120`, []string{"amount_yuan"}},
		{"amount a negative number", `"amount_yuan":-1`, []string{"amount_yuan"}},
		{"amount a boolean", `"amount_yuan":true`, []string{"amount_yuan"}},
		{"amount with 3 decimals", `"amount_yuan":"1.234"`, []string{"amount_yuan"}},
		{"amount negative", `"amount_yuan":"-5"`, []string{"amount_yuan"}},
		{"amount with a comma", `"amount_yuan":"1,200"`, []string{"amount_yuan"}},
		{"amount with a currency sign", `"amount_yuan":"¥120"`, []string{"amount_yuan"}},
		{"amount with spaces", `"amount_yuan":" 120"`, []string{"amount_yuan"}},

		{"known field twice", `"case_id":"c1","case_id":"c2"`, []string{"case_id"}},
		{"several bad fields", `"at":"now","days":"x","seq":-2`, []string{"at", "days", "seq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"event_id":"e1",` + tt.fields + `}`
			e, errs := Decode([]byte(raw))
			if got := errs.Fields(); !slices.Equal(got, tt.want) {
				t.Errorf("Decode(%s): fields = %q, want %q (%v)", raw, got, tt.want, errs)
			}
			if e.EventID != "e1" {
				t.Errorf("event_id not decoded next to a bad field: %+v", e)
			}
		})
	}
}

func TestDecodeEventMessages(t *testing.T) {
	tests := []struct {
		raw  string
		want monitor.FieldError
	}{
		{`{"days":"ten"}`, monitor.FieldError{Field: "days", Message: "must be an integer from 1 to 60"}},
		{`{"at":"2026-03-02T10:15:00"}`, monitor.FieldError{Field: "at", Message: msgAt}},
		{`{"amount_yuan":120.5}`, monitor.FieldError{Field: "amount_yuan", Message: `must be a decimal string such as "120.00" (a JSON string, not a number)`}},
		{`{"amount_yuan":"120.555"}`, monitor.FieldError{Field: "amount_yuan", Message: monitor.ErrAmountSyntax.Error()}},
		{`{"seq":"1"}`, monitor.FieldError{Field: "seq", Message: msgSeq}},
		{`{"type":1}`, monitor.FieldError{Field: "type", Message: "must be a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, errs := Decode([]byte(tt.raw))
			if len(errs) != 1 || errs[0] != tt.want {
				t.Errorf("errors = %v, want %v", errs, tt.want)
			}
		})
	}
}

func TestDecodeEventNotAnObject(t *testing.T) {
	tests := []struct{ name, raw, msg string }{
		{"empty", ``, "is not valid JSON"},
		{"whitespace", " \n", "is not valid JSON"},
		{"truncated", `{"event_id":"e1"`, "is not valid JSON"},
		{"trailing comma", `{"event_id":"e1",}`, "is not valid JSON"},
		{"two objects", `{"a":1}{"b":2}`, "is not valid JSON"},
		{"single quotes", `{'event_id':'e1'}`, "is not valid JSON"},
		{"array", `[{"event_id":"e1"}]`, "must be a JSON object"},
		{"string", `"event"`, "must be a JSON object"},
		{"number", `42`, "must be a JSON object"},
		{"null", `null`, "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, errs := Decode([]byte(tt.raw))
			if len(errs) != 1 || errs[0].Field != "" || !strings.HasPrefix(errs[0].Message, tt.msg) {
				t.Errorf("Decode(%q) errors = %v, want one on field \"\" starting %q", tt.raw, errs, tt.msg)
			}
			if e != (monitor.Event{}) {
				t.Errorf("Decode(%q) = %+v, want the zero monitor.Event", tt.raw, e)
			}
		})
	}
}

func TestParseEventTime(t *testing.T) {
	good := []string{
		"2026-03-02T10:15:00+08:00", "2026-03-02T02:15:00Z", "2026-03-02T10:15:00.5+08:00",
		"2026-03-02T10:15:00.000000001Z", "2026-03-02T10:15:00-23:59", "2024-02-29T00:00:00Z",
	}
	for _, s := range good {
		t1, err := ParseTime(s)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", s, err)
			continue
		}
		// Whatever was accepted marshals back, with the same instant and offset.
		b, err := json.Marshal(t1)
		if err != nil {
			t.Errorf("marshal %q: %v", s, err)
			continue
		}
		t2, err := ParseTime(strings.Trim(string(b), `"`))
		if err != nil || !t2.Equal(t1) {
			t.Errorf("%q: round trip gave %v, %v", s, t2, err)
		}
	}
	bad := []string{"", "Z", "2026-03-02T10:15:00", "2026-03-02T10:15:00+8:00", "2025-02-29T00:00:00Z",
		"2026-03-02T10:15:00+08:00 ", " 2026-03-02T10:15:00Z", "2026-03-02T10:15:00ZZ", "２026-03-02T10:15:00Z"}
	for _, s := range bad {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

// sameEvent compares events field by field, `at` by instant and offset (time.Time values
// from separate parses hold distinct *Location pointers).
func sameEvent(a, b monitor.Event) bool {
	_, oa := a.At.Zone()
	_, ob := b.At.Zone()
	if !a.At.Equal(b.At) || oa != ob {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return a == b
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(contractExample))
	f.Add([]byte(`{"event_id":"e1","at":"2026-03-02T10:15:00.5Z","seq":0,"days":-3,"amount_yuan":"0.01"}`))
	f.Add([]byte(`{"event_id":"e1","event_id":"e2","handler":null,"note":"\u0000\ud800"}`))
	f.Add([]byte(`[1]`))
	f.Add([]byte(`{"at":"2026-03-02T10:15:00+24:00"}`))
	seeds, _ := filepath.Glob("testdata/events/*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, errs := Decode(raw)
		for _, fe := range errs {
			if fe.Message == "" {
				t.Fatalf("empty message for field %q", fe.Field)
			}
		}
		_ = monitor.ValidateEvent(&e, nil, testNow) // must not panic on anything decoded
		if errs != nil {
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("decoded event does not marshal: %v (%+v)", err, e)
		}
		e2, errs := Decode(b)
		if errs != nil {
			t.Fatalf("re-decoding %s: %v", b, errs)
		}
		if !sameEvent(e, e2) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, e2)
		}
	})
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"办件编号", 4, "办…"}, // 3-byte runes: never cut inside one
		{"办件编号", 6, "办件…"},
		{"", 0, ""},
	} {
		if got := monitor.Shorten(c.in, c.n); got != c.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
