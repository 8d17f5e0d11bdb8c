package sqlpoll

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers "sqlite": pure Go, so the binary needs no cgo

	"github.com/duban-gov/duban/internal/config"
)

// connectTimeout bounds opening a connection; queryTimeout one page's query.
const (
	connectTimeout = 5 * time.Second
	queryTimeout   = 60 * time.Second
)

// mappingError is a problem of the configuration that only the database could reveal
// (missing columns, a cursor column that is neither an integer nor a timestamp). It is
// reported as "mapping: …" and retried on the back-off, as the table may be fixed.
type mappingError struct{ msg string }

func (e *mappingError) Error() string { return e.msg }

// openDB opens the source's database handle; nothing is dialled yet.
func openDB(src *config.SQLSource) (*sql.DB, error) {
	var db *sql.DB
	switch src.Driver {
	case "postgres":
		c, err := pgx.ParseConfig(src.DSN)
		if err != nil {
			return nil, errors.New("the data source name is not valid")
		}
		if c.ConnectTimeout == 0 {
			c.ConnectTimeout = connectTimeout
		}
		db = stdlib.OpenDB(*c)
	case "mysql":
		c, err := mysql.ParseDSN(src.DSN)
		if err != nil {
			return nil, errors.New("the data source name is not valid")
		}
		// DATETIME comes back as its wall clock (read in the source's time_zone here);
		// TIMESTAMP, an instant, comes back in UTC.
		c.ParseTime, c.Loc = true, time.UTC
		// The driver's own log lines (one per broken connection) would break the rule of
		// one line per outage; its errors reach the poller, which reports them.
		c.Logger = &mysql.NopLogger{}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		c.Params["time_zone"] = "'+00:00'"
		if c.Timeout == 0 {
			c.Timeout = connectTimeout
		}
		conn, err := mysql.NewConnector(c)
		if err != nil {
			return nil, errors.New("the data source name is not valid")
		}
		db = sql.OpenDB(conn)
	case "sqlite":
		var err error
		if db, err = sql.Open("sqlite", src.DSN); err != nil {
			return nil, errors.New("the data source name is not valid")
		}
	default:
		return nil, fmt.Errorf("unknown driver %q", src.Driver)
	}
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// column is one result column: its name and how its time values are read.
type column struct {
	name string
	// zoned: the database returns instants (timestamptz, MySQL TIMESTAMP); otherwise a
	// time value is a wall clock in the source's time_zone.
	zoned bool
}

// cursor is a position in a source: an integer or an instant, by the source's kind.
type cursor struct {
	n int64
	t time.Time
}

// reader reads one source's rows in cursor order.
type reader struct {
	src  *config.SQLSource
	db   *sql.DB
	kind config.CursorKind
	// query is the page query: rows with cursor > $1 in cursor order, at most $2.
	query string
	cols  []column
	// cursorCol is the cursor's index in cols.
	cursorCol int
}

// quote quotes an identifier (a column, or a table as schema.table) in the driver's style.
func quote(driver, name string) string {
	q := `"`
	if driver == "mysql" {
		q = "`"
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = q + strings.ReplaceAll(p, q, q+q) + q
	}
	return strings.Join(parts, ".")
}

// wanted lists the columns the mapping reads, the cursor first, each once.
func wanted(src *config.SQLSource) []string {
	cols := []string{src.Cursor}
	for _, f := range config.SQLFields {
		if c := src.Columns[f]; c != "" && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols
}

// prepare finds out on first contact what the configuration could not say: that every
// mapped column exists, what the cursor holds and which time columns carry a zone. It
// returns a *mappingError for a problem of the table or query, any other error when the
// database cannot be reached.
func (r *reader) prepare(ctx context.Context) error {
	src := r.src
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	want := wanted(src)
	if src.Table != "" {
		// The table's own columns first, so that a missing one is named.
		rows, err := r.db.QueryContext(ctx, "SELECT * FROM "+quote(src.Driver, src.Table)+" WHERE 1=0")
		if err != nil {
			if isMissingTable(err) {
				return &mappingError{fmt.Sprintf("table %s: %v", src.Table, err)}
			}
			return err
		}
		have, err := rows.Columns()
		rows.Close()
		if err != nil {
			return err
		}
		if missing := missingColumns(want, have); len(missing) > 0 {
			return &mappingError{fmt.Sprintf("columns missing from table %s: %s", src.Table, strings.Join(missing, ", "))}
		}
		// The table's own spelling of each column: PostgreSQL folds unquoted names to
		// lower case, so `cursor: ID` means the column id.
		sel := make([]string, len(want))
		for i, c := range want {
			sel[i] = quote(src.Driver, have[slices.IndexFunc(have, func(h string) bool { return strings.EqualFold(h, c) })])
		}
		c := sel[0] // the cursor comes first
		p1, p2 := "?", "?"
		if src.Driver == "postgres" {
			p1, p2 = "$1", "$2"
		}
		r.query = "SELECT " + strings.Join(sel, ", ") + " FROM " + quote(src.Driver, src.Table) +
			" WHERE " + c + " > " + p1 + " ORDER BY " + c + " LIMIT " + p2
	} else {
		r.query = src.Query
	}
	// The query itself, for no rows, tells the columns and their types. A cursor of
	// unknown kind is tried as an integer, then as a time (PostgreSQL refuses the wrong one).
	kinds := []config.CursorKind{src.CursorKind}
	if src.CursorKind == config.CursorUnknown {
		kinds = []config.CursorKind{config.CursorInteger, config.CursorTimestamp}
	}
	var (
		types []*sql.ColumnType
		err   error
	)
	for _, k := range kinds {
		r.kind = k
		if types, err = r.probe(ctx); err == nil {
			break
		}
	}
	if err != nil {
		if isQueryProblem(err) {
			return &mappingError{"query: " + err.Error()}
		}
		return err
	}
	r.cols = make([]column, len(types))
	have := make([]string, len(types))
	for i, t := range types {
		have[i] = t.Name()
		r.cols[i] = column{name: t.Name(), zoned: zoned(src.Driver, t.DatabaseTypeName())}
	}
	if missing := missingColumns(want, have); len(missing) > 0 {
		return &mappingError{"columns missing from the query's result: " + strings.Join(missing, ", ")}
	}
	r.cursorCol = slices.IndexFunc(have, func(h string) bool { return strings.EqualFold(h, src.Cursor) })
	switch k := kindOf(types[r.cursorCol].DatabaseTypeName()); {
	case k == config.CursorUnknown && src.CursorKind == config.CursorUnknown && r.kind == config.CursorInteger:
		// A type name that says nothing (SQLite without a declared type): an integer, as
		// the first probe took it.
	case k == config.CursorUnknown:
	case src.CursorKind != config.CursorUnknown && k != src.CursorKind:
		return &mappingError{fmt.Sprintf("cursor column %s is of type %s, not an %s as the configuration says", src.Cursor,
			types[r.cursorCol].DatabaseTypeName(), src.CursorKind)}
	default:
		r.kind = k
	}
	if r.kind == config.CursorTimestamp && src.Columns["event_id"] == "" {
		return &mappingError{fmt.Sprintf("cursor column %s holds times: map columns.event_id, as rows that share a time need their own event ids", src.Cursor)}
	}
	return nil
}

// probe runs the page query for no rows and returns its column types.
func (r *reader) probe(ctx context.Context) ([]*sql.ColumnType, error) {
	rows, err := r.db.QueryContext(ctx, r.query, r.arg(r.start()), 0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	for rows.Next() {
	}
	return types, rows.Err()
}

func missingColumns(want, have []string) []string {
	var missing []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			missing = append(missing, w)
		}
	}
	return missing
}

// zoned tells from a column's database type whether its values are instants.
func zoned(driver, typ string) bool {
	typ = strings.ToUpper(typ)
	switch driver {
	case "postgres":
		return typ == "TIMESTAMPTZ"
	case "mysql":
		return typ == "TIMESTAMP"
	}
	return false
}

// kindOf tells a cursor's kind from its column's database type, CursorUnknown when the
// type does not say.
func kindOf(typ string) config.CursorKind {
	typ = strings.ToUpper(typ)
	switch {
	case strings.Contains(typ, "INT"), strings.Contains(typ, "SERIAL"), typ == "NUMERIC", typ == "DECIMAL":
		return config.CursorInteger
	case strings.Contains(typ, "TIME"), strings.Contains(typ, "DATE"):
		return config.CursorTimestamp
	}
	return config.CursorUnknown
}

// isMissingTable and isQueryProblem tell a database's answer about the SQL from the
// database being away: an answer means the database is up and the mapping is wrong.
func isMissingTable(err error) bool { return isQueryProblem(err) }

func isQueryProblem(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return true
	}
	type sqlStater interface{ SQLState() string }
	var ss sqlStater
	if errors.As(err, &ss) {
		// Class 08 is a connection exception; 57P is an operator intervention (shutdown).
		s := ss.SQLState()
		return !strings.HasPrefix(s, "08") && !strings.HasPrefix(s, "57P") && !strings.HasPrefix(s, "53")
	}
	msg := err.Error()
	// SQLite answers in words: "no such table", "no such column", "SQL logic error".
	return strings.Contains(msg, "no such ") || strings.Contains(msg, "SQL logic error") ||
		strings.Contains(msg, "syntax error")
}

// start is the position before every row.
func (r *reader) start() cursor {
	if r.kind == config.CursorTimestamp {
		return cursor{t: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	return cursor{n: math.MinInt64}
}

// arg is a cursor as a query parameter. A time is given as its wall clock in the source's
// zone: the form that compares right with a column without a zone; a zoned column is
// compared as an instant.
func (r *reader) arg(c cursor) any {
	if r.kind != config.CursorTimestamp {
		return c.n
	}
	if len(r.cols) > 0 && r.cols[r.cursorCol].zoned {
		return c.t
	}
	w := c.t.In(r.src.Location)
	if r.src.Driver == "sqlite" {
		// SQLite compares the text as written: the usual "2006-01-02 15:04:05" form.
		return w.Format("2006-01-02 15:04:05.999999999")
	}
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// back moves a cursor back by the source's overlap.
func (r *reader) back(c cursor) cursor {
	if r.kind == config.CursorTimestamp {
		return cursor{t: c.t.Add(-r.src.OverlapTime)}
	}
	if c.n < math.MinInt64+r.src.OverlapRows {
		return cursor{n: math.MinInt64}
	}
	return cursor{n: c.n - r.src.OverlapRows}
}

func (r *reader) less(a, b cursor) bool {
	if r.kind == config.CursorTimestamp {
		return a.t.Before(b.t)
	}
	return a.n < b.n
}

// format and parse a cursor as stored in Redis.
func (r *reader) format(c cursor) string {
	if r.kind == config.CursorTimestamp {
		return c.t.UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(c.n, 10)
}

func (r *reader) parse(s string) (cursor, error) {
	if r.kind == config.CursorTimestamp {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return cursor{}, fmt.Errorf("stored cursor %q is not a time: the cursor column changed kind", s)
		}
		return cursor{t: t}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return cursor{}, fmt.Errorf("stored cursor %q is not an integer: the cursor column changed kind", s)
	}
	return cursor{n: n}, nil
}

// row is one row read: its cursor and its cells, by column.
type row struct {
	cur   cursor
	cells []any
	// bad is set when the cursor cell cannot be read (NULL, not a number or a time).
	bad string
}

// page reads up to limit rows after from, in cursor order.
func (r *reader) page(ctx context.Context, from cursor, limit int) ([]row, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, r.query, r.arg(from), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(names) != len(r.cols) {
		return nil, &mappingError{"the query's columns changed; they are read again"}
	}
	var out []row
	for rows.Next() {
		cells := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rw := row{cells: cells}
		rw.cur, rw.bad = r.cursorOf(cells[r.cursorCol])
		out = append(out, rw)
	}
	return out, rows.Err()
}

// cursorOf reads a cursor cell.
func (r *reader) cursorOf(v any) (cursor, string) {
	if v == nil {
		return cursor{}, "the cursor column " + r.src.Cursor + " is NULL"
	}
	if r.kind == config.CursorTimestamp {
		t, ok := timeOf(v, r.cols[r.cursorCol].zoned, r.src.Location)
		if !ok {
			return cursor{}, fmt.Sprintf("the cursor column %s holds %q, not a time", r.src.Cursor, textOf(v))
		}
		return cursor{t: t}, ""
	}
	n, ok := intOf(v)
	if !ok {
		return cursor{}, fmt.Sprintf("the cursor column %s holds %q, not an integer", r.src.Cursor, textOf(v))
	}
	return cursor{n: n}, ""
}
