package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/monitor"
)

// Defaults of an exchange-database source (`collectors.sql[]`).
const (
	DefaultSQLInterval    = 5 * time.Second
	DefaultSQLBatch       = 1000
	DefaultSQLOverlapRows = 1000
	DefaultSQLOverlapTime = 5 * time.Minute
)

// SQLDrivers are the drivers an exchange-database source may name.
var SQLDrivers = []string{"postgres", "mysql", "sqlite"}

// SQLFields are the event fields a source's `columns` may map, received_at included (when
// the row was written).
var SQLFields = []string{"event_id", "case_id", "department", "matter", "type", "at", "seq",
	"handler", "days", "approver", "reason", "note", "amount_yuan", "result", "ref", "received_at"}

// CursorKind says what a source's cursor column holds.
type CursorKind string

// The cursor kinds. CursorUnknown is found out on first contact with the database.
const (
	CursorUnknown   CursorKind = ""
	CursorInteger   CursorKind = "integer"
	CursorTimestamp CursorKind = "timestamp"
)

// SQLSource is one entry of `collectors.sql`: an exchange database (前置库) table that a
// department writes its steps into and that duban polls.
type SQLSource struct {
	// Key is the entry's dotted key, "collectors.sql[0]", for messages.
	Key  string
	Name string
	// Driver is postgres, mysql or sqlite.
	Driver string
	// DSN is the data source name, from `dsn` or the variable `dsn_env` names. Password is
	// the password found in it ("" when none), so that it can be kept out of every message.
	DSN      string
	Password string
	// Department is the events' department unless `columns.department` maps one.
	Department string
	// Table (with Columns) or Query says what is read; exactly one is set.
	Table string
	Query string
	// Cursor is the column that grows with new rows; CursorKind is what it holds when the
	// configuration tells (overlap given as a duration or a row count, the cursor mapped
	// to at), CursorUnknown when the database must tell.
	Cursor     string
	CursorKind CursorKind
	// OverlapRows (integer cursor) and OverlapTime (timestamp cursor) are re-read behind
	// the stored cursor each poll.
	OverlapRows int64
	OverlapTime time.Duration
	// StartNow: a first run starts at the table's end instead of its beginning.
	StartNow bool
	Interval time.Duration
	Batch    int
	// Columns maps event fields to column names; Values maps, per event field, the
	// department's own codes to duban's.
	Columns map[string]string
	Values  map[string]map[string]string
	// Location is the zone of timestamp columns without one (`time_zone`, default the
	// service's `timezone`).
	Location *time.Location
}

type fileCollectors struct {
	SQL []fileSQLSource `yaml:"sql"`
}

type fileSQLSource struct {
	Name       string    `yaml:"name"`
	Driver     string    `yaml:"driver"`
	DSN        string    `yaml:"dsn"`
	DSNEnv     string    `yaml:"dsn_env"`
	Department string    `yaml:"department"`
	Table      string    `yaml:"table"`
	Query      string    `yaml:"query"`
	Cursor     string    `yaml:"cursor"`
	Overlap    string    `yaml:"overlap"`
	Start      string    `yaml:"start"`
	Interval   string    `yaml:"interval"`
	Batch      int       `yaml:"batch"`
	Columns    yaml.Node `yaml:"columns"`
	Values     yaml.Node `yaml:"values"`
	TimeZone   string    `yaml:"time_zone"`
}

var sourceName = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// collectors validates `collectors.sql`. What only the database can tell (whether the
// columns exist, what the cursor holds when nothing here says) is checked on first contact
// and reported per source at run time, not here.
func (l *loader) collectors(fc *fileConfig) *Error {
	seen := map[string]int{}
	for i := range fc.Collectors.SQL {
		f := &fc.Collectors.SQL[i]
		key := fmt.Sprintf("collectors.sql[%d]", i)
		src, err := l.sqlSource(f, key)
		if err != nil {
			return err
		}
		if j, dup := seen[src.Name]; dup {
			return &Error{Key: key + ".name", Message: fmt.Sprintf("%q is already the name of collectors.sql[%d]", src.Name, j)}
		}
		seen[src.Name] = i
		l.cfg.Collectors.SQL = append(l.cfg.Collectors.SQL, src)
	}
	return nil
}

func (l *loader) sqlSource(f *fileSQLSource, key string) (SQLSource, *Error) {
	s := SQLSource{Key: key, Name: f.Name, Driver: f.Driver, Department: f.Department, Table: f.Table,
		Query: strings.TrimSpace(f.Query), Cursor: f.Cursor, Interval: DefaultSQLInterval, Batch: DefaultSQLBatch,
		OverlapRows: DefaultSQLOverlapRows, OverlapTime: DefaultSQLOverlapTime, Location: l.cfg.Location}
	if !sourceName.MatchString(s.Name) {
		return s, &Error{Key: key + ".name", Message: fmt.Sprintf("%q: 1 to 64 of a-z, 0-9 and -", s.Name)}
	}
	if !slices.Contains(SQLDrivers, s.Driver) {
		return s, &Error{Key: key + ".driver", Message: fmt.Sprintf("unknown driver %q (known: %s)", s.Driver, strings.Join(SQLDrivers, ", "))}
	}
	dsnKey := key + ".dsn"
	switch {
	case f.DSN != "" && f.DSNEnv != "":
		return s, &Error{Key: key + ".dsn_env", Message: "give dsn or dsn_env, not both"}
	case f.DSNEnv != "":
		dsnKey = f.DSNEnv
		if s.DSN = l.getenv(f.DSNEnv); s.DSN == "" {
			return s, &Error{Key: key + ".dsn_env", Message: fmt.Sprintf("the environment variable %s is not set", f.DSNEnv)}
		}
	case f.DSN != "":
		s.DSN = f.DSN
	default:
		return s, &Error{Key: key + ".dsn", Message: "is required (or dsn_env, naming an environment variable that holds it)"}
	}
	pw, err := parseDSN(s.Driver, s.DSN)
	if err != nil {
		return s, &Error{Key: dsnKey, Message: fmt.Sprintf("not a valid %s data source name: %s", s.Driver, err)}
	}
	s.Password = pw
	if cat := l.cfg.Catalog; s.Department != "" && cat != nil && !hasDepartment(cat, s.Department) {
		return s, &Error{Key: key + ".department", Message: fmt.Sprintf("%q is not a department of the catalogue", s.Department)}
	}
	switch {
	case s.Table == "" && s.Query == "":
		return s, &Error{Key: key + ".table", Message: "give table (with columns) or query"}
	case s.Table != "" && s.Query != "":
		return s, &Error{Key: key + ".query", Message: "give table or query, not both"}
	}
	if s.Cursor == "" {
		return s, &Error{Key: key + ".cursor", Message: "is required: the integer or timestamp column that grows with new rows"}
	}
	if f.Interval != "" {
		d, err := parseDuration(key+".interval", f.Interval)
		if err != nil {
			return s, err
		}
		s.Interval = d
	}
	if f.Batch < 0 || f.Batch > 100000 {
		return s, &Error{Key: key + ".batch", Message: fmt.Sprintf("must be from 1 to 100000, not %d", f.Batch)}
	} else if f.Batch > 0 {
		s.Batch = f.Batch
	}
	switch f.Start {
	case "", "beginning":
	case "now":
		s.StartNow = true
	default:
		return s, &Error{Key: key + ".start", Message: fmt.Sprintf("%q: use beginning or now", f.Start)}
	}
	if f.TimeZone != "" {
		loc, err := time.LoadLocation(f.TimeZone)
		if err != nil || f.TimeZone == "Local" {
			return s, &Error{Key: key + ".time_zone", Message: fmt.Sprintf("unknown time zone %q", f.TimeZone)}
		}
		s.Location = loc
	}
	if s.Columns, err = stringMap(&f.Columns); err != nil {
		return s, &Error{Key: key + ".columns", Message: err.Error()}
	}
	for field, col := range s.Columns {
		if !slices.Contains(SQLFields, field) {
			return s, &Error{Key: key + ".columns." + field, Message: "unknown event field (known: " + strings.Join(SQLFields, ", ") + ")"}
		}
		if col == "" {
			return s, &Error{Key: key + ".columns." + field, Message: "names no column"}
		}
	}
	for _, need := range []string{"case_id", "type", "at"} {
		if s.Columns[need] == "" {
			return s, &Error{Key: key + ".columns." + need, Message: "is required: the column the events' " + need + " comes from"}
		}
	}
	if s.Department == "" && s.Columns["department"] == "" {
		return s, &Error{Key: key + ".department", Message: "is required unless columns.department names a column"}
	}
	if s.Values, err = valueMaps(&f.Values); err != nil {
		return s, &Error{Key: key + ".values", Message: err.Error()}
	}
	for field := range s.Values {
		if !slices.Contains(SQLFields, field) || field == "received_at" {
			return s, &Error{Key: key + ".values." + field, Message: "unknown event field (known: " + strings.Join(SQLFields[:len(SQLFields)-1], ", ") + ")"}
		}
	}
	if s.Columns["at"] == s.Cursor || s.Columns["received_at"] == s.Cursor {
		s.CursorKind = CursorTimestamp
	}
	if f.Overlap != "" {
		if n, err := strconv.ParseInt(f.Overlap, 10, 64); err == nil {
			if n < 0 {
				return s, &Error{Key: key + ".overlap", Message: fmt.Sprintf("must be ≥ 0, not %d", n)}
			}
			if s.CursorKind == CursorTimestamp {
				return s, &Error{Key: key + ".overlap", Message: fmt.Sprintf("%s is a timestamp cursor: give a duration like 5m, not a row count", s.Cursor)}
			}
			s.OverlapRows, s.CursorKind = n, CursorInteger
		} else if d, err := time.ParseDuration(f.Overlap); err == nil && d >= 0 {
			s.OverlapTime, s.CursorKind = d, CursorTimestamp
		} else {
			return s, &Error{Key: key + ".overlap", Message: fmt.Sprintf("%q is neither a row count (integer cursor) nor a duration like 5m (timestamp cursor)", f.Overlap)}
		}
	}
	if s.CursorKind == CursorTimestamp && s.Columns["event_id"] == "" {
		return s, &Error{Key: key + ".columns.event_id", Message: "is required with a timestamp cursor: rows that share a time need their own event ids"}
	}
	if s.Query != "" && !hasPlaceholders(s.Driver, s.Query) {
		return s, &Error{Key: key + ".query", Message: "needs two placeholders, the last cursor value and the batch size (" + placeholderHint(s.Driver) + ")"}
	}
	return s, nil
}

// parseDSN checks a data source name the way its driver reads it and returns the password
// in it, if any.
func parseDSN(driver, dsn string) (string, error) {
	switch driver {
	case "postgres":
		c, err := pgconn.ParseConfig(dsn)
		if err != nil {
			return "", dsnError(err, dsn)
		}
		return c.Password, nil
	case "mysql":
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "", dsnError(err, dsn)
		}
		return c.Passwd, nil
	case "sqlite":
		// A file name, or a file: URI with query parameters.
		if strings.HasPrefix(dsn, "file:") {
			if _, err := url.Parse(dsn); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("unknown driver %q", driver)
}

// dsnError keeps the data source name (which may hold a password) out of a parse error.
func dsnError(err error, dsn string) error {
	msg := err.Error()
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "…")
	}
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return fmt.Errorf("%s", msg)
}

func hasPlaceholders(driver, q string) bool {
	if driver == "postgres" {
		return strings.Contains(q, "$1") && strings.Contains(q, "$2")
	}
	return strings.Count(q, "?") >= 2
}

func placeholderHint(driver string) string {
	if driver == "postgres" {
		return "$1 and $2"
	}
	return "two ?"
}

// stringMap reads a mapping of strings to strings.
func stringMap(n *yaml.Node) (map[string]string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	out := map[string]string{}
	if n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return out, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: must be a string, not %s", k.Value, describe(v))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("%s: given twice", k.Value)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

// valueMaps reads a mapping of event fields to mappings of strings.
func valueMaps(n *yaml.Node) (map[string]map[string]string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	out := map[string]map[string]string{}
	if n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return out, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m, err := stringMap(n.Content[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s.%s", n.Content[i].Value, err)
		}
		out[n.Content[i].Value] = m
	}
	return out, nil
}

func hasDepartment(cat *monitor.Catalog, code string) bool {
	_, ok := cat.Department(code)
	return ok
}
