package service

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/duban-gov/duban/dashboards/figures"
	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/schedule"
)

// Job names, as they appear in logs and in Redis's done marks.
const (
	JobRanking       = "monthly_ranking"
	JobCalendarCheck = "calendar_check"
)

// calendarCheckSpec: 03:00 every day of December, in the configured zone.
const calendarCheckSpec = "0 3 * 12 *"

// RankingMethod is the ranking method of the configuration.
func RankingMethod(cfg *config.Config) ranking.Method {
	return ranking.Method{Weights: ranking.Weights(cfg.Ranking.Weights), MinCases: cfg.Ranking.MinCases}
}

// jobs are the scheduled jobs (docs/architecture.md, "Rankings and scheduled jobs"): the
// previous month's ranking at the configured time (02:00 on the 2nd by default), once
// report_within has passed since the month's end; and in December, a daily check that next
// year's calendar is loaded.
func jobs(cfg *config.Config, store *rdb.Store, clk clock.Clock, cals *engine.Calendars, rk *figures.Rankings) ([]schedule.Job, error) {
	check, err := cron.ParseStandard(calendarCheckSpec)
	if err != nil {
		return nil, err
	}
	prevMonth := func(due time.Time) ranking.Month {
		t := time.Date(due.Year(), due.Month()-1, 1, 0, 0, 0, 0, cfg.Location)
		return ranking.Month{Year: t.Year(), Month: t.Month()}
	}
	return []schedule.Job{
		{Name: JobRanking, Schedule: cfg.Ranking.Cron,
			Period: func(due time.Time) string { return prevMonth(due).String() },
			Run: func(ctx context.Context, due time.Time) error {
				m := prevMonth(due)
				// The month's last event may still arrive until report_within after its end.
				if ready := m.End(cfg.Location).Add(cfg.Rules.ReportWithin); clk.Now().Before(ready) {
					if err := clk.Until(ctx, ready); err != nil {
						return err
					}
				}
				_, _, err := rk.Publish(ctx, m, false)
				return err
			}},
		{Name: JobCalendarCheck, Schedule: check,
			Period: func(due time.Time) string { return due.In(cfg.Location).Format(time.DateOnly) },
			Run: func(ctx context.Context, due time.Time) error {
				next := due.In(cfg.Location).Year() + 1
				if cals.Current().Loaded(next) {
					return nil
				}
				rec := alerting.CalendarMissing(next, alerting.YearEndCheck, clk.Now().In(cfg.Location))
				doc, err := json.Marshal(&rec)
				if err != nil {
					return err
				}
				_, err = store.RaiseSystemAlert(ctx, alerting.CalendarMissingID(next), doc, clock.Wall())
				return err
			}},
	}, nil
}

// owner names this replica in job leases.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), clock.Wall().UnixNano())
}
