package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/service/servicetest"
)

// What is wrong in a source's configuration exits 2 naming the key.
func TestServeExchangeConfigError(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(cfg, []byte(servicetest.Config+`
collectors:
  sql:
    - { name: env-exchange, driver: postgres, dsn_env: ENV_EXCHANGE_DSN, department: env, table: t, cursor: id,
        columns: { case_id: c, type: s, at: a } }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	env := map[string]string{"DUBAN_CONFIG": cfg, "DUBAN_REDIS_URL": "redis://127.0.0.1:6379/0"}
	code := run(t.Context(), []string{"serve"}, io.Discard, &stderr, func(k string) string { return env[k] })
	if code != 2 || !strings.Contains(stderr.String(), "collectors.sql[0].dsn_env") {
		t.Errorf("exit %d, stderr %q; want 2 naming collectors.sql[0].dsn_env", code, stderr.String())
	}
}
