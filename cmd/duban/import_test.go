package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// importEnv is the environment of `duban import` against the test Redis under prefix, on a
// business clock started at importNow.
func importEnv(t *testing.T, url, prefix string) map[string]string {
	t.Helper()
	return map[string]string{
		"DUBAN_CONFIG": writeFile(t, "duban.yaml", servicetest.Config), "DUBAN_REDIS_URL": url,
		"DUBAN_REDIS_PREFIX": prefix, "DUBAN_CLOCK_START": importNow.Format(time.RFC3339),
	}
}

var importNow = time.Date(2026, 3, 26, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

const importNDJSON = `{"event_id":"e1","case_id":"env-2026-1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"}

{"event_id":"e1","case_id":"env-2026-2","department":"env","matter":"ENV-NOPE","type":"submitted","at":"2026-03-02T09:00:00+08:00"}
{"event_id":"e2","case_id":"env-2026-1","department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"}
`

const importCSV = "\ufeffevent_id,case_id,department,matter,type,at,days,approver,note\r\n" +
	"t1,trn-2026-1,transport,TRN-001,submitted,2026-03-02T09:00:00+08:00,,,\"申请人：王五, 加急\"\r\n" +
	"t2,trn-2026-1,transport,,extended,2026-03-10T09:00:00+08:00,5,li.si,\r\n"

// `duban import` through run, as main calls it: exit code 1 with a rejected line (the
// others stored), 0 otherwise, idempotent on a second run, and one audit entry per run.
func TestImportCommand(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	env := importEnv(t, url, prefix)
	store := rdbtest.At(t, url, prefix)
	ctx := context.Background()

	ndjson := writeFile(t, "events.ndjson", importNDJSON)
	r := runWith(t, env, "import", ndjson)
	if r.code != 1 || r.stdout != ndjson+": 2 accepted, 0 duplicates, 1 rejected\n" ||
		!strings.Contains(r.stderr, "\nline 3: matter: unknown matter \"ENV-NOPE\": not in the catalogue\n") ||
		!strings.Contains(r.stderr, "duban import: 1 of 3 events rejected (listed above)") {
		t.Fatalf("import %s: code %d\nstdout:\n%s\nstderr:\n%s", ndjson, r.code, r.stdout, r.stderr)
	}
	evs, err := store.Events(ctx, "env-2026-1")
	if err != nil || len(evs) != 2 {
		t.Fatalf("env-2026-1: %+v, %v", evs, err)
	}
	// Received at the business now (the simulated clock started at importNow): late.
	if got := evs[0].ReceivedAt; got.Before(importNow) || got.After(importNow.Add(time.Minute)) {
		t.Errorf("received_at %s, want the business now %s", got, importNow)
	}
	if evs, _ := store.Events(ctx, "env-2026-2"); len(evs) != 0 {
		t.Errorf("the rejected event was stored: %+v", evs)
	}

	csv := writeFile(t, "events.csv", importCSV)
	for i, want := range []string{": 2 accepted, 0 duplicates, 0 rejected (historical: received_at = at)\n",
		": 0 accepted, 2 duplicates, 0 rejected (historical: received_at = at)\n"} {
		r := runWith(t, env, "import", "--historical", csv)
		if r.code != 0 || r.stdout != csv+want {
			t.Fatalf("run %d of import --historical %s: code %d\nstdout:\n%s\nstderr:\n%s", i+1, csv, r.code, r.stdout, r.stderr)
		}
	}
	evs, err = store.Events(ctx, "trn-2026-1")
	if err != nil || len(evs) != 2 || evs[0].Note != "申请人：王五, 加急" || evs[1].Days != 5 {
		t.Fatalf("trn-2026-1: %+v, %v", evs, err)
	}
	for _, e := range evs {
		if !e.ReceivedAt.Equal(e.At) {
			t.Errorf("--historical: %s received at %s, not at its at %s", e.EventID, e.ReceivedAt, e.At)
		}
	}

	log, _, err := store.AuditLog(ctx, "", 10)
	if err != nil || len(log) != 3 {
		t.Fatalf("audit log %+v, %v; want one entry per run", log, err)
	}
	if e := log[0]; e.Actor != "import" || e.Action != "events_import" || e.Target != ndjson ||
		e.Note != "2 accepted, 0 duplicates, 1 rejected" {
		t.Errorf("audit entry %+v", e)
	}
}

func TestImportCommandErrors(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	env := importEnv(t, url, prefix)
	noCatalog := map[string]string{"DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": prefix}
	events := writeFile(t, "events.ndjson", importNDJSON)
	text := writeFile(t, "events.txt", importNDJSON)
	badHeader := writeFile(t, "events.csv", "event_id,case_id,department,matter,type,at,handlr\n")
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"standard input without --format", env, []string{"import", "-"}, 2, "reading standard input (-) needs --format"},
		{"unknown extension", env, []string{"import", text}, 2, "cannot tell the format of " + text},
		{"unknown format", env, []string{"import", "--format", "xml", events}, 2, `--format: unknown format "xml": use ndjson or csv`},
		{"no catalogue", noCatalog, []string{"import", events}, 2, "configuration error: catalog: no catalogue is configured"},
		{"missing file", env, []string{"import", "/nonexistent/events.ndjson"}, 1, "no such file"},
		{"a directory", env, []string{"import", t.TempDir()}, 1, "is a directory"},
		{"a header with a typo", env, []string{"import", badHeader}, 1, `header column 7, "handlr", is not an event field`},
		{"a text file read as CSV", env, []string{"import", "--format", "csv", text}, 1, "line 1: the header is not valid CSV"},
		{"two files", env, []string{"import", events, text}, 2, "one FILE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runWith(t, c.env, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("duban %s: code %d, stderr:\n%s\nwant code %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing: no event was read", r.stdout)
			}
		})
	}
	store := rdbtest.At(t, url, prefix)
	if log, _, err := store.AuditLog(context.Background(), "", 10); err != nil || len(log) != 0 {
		t.Errorf("audit log %+v, %v; want nothing from imports that read nothing", log, err)
	}
}

// Standard input, with --format. Not parallel: it swaps the package's stdin.
func TestImportCommandStdin(t *testing.T) {
	url, prefix := testredis.New(t)
	env := importEnv(t, url, prefix)
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader(importCSV)
	r := runWith(t, env, "import", "--format", "csv", "-")
	if r.code != 0 || r.stdout != "stdin: 2 accepted, 0 duplicates, 0 rejected\n" {
		t.Fatalf("import -: code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if evs, err := rdbtest.At(t, url, prefix).Events(context.Background(), "trn-2026-1"); err != nil || len(evs) != 2 {
		t.Errorf("trn-2026-1: %+v, %v", evs, err)
	}
}
