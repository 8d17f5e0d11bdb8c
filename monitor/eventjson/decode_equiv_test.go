package eventjson

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/duban-gov/duban/monitor"
)

// equivalenceSeeds are inputs on which the fast path and the token walk could plausibly part:
// every special case of Decode's rules, JSON corner cases and the divergences fuzzing
// has found.
var equivalenceSeeds = []string{
	``, ` `, "\n\t\r ", `{}`, ` {} `, "{}\n", `{ }`, `[]`, `null`, `"x"`, `42`, `true`,
	`{"event_id":"e1"}`, `{"event_id":"e1"`, `{"event_id":"e1",}`, `{"event_id":"e1"}{}`,
	`{"event_id":"e1"} x`, `{"event_id":"e1"}]`, `{'event_id':'e1'}`, `{"event_id" "e1"}`,
	`{"event_id":"e1",,"case_id":"c"}`, `{,}`, `{"a"}`, `{"a":}`, `{:1}`, "\ufeff{}",

	// Duplicate and unknown keys.
	`{"event_id":"e1","event_id":"e2"}`, `{"event_id":null,"event_id":"e2"}`,
	`{"seq":null,"seq":1}`, `{"seq":1,"seq":1}`, `{"extra":1,"extra":2,"event_id":"e"}`,
	`{"Event_ID":"x","EVENT_ID":"y","event_id":"e"}`, `{"event_id ":"x"}`,
	`{"event\u005fid":"x"}`, `{"event\u005fid":"x","event_id":"y"}`, `{"\u0061t":"2026-03-02T02:15:00Z"}`,
	`{"received_at":"2026-03-02T10:15:00Z","received_at":7}`, `{"received_at":{"a":[1,{"b":null}]}}`,
	"{\"ev\xffent_id\":\"x\"}", "{\"\xff\":1}", `{"":1}`, `{"a\"b":1}`, `{"a\\":1}`,

	// Nulls and empty strings.
	`{"event_id":null,"case_id":null,"department":null,"matter":null,"type":null,"at":null,"seq":null,"handler":null,"days":null,"approver":null,"reason":null,"note":null,"amount_yuan":null,"result":null,"ref":null}`,
	`{"event_id":"","at":"","amount_yuan":"","type":""}`, `{"seq":nul}`, `{"seq":nulll}`, `{"at":NULL}`,

	// Strings: escapes, unicode, invalid UTF-8, control characters.
	`{"note":"line\nbreak \u5f20 \"q\" \\ \/ \b\f\r\t"}`, `{"note":"\u0000"}`, `{"note":"\ud800"}`,
	`{"note":"\udc00"}`, `{"note":"\ud800\udc00"}`, `{"note":"\ud83d\ude00"}`, `{"note":"\uD83D\uDE00"}`,
	`{"note":"\ud800\ud800\udc00"}`, `{"note":"\udc00\ud800"}`, `{"note":"\ud800x"}`, `{"note":"\ud800\n"}`,
	`{"note":"\ud800\u0041"}`, `{"note":"\ud800\\"}`, `{"note":"\u00e9\uFFFD\uffff"}`, `{"note":"\'"}`,
	`{"note":"\x"}`, `{"note":"\u12"}`, `{"note":"\u12g4"}`, `{"note":"\"}`, "{\"note\":\"a\tb\"}",
	"{\"note\":\"a\x7fb\"}", "{\"handler\":\"a\xffb\"}", "{\"handler\":\"\xed\xa0\x80\"}",
	"{\"handler\":\"\xf4\x90\x80\x80\"}", "{\"handler\":\"\xc0\xaf\"}", "{\"extra\":\"a\xffb\",\"event_id\":\"e\"}",
	"{\"handler\":\"李四\"}", "{\"handler\":\"\\u674e\\u56db\"}", `{"handler":"a\u0000b"}`,
	"{\"note\":\"\xe2\x80\xa6\\n\"}", `{"event_id":"\u0065\u0031"}`,

	// at.
	`{"at":"2026-03-02T10:15:00+08:00"}`, `{"at":"2026-03-02T10:15:00+08:30"}`, `{"at":"2026-03-02T10:15:00+05:45"}`,
	`{"at":"2026-03-02T10:15:00-00:00"}`, `{"at":"2026-03-02T10:15:00+00:00"}`, `{"at":"2026-03-02T10:15:00+23:59"}`,
	`{"at":"2026-03-02T10:15:00.123456789Z"}`, `{"at":"2026-03-02T10:15:00.1234567890Z"}`, `{"at":"2026-03-02T10:15:00"}`,
	`{"at":"2026-03-02T10:15:00\u002b08:00"}`, `{"at":"2026-03-02T10:15:00Z","at":null}`, `{"at":1772417700}`,
	`{"at":"2016-12-31T23:59:60Z"}`, `{"at":"0000-01-01T00:00:00Z"}`, `{"at":"9999-12-31T23:59:59.999999999-23:59"}`,
	`{"at":["2026-03-02T10:15:00Z"]}`, "{\"at\":\"2026-03-02T10:15:00\xffZ\"}",

	// Numbers.
	`{"seq":0}`, `{"seq":-0}`, `{"seq":-1}`, `{"seq":00}`, `{"seq":01}`, `{"seq":1.0}`, `{"seq":1e2}`,
	`{"seq":1E2}`, `{"seq":-}`, `{"seq":+1}`, `{"seq":.5}`, `{"seq":"3"}`, `{"seq":true}`, `{"seq":[1]}`,
	`{"seq":9223372036854775807}`, `{"seq":9223372036854775808}`, `{"seq":-9223372036854775808}`,
	`{"seq":18446744073709551616}`, `{"seq":99999999999999999999999}`, `{"seq":1 }`, `{"seq":1x}`,
	`{"days":-3}`, `{"days":-0}`, `{"days":-9223372036854775808}`, `{"days":-9223372036854775809}`,
	`{"days":9223372036854775807}`, `{"days":10.0}`, `{"days":1e1}`, `{"days":0}`, `{"days":"10"}`,
	`{"extra":-0.0e+00}`, `{"extra":1.}`, `{"extra":1e}`, `{"extra":-01}`, `{"extra":1.5E-3}`, `{"extra":-}`,

	// amount_yuan.
	`{"amount_yuan":"120.00"}`, `{"amount_yuan":"120"}`, `{"amount_yuan":"0.01"}`, `{"amount_yuan":"00120.5"}`,
	`{"amount_yuan":120}`, `{"amount_yuan":120.5}`, `{"amount_yuan":-1}`, `{"amount_yuan":true}`,
	`{"amount_yuan":[]}`, `{"amount_yuan":"1.234"}`, `{"amount_yuan":"-5"}`, `{"amount_yuan":"1,200"}`,
	`{"amount_yuan":" 120"}`, `{"amount_yuan":"\u0031\u0032"}`, `{"amount_yuan":"92233720368547758.07"}`,
	`{"amount_yuan":"92233720368547758.08"}`, `{"amount_yuan":"."}`, `{"amount_yuan":"5."}`,

	// Unknown values of every shape and depth.
	`{"x":{"a":[1,2,{"b":[true,false,null,"s",-1.5e3]}]},"event_id":"e"}`, `{"x":[]}`, `{"x":{}}`,
	`{"x":[,]}`, `{"x":[1,]}`, `{"x":{"a":1,}}`, `{"x":{"a" 1}}`, `{"x":[1 2]}`, `{"x":tru}`,
	`{"x":falsey}`, `{"x":nulls}`, `{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{"x":` + strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100) + `}`,
	`{"event_id":"e1","type":"accepted","seq":3,"days":10,"at":"2026-03-02T10:15:00+08:00","amount_yuan":"1","seq":4}`,
}

func FuzzDecodeEventEquivalence(f *testing.F) {
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
	for _, s := range equivalenceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkDecodeEquivalence(t, raw)
	})
}

// checkDecodeEquivalence fails t unless Decode (fast path first) and decodeEventSlow
// agree on raw, and the fast path answers only for inputs without errors.
func checkDecodeEquivalence(t *testing.T, raw []byte) {
	t.Helper()
	in := append([]byte(nil), raw...)
	e1, errs1 := Decode(raw)
	e2, errs2 := decodeEventSlow(raw)
	if !reflect.DeepEqual(e1, e2) || !sameEvent(e1, e2) {
		t.Fatalf("Decode(%q): events differ:\nfast %#v\nslow %#v", raw, e1, e2)
	}
	if !reflect.DeepEqual(errs1, errs2) || errString(errs1) != errString(errs2) {
		t.Fatalf("Decode(%q): errors differ:\nfast %#v\nslow %#v", raw, errs1, errs2)
	}
	if e3, ok := decodeEventFast(raw); ok {
		if errs2 != nil {
			t.Fatalf("decodeEventFast(%q) answered where the slow path has errors %v", raw, errs2)
		}
		if !reflect.DeepEqual(e3, e2) {
			t.Fatalf("decodeEventFast(%q):\nfast %#v\nslow %#v", raw, e3, e2)
		}
	}
	if string(in) != string(raw) {
		t.Fatalf("Decode modified its input")
	}
}

func errString(errs monitor.FieldErrors) string {
	if errs == nil {
		return "<nil>"
	}
	return errs.Error()
}

// TestDecodeEventFastPathTaken keeps the fast path in use: well-formed events, including the
// contract's example and the testdata events, must not fall back to the token walk.
func TestDecodeEventFastPathTaken(t *testing.T) {
	raws := []string{
		contractExample,
		`{"event_id":"e1","at":"2026-03-02T10:15:00.5Z","seq":0,"days":-3,"amount_yuan":"0.01"}`,
		`{"event_id":"e1","note":"\u7533\u8bf7\n\ud83d\ude00 \"x\"","extra":{"a":[1,-2.5e3,true,null]},"received_at":"x"}`,
		`{"event_id":"e1","matter":null,"seq":null,"days":null,"amount_yuan":null,"at":null,"handler":""}`,
	}
	paths, _ := filepath.Glob("testdata/events/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, string(b))
	}
	for _, raw := range raws {
		if _, ok := decodeEventFast([]byte(raw)); !ok {
			t.Errorf("decodeEventFast(%s) fell back to the slow path", raw)
		}
		checkDecodeEquivalence(t, []byte(raw))
	}
}
