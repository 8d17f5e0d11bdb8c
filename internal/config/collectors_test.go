package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const sqlSource = `
catalog: catalog.yaml
collectors:
  sql:
    - name: env-exchange
      driver: postgres
      dsn_env: ENV_EXCHANGE_DSN
      department: env
      table: approval_steps
      cursor: id
      overlap: 500
      interval: 2s
      batch: 200
      columns: { case_id: case_no, matter: matter_code, type: step, at: step_time, received_at: created_at }
      values:
        type: { "收件": submitted, "受理": accepted }
      time_zone: Asia/Shanghai
`

func TestSQLSource(t *testing.T) {
	dsn := "postgres://reader:pw1@db.example:5432/exchange?sslmode=disable"
	cfg, err := Load(writeConfig(t, sqlSource), env(map[string]string{"ENV_EXCHANGE_DSN": dsn}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Collectors.SQL) != 1 {
		t.Fatalf("sources %+v", cfg.Collectors.SQL)
	}
	s := cfg.Collectors.SQL[0]
	if s.Name != "env-exchange" || s.Driver != "postgres" || s.DSN != dsn || s.Password != "pw1" ||
		s.Table != "approval_steps" || s.Cursor != "id" || s.CursorKind != CursorInteger || s.OverlapRows != 500 ||
		s.Interval != 2*time.Second || s.Batch != 200 || s.Location.String() != "Asia/Shanghai" ||
		s.Columns["received_at"] != "created_at" || s.Values["type"]["收件"] != "submitted" {
		t.Errorf("source %+v", s)
	}
}

// What is wrong in a source's configuration itself is an *Error naming the key.
func TestSQLSourceErrors(t *testing.T) {
	base := sqlSource
	cases := []struct{ name, from, to, key, msg string }{
		{"unknown driver", "driver: postgres", "driver: oracle", "collectors.sql[0].driver", `unknown driver "oracle"`},
		{"unset dsn_env", "dsn_env: ENV_EXCHANGE_DSN", "dsn_env: NOT_SET_ANYWHERE", "collectors.sql[0].dsn_env", "NOT_SET_ANYWHERE is not set"},
		{"unparsable dsn", "dsn_env: ENV_EXCHANGE_DSN", `dsn: "postgres://u:pw@host:notaport/db"`, "collectors.sql[0].dsn", "not a valid postgres data source name"},
		{"unparsable mysql dsn", "driver: postgres\n      dsn_env: ENV_EXCHANGE_DSN", "driver: mysql\n      dsn: \"root:pw@tcp(127.0.0.1:3306\"", "collectors.sql[0].dsn", "not a valid mysql data source name"},
		{"unknown mapping key", "received_at: created_at", "recieved_at: created_at", "collectors.sql[0].columns.recieved_at", "unknown event field"},
		{"unknown values key", "type: { \"收件\"", "kind: { \"收件\"", "collectors.sql[0].values.kind", "unknown event field"},
		{"timestamp cursor without event_id", "cursor: id\n      overlap: 500", "cursor: step_time\n      overlap: 5m", "collectors.sql[0].columns.event_id", "timestamp cursor"},
		{"row count for a timestamp cursor", "cursor: id\n      overlap: 500", "cursor: step_time\n      overlap: 50", "collectors.sql[0].overlap", "timestamp cursor"},
		{"no case_id", "case_id: case_no, ", "", "collectors.sql[0].columns.case_id", "is required"},
		{"bad name", "name: env-exchange", "name: Env_Exchange", "collectors.sql[0].name", "a-z"},
		{"unknown key", "batch: 200", "batchsize: 200", "collectors.sql[0].batchsize", "unknown key"},
		{"table and query", "table: approval_steps", "table: approval_steps\n      query: SELECT 1", "collectors.sql[0].query", "not both"},
		{"query without placeholders", "table: approval_steps", "query: SELECT * FROM v WHERE id > 0", "collectors.sql[0].query", "$1 and $2"},
		{"unknown department", "department: env", "department: nowhere", "collectors.sql[0].department", "not a department"},
		{"bad start", "batch: 200", "start: tomorrow", "collectors.sql[0].start", "beginning or now"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(base, c.from, c.to, 1)
			if doc == base {
				t.Fatalf("%q not in the base document", c.from)
			}
			_, err := Load(writeConfig(t, doc), env(map[string]string{"ENV_EXCHANGE_DSN": "postgres://u:pw1@h/db"}))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if ce.Key != c.key || !strings.Contains(ce.Message, c.msg) {
				t.Errorf("err = %q (key %q), want key %q and %q", err, ce.Key, c.key, c.msg)
			}
			if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), "pw1") {
				t.Errorf("the password is in the message: %v", err)
			}
		})
	}
}

// Two sources may not share a name: it names them in metrics, /readyz and dead letters.
func TestSQLSourceNamesUnique(t *testing.T) {
	doc := sqlSource + `    - { name: env-exchange, driver: sqlite, dsn: x.db, department: env, table: t, cursor: id,
        columns: { case_id: c, type: s, at: a } }
`
	_, err := Load(writeConfig(t, doc), env(map[string]string{"ENV_EXCHANGE_DSN": "postgres://h/db"}))
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "collectors.sql[1].name" {
		t.Errorf("err = %v, want collectors.sql[1].name", err)
	}
}

// A second source may reuse the first one's mapping through YAML anchors, as
// docs/collectors.md shows.
func TestSQLSourceAnchors(t *testing.T) {
	doc := strings.Replace(sqlSource, "columns: {", "columns: &bj {", 1)
	doc = strings.Replace(doc, "values:\n", "values: &codes\n", 1)
	doc += `    - { name: tr-exchange, driver: mysql, dsn: "u:pw2@tcp(10.0.0.1:3306)/x", department: transport,
        table: t, cursor: id, columns: *bj, values: *codes }
`
	cfg, err := Load(writeConfig(t, doc), env(map[string]string{"ENV_EXCHANGE_DSN": "postgres://h/db"}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Collectors.SQL[1]
	if s.Columns["case_id"] != "case_no" || s.Values["type"]["受理"] != "accepted" || s.Password != "pw2" {
		t.Errorf("second source %+v", s)
	}
}
