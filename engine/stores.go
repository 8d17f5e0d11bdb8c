package engine

import (
	"context"
	"time"

	"github.com/duban-gov/duban/rdb"
)

// Each stage of the engine declares the part of the store it uses; *rdb.Store has them all.

// ApplierStore is the applier's: claiming dirty cases, loading them, committing their folds,
// parking the ones that cannot be applied.
type ApplierStore interface {
	ClaimDirty(ctx context.Context, realNow time.Time, lease time.Duration, perPartition int) (ids []string, more bool, err error)
	LoadCases(ctx context.Context, ids []string) ([]rdb.Snapshot, error)
	CommitCases(ctx context.Context, cs []rdb.Commit) (ok []bool, err error)
	PutDeadLetter(ctx context.Context, snap *rdb.Snapshot, d rdb.DeadLetter) (bool, error)
	MarkDirty(ctx context.Context, realNow time.Time, ids ...string) error
}

// TimerStore is the timer engine's: the next instant, and handing due cases over.
type TimerStore interface {
	EarliestTimer(ctx context.Context) (at time.Time, ok bool, err error)
	HandOverDue(ctx context.Context, businessNow, realNow time.Time, perPartition int) ([]rdb.DueTimer, error)
}

// RelayStore is the relay's: the partitions' outboxes into the global slot, and the system
// alerts it raises and drops.
type RelayStore interface {
	RelayCheckpoints(ctx context.Context) ([rdb.Partitions]string, error)
	OutboxHeads(ctx context.Context, after [rdb.Partitions]string, count int64) (map[int][]rdb.OutboxEntry, error)
	NewRelayBatch() *rdb.RelayBatch
	Relay(ctx context.Context, p int, read, next string, b *rdb.RelayBatch, realNow time.Time) (bool, error)
	FaultCounts(ctx context.Context, year int) (map[string]int64, error)
	Alert(ctx context.Context, id string) (doc []byte, ok bool, err error)
	UpdateSystemAlert(ctx context.Context, id string, old, cur []byte, realNow time.Time) (bool, error)
	// LinkCaseOrders records supervision orders on their cases (the relay's side effect of
	// order changes).
	LinkCaseOrders(ctx context.Context, links []rdb.CaseLink) error
}

// CalendarStore is the calendars': the years loaded at run time, and the open cases a newly
// loaded year moves.
type CalendarStore interface {
	Calendars(ctx context.Context) (map[int][]byte, error)
	SaveCalendar(ctx context.Context, year int, doc []byte) error
	AffectedStore
}

// AffectedStore finds the open cases a newly loaded year moves, and marks them (Affected).
type AffectedStore interface {
	OpenCaseIDs(ctx context.Context, fn func(ids []string) error) error
	Records(ctx context.Context, ids []string) ([]rdb.CaseRecord, error)
	MarkDirty(ctx context.Context, realNow time.Time, ids ...string) error
	// the open orders whose provisional deadlines a loaded calendar moves (AffectedOrders)
	OrderLister
	MarkOrdersDirty(ctx context.Context, realNow time.Time, ids ...string) error
}

// SystemAlertStore reads and changes system alerts (ResolveSystemAlert).
type SystemAlertStore interface {
	Alert(ctx context.Context, id string) (doc []byte, ok bool, err error)
	UpdateSystemAlert(ctx context.Context, id string, old, cur []byte, realNow time.Time) (bool, error)
}
