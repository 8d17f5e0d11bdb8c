package e2e_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// BenchmarkExchangeToApplied measures rows per second from a PostgreSQL exchange table to
// applied case state: b.N × 500 rows (100 new cases × 5 steps each) committed in one
// transaction while the service polls the table, timed from the commit until the source's
// cursor reached the last row and no case is left to apply. PostgreSQL and Redis run on
// the same machine.
func BenchmarkExchangeToApplied(b *testing.B) {
	dsn := os.Getenv("DUBAN_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("PostgreSQL: %v", err)
		}
		b.Skipf("SKIPPED: PostgreSQL: %v", err)
	}
	rnd := make([]byte, 6)
	rand.Read(rnd)
	table := "bench_steps_" + hex.EncodeToString(rnd)
	if _, err := db.Exec(`CREATE TABLE ` + table + ` (id BIGSERIAL PRIMARY KEY, event_no TEXT, case_no TEXT,
		matter_code TEXT, step TEXT, step_time TIMESTAMP, reason TEXT, result TEXT)`); err != nil {
		b.Fatal(err)
	}
	defer db.Exec("DROP TABLE " + table)

	url, prefix := testredis.New(b)
	in := servicetest.StartServe(b, url, prefix, "2026-03-26T09:00:00+08:00", `
collectors:
  sql:
    - name: bench
      driver: postgres
      dsn: "`+dsn+`"
      department: env
      table: `+table+`
      cursor: id
      interval: 20ms
      columns: { event_id: event_no, case_id: case_no, matter: matter_code, type: step, at: step_time, reason: reason, result: result }
      values: { type: { "收件": submitted, "受理": accepted, "特别程序开始": suspended, "特别程序结束": resumed, "办结": decided }, result: { "准予": approved } }
`)
	_ = in
	o, err := rdbtest.Options(url)
	if err != nil {
		b.Fatal(err)
	}
	o.Prefix = prefix
	store, err := rdb.Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	// Reported within report_within, as departments do: no late_report alerts.
	steps := [][4]string{
		{"收件", "2026-03-25 09:30:00", "", ""},
		{"受理", "2026-03-25 10:00:00", "", ""},
		{"特别程序开始", "2026-03-25 15:00:00", "expert_review", ""},
		{"特别程序结束", "2026-03-25 16:00:00", "", ""},
		{"办结", "2026-03-26 08:00:00", "", "准予"},
	}
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (event_no, case_no, matter_code, step, step_time, reason, result) VALUES ")
		for c := range 100 {
			for k, s := range steps {
				if c > 0 || k > 0 {
					sb.WriteByte(',')
				}
				matter := "NULL"
				if k == 0 {
					matter = "'ENV-EIA-001'"
				}
				fmt.Fprintf(&sb, "('e%d', 'bench-%d-%d', %s, '%s', '%s', NULLIF('%s', ''), NULLIF('%s', ''))", k, i, c, matter, s[0], s[1], s[2], s[3])
			}
		}
		if _, err := tx.Exec(sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	var last int64
	if err := tx.QueryRow("SELECT max(id) FROM " + table).Scan(&last); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	eventually.Every(b, 5*time.Minute, 2*time.Millisecond, func() string { return "the cursor at the last row" }, func() bool {
		cur, _, err := store.CollectorCursor(context.Background(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		return cur == fmt.Sprint(last)
	})
	eventually.Every(b, 5*time.Minute, 2*time.Millisecond, func() string { return "no dirty case left" }, func() bool {
		n, err := store.DirtyCount(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return n == 0
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if strings.Contains(in.Logs.String(), "row_rejected") {
		b.Fatalf("rows rejected:\n%s", in.Logs.String())
	}
	b.ReportMetric(float64(b.N*500)/elapsed.Seconds(), "rows/s")
}
