package sqlpoll

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// demoTypes are the step names the demo's exchange table uses for the event types: a
// department's own words, mapped back by the source's `values`.
var demoTypes = map[monitor.EventType]string{
	monitor.Submitted: "收件", monitor.Accepted: "受理", monitor.NotAccepted: "不予受理",
	monitor.SupplementRequested: "补正告知", monitor.SupplementReceived: "补正接收",
	monitor.Suspended: "特别程序开始", monitor.Resumed: "特别程序结束", monitor.Extended: "延期",
	monitor.Decided: "办结", monitor.Delivered: "送达", monitor.FeeCharged: "收费",
	monitor.Withdrawn: "撤件", monitor.Step: "流转", monitor.Retracted: "撤销环节",
}

var demoResults = map[string]string{"approved": "准予", "denied": "不予"}

// demoTable is the demo's exchange table, with the field names of a provincial 办件 data
// specification (docs/collectors.md shows the same for each database).
const demoTable = `CREATE TABLE IF NOT EXISTS 办件过程信息 (
	序号 INTEGER PRIMARY KEY AUTOINCREMENT,
	环节编号 TEXT NOT NULL,
	办件编号 TEXT NOT NULL,
	事项编码 TEXT,
	环节名称 TEXT NOT NULL,
	环节时间 TEXT NOT NULL,
	环节序号 INTEGER,
	承办人 TEXT,
	延期天数 INTEGER,
	批准人 TEXT,
	暂停原因 TEXT,
	备注 TEXT,
	收费金额 NUMERIC,
	办理结果 TEXT,
	撤销环节编号 TEXT,
	写入时间 TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
)`

// DemoExchange is the embedded SQLite exchange database of `duban demo`: one department's
// steps are written into it, as its approval system would, instead of being posted, and
// the service polls it like any configured source.
type DemoExchange struct {
	// Store, when set, makes Write wait until the service has stored the rows written (the
	// source's cursor reached them), as a post returns once the service took the events:
	// the demo publishes the backlog's rankings only once everything is applied.
	Store *rdb.Store
	dir   string
	db    *sql.DB
	dept  string
	name  string
	loc   *time.Location
}

// NewDemoExchange creates the exchange database in a temporary folder for the department
// and adds its source (named "<department>-exchange") to cfg.Collectors.SQL. Close removes it.
func NewDemoExchange(cfg *config.Config, department string) (*DemoExchange, error) {
	dir, err := os.MkdirTemp("", "duban-demo-exchange-")
	if err != nil {
		return nil, fmt.Errorf("demo exchange database: %w", err)
	}
	path := filepath.Join(dir, "exchange.db")
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err == nil {
		_, err = db.Exec(demoTable)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("demo exchange database: %w", err)
	}
	values := map[string]map[string]string{"type": {}, "result": {}}
	for t, name := range demoTypes {
		values["type"][name] = string(t)
	}
	for r, name := range demoResults {
		values["result"][name] = r
	}
	cfg.Collectors.SQL = append(cfg.Collectors.SQL, config.SQLSource{
		Key: "demo", Name: department + "-exchange", Driver: "sqlite", DSN: dsn, Department: department,
		Table: "办件过程信息", Cursor: "序号", CursorKind: config.CursorInteger,
		OverlapRows: config.DefaultSQLOverlapRows, OverlapTime: config.DefaultSQLOverlapTime,
		Interval: time.Second, Batch: config.DefaultSQLBatch, Location: cfg.Location,
		Columns: map[string]string{"event_id": "环节编号", "case_id": "办件编号", "matter": "事项编码",
			"type": "环节名称", "at": "环节时间", "seq": "环节序号", "handler": "承办人", "days": "延期天数",
			"approver": "批准人", "reason": "暂停原因", "note": "备注", "amount_yuan": "收费金额",
			"result": "办理结果", "ref": "撤销环节编号"},
		Values: values,
	})
	return &DemoExchange{dir: dir, db: db, dept: department, name: department + "-exchange", loc: cfg.Location}, nil
}

// Department is the department whose steps go through the exchange database.
func (x *DemoExchange) Department() string { return x.dept }

// Write inserts events as rows of the exchange table, in one transaction.
func (x *DemoExchange) Write(ctx context.Context, evs []monitor.Event) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO 办件过程信息 (环节编号, 办件编号, 事项编码, 环节名称, 环节时间,
		环节序号, 承办人, 延期天数, 批准人, 暂停原因, 备注, 收费金额, 办理结果, 撤销环节编号)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	var last int64
	for i := range evs {
		e := &evs[i]
		typ := demoTypes[e.Type]
		if typ == "" {
			typ = string(e.Type)
		}
		result := demoResults[e.Result]
		if result == "" {
			result = e.Result
		}
		res, err := st.ExecContext(ctx, e.EventID, e.CaseID, null(e.Matter), typ,
			e.At.In(x.loc).Format("2006-01-02 15:04:05.000"), nullInt(e.Seq), null(e.Handler),
			nullInt(int64(e.Days)), null(e.Approver), null(e.Reason), null(e.Note), null(e.AmountYuan),
			null(result), null(e.Ref))
		if err != nil {
			return err
		}
		if last, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return x.taken(ctx, last)
}

// taken waits until the source's stored cursor reaches row.
func (x *DemoExchange) taken(ctx context.Context, row int64) error {
	if x.Store == nil || row == 0 {
		return nil
	}
	for {
		cur, ok, err := x.Store.CollectorCursor(ctx, x.name)
		if err != nil {
			return err
		}
		if n, _ := strconv.ParseInt(cur, 10, 64); ok && n >= row {
			return nil
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes the database and removes its folder.
func (x *DemoExchange) Close() error {
	err := x.db.Close()
	os.RemoveAll(x.dir)
	return err
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
