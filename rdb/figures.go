package rdb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The figure tables the relay counts into (keys.go describes each).
type Table int

// The tables.
const (
	OpenCases Table = iota
	OpenAlerts
	Day   // needs a date "2006-01-02"
	Month // needs a month "2006-01"
)

func (k keys) table(t Table, period string) string {
	switch t {
	case OpenCases:
		return k.openCases()
	case OpenAlerts:
		return k.openAlerts()
	case Day:
		return k.day(period)
	default:
		return k.month(period)
	}
}

// Figures reads a table: field → count (the service reads several at once: FiguresOf,
// OverviewFigures, ReadGauges; tests read one).
func (s *Store) Figures(ctx context.Context, t Table, period string) (map[string]int64, error) {
	m, err := s.c.HGetAll(ctx, s.k.table(t, period)).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read figures: %w", err)
	}
	return parseCounts(m), nil
}

// FiguresOf reads one table for several periods (days or months) in one round trip.
func (s *Store) FiguresOf(ctx context.Context, t Table, periods []string) ([]map[string]int64, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(periods))
	for i, p := range periods {
		cmds[i] = pipe.HGetAll(ctx, s.k.table(t, p))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read figures: %w", err)
	}
	out := make([]map[string]int64, len(periods))
	for i, c := range cmds {
		out[i] = parseCounts(c.Val())
	}
	return out, nil
}

func parseCounts(m map[string]string) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, _ := strconv.ParseInt(v, 10, 64)
		out[k] = n
	}
	return out
}

// Field joins a figure's name parts with '|' (department codes cannot contain it): a
// figure and its department ("dec|d-land"), a department and a level (open alerts). The
// open-case cells, "dept|stage|level", are monitor.Cell's.
func Field(parts ...string) string { return strings.Join(parts, fieldSep) }

const fieldSep = "|"

// SplitField is Field's inverse.
func SplitField(field string) []string { return strings.Split(field, fieldSep) }

// CutField splits a field at its first '|': a figure and its department.
func CutField(field string) (first, rest string, ok bool) { return strings.Cut(field, fieldSep) }

// DueOn counts, per department, the open cases whose current stage's deadline day is day
// (yyyymmdd): one ZCOUNT per partition and department, pipelined.
func (s *Store) DueOn(ctx context.Context, depts []string, day int) (map[string]int64, error) {
	pipe := s.c.Pipeline()
	due := s.dueOn(ctx, pipe, depts, day)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("rdb: count due cases: %w", err)
	}
	return due(), nil
}

// dueOn queues DueOn's counts on pipe; the returned function sums them after Exec.
func (s *Store) dueOn(ctx context.Context, pipe redis.Pipeliner, depts []string, day int) func() map[string]int64 {
	cmds := make([][]*redis.IntCmd, len(depts))
	d := strconv.Itoa(day)
	for i, dept := range depts {
		cmds[i] = make([]*redis.IntCmd, Partitions)
		for p := range Partitions {
			cmds[i][p] = pipe.ZCount(ctx, s.k.idxDue(p, dept), d, d)
		}
	}
	return func() map[string]int64 {
		out := make(map[string]int64, len(depts))
		for i, dept := range depts {
			for _, c := range cmds[i] {
				out[dept] += c.Val()
			}
		}
		return out
	}
}

// OverviewFigures reads, in one pipelined round trip, what GET /overview needs: the open
// cases table, one month's table, and DueOn(depts, day).
func (s *Store) OverviewFigures(ctx context.Context, month string, depts []string, day int) (open, monthly, due map[string]int64, err error) {
	pipe := s.c.Pipeline()
	o := pipe.HGetAll(ctx, s.k.openCases())
	m := pipe.HGetAll(ctx, s.k.month(month))
	dues := s.dueOn(ctx, pipe, depts, day)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, nil, nil, fmt.Errorf("rdb: read overview figures: %w", err)
	}
	return parseCounts(o.Val()), parseCounts(m.Val()), dues(), nil
}
