package sqlpoll_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/sqlpoll"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// forEachDriver runs fn as a parallel subtest per database.
func forEachDriver(t *testing.T, fn func(t *testing.T, driver string)) {
	t.Parallel()
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Rows inserted while the poller runs arrive exactly once, mapped by the columns and the
// values, with times without a zone read in the source's zone.
func TestRowsArriveExactlyOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("live-" + driver)
		r := start(t, store, "a", nil, src)
		const cases = 150
		var wg sync.WaitGroup
		for w := range 3 { // three writers at once, while the poller runs
			wg.Go(func() {
				for n := w; n < cases; n += 3 {
					x.insert(t, caseSteps("live", n)...)
				}
			})
		}
		wg.Wait()
		ids := caseIDs("live", 0, cases)
		eventually.Describing(t, 30*time.Second, func() string { return fmt.Sprintf("%d of %d events stored", countStored(t, store, ids), 2*cases) },
			func() bool { return countStored(t, store, ids) == 2*cases })
		// A few more polls re-read the overlap: nothing more is accepted.
		cur := func() string { c, _, _ := store.CollectorCursor(context.Background(), src.Name); return c }
		eventually.Describing(t, 30*time.Second, func() string { return "cursor " + cur() }, func() bool { return cur() == fmt.Sprint(2*cases) })
		time.Sleep(100 * time.Millisecond)
		if got := r.rows(t, src.Name, "accepted"); got != 2*cases {
			t.Errorf("rows accepted = %v, want %d", got, 2*cases)
		}
		if got := r.rows(t, src.Name, "duplicate"); got != 0 {
			t.Errorf("rows duplicate = %v, want 0 (the overlap read again is not counted)", got)
		}
		for i, evs := range storedEvents(t, store, ids) {
			if len(evs) != 2 {
				t.Fatalf("%s: %d events, want 2", ids[i], len(evs))
			}
		}
		evs := storedEvents(t, store, ids[7:8])[0]
		slices.SortFunc(evs, func(a, b monitor.Event) int { return a.At.Compare(b.At) })
		want := time.Date(2026, 3, 20, 9, 0, 7, 0, cst)
		if e := evs[0]; e.Type != monitor.Submitted || !e.At.Equal(want) || e.Matter != "ENV-EIA-001" ||
			e.Department != "env" || e.Handler != "张三" || !strings.HasPrefix(e.EventID, src.Name+":") {
			t.Errorf("first event of %s = %+v, want submitted at %v by 张三", ids[7], e, want)
		}
		if e := evs[1]; e.Type != monitor.Accepted || !e.At.Equal(want.Add(time.Hour)) {
			t.Errorf("second event = %+v, want accepted an hour later", e)
		}
		if got := r.ps.Status()[src.Name]; got != sqlpoll.StatusOK {
			t.Errorf("status = %q, want ok", got)
		}
		if got := gauge(t, r.reg, "duban_collector_up", map[string]string{"source": src.Name}); got != 1 {
			t.Errorf("duban_collector_up = %v, want 1", got)
		}
		if got := gauge(t, r.reg, "duban_collector_lag_seconds", map[string]string{"source": src.Name}); got != 0 {
			t.Errorf("duban_collector_lag_seconds = %v, want 0 while caught up", got)
		}
	})
}

// Rows committed out of cursor order — the later id committed first — are not skipped: the
// overlap re-read finds the earlier id once it commits. (SQLite has one writer at a time,
// so its ids commit in order.)
func TestOutOfOrderCommitNotSkipped(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			x := newExchange(t, driver)
			store := newStore(t)
			src := x.source("ooo-" + driver)
			start(t, store, "a", nil, src)
			ctx := context.Background()
			first := caseSteps("ooo", 1)[0]
			second := caseSteps("ooo", 2)[0]
			tx1, err := x.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx1.Rollback()
			if _, err := tx1.Exec(x.insertSQL(), x.args(first)...); err != nil { // takes id 1
				t.Fatal(err)
			}
			x.insert(t, second) // takes id 2, committed first
			cur := func() string { c, _, _ := store.CollectorCursor(ctx, src.Name); return c }
			eventually.Describing(t, 30*time.Second, func() string { return "cursor " + cur() }, func() bool { return cur() == "2" })
			if n := countStored(t, store, caseIDs("ooo", 1, 2)); n != 0 {
				t.Fatalf("uncommitted row seen: %d events", n)
			}
			if err := tx1.Commit(); err != nil {
				t.Fatal(err)
			}
			eventually.Describing(t, 30*time.Second, func() string { return "the row committed late never arrived" },
				func() bool { return countStored(t, store, caseIDs("ooo", 1, 2)) == 1 })
			if n := countStored(t, store, caseIDs("ooo", 2, 3)); n != 1 {
				t.Errorf("case 2: %d events, want 1", n)
			}
		})
	}
}

// A restart between storing a page and saving its cursor (the worst moment) neither loses
// nor repeats a row: the next replica reads the page again and finds it stored.
func TestRestartMidBatch(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		for n := range 48 {
			x.insert(t, caseSteps("rs", n)...)
		}
		u, prefix := testredis.New(t)
		o, err := rdbtest.Options(u)
		if err != nil {
			t.Fatal(err)
		}
		o.Prefix = prefix
		store, err := rdb.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		src := x.source("rs-" + driver)
		src.Batch = 10
		var (
			pages int
			a     *replica
			cut   = make(chan struct{})
			ready = make(chan struct{}) // a is set
		)
		a = start(t, store, "a", func(o *sqlpoll.Options) {
			o.OnStored = func(int) {
				<-ready
				if pages++; pages == 3 {
					a.cancel() // stopped after the third page is stored, before its cursor is saved
					close(cut)
				}
			}
		}, src)
		close(ready)
		<-cut
		<-a.done
		saved, _, err := store.CollectorCursor(context.Background(), src.Name)
		if err != nil {
			t.Fatal(err)
		}
		if saved != "20" {
			t.Fatalf("cursor after the stop = %q, want 20 (the third page stored but not its cursor)", saved)
		}
		if n := countStored(t, store, caseIDs("rs", 0, 48)); n != 30 {
			t.Fatalf("%d events stored before the stop, want 30", n)
		}
		b := start(t, store, "b", nil, src)
		eventually.Describing(t, 30*time.Second, func() string { return "the rest never arrived" },
			func() bool { return countStored(t, store, caseIDs("rs", 0, 48)) == 96 })
		for i, evs := range storedEvents(t, store, caseIDs("rs", 0, 48)) {
			if len(evs) != 2 {
				t.Errorf("case %d: %d events, want 2", i, len(evs))
			}
		}
		cur := func() string { c, _, _ := store.CollectorCursor(context.Background(), src.Name); return c }
		eventually.Describing(t, 30*time.Second, func() string { return "cursor " + cur() }, func() bool { return cur() == "96" })
		// b took 66 rows as new, and found the stored page again as duplicates.
		if got := b.rows(t, src.Name, "duplicate"); got != 10 {
			t.Errorf("duplicates after the restart = %v, want the 10 rows of the page stored before it", got)
		}
	})
}

// Bad rows go to the dead letters with the source and their cursor value; the rows around
// them are stored and the source goes on.
func TestBadRowsDeadLettered(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("bad-" + driver)
		good := caseSteps("bad", 1)
		x.insert(t, good[0])                                                                      // id 1
		x.insert(t, step{caseNo: "bad-00002", matter: "ENV-EIA-001", step: "作废", at: good[0].at}) // id 2: unknown type
		x.insert(t, step{caseNo: "bad-00003", step: "收件", at: good[0].at})                        // id 3: submitted without matter
		x.insert(t, step{caseNo: "bad-00004", matter: "ENV-EIA-001", step: "收件"})                 // id 4: no time
		x.insert(t, good[1])                                                                      // id 5
		x.insert(t, step{caseNo: "bad-00006", matter: "ENV-EIA-001", step: "收件", at: good[0].at,
			amount: "12.50"}) // id 6: fine, with a decimal
		r := start(t, store, "a", nil, src)
		eventually.Describing(t, 30*time.Second, func() string { return "good rows not stored" }, func() bool {
			return countStored(t, store, []string{"bad-00001", "bad-00006"}) == 3
		})
		eventually.Describing(t, 30*time.Second, func() string { return "rejections not counted" }, func() bool { return r.rows(t, src.Name, "rejected") == 3 })
		letters, _, err := store.DeadLetters(context.Background(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		byCursor := map[string]rdb.DeadLetter{}
		for _, d := range letters {
			if d.Source != src.Name {
				t.Errorf("dead letter %s has source %q", d.CaseID, d.Source)
			}
			byCursor[d.Cursor] = d
		}
		wants := map[string]string{"2": "type", "3": "matter", "4": "at"}
		for cur, field := range wants {
			d, ok := byCursor[cur]
			if !ok {
				t.Errorf("no dead letter for the row with cursor %s; letters: %+v", cur, letters)
				continue
			}
			if !strings.Contains(d.Reason, field+":") || d.Department != "env" {
				t.Errorf("dead letter of row %s = %+v, want a reason naming %s", cur, d, field)
			}
		}
		if len(letters) != 3 {
			t.Errorf("%d dead letters, want 3: %+v", len(letters), letters)
		}
		evs := storedEvents(t, store, []string{"bad-00006"})[0]
		if len(evs) != 1 || evs[0].AmountYuan != "12.50" && evs[0].AmountYuan != "12.5" {
			t.Errorf("decimal amount: %+v", evs)
		}
		if got := r.ps.Status()[src.Name]; got != sqlpoll.StatusOK {
			t.Errorf("status = %q, want ok: bad rows do not stop the source", got)
		}
	})
}

// Columns missing from the table are reported per source (status, metric), and the source
// recovers when the table is fixed.
func TestMissingColumnsReported(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("cols-" + driver)
		src.Columns["approver"] = "approver_name"
		r := start(t, store, "a", nil, src)
		status := func() string { return r.ps.Status()[src.Name] }
		eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
			return strings.HasPrefix(status(), "mapping: ") && strings.Contains(status(), "approver_name")
		})
		if got := gauge(t, r.reg, "duban_collector_up", map[string]string{"source": src.Name}); got != 0 {
			t.Errorf("duban_collector_up = %v, want 0 while the mapping is wrong", got)
		}
		if _, err := x.db.Exec("ALTER TABLE " + x.table + " ADD COLUMN approver_name VARCHAR(64)"); err != nil {
			t.Fatal(err)
		}
		x.insert(t, caseSteps("cols", 1)...)
		eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
			return countStored(t, store, caseIDs("cols", 1, 2)) == 2 && status() == sqlpoll.StatusOK
		})
		if n := strings.Count(r.log.String(), "source_down"); n != 1 {
			t.Errorf("%d source_down lines, want one for the problem", n)
		}
	})
}

// A timestamp cursor: rows that share a time, more of them than a page holds, all arrive;
// a time with a zone (PostgreSQL timestamptz) keeps its instant.
func TestTimestampCursor(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("ts-" + driver)
		src.Cursor, src.CursorKind = "step_time", config.CursorTimestamp
		src.Columns["event_id"] = "id"
		src.Batch = 3
		at := time.Date(2026, 3, 21, 10, 0, 0, 0, cst)
		for n := range 7 { // seven rows at one instant, then three later
			x.insert(t, step{caseNo: fmt.Sprintf("ts-%05d", n), matter: "ENV-EIA-001", step: "收件", at: at})
		}
		for n := 7; n < 10; n++ {
			x.insert(t, step{caseNo: fmt.Sprintf("ts-%05d", n), matter: "ENV-EIA-001", step: "收件",
				at: at.Add(time.Duration(n) * time.Minute)})
		}
		start(t, store, "a", nil, src)
		// A page's events are stored before its cursor: wait for both.
		want := at.Add(9 * time.Minute).UTC().Format(time.RFC3339Nano)
		cur := func() string { c, _, _ := store.CollectorCursor(context.Background(), src.Name); return c }
		eventually.Describing(t, 30*time.Second, func() string {
			return fmt.Sprintf("%d of 10 stored, cursor %q (want %q)", countStored(t, store, caseIDs("ts", 0, 10)), cur(), want)
		}, func() bool { return countStored(t, store, caseIDs("ts", 0, 10)) == 10 && cur() == want })
		evs := storedEvents(t, store, caseIDs("ts", 8, 9))[0]
		if want := at.Add(8 * time.Minute); !evs[0].At.Equal(want) {
			t.Errorf("at = %v, want %v", evs[0].At, want)
		}
	})
}

// received_at mapped to a column with a zone: the event keeps when the row was written.
func TestReceivedAtFromColumn(t *testing.T) {
	t.Parallel()
	x := newExchange(t, "postgres")
	store := newStore(t)
	src := x.source("recv")
	src.Columns["received_at"] = "created_at"
	written := time.Date(2026, 3, 21, 8, 30, 0, 0, time.UTC)
	x.insert(t, caseSteps("recv", 1)[0])
	if _, err := x.db.Exec("UPDATE "+x.table+" SET created_at = $1", written); err != nil {
		t.Fatal(err)
	}
	start(t, store, "a", nil, src)
	eventually.Describing(t, 30*time.Second, func() string { return "not stored" }, func() bool { return countStored(t, store, caseIDs("recv", 1, 2)) == 1 })
	e := storedEvents(t, store, caseIDs("recv", 1, 2))[0][0]
	if !e.ReceivedAt.Equal(written) || !e.StoredAt.Equal(t0) {
		t.Errorf("received_at = %v, stored_at = %v; want %v and %v", e.ReceivedAt, e.StoredAt, written, t0)
	}
}

// A query instead of a table, with the driver's placeholders.
func TestQuerySource(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("q-" + driver)
		src.Table = ""
		src.Query = fmt.Sprintf("SELECT id, case_no, matter_code, step, step_time, handler, days, amount, result, note FROM %s WHERE id > %s AND case_no <> 'skip' ORDER BY id LIMIT %s",
			x.table, x.ph(1), x.ph(2))
		x.insert(t, caseSteps("q", 1)...)
		x.insert(t, step{caseNo: "skip", matter: "ENV-EIA-001", step: "收件", at: t0})
		start(t, store, "a", nil, src)
		eventually.Describing(t, 30*time.Second, func() string { return "not stored" }, func() bool { return countStored(t, store, caseIDs("q", 1, 2)) == 2 })
	})
}

// Column names in the configuration match the table's whatever their case (PostgreSQL folds
// unquoted names to lower case; an operator may copy them in capitals from a data
// specification).
func TestColumnNamesAnyCase(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("case-" + driver)
		src.Cursor = "ID"
		src.Columns["case_id"], src.Columns["type"] = "CASE_NO", "Step"
		x.insert(t, caseSteps("anycase", 1)...)
		start(t, store, "a", nil, src)
		eventually.Describing(t, 30*time.Second, func() string { return "not stored" }, func() bool { return countStored(t, store, caseIDs("anycase", 1, 2)) == 2 })
	})
}

// start: now skips what the table holds on the first run and takes what comes after.
func TestStartNow(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		x := newExchange(t, driver)
		store := newStore(t)
		src := x.source("now-" + driver)
		src.StartNow, src.Batch = true, 3 // the skip reads several pages
		for n := range 4 {
			x.insert(t, caseSteps("now", n)...)
		}
		r := start(t, store, "a", nil, src)
		eventually.Describing(t, 30*time.Second, func() string { return "status " + r.ps.Status()[src.Name] }, func() bool {
			c, ok, _ := store.CollectorCursor(context.Background(), src.Name)
			return ok && c == "8"
		})
		x.insert(t, caseSteps("now", 4)...)
		eventually.Describing(t, 30*time.Second, func() string { return "the new case never arrived" }, func() bool { return countStored(t, store, caseIDs("now", 4, 5)) == 2 })
		if n := countStored(t, store, caseIDs("now", 0, 4)); n != 0 {
			t.Errorf("%d events of the rows before the start, want 0", n)
		}
	})
}
