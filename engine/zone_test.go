package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/testzone"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// inUTC is a case's events as a department system reporting in UTC sends them.
func inUTC(evs []monitor.Event) []monitor.Event {
	for i := range evs {
		evs[i].At = evs[i].At.UTC()
	}
	return evs
}

// zoneApplier is an applier of the harness's store and clock whose rules are in loc.
func zoneApplier(t *testing.T, h *harness, loc *time.Location) *engine.Applier {
	t.Helper()
	a, err := engine.NewApplier(engine.ApplierOptions{Store: h.store, Clock: h.clock,
		Rules: func() fold.Rules { r := h.rules(); r.Loc = loc; return r },
		Wall:  func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.wall }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The engine writes what it makes in the configured zone even when its clock tells UTC
// and the department reported in UTC: the alert records as stored and as put on the alert
// stream (the live feed and webhooks pass them on as they are), the case state and the
// dead letters.
func TestEngineWritesTimesInTheConfiguredZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFire(t, rdbtest.Store(t), at("2026-03-20 09:00").UTC())
	f.ingest(inUTC(opened("zone", "zhang.san"))...)
	f.ingest(inUTC([]monitor.Event{event("orphan", "01", monitor.Accepted, "2026-03-03 10:00")})...)
	f.settle()

	docs, err := f.store.CaseAlerts(ctx, "zone")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, d := range docs {
		v := testzone.JSON(t, "record "+d.ID, d.Doc, shanghai, 4).(map[string]any)
		kinds[v["kind"].(string)] = true
	}
	// A time alert (its instant is its deadline's end) and an event alert (its instant is
	// the event's `at`, sent in UTC).
	if !kinds[string(monitor.PromiseOverdue)] || !kinds[string(monitor.LateReport)] {
		t.Errorf("records: %v", kinds)
	}
	entries, err := f.store.AlertsAfter(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < len(docs) {
		t.Errorf("%d stream entries for %d records", len(entries), len(docs))
	}
	for _, e := range entries {
		testzone.JSON(t, "stream entry "+e.Cursor, e.Doc, shanghai, 4)
	}
	rec, _, err := f.store.Case(ctx, "zone")
	if err != nil {
		t.Fatal(err)
	}
	testzone.JSON(t, "state", rec.State, shanghai, 4)
	dead, _, err := f.store.DeadLetters(ctx, "", 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters: %v %v", dead, err)
	}
	b, _ := json.Marshal(dead)
	testzone.JSON(t, "dead letters", b, shanghai, 1)
}

// A record an earlier version stored in UTC goes out whole in the configured zone the next
// time it changes, not with its old times in UTC and its new ones in the zone.
func TestChangedRecordIsRewrittenInTheConfiguredZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, rdbtest.Store(t), at("2026-03-20 09:00").UTC())
	h.app = zoneApplier(t, h, time.UTC) // the earlier version: everything in UTC
	h.ingest(inUTC(opened("old", "zhang.san"))...)
	h.drain()
	overdue := func() []byte {
		t.Helper()
		docs, err := h.store.CaseAlerts(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if strings.Contains(d.ID, string(monitor.PromiseOverdue)) {
				return d.Doc
			}
		}
		t.Fatalf("no promise_overdue record among %d", len(docs))
		return nil
	}
	if doc := overdue(); !strings.Contains(string(doc), `"fired_at":"2026-03-20T01:00:00Z"`) {
		t.Fatalf("not stored in UTC: %s", doc)
	}
	h.app = zoneApplier(t, h, shanghai)
	h.ingest(inUTC([]monitor.Event{event("old", "03", monitor.Decided, "2026-03-20 08:30")})...)
	h.drain()
	doc := overdue()
	v := testzone.JSON(t, "changed record", doc, shanghai, 6).(map[string]any)
	if v["state"] != string(alerting.Resolved) || v["fired_at"] != "2026-03-20T09:00:00+08:00" {
		t.Errorf("changed record: %s", doc)
	}
	entries, err := h.store.Outbox(ctx, rdb.Partition("old"), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	trs, err := engine.DecodeOutboxEntry(last)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		if tr.Type == fold.TAlert {
			testzone.JSON(t, "outbox record", tr.AlertDoc, shanghai, 6)
		}
	}
}

// Resolving a system alert stored in UTC rewrites it whole in the zone of now.
func TestResolvedSystemAlertIsRewrittenInTheZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := rdbtest.Store(t)
	old := time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)
	rec := alerting.CalendarMissing(2031, alerting.NeededByDeadline, old.In(time.UTC))
	doc, _ := json.Marshal(&rec)
	if _, err := store.RaiseSystemAlert(ctx, rec.ID, doc, time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := engine.ResolveSystemAlert(ctx, store, rec.ID, alerting.Closed, at("2026-03-20 09:00"), time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	got, _, err := store.Alert(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v := testzone.JSON(t, "resolved", got, shanghai, 5).(map[string]any); v["state"] != string(alerting.Resolved) {
		t.Errorf("not resolved: %s", got)
	}
}
