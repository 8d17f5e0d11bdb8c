package fileimport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/fileimport"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/rdb"
)

// Running the same import twice stores nothing twice; an event repeated in the file is a
// duplicate the second time.
func TestImportTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	file := ndjson(t, ev("c-1", "e1"), ev("c-1", "e2", "type", "accepted"), ev("c-1", "e1"), ev("c-2", "e1", "at", "yesterday"))
	o := im.run(t, "events.ndjson", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 2, 1, 1)
	o = im.run(t, "events.ndjson", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 0, 3, 1)
	if got := o.rep.String(); got != "events.ndjson: 0 accepted, 3 duplicates, 1 rejected" {
		t.Errorf("summary %q", got)
	}
	if n := len(im.events(t, "c-1")); n != 2 {
		t.Errorf("case c-1 holds %d events, want 2", n)
	}
}

// By default an event is received at the business now, so a late file still makes a
// late_report; --historical takes each event's own `at`.
func TestImportReceivedAt(t *testing.T) {
	t.Parallel()
	at := "2026-03-02T09:00:00+08:00" // weeks before t0
	for _, historical := range []bool{false, true} {
		t.Run(fmt.Sprintf("historical=%v", historical), func(t *testing.T) {
			t.Parallel()
			im := newImporter(t)
			o := im.run(t, "old.csv", fileimport.CSV,
				"event_id,case_id,department,matter,type,at\ne1,c-1,env,ENV-EIA-001,submitted,"+at+"\n",
				func(o *fileimport.Options) { o.Historical = historical })
			if o.err != nil {
				t.Fatal(o.err)
			}
			counts(t, o, 1, 0, 0)
			evs := im.events(t, "c-1")
			if len(evs) != 1 {
				t.Fatalf("stored %+v", evs)
			}
			want := t0
			if historical {
				want, _ = time.Parse(time.RFC3339, at)
			}
			if !evs[0].ReceivedAt.Equal(want) {
				t.Errorf("received_at %s, want %s", evs[0].ReceivedAt, want)
			}
			// The receipt-to-applied latency runs from the import, not from months ago.
			if r := evs[0].Receipt(); !r.Equal(t0) {
				t.Errorf("receipt %s, want the import's instant %s", r, t0)
			}
			if historical != strings.Contains(o.rep.String(), "historical") {
				t.Errorf("summary %q", o.rep.String())
			}
		})
	}
}

// A case belongs to the department that first reported it, in the push API's words.
func TestImportWrongDepartment(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	if o := im.run(t, "env.ndjson", fileimport.NDJSON, ndjson(t, ev("c-1", "e1")), nil); o.err != nil || o.rep.Accepted != 1 {
		t.Fatalf("%+v %v", o.rep, o.err)
	}
	file := ndjson(t,
		ev("c-1", "t1", "department", "transport", "matter", nil, "type", "accepted"),
		ev("c-9", "t1", "department", "transport", "matter", "TRN-ROAD-001"))
	o := im.run(t, "transport.ndjson", fileimport.NDJSON, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 1, 0, 1)
	if got := o.lines(); len(got) != 1 || got[0] != "line 1: department: case c-1 belongs to department env" {
		t.Errorf("rejections %q", got)
	}
	if o.rejs[0].EventID != "t1" {
		t.Errorf("rejection %+v: event_id", o.rejs[0])
	}
	if n := len(im.events(t, "c-1")); n != 1 {
		t.Errorf("case c-1 holds %d events, want 1", n)
	}
}

// Events are stored in batches, every batch reported in file order, and every batch that
// stored something wakes the replicas.
func TestImportBatches(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	notices := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		_ = im.store.Listen(ctx, func(n string) { notices <- n })
	}()
	t.Cleanup(func() { cancel(); <-listening })
	// Pub/sub drops what it publishes before the subscription is live: ping until it is.
	// Pings may still arrive late; the checks below skip them.
	eventually.True(t, "the subscription to be live", func() bool {
		if err := im.store.Publish(ctx, "ping"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-notices:
			return true
		case <-time.After(20 * time.Millisecond):
			return false
		}
	})
	// next returns the next notice that is not a ping.
	next := func() string {
		t.Helper()
		for {
			select {
			case n := <-notices:
				if n != "ping" {
					return n
				}
			case <-time.After(5 * time.Second):
				return "(none within 5 s)"
			}
		}
	}

	var lines []any
	for i := range 7 {
		e := ev(fmt.Sprintf("c-%d", i), "e1")
		if i == 1 || i == 5 {
			e["type"] = "approved" // not a type
		}
		lines = append(lines, e)
	}
	// Batches of 2: lines [1 2] [3 4] [5 6] [7], each storing at least one event.
	o := im.run(t, "events.ndjson", fileimport.NDJSON, ndjson(t, lines...), func(o *fileimport.Options) { o.BatchSize = 2 })
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 5, 0, 2)
	if o.rejs[0].Line != 2 || o.rejs[1].Line != 6 {
		t.Errorf("rejections %q, want lines 2 and 6", o.lines())
	}
	for i := range 7 {
		want := 1
		if i == 1 || i == 5 {
			want = 0
		}
		if n := len(im.events(t, fmt.Sprintf("c-%d", i))); n != want {
			t.Errorf("case c-%d holds %d events, want %d", i, n, want)
		}
	}
	for i := range 4 {
		if n := next(); n != rdb.NoticeDirty {
			t.Fatalf("notice %d: %q, want %q, one per batch", i, n, rdb.NoticeDirty)
		}
	}
	// A file of duplicates stores nothing new, and wakes nobody.
	if o := im.run(t, "events.ndjson", fileimport.NDJSON, ndjson(t, lines[0]), nil); o.rep.Duplicates != 1 {
		t.Fatalf("%+v", o.rep)
	}
	if err := im.store.Publish(ctx, "end"); err != nil {
		t.Fatal(err)
	}
	if n := next(); n != "end" {
		t.Errorf("notice %q after a file of duplicates", n)
	}
}

// A batch does not split the events of a case that stand together in the file, up to twice
// the batch size: a replica never applies such a case half-imported.
func TestImportKeepsACaseTogether(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cases   []string // the case of each line, in order
		ingests int
	}{
		{"a case across the batch size", []string{"c-1", "c-1", "c-1", "c-2", "c-3"}, 2},       // [c-1 ×3] [c-2 c-3]
		{"cases in turn", []string{"c-1", "c-2", "c-1", "c-2", "c-1"}, 3},                      // [1 2] [1 2] [1]
		{"a case beyond twice the batch size", []string{"c-1", "c-1", "c-1", "c-1", "c-1"}, 2}, // [×4] [×1]
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im := newImporter(t)
			var lines []any
			for i, c := range tc.cases {
				lines = append(lines, ev(c, fmt.Sprintf("e%d", i)))
			}
			ingests := 0 // Wall is read once per Ingest call
			o := im.run(t, "events.ndjson", fileimport.NDJSON, ndjson(t, lines...), func(o *fileimport.Options) {
				o.BatchSize = 2
				o.Wall = func() time.Time { ingests++; return t0 }
			})
			if o.err != nil {
				t.Fatal(o.err)
			}
			counts(t, o, len(tc.cases), 0, 0)
			if ingests != tc.ingests {
				t.Errorf("%d Ingest calls, want %d", ingests, tc.ingests)
			}
		})
	}
}

func TestImportAudit(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	o := im.run(t, "march.csv", fileimport.CSV,
		"event_id,case_id,department,matter,type,at\ne1,c-1,env,ENV-EIA-001,submitted,2026-03-02T09:00:00+08:00\ne2,c-1,env,,nope,2026-03-03T09:00:00+08:00\n",
		func(o *fileimport.Options) { o.Historical = true })
	if o.err != nil {
		t.Fatal(o.err)
	}
	log := im.audit(t)
	if len(log) != 1 {
		t.Fatalf("audit log %+v, want one entry", log)
	}
	e := log[0]
	if e.Actor != "import" || e.Action != "events_import" || e.Target != "march.csv" || !e.At.Equal(t0) ||
		e.Note != "1 accepted, 0 duplicates, 1 rejected; historical: received_at = at" {
		t.Errorf("audit entry %+v", e)
	}
	var detail map[string]any
	if err := json.Unmarshal(e.Detail, &detail); err != nil || detail["format"] != "csv" || detail["accepted"] != 1.0 ||
		detail["rejected"] != 1.0 || detail["historical"] != true || detail["complete"] != true {
		t.Errorf("detail %s (%v)", e.Detail, err)
	}
}

// An import stopped by its context stores what it has read, says where it stopped, and
// leaves an audit entry.
func TestImportStopped(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	ctx, cancel := context.WithCancel(context.Background())
	// The clock is read once per batch: the second read is during the second batch.
	clk := &cancelOnRead{now: t0, at: 2, cancel: cancel}
	imp, err := fileimport.New(fileimport.Options{Store: im.store, Catalog: testCatalog(), Clock: clk, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	file := ndjson(t, ev("c-1", "e1"), ev("c-2", "e1"), ev("c-3", "e1"))
	rep, err := imp.Import(ctx, "stdin", strings.NewReader(file), fileimport.NDJSON)
	if err == nil || !strings.Contains(err.Error(), "stdin: stopped after line 2: context canceled") {
		t.Fatalf("error %v", err)
	}
	if rep.Accepted != 2 || len(im.events(t, "c-2")) != 1 || len(im.events(t, "c-3")) != 0 {
		t.Errorf("report %+v; events of c-2 %+v, c-3 %+v", rep, im.events(t, "c-2"), im.events(t, "c-3"))
	}
	if log := im.audit(t); len(log) != 1 || !strings.Contains(log[0].Note, "stopped early: stopped after line 2") {
		t.Errorf("audit log %+v", log)
	}
}

// cancelOnRead is a clock that cancels on its at-th reading.
type cancelOnRead struct {
	now    time.Time
	at, n  int
	cancel context.CancelFunc
}

func (c *cancelOnRead) Now() time.Time {
	if c.n++; c.n == c.at {
		c.cancel()
	}
	return c.now
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]fileimport.Format{"a.ndjson": fileimport.NDJSON, "a.JSONL": fileimport.NDJSON,
		"dir.d/a.json": fileimport.NDJSON, "a.csv": fileimport.CSV, "a.CSV": fileimport.CSV, "a.txt": "", "csv": "", "-": ""} {
		if got, ok := fileimport.FormatOf(name); got != want || ok != (want != "") {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for s, want := range map[string]fileimport.Format{"ndjson": fileimport.NDJSON, "CSV": fileimport.CSV, "json": "", "": ""} {
		if got, err := fileimport.ParseFormat(s); got != want || (err == nil) != (want != "") {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	for name, o := range map[string]fileimport.Options{
		"no store":       {Catalog: testCatalog(), Clock: im.clock},
		"no catalogue":   {Store: im.store, Clock: im.clock},
		"no clock":       {Store: im.store, Catalog: testCatalog()},
		"negative batch": {Store: im.store, Catalog: testCatalog(), Clock: im.clock, BatchSize: -1},
	} {
		if _, err := fileimport.New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
