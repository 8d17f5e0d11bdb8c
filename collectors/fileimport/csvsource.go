package fileimport

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/duban-gov/duban/monitor"
)

// Columns are the names a CSV header may use: the contract's event fields, in its order.
var Columns = []string{"event_id", "case_id", "department", "matter", "type", "at", "seq",
	"handler", "days", "approver", "reason", "note", "amount_yuan", "result", "ref"}

// requiredColumns are the fields every event needs: a header without one of them would
// have every row rejected.
var requiredColumns = []string{"event_id", "case_id", "department", "type", "at"}

// csvSource reads CSV: a header row, then one event per record.
type csvSource struct {
	r    *csv.Reader
	cols []string // the header's field names, by column
	buf  []byte   // the JSON object of the last record
}

func newCSVSource(r io.Reader) (source, error) {
	br := bufio.NewReader(r)
	if err := skipBOM(br); err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, with a message of ours
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return &csvSource{r: cr}, nil // empty: no events
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("line %d: the header is not valid CSV: %v", pe.StartLine, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	cols, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	return &csvSource{r: cr, cols: cols}, nil
}

// parseHeader checks the header row: every column an event field, none twice, none of the
// required ones missing. Anything else would drop a column's data without a word.
func parseHeader(header []string) ([]string, error) {
	cols := make([]string, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("line 1: header column %d is empty; name every column with an event field: %s",
				i+1, strings.Join(Columns, ", "))
		case name == "received_at":
			return nil, fmt.Errorf("line 1: header column %d, received_at, is not taken: duban stamps it (the import's time, or with --historical each event's at)", i+1)
		case !slices.Contains(Columns, name):
			return nil, fmt.Errorf("line 1: header column %d, %s, is not an event field; the columns are named %s",
				i+1, quote(name), strings.Join(Columns, ", "))
		}
		if j := slices.Index(cols[:i], name); j >= 0 {
			return nil, fmt.Errorf("line 1: header column %d, %s, repeats column %d", i+1, name, j+1)
		}
		cols[i] = name
	}
	var missing []string
	for _, c := range requiredColumns {
		if !slices.Contains(cols, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1: the header has no column %s; every event needs %s",
			strings.Join(missing, ", "), strings.Join(requiredColumns, ", "))
	}
	return cols, nil
}

func (s *csvSource) next() (item, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return item{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// The reader goes on at the next record.
		msg := "is not valid CSV: " + pe.Err.Error()
		if pe.Line != pe.StartLine {
			msg += fmt.Sprintf(" (on line %d)", pe.Line)
		}
		return item{line: pe.StartLine, element: -1, errs: monitor.FieldErrors{{Field: "", Message: msg}}}, nil
	}
	if err != nil {
		return item{}, fmt.Errorf("read: %w", err)
	}
	line, _ := s.r.FieldPos(0)
	if len(rec) != len(s.cols) {
		return item{line: line, element: -1, errs: monitor.FieldErrors{{Field: "",
			Message: fmt.Sprintf("has %d cells; the header has %d columns", len(rec), len(s.cols))}}}, nil
	}
	it := item{line: line, element: -1}
	s.buf = append(s.buf[:0], '{')
	for i, cell := range rec {
		if cell == "" {
			continue // absent
		}
		name := s.cols[i]
		if !utf8.ValidString(cell) {
			// JSON would turn the bytes into U+FFFD without a word.
			it.errs = append(it.errs, monitor.FieldError{Field: name,
				Message: `must be valid UTF-8 (save the file as "CSV UTF-8", not in a legacy encoding such as GBK)`})
			continue
		}
		if len(s.buf) > 1 {
			s.buf = append(s.buf, ',')
		}
		s.buf = appendJSONString(s.buf, name)
		s.buf = append(s.buf, ':')
		if name == "seq" || name == "days" {
			if n, err := strconv.ParseInt(cell, 10, 64); err == nil {
				s.buf = strconv.AppendInt(s.buf, n, 10)
				continue
			}
			// Anything else stays a string, and eventjson.Parse names the field.
		}
		s.buf = appendJSONString(s.buf, cell)
	}
	it.raw = append(s.buf, '}')
	s.buf = it.raw
	return it, nil
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"', c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// quote quotes a header name for a message, cut to 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:40])
	}
	return fmt.Sprintf("%q", s)
}
