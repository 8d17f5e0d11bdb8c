package service

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/supervision"
	"github.com/duban-gov/duban/supervision/report"
)

// `duban report orders` writes the three files of a quarter from the orders in Redis.
func TestWriteOrderReport(t *testing.T) {
	url, prefix := testredis.New(t)
	path := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(path, []byte(routesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": prefix, "DUBAN_CLOCK_START": "2026-12-20T10:00:00+08:00"}
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	orders, err := engine.NewOrders(engine.OrderOptions{Store: store, Settings: supervision.DefaultSettings(),
		Clock: clock.Manual(time.Date(2026, 11, 2, 9, 0, 0, 0, cfg.Location)),
		Rules: func() fold.Rules { return fold.Rules{Calendar: workday.Builtin(), Loc: cfg.Location} }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orders.Open(ctx, supervision.Action{By: "supervisor:x", Kind: supervision.Rectify, Opinion: "请办结",
		Case: &supervision.CaseRef{ID: "env-1", Department: "env"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := WriteOrderReport(ctx, cfg, "2026-Q4", dir, log)
	if err != nil || len(files) != 3 {
		t.Fatalf("files %v, err %v", files, err)
	}
	var rep report.Report
	b, err := os.ReadFile(filepath.Join(dir, "orders-2026-Q4.json"))
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("json: %v %s", err, b)
	}
	if len(rep.Departments) != 1 || rep.Departments[0].Opened != 1 || rep.Departments[0].Open != 1 {
		t.Errorf("report: %+v", rep.Departments)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "orders-2026-Q4.csv"))
	html, _ := os.ReadFile(filepath.Join(dir, "orders-2026-Q4.html"))
	if !strings.HasPrefix(string(csv), "\ufeff") || !strings.Contains(string(html), "责任追究情况报告") {
		t.Errorf("csv %q html %q", csv, html)
	}
	if _, err := WriteOrderReport(ctx, cfg, "2026-Q5", dir, log); err == nil {
		t.Error("quarter 5 accepted")
	}
}
