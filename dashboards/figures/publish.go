package figures

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/monitor"
)

// Rankings builds, publishes and reads the monthly rankings.
type Rankings struct {
	Figures *Source
	Method  ranking.Method
}

// Build computes a month's ranking now from the month's aggregates.
func (r *Rankings) Build(ctx context.Context, m ranking.Month) (ranking.Ranking, error) {
	aggs, err := r.Figures.MonthAggregates(ctx, m)
	if err != nil {
		return ranking.Ranking{}, err
	}
	return ranking.Compute(m, r.Figures.o.Clock.Now().In(r.Figures.o.Loc), r.Method, aggs), nil
}

// Publish builds and publishes a month. A published month stays as it is (published false)
// unless force, which replaces it and keeps the previous version.
func (r *Rankings) Publish(ctx context.Context, m ranking.Month, force bool) (ranking.Ranking, bool, error) {
	rk, err := r.Build(ctx, m)
	if err != nil {
		return rk, false, err
	}
	doc, err := json.Marshal(rk)
	if err != nil {
		return rk, false, fmt.Errorf("figures: encode ranking: %w", err)
	}
	ok, err := r.Figures.o.Store.PublishRanking(ctx, m.String(), doc, force)
	if err != nil || ok {
		return rk, ok, err
	}
	old, _, err := r.Get(ctx, m)
	return old, false, err
}

// Get returns a month's published ranking, or (published false) one computed now and
// marked Provisional — the provisional ranking of a month not yet published, whose CSV and
// HTML say so.
func (r *Rankings) Get(ctx context.Context, m ranking.Month) (ranking.Ranking, bool, error) {
	doc, ok, err := r.Figures.o.Store.Ranking(ctx, m.String())
	if err != nil {
		return ranking.Ranking{}, false, err
	}
	if ok {
		var rk ranking.Ranking
		if err := json.Unmarshal(doc, &rk); err != nil {
			return rk, true, fmt.Errorf("figures: decode ranking %s: %w", m, err)
		}
		// Published by an earlier version, it may carry another zone; its HTML and JSON
		// show the time in this one (the same instant: Last-Modified does not move).
		rk.GeneratedAt = monitor.InZone(rk.GeneratedAt, r.Figures.o.Loc)
		return rk, true, nil
	}
	rk, err := r.Build(ctx, m)
	rk.Provisional = true
	return rk, false, err
}
