package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
)

// errAlreadyPublished: `duban rank` of a published month without --force.
var errAlreadyPublished = errors.New("already published")

// Rank is `duban rank`: it builds and publishes one month's ranking from the month's aggregates in Redis. A
// published month is left alone unless force, which keeps the previous version.
func Rank(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer, year int, month time.Month, force bool) error {
	clk := BusinessClock(cfg, log)
	m := ranking.Month{Year: year, Month: month}
	if m.Start(cfg.Location).After(clk.Now()) {
		return fmt.Errorf("month %s has not begun", m) // a runtime failure: exit code 1
	}
	store, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	src, err := figures.New(figures.Options{Store: store, Catalog: func() *monitor.Catalog { return cfg.Catalog },
		Clock: clk, Loc: cfg.Location})
	if err != nil {
		return err
	}
	rk := &figures.Rankings{Figures: src, Method: RankingMethod(cfg)}
	if end := m.End(cfg.Location).Add(cfg.Rules.ReportWithin); clk.Now().Before(end) {
		log.Warn("ranking_early", "month", m.String(), "complete_after", end,
			"why", "events of the month may still arrive until report_within after its end")
	}
	r, published, err := rk.Publish(ctx, m, force)
	if err != nil {
		return err
	}
	if !published {
		return fmt.Errorf("%s is %w (generated at %s); use --force to rebuild it, keeping this version",
			m, errAlreadyPublished, r.GeneratedAt.Format(time.RFC3339))
	}
	ranked := 0
	for _, d := range r.Departments {
		if d.Ranked {
			ranked++
		}
	}
	fmt.Fprintf(stdout, "published %s: %d departments, %d ranked, generated at %s\n",
		m, len(r.Departments), ranked, r.GeneratedAt.Format(time.RFC3339))
	return nil
}
