package codec_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
)

// The codec writes what encoding/json writes and reads it back the same, on the documents
// of the apply path (nil slices, omitempty, times with zones, raw messages, maps).
func TestCodecMatchesEncodingJSON(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	fired := time.Date(2026, 3, 18, 0, 0, 0, 3_000_000, cst)
	docs := []any{
		&alerting.Record{ID: "c~k", Kind: monitor.PromiseOverdue, Level: monitor.Red, State: alerting.Firing,
			CaseID: "c", Department: "env", Due: &deadline.Deadline{}, Instant: fired.Truncate(time.Hour),
			FiredAt: fired, Message: "已超过承诺期限 <b>&", History: []alerting.Step{{State: alerting.Firing, At: fired}}},
		&alerting.Record{},
		map[string]alerting.Fault{"k": {Year: 2026, Department: "env", Handler: "li.si"}},
		[]any{map[string]any{"a": json.RawMessage(`{"x": 1}`), "b": nil, "c": []string(nil)}},
		&monitor.Event{EventID: "e1", CaseID: "c", Department: "env", Type: monitor.Submitted, At: fired},
	}
	for i, v := range docs {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := codec.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("doc %d:\n got %s\nwant %s", i, got, want)
		}
	}
	var a, b alerting.Record
	doc, _ := json.Marshal(docs[0])
	if err := json.Unmarshal(doc, &a); err != nil {
		t.Fatal(err)
	}
	if err := codec.Unmarshal(doc, &b); err != nil {
		t.Fatal(err)
	}
	x, _ := json.Marshal(&a)
	y, _ := json.Marshal(&b)
	if string(x) != string(y) || !b.FiredAt.Equal(fired) {
		t.Errorf("decoded differently:\n%s\n%s", x, y)
	}
	if err := codec.Unmarshal([]byte(`{"state": 3}`), &b); err == nil {
		t.Error("a number decoded into a string field")
	}
}
