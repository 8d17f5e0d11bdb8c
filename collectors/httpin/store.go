package httpin

import (
	"context"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// Store is what the push API needs of the store: storing events (*rdb.Store has it).
type Store interface {
	Ingest(ctx context.Context, evs []monitor.Event, realNow time.Time) ([]rdb.IngestResult, error)
}
