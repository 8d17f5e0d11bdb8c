package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/duban-gov/duban/api"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/supervision/report"
)

// WriteOrderReport writes the quarterly report of supervision orders (责任追究情况报告) of
// quarter "YYYY-Qn" into dir as orders-YYYY-Qn.json, .csv and .html, counting the orders as
// they stand now on the business clock; it returns the files written (`duban report orders`).
func WriteOrderReport(ctx context.Context, cfg *config.Config, quarter, dir string, log *slog.Logger) ([]string, error) {
	q, err := report.ParseQuarter(quarter)
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	orders, err := engine.AllOrders(ctx, store)
	if err != nil {
		return nil, err
	}
	rep := report.Build(report.Input{Quarter: q, GeneratedAt: BusinessClock(cfg, log).Now().In(cfg.Location),
		Loc: cfg.Location, Departments: api.Departments(cfg.Catalog), Orders: orders})
	var js, csv, html bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return nil, err
	}
	if err := report.WriteCSV(&csv, rep); err != nil {
		return nil, err
	}
	if err := report.WriteHTML(&html, rep); err != nil {
		return nil, err
	}
	var files []string
	for ext, b := range map[string][]byte{"json": js.Bytes(), "csv": csv.Bytes(), "html": html.Bytes()} {
		path := filepath.Join(dir, fmt.Sprintf("orders-%s.%s", q, ext))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}
