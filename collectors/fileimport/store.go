package fileimport

import (
	"context"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// Store is what an import needs of the store: storing events, waking the appliers, the
// audit entry (*rdb.Store has it).
type Store interface {
	Ingest(ctx context.Context, evs []monitor.Event, realNow time.Time) ([]rdb.IngestResult, error)
	Publish(ctx context.Context, notice string) error
	Audit(ctx context.Context, e rdb.AuditEntry) (string, error)
}
