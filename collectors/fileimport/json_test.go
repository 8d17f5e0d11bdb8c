package fileimport_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collectors/fileimport"
)

func TestImportNDJSONBadLinesInTheMiddle(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	file := ndjson(t,
		ev("c-1", "e1"),
		"",
		`{"event_id": "e2", "case_id": "c-1",`, // line 3: cut short
		ev("c-1", "e2", "type", "accepted", "matter", nil),
		ev("c-1", "e3", "type", "extended", "days", 99, "approver", "li.si", "at", "2026-03-27T09:00:00+08:00"),
		"   ",
		"[1]",
		jsonOf(t, ev("c-2", "e1", "handler", "张三"))+"\r", // CRLF
	)
	o := im.run(t, "events.ndjson", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 3, 0, 3)
	want := []string{
		"line 3: is not valid JSON",
		"line 5: at: must be at most 5 minutes in the future (now 2026-03-26T09:00:00+08:00); days: must be an integer from 1 to 60",
		"line 7: must be a JSON object",
	}
	got := o.lines()
	for i := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("rejections:\n%s\nwant them to start with:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if r := o.rejs[1]; r.EventID != "e3" || r.Element != -1 || r.Errors[0].Field != "at" || r.Errors[1].Field != "days" {
		t.Errorf("rejection of line 5: %+v", r)
	}
	if evs := im.events(t, "c-1"); len(evs) != 2 || evs[0].EventID != "e1" || evs[1].EventID != "e2" {
		t.Errorf("case c-1: %+v, want e1 and e2", evs)
	}
	if evs := im.events(t, "c-2"); len(evs) != 1 || evs[0].Handler != "张三" {
		t.Errorf("case c-2: %+v, want e1 handled by 张三", evs)
	}
}

func TestImportJSONArray(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	// Pretty-printed, as tools write an array: each element starts on its own line.
	file := "\ufeff[\n" +
		"  " + jsonOf(t, ev("c-1", "e1")) + ",\n" +
		"  {\n    \"event_id\": \"e2\",\n    \"case_id\": \"c-1\",\n    \"department\": \"env\",\n    \"type\": \"decided\",\n    \"at\": \"2026-03-25T16:00:00+08:00\"\n  },\n" +
		"  42,\n" +
		"  " + jsonOf(t, ev("c-2", "e1")) + "\n" +
		"]\n"
	o := im.run(t, "events.json", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 2, 0, 2)
	want := []string{
		"element 1 (line 3): result: is required on decided events: approved or denied",
		"element 2 (line 10): must be a JSON object",
	}
	if got := o.lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(im.events(t, "c-1")) != 1 || len(im.events(t, "c-2")) != 1 {
		t.Errorf("stored: c-1 %v, c-2 %v", im.events(t, "c-1"), im.events(t, "c-2"))
	}
}

func TestImportJSONOneObjectAndValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string
		accepted int
		rejected []string
	}{
		{name: "one object on one line", file: `{"event_id":"e1","case_id":"c-1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-20T09:00:00+08:00"}`,
			accepted: 1},
		{name: "one pretty-printed object",
			file:     "\n{\n  \"event_id\": \"e1\", \"case_id\": \"c-1\", \"department\": \"env\",\n  \"matter\": \"ENV-EIA-001\", \"type\": \"submitted\",\n  \"at\": \"2026-03-20T09:00:00+08:00\"\n}\n",
			accepted: 1},
		{name: "pretty-printed objects one after another",
			file:     "{\n \"event_id\": \"e1\", \"case_id\": \"c-1\", \"department\": \"env\", \"matter\": \"ENV-EIA-001\",\n \"type\": \"submitted\", \"at\": \"2026-03-20T09:00:00+08:00\"\n}\n{\n \"event_id\": \"e2\",\n \"case_id\": \"c-1\"\n}\n",
			accepted: 1, rejected: []string{"line 5: department: is required; type: is required; at: is required"}},
		{name: "NDJSON whose first line is broken", file: "{\"event_id\":\n" + `{"event_id":"e1","case_id":"c-1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-20T09:00:00+08:00"}`,
			accepted: 1, rejected: []string{"line 1: is not valid JSON: unexpected end of JSON input (at byte 12)"}},
		{name: "blank", file: " \n\n"},
		{name: "empty array", file: "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im := newImporter(t)
			o := im.run(t, "events.json", fileimport.NDJSON, tc.file, nil)
			if o.err != nil {
				t.Fatal(o.err)
			}
			counts(t, o, tc.accepted, 0, len(tc.rejected))
			if got := o.lines(); fmt.Sprint(got) != fmt.Sprint(tc.rejected) && len(tc.rejected) > 0 {
				t.Errorf("rejections %q, want %q", got, tc.rejected)
			}
			if n := len(im.events(t, "c-1")); n != tc.accepted {
				t.Errorf("%d events stored, want %d", n, tc.accepted)
			}
		})
	}
}

// A file that cannot be read on stops the import there; what came before is stored.
func TestImportJSONUnreadable(t *testing.T) {
	t.Parallel()
	good := func(id string) string {
		return `{"event_id":"` + id + `","case_id":"c-1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-20T09:00:00+08:00"}`
	}
	tests := []struct {
		name, file string
		stored     int
		err        string
	}{
		{"a syntax error in an array", "[\n" + good("e1") + ",\n" + good("e2") + ",\n{\"event_id\": e3}\n]", 2,
			"events.json: element 2 of the JSON array, starting on line 4, is not valid JSON: invalid character 'e' looking for beginning of value; the rest of the file cannot be read"},
		{"an array not closed", "[\n" + good("e1") + ",\n" + good("e2"), 2, "the file ends on line 3 before the JSON array is closed with ']' (truncated?)"},
		{"an array cut in an element", "[\n" + good("e1") + ",\n\n{\"event_id\":", 1,
			"the file ends in the middle of element 1 of the JSON array, starting on line 4 (truncated?)"},
		{"more after the array", "[" + good("e1") + "]\n[]", 1, "line 2: more follows the JSON array"},
		{"CSV given as NDJSON", "event_id,case_id\ne1,c-1\n", 0, `it starts with "event_id,case_id"…`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im := newImporter(t)
			o := im.run(t, "events.json", fileimport.NDJSON, tc.file, nil)
			if o.err == nil || !strings.Contains(o.err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", o.err, tc.err)
			}
			if n := len(im.events(t, "c-1")); n != tc.stored || o.rep.Accepted != tc.stored {
				t.Errorf("%d events stored, %d reported, want %d", n, o.rep.Accepted, tc.stored)
			}
		})
	}
}

func TestImportLongLine(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	long := `{"event_id":"e9","note":"` + strings.Repeat("x", fileimport.MaxLineBytes) + `"}`
	file := ndjson(t, ev("c-1", "e1"), long, ev("c-1", "e2", "type", "accepted"))
	o := im.run(t, "big.ndjson", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 2, 0, 1)
	if got := o.lines(); len(got) != 1 || got[0] != "line 2: is longer than 1048576 bytes: not one event" {
		t.Errorf("rejections %q", got)
	}
}
