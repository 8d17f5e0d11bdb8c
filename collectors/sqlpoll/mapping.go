package sqlpoll

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/eventjson"
)

// mapper turns rows into the JSON events the push API takes, so that eventjson.Parse
// validates them with the push API's rules and messages.
type mapper struct {
	src *config.SQLSource
	// fields are the mapped event fields with their column indexes, in the contract's order.
	fields []mapped
	// receivedAt is the column index of received_at, -1 when not mapped.
	receivedAt int
}

type mapped struct {
	field string
	col   int
}

func newMapper(src *config.SQLSource, cols []column) *mapper {
	m := &mapper{src: src, receivedAt: -1}
	index := func(name string) int {
		for i, c := range cols {
			if strings.EqualFold(c.name, name) {
				return i
			}
		}
		return -1
	}
	for _, f := range config.SQLFields {
		c := src.Columns[f]
		if c == "" {
			continue
		}
		if f == "received_at" {
			m.receivedAt = index(c)
			continue
		}
		m.fields = append(m.fields, mapped{f, index(c)})
	}
	return m
}

// event builds the JSON object of a row. errs are the problems the mapping itself found
// (a time column that holds no time); ParseEvent finds the rest. receivedAt is the row's
// received_at when mapped and readable.
func (m *mapper) event(rw *row, cols []column, cur string) (raw []byte, receivedAt time.Time, errs monitor.FieldErrors) {
	obj := make(map[string]any, len(m.fields)+2)
	if m.src.Department != "" {
		obj["department"] = m.src.Department
	}
	if _, ok := m.src.Columns["event_id"]; !ok {
		obj["event_id"] = m.src.Name + ":" + cur
	}
	for _, f := range m.fields {
		v := rw.cells[f.col]
		if v == nil {
			continue // absent: the configured department, or ParseEvent names a required field
		}
		switch f.field {
		case "at":
			t, ok := timeOf(v, cols[f.col].zoned, m.src.Location)
			if !ok {
				errs = append(errs, monitor.FieldError{Field: "at", Message: fmt.Sprintf("column %s holds %q, not a time", m.src.Columns["at"], textOf(v))})
				continue
			}
			obj["at"] = t.Format(time.RFC3339Nano)
		case "seq", "days":
			if n, ok := intOf(v); ok {
				obj[f.field] = n
			} else {
				obj[f.field] = textOf(v) // ParseEvent names the field
			}
		default:
			s := textOf(v)
			if to, ok := m.src.Values[f.field][s]; ok {
				s = to
			}
			if s != "" || f.field != "department" {
				obj[f.field] = s
			}
		}
	}
	if m.receivedAt >= 0 {
		if v := rw.cells[m.receivedAt]; v != nil {
			t, ok := timeOf(v, cols[m.receivedAt].zoned, m.src.Location)
			if !ok {
				errs = append(errs, monitor.FieldError{Field: "received_at", Message: fmt.Sprintf("column %s holds %q, not a time", m.src.Columns["received_at"], textOf(v))})
			}
			receivedAt = t
		}
	}
	raw, err := json.Marshal(obj)
	if err != nil { // strings, numbers and times only: cannot happen
		errs = append(errs, monitor.FieldError{Message: err.Error()})
	}
	return raw, receivedAt, errs
}

// textOf is a cell as text: numbers in decimal, bytes as UTF-8 text, times in RFC 3339.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// intOf reads an integer cell: an integer, or a decimal (text or number) without a
// fractional part ("10", "10.00").
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
		return 0, false
	case string, []byte:
		s := strings.TrimSpace(textOf(x))
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		r, ok := new(big.Rat).SetString(s)
		if ok && r.IsInt() && r.Num().IsInt64() {
			return r.Num().Int64(), true
		}
	}
	return 0, false
}

// Layouts of time text without a zone, read in the source's time_zone.
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// timeOf reads a time cell. A time from a column without a zone is its wall clock in loc;
// text with an offset keeps it, text without one is read in loc.
func timeOf(v any, zoned bool, loc *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		if zoned {
			return x.In(loc), true
		}
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), loc), true
	case string, []byte:
		s := strings.TrimSpace(textOf(x))
		if t, err := eventjson.ParseTime(s); err == nil {
			return t, true
		}
		for _, l := range localLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
