package e2e_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// A department that reports through an exchange database (SQLite here) beside one that
// posts: its rows become applied cases, /readyz tells the source's state and /metrics its
// gauge.
func TestServeWithExchangeDatabase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "exchange.db")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE 办件过程 (序号 INTEGER PRIMARY KEY AUTOINCREMENT, 办件编号 TEXT, 事项编码 TEXT,
		环节 TEXT, 环节时间 TEXT, 承办人 TEXT);
		INSERT INTO 办件过程 (办件编号, 事项编码, 环节, 环节时间, 承办人) VALUES
		('env-2026-sql-1', 'ENV-EIA-001', '收件', '2026-03-02 09:00:00', '张三'),
		('env-2026-sql-1', NULL, '受理', '2026-03-03 10:00:00', '张三'),
		('env-2026-sql-2', 'ENV-EIA-001', '作废', '2026-03-03 11:00:00', '李四')`); err != nil {
		t.Fatal(err)
	}
	url, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url, prefix, "2026-03-26T09:00:00+08:00", `
collectors:
  sql:
    - name: env-exchange
      driver: sqlite
      dsn: "`+file+`"
      department: env
      table: 办件过程
      cursor: 序号
      interval: 50ms
      columns: { case_id: 办件编号, matter: 事项编码, type: 环节, at: 环节时间, handler: 承办人 }
      values: { type: { "收件": submitted, "受理": accepted } }
`)
	var last map[string]any
	defer func() {
		if t.Failed() {
			t.Logf("last case: %v\nlogs:\n%s", last, in.Logs.String())
		}
	}()
	eventually.True(t, "the case from the exchange database to be applied", func() bool {
		code, body, _ := in.Do("GET", "/api/v1/cases/env-2026-sql-1", "viewer-secret", "")
		last = body
		return code == 200 && body["accepted_at"] == "2026-03-03T10:00:00+08:00"
	})
	code, body, _ := in.Do("GET", "/readyz", "", "")
	if src, _ := body["sources"].(map[string]any); code != 200 || src["env-exchange"] != "ok" {
		t.Errorf("readyz %d %v, want sources.env-exchange ok", code, body)
	}
	code, body, _ = in.Do("GET", "/api/v1/deadletters", "admin-secret", "")
	letters, _ := body["deadletters"].([]any)
	if d, _ := firstOf(letters).(map[string]any); code != 200 || len(letters) != 1 || d["id"] != "env-exchange:3" ||
		d["source"] != "env-exchange" || d["cursor"] != "3" || !strings.Contains(fmt.Sprint(d["reason"]), "type") {
		t.Errorf("dead letters %d %v, want the row with cursor 3", code, body)
	}
	if code, body, _ := in.Do("POST", "/api/v1/deadletters/env-exchange:3/replay", "admin-secret", ""); code != 409 {
		t.Errorf("replay of a row's letter: %d %v, want 409", code, body)
	}
	resp, err := httpGet(in.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp, `duban_collector_up{source="env-exchange"} 1`) ||
		!strings.Contains(resp, `duban_collector_rows_total{outcome="accepted",source="env-exchange"} 2`) {
		t.Errorf("metrics lack the source's gauges:\n%s", grepLines(resp, "duban_collector"))
	}
}

func firstOf(xs []any) any {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

func httpGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
