package api

import (
	"context"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// Store is the part of the store the API reads and acts through; *rdb.Store has it all.
// Grouped by what the handlers are about.
type Store interface {
	// readiness (api.go)
	Ping(ctx context.Context) error
	// cases and their events (cases.go)
	ListCases(ctx context.Context, q rdb.CaseQuery) ([]rdb.CaseRecord, string, error)
	Case(ctx context.Context, caseID string) (rec rdb.CaseRecord, ok bool, err error)
	Events(ctx context.Context, caseID string) ([]monitor.Event, error)
	EventsOf(ctx context.Context, ids []string) ([][]monitor.Event, error)
	AlertsOf(ctx context.Context, caseIDs []string) ([]map[string][]byte, error)
	// alerts and accountability (alerts.go)
	ListAlerts(ctx context.Context, q rdb.AlertQuery) ([]rdb.AlertDoc, string, error)
	Alert(ctx context.Context, id string) (doc []byte, ok bool, err error)
	ActOnCaseAlert(ctx context.Context, id string, old, cur []byte, oldState, newState string, realNow time.Time, transition fold.Transition) (bool, error)
	UpdateSystemAlert(ctx context.Context, id string, old, cur []byte, realNow time.Time) (bool, error)
	FaultCounts(ctx context.Context, year int) (map[string]int64, error)
	// operations: audit, dead letters, re-applying (ops.go)
	Audit(ctx context.Context, e rdb.AuditEntry) (string, error)
	AuditLog(ctx context.Context, after string, limit int) ([]rdb.AuditEntry, string, error)
	DeadLetters(ctx context.Context, after string, limit int) ([]rdb.DeadLetter, string, error)
	DeadLetterByID(ctx context.Context, id string) (rdb.DeadLetter, bool, error)
	MarkDirty(ctx context.Context, realNow time.Time, ids ...string) error
	Publish(ctx context.Context, notice string) error
	// calendars loaded at run time move the open cases they touch (ops.go)
	OpenCaseIDs(ctx context.Context, fn func(ids []string) error) error
	Records(ctx context.Context, ids []string) ([]rdb.CaseRecord, error)
	// rankings (rankings.go)
	RankingMonths(ctx context.Context) ([]string, error)
	// supervision orders (orders.go)
	ListOrders(ctx context.Context, q rdb.OrderQuery) ([][]byte, string, error)
	MarkOrdersDirty(ctx context.Context, realNow time.Time, ids ...string) error
	CaseAlerts(ctx context.Context, caseID string) ([]rdb.AlertDoc, error)
	CaseOrders(ctx context.Context, caseID string) (map[string]string, error)
	IdempotentGet(ctx context.Context, principal, key string) (rdb.IdempotentAnswer, bool, error)
	IdempotentPut(ctx context.Context, principal, key string, a rdb.IdempotentAnswer, ttl time.Duration) error
}
