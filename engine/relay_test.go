package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// An outbox entry's alert records ride in fields named by their alert keys and reach the
// relay byte for byte as stored; entries in the two older layouts (fields by position, the
// record inside the transition) still relay.
func TestOutboxEntryCarriesRecordsAsStored(t *testing.T) {
	t.Parallel()
	rec := alerting.Record{ID: "c1~promise_overdue:2026-03-17", Key: "promise_overdue:2026-03-17", Kind: monitor.PromiseOverdue, Level: monitor.Red,
		State: alerting.Firing, CaseID: "c1", Department: "env", Instant: at("2026-03-18 00:00"),
		FiredAt: at("2026-03-18 00:00").Add(3 * time.Millisecond), Message: "已超过承诺期限"}
	doc := []byte(`{"id":"c1~promise_overdue:2026-03-17",  "kind":"promise_overdue","level":"red","state":"firing","department":"env","instant":"2026-03-18T00:00:00+08:00","fired_at":"2026-03-18T00:00:00.003+08:00"}`)
	var tr fold.Transition
	tr.SetAlert(&rec, doc)
	tr.CaseID, tr.Department = "c1", "env"
	stage := fold.Transition{Type: fold.TStageChanged, CaseID: "c1", From: "review", To: "decision"}
	tjson, _ := json.Marshal([]any{stage, tr})
	legacy := []byte(`[{"type":"alert","case_id":"c1","department":"env","alert":` + string(doc) + `}]`)
	for name, e := range map[string]rdb.OutboxEntry{
		"keyed":      {ID: "1-0", Doc: tjson, Records: map[string][]byte{rec.Key: doc}},
		"positional": {ID: "1-0", Doc: tjson, Positional: [][]byte{doc}},
		"legacy":     {ID: "1-0", Doc: legacy},
	} {
		ts, err := engine.DecodeOutboxEntry(e)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := ts[len(ts)-1]
		if got.Type != fold.TAlert || string(got.AlertDoc) != string(doc) {
			t.Errorf("%s: alert document %q, want it as stored", name, got.AlertDoc)
		}
		if a := got.Alert; a == nil || a.Kind != monitor.PromiseOverdue || a.State != alerting.Firing ||
			a.Department != "env" || !a.FiredAt.Equal(rec.FiredAt) || !a.Instant.Equal(rec.Instant) {
			t.Errorf("%s: facts %+v", name, got.Alert)
		}
	}
	if _, err := engine.DecodeOutboxEntry(rdb.OutboxEntry{ID: "1-0", Doc: tjson}); err == nil {
		t.Error("an alert transition without its record decoded")
	}
}
