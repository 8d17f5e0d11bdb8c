package httpin

import (
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/web"
)

func TestFormatOf(t *testing.T) {
	tests := map[string]bodyFormat{
		"":                                    formatSniff,
		"application/json":                    formatJSON,
		"application/json; charset=utf-8":     formatJSON,
		"Application/JSON":                    formatJSON,
		"application/x-ndjson":                formatNDJSON,
		"application/x-ndjson; charset=utf-8": formatNDJSON,
		"application/jsonl":                   formatNDJSON,
		"application/x-www-form-urlencoded":   formatSniff,
		"text/plain":                          formatSniff,
		"garbage;;":                           formatSniff,
	}
	for ct, want := range tests {
		if got := formatOf(ct); got != want {
			t.Errorf("formatOf(%q) = %d, want %d", ct, got, want)
		}
	}
}

func TestSplitBody(t *testing.T) {
	const obj = `{"event_id":"e1"}`
	tests := []struct {
		name   string
		body   string
		format bodyFormat
		max    int
		want   []string // the events' bytes; "!" + message start for a bad NDJSON line
		code   web.Code // of the error, "" for none
		msg    string   // part of the error message
	}{
		{name: "object", body: " " + obj + "\n", format: formatJSON, want: []string{obj}},
		{name: "array", body: "[" + obj + ", 1 ]", format: formatSniff, want: []string{obj, "1"}},
		{name: "empty array", body: "[ ]", format: formatJSON, want: []string{}},
		{name: "BOM", body: "\ufeff" + obj, format: formatJSON, want: []string{obj}},
		{name: "sniffed NDJSON", body: obj + "\n\n" + obj + "\r\n", format: formatSniff, want: []string{obj, obj}},
		{name: "sniffed NDJSON with a bad line", body: obj + "\n{x\n", format: formatSniff,
			want: []string{obj, "!line 2 is not valid JSON"}},
		{name: "declared NDJSON", body: "\n" + obj + "\n[1]\nnope", format: formatNDJSON,
			want: []string{obj, "[1]", "!line 4 is not valid JSON"}},
		{name: "declared NDJSON, one line without newline", body: obj, format: formatNDJSON, want: []string{obj}},
		{name: "array at the limit", body: "[1,2,3]", format: formatJSON, max: 3, want: []string{"1", "2", "3"}},
		{name: "array over the limit", body: "[1,2,3,4]", format: formatJSON, max: 3, code: web.TooLarge, msg: "4 events"},
		{name: "NDJSON over the limit", body: "1\n2\n\n3\n4\n5", format: formatNDJSON, max: 3, code: web.TooLarge, msg: "5 events"},
		{name: "empty", body: "", format: formatJSON, code: web.Invalid, msg: "empty"},
		{name: "blank", body: " \r\n\t", format: formatNDJSON, code: web.Invalid, msg: "empty"},
		{name: "BOM only", body: "\ufeff", format: formatSniff, code: web.Invalid, msg: "empty"},
		{name: "scalar", body: `"hello"`, format: formatSniff, code: web.Invalid, msg: `starts with "\"hello\""`},
		{name: "broken array", body: "[" + obj + ",}", format: formatJSON, code: web.Invalid, msg: "at byte"},
		{name: "two arrays", body: "[1]\n[2]", format: formatSniff, code: web.Invalid, msg: "more than one JSON value"},
		{name: "declared JSON holding NDJSON", body: obj + "\n" + obj, format: formatJSON, code: web.Invalid, msg: "application/x-ndjson"},
		{name: "truncated object", body: `{"event_id":`, format: formatSniff, code: web.Invalid, msg: "truncated"},
		{name: "NDJSON without a JSON line", body: "{\n}\n", format: formatNDJSON, code: web.Invalid, msg: "no line is valid JSON (line 1 is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 100
			}
			evs, werr := splitBody([]byte(tc.body), tc.format, max)
			if tc.code != "" {
				if werr == nil || werr.Code != tc.code || !strings.Contains(werr.Message, tc.msg) {
					t.Fatalf("got %v, want %s error saying %q", werr, tc.code, tc.msg)
				}
				return
			}
			if werr != nil {
				t.Fatalf("unexpected error %v", werr)
			}
			got := make([]string, len(evs))
			for i, e := range evs {
				got[i] = string(e.raw)
				if e.bad != "" {
					got[i] = "!" + e.bad
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				w := tc.want[i]
				if strings.HasPrefix(w, "!") && strings.HasPrefix(got[i], w) || got[i] == w {
					continue
				}
				t.Errorf("event %d: %q, want %q", i, got[i], w)
			}
		})
	}
}
