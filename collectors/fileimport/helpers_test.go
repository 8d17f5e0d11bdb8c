package fileimport_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/fileimport"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var cst = time.FixedZone("CST", 8*3600)

// t0 is the business now of every import (a Thursday).
var t0 = time.Date(2026, 3, 26, 9, 0, 0, 0, cst)

func testCatalog() *monitor.Catalog {
	return monitor.NewCatalog(
		[]monitor.Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}},
		[]monitor.Matter{
			monitor.NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10),
			monitor.NewMatter("TRN-ROAD-001", "公路超限运输许可", "transport", 15, 5),
		})
}

// outcome is what one import returned and reported.
type outcome struct {
	rep  *fileimport.Report
	err  error
	rejs []fileimport.Rejection
}

// lines lists the rejections as the CLI prints them.
func (o outcome) lines() []string {
	out := make([]string, len(o.rejs))
	for i, r := range o.rejs {
		out[i] = r.String()
	}
	return out
}

// importer imports into one store on a manual business clock standing at t0.
type importer struct {
	store *rdb.Store
	clock *clock.ManualClock
}

func newImporter(t testing.TB) *importer {
	t.Helper()
	return &importer{store: rdbtest.Store(t), clock: clock.Manual(t0)}
}

// run imports content as a file called name; tweak may change the options.
func (im *importer) run(t testing.TB, name string, f fileimport.Format, content string, tweak func(*fileimport.Options)) outcome {
	t.Helper()
	var o outcome
	opts := fileimport.Options{Store: im.store, Catalog: testCatalog(), Clock: im.clock,
		Wall:       func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		OnRejected: func(r fileimport.Rejection) { o.rejs = append(o.rejs, r) },
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if tweak != nil {
		tweak(&opts)
	}
	imp, err := fileimport.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	o.rep, o.err = imp.Import(context.Background(), name, strings.NewReader(content), f)
	if o.rep == nil {
		t.Fatal("Import returned no report")
	}
	return o
}

// events returns the stored events of a case.
func (im *importer) events(t testing.TB, caseID string) []monitor.Event {
	t.Helper()
	evs, err := im.store.Events(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// counts checks the report's counts.
func counts(t testing.TB, o outcome, accepted, duplicates, rejected int) {
	t.Helper()
	if o.rep.Accepted != accepted || o.rep.Duplicates != duplicates || o.rep.Rejected != rejected {
		t.Errorf("accepted %d, duplicates %d, rejected %d; want %d, %d, %d (rejections: %q)",
			o.rep.Accepted, o.rep.Duplicates, o.rep.Rejected, accepted, duplicates, rejected, o.lines())
	}
	if len(o.rejs) != o.rep.Rejected {
		t.Errorf("%d rejections reported for %d rejected", len(o.rejs), o.rep.Rejected)
	}
}

// ev is a valid submitted event of env an hour before t0; kv overrides fields (nil deletes).
func ev(caseID, eventID string, kv ...any) map[string]any {
	m := map[string]any{
		"event_id": eventID, "case_id": caseID, "department": "env", "matter": "ENV-EIA-001",
		"type": "submitted", "at": t0.Add(-time.Hour).Format(time.RFC3339),
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
		} else {
			m[k] = kv[i+1]
		}
	}
	return m
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ndjson encodes each value on its own line; a string is a raw line.
func ndjson(t testing.TB, lines ...any) string {
	t.Helper()
	var sb strings.Builder
	for _, l := range lines {
		if s, ok := l.(string); ok {
			sb.WriteString(s)
		} else {
			sb.WriteString(jsonOf(t, l))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// testWriter sends log lines to t.Log, so they show only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// audit returns the store's audit log.
func (im *importer) audit(t testing.TB) []rdb.AuditEntry {
	t.Helper()
	log, _, err := im.store.AuditLog(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return log
}
