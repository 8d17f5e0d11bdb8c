package figures

import (
	"context"

	"github.com/duban-gov/duban/rdb"
)

// Store is the part of the store the figures read and the rankings publish to; *rdb.Store
// has it all.
type Store interface {
	OverviewFigures(ctx context.Context, month string, depts []string, day int) (open, monthly, due map[string]int64, err error)
	FiguresOf(ctx context.Context, t rdb.Table, periods []string) ([]map[string]int64, error)
	DueOn(ctx context.Context, depts []string, day int) (map[string]int64, error)
	Ranking(ctx context.Context, month string) ([]byte, bool, error)
	PublishRanking(ctx context.Context, month string, doc []byte, force bool) (bool, error)
	// OrderFigures counts the supervision orders (the overview's orders_open and
	// orders_overdue).
	OrderFigures(ctx context.Context) (map[string]int64, error)
}
