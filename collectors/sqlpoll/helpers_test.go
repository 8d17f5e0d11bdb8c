package sqlpoll_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/collectors/sqlpoll"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var cst = time.FixedZone("CST", 8*3600)

// t0 is the business now of every test.
var t0 = time.Date(2026, 3, 26, 9, 0, 0, 0, cst)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func testCatalog() *monitor.Catalog {
	return monitor.NewCatalog(
		[]monitor.Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}},
		[]monitor.Matter{
			monitor.NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10),
			monitor.NewMatter("TRN-ROAD-001", "公路超限运输许可", "transport", 15, 5),
		})
}

// The shared database servers of the tests (.ci/run starts them).
func postgresDSN() string {
	if s := os.Getenv("DUBAN_TEST_POSTGRES_DSN"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func mysqlDSN() string {
	if s := os.Getenv("DUBAN_TEST_MYSQL_DSN"); s != "" {
		return s
	}
	return "root@tcp(127.0.0.1:3306)/test"
}

// unavailable skips the test, or fails it under CI=true, as internal/testredis does.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: the database tests must run)", args...)
	}
	t.Skipf("SKIPPED: "+format+" — start the database or run .ci/run; set CI=true to fail instead", args...)
}

// exchange is a test's own exchange table on one of the databases.
type exchange struct {
	driver string
	dsn    string // as the poller is given it
	db     *sql.DB
	table  string
	// host is the server's host:port, for a proxy in front of it ("" for SQLite).
	host string
}

var drivers = []string{"postgres", "mysql", "sqlite"}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newExchange creates a fresh exchange table on driver's database, dropped after the test.
// The steps table has the columns of the sample in docs/collectors.md, under English names:
// id (the cursor), case_no, matter_code, step, step_time (a time without zone), handler,
// days, amount (a decimal), result, note, created_at (a time with zone where the database
// has one).
func newExchange(t *testing.T, driver string) *exchange {
	t.Helper()
	x := &exchange{driver: driver, table: randomName("steps_")}
	var ddl string
	switch driver {
	case "postgres":
		x.dsn, x.host = postgresDSN(), "127.0.0.1:5432"
		ddl = `CREATE TABLE %s (id BIGSERIAL PRIMARY KEY, case_no TEXT, matter_code TEXT, step TEXT,
			step_time TIMESTAMP, handler TEXT, days INTEGER, amount NUMERIC(12,2), result TEXT, note TEXT,
			created_at TIMESTAMPTZ DEFAULT now())`
	case "mysql":
		x.dsn, x.host = mysqlDSN(), "127.0.0.1:3306"
		ddl = `CREATE TABLE %s (id BIGINT AUTO_INCREMENT PRIMARY KEY, case_no VARCHAR(64), matter_code VARCHAR(64),
			step VARCHAR(32), step_time DATETIME(3), handler VARCHAR(64), days INT, amount DECIMAL(12,2),
			result VARCHAR(16), note TEXT, created_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))`
	case "sqlite":
		x.dsn = filepath.Join(t.TempDir(), "exchange.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
		ddl = `CREATE TABLE %s (id INTEGER PRIMARY KEY AUTOINCREMENT, case_no TEXT, matter_code TEXT, step TEXT,
			step_time TEXT, handler TEXT, days INTEGER, amount NUMERIC, result TEXT, note TEXT,
			created_at TEXT)`
	}
	name := map[string]string{"postgres": "pgx", "mysql": "mysql", "sqlite": "sqlite"}[driver]
	db, err := sql.Open(name, x.dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		unavailable(t, "%s at %s: %v", driver, x.host, err)
	}
	x.db = db
	if _, err := db.ExecContext(ctx, fmt.Sprintf(ddl, x.table)); err != nil {
		t.Fatalf("create %s: %v", x.table, err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE " + x.table)
		db.Close()
	})
	return x
}

// ph is the driver's i-th placeholder (1-based).
func (x *exchange) ph(i int) string {
	if x.driver == "postgres" {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// step is one row of the exchange table.
type step struct {
	caseNo, matter, step string
	at                   time.Time // written as its wall clock in Asia/Shanghai
	handler              string
	days                 any
	amount               any
	result, note         string
}

func (x *exchange) insertSQL() string {
	ps := make([]string, 9)
	for i := range ps {
		ps[i] = x.ph(i + 1)
	}
	return "INSERT INTO " + x.table + " (case_no, matter_code, step, step_time, handler, days, amount, result, note) VALUES (" +
		strings.Join(ps, ", ") + ")"
}

func (x *exchange) args(s step) []any {
	var at any
	if !s.at.IsZero() {
		at = s.at.In(shanghai).Format("2006-01-02 15:04:05.000")
	}
	return []any{nullable(s.caseNo), nullable(s.matter), nullable(s.step), at, nullable(s.handler), s.days,
		s.amount, nullable(s.result), nullable(s.note)}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insert writes rows, each in its own statement.
func (x *exchange) insert(t testing.TB, rows ...step) {
	t.Helper()
	for _, s := range rows {
		if _, err := x.db.Exec(x.insertSQL(), x.args(s)...); err != nil {
			t.Fatalf("insert into %s: %v", x.table, err)
		}
	}
}

// caseSteps are the two rows of case n: received, then accepted.
func caseSteps(prefix string, n int) []step {
	id := fmt.Sprintf("%s-%05d", prefix, n)
	at := time.Date(2026, 3, 20, 9, 0, 0, 0, cst).Add(time.Duration(n) * time.Second)
	return []step{
		{caseNo: id, matter: "ENV-EIA-001", step: "收件", at: at, handler: "张三"},
		{caseNo: id, step: "受理", at: at.Add(time.Hour), handler: "李四"},
	}
}

// source is the configuration of a test's source on x, as internal/config builds it.
func (x *exchange) source(name string) config.SQLSource {
	s := newExchangeSource(name, x.driver, x.dsn)
	s.Table = x.table
	return s
}

func newExchangeSource(name, driver, dsn string) config.SQLSource {
	return config.SQLSource{
		Key: "collectors.sql[0]", Name: name, Driver: driver, DSN: dsn, Department: "env",
		Table: "steps", Cursor: "id", CursorKind: config.CursorInteger,
		OverlapRows: config.DefaultSQLOverlapRows, OverlapTime: config.DefaultSQLOverlapTime,
		Interval: 20 * time.Millisecond, Batch: 50,
		Columns: map[string]string{"case_id": "case_no", "matter": "matter_code", "type": "step", "at": "step_time",
			"handler": "handler", "days": "days", "amount_yuan": "amount", "result": "result", "note": "note"},
		Values: map[string]map[string]string{
			"type":   {"收件": "submitted", "受理": "accepted", "办结": "decided"},
			"result": {"准予": "approved", "不予": "denied"},
		},
		Location: shanghai,
	}
}

// replica is one replica's pollers on a store.
type replica struct {
	ps     *sqlpoll.Pollers
	store  *rdb.Store
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
	log    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the pollers of srcs on store as replica owner until the test ends or stop.
func start(t *testing.T, store *rdb.Store, owner string, tweak func(*sqlpoll.Options), srcs ...config.SQLSource) *replica {
	t.Helper()
	r := &replica{store: store, reg: prometheus.NewRegistry(), done: make(chan struct{}), log: &syncBuffer{}}
	o := sqlpoll.Options{Sources: srcs, Store: store, Catalog: testCatalog, Clock: clock.Manual(t0),
		Owner: owner, LeaseTTL: 900 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Registerer: r.reg,
		Logger: slog.New(slog.NewTextHandler(io.MultiWriter(r.log, testWriter{t}), nil))}
	if tweak != nil {
		tweak(&o)
	}
	ps, err := sqlpoll.New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.ps = ps
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); _ = ps.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop ends the replica cleanly (its leases given back) and waits for it.
func (r *replica) stop() {
	r.cancel()
	<-r.done
}

// rows reads duban_collector_rows_total of source and outcome on the replica.
func (r *replica) rows(t testing.TB, source, outcome string) float64 {
	t.Helper()
	return gauge(t, r.reg, "duban_collector_rows_total", map[string]string{"source": source, "outcome": outcome})
}

func gauge(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

// metricsText is the replica's exposition of duban_collector_*.
func (r *replica) metricsText(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		b.WriteString(mf.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// storedEvents reads the events stored for each case.
func storedEvents(t testing.TB, store *rdb.Store, ids []string) [][]monitor.Event {
	t.Helper()
	evs, err := store.EventsOf(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// countStored is the number of events stored for the cases.
func countStored(t testing.TB, store *rdb.Store, ids []string) int {
	n := 0
	for _, e := range storedEvents(t, store, ids) {
		n += len(e)
	}
	return n
}

func caseIDs(prefix string, from, to int) []string {
	var out []string
	for n := from; n < to; n++ {
		out = append(out, fmt.Sprintf("%s-%05d", prefix, n))
	}
	return out
}

// newStore is a store on a fresh prefix.
func newStore(t *testing.T) *rdb.Store { return rdbtest.Store(t) }

// proxy is a TCP proxy in front of a database server that the test can cut and restore:
// cut closes every connection through it and refuses new ones until restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close(); c.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
	s.Close()
}

// setCut cuts (true) or restores (false) the connection to the database.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
