package fileimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/duban-gov/duban/monitor"
)

// MaxLineBytes is the longest NDJSON line read as an event; a longer line is one rejected
// event. An event is a few kilobytes at most (a note holds at most 2000 characters). It is
// also how much of a JSON file is looked at to tell NDJSON from a pretty-printed object.
const MaxLineBytes = 1 << 20

// utf8BOM is what some Windows tools put before UTF-8 text; JSON and CSV parsers reject it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// newJSONSource sniffs a JSON file: one array, a sequence of JSON values (a pretty-printed
// object), or NDJSON; see the package documentation.
func newJSONSource(r io.Reader) (source, error) {
	br := bufio.NewReaderSize(r, MaxLineBytes)
	if err := skipBOM(br); err != nil {
		return nil, err
	}
	head, err := br.Peek(br.Size()) // all of a small file, the first MiB of a large one
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read: %w", err)
	}
	line, i := 1, 0 // the line of head[i], the first non-blank byte
	for ; i < len(head) && isSpace(head[i]); i++ {
		if head[i] == '\n' {
			line++
		}
	}
	if i == len(head) {
		return &lineSource{br: br}, nil // blank: no events (or a megabyte of blanks: lines)
	}
	switch head[i] {
	case '[':
		_, _ = br.Discard(i) // peeked, so it cannot fail
		return newValueSource(br, line, true)
	case '{':
		first := head[i:]
		if j := bytes.IndexByte(first, '\n'); j >= 0 {
			first = first[:j]
		}
		if json.Valid(first) || !objectFirst(head[i:]) {
			// NDJSON; a first line that is not JSON is a rejection like any other.
			return &lineSource{br: br}, nil
		}
		_, _ = br.Discard(i)
		return newValueSource(br, line, false)
	}
	return nil, fmt.Errorf("the file must hold a JSON array, a JSON object or NDJSON (one object per line); it starts with %s", startOf(head[i:]))
}

// objectFirst reports whether b starts with a whole JSON object.
func objectFirst(b []byte) bool {
	var v json.RawMessage
	return json.NewDecoder(bytes.NewReader(b)).Decode(&v) == nil && v[0] == '{'
}

// skipBOM drops a leading UTF-8 byte order mark.
func skipBOM(br *bufio.Reader) error {
	b, err := br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF {
		return fmt.Errorf("read: %w", err)
	}
	if bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// startOf quotes the first few bytes of b for a message.
func startOf(b []byte) string {
	const n = 16
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// lineSource reads NDJSON: one event per line, blank lines skipped.
type lineSource struct {
	br   *bufio.Reader
	line int // lines read
}

func (s *lineSource) next() (item, error) {
	for {
		raw, long, err := readLine(s.br)
		if err == io.EOF {
			return item{}, io.EOF
		}
		if err != nil {
			return item{}, fmt.Errorf("read after line %d: %w", s.line, err)
		}
		s.line++
		if long {
			return item{line: s.line, element: -1, errs: monitor.FieldErrors{{Field: "",
				Message: fmt.Sprintf("is longer than %d bytes: not one event", MaxLineBytes)}}}, nil
		}
		raw = bytes.TrimSpace(raw) // also drops the '\r' of CRLF line ends
		if len(raw) == 0 {
			continue
		}
		// A line that is not JSON is eventjson.Parse's "is not valid JSON: …", naming the byte.
		return item{raw: raw, line: s.line, element: -1}, nil
	}
}

// readLine returns the next line without its '\n', valid until the next read; long reports
// a line longer than br's buffer, which is skipped to its end. It returns io.EOF only when
// nothing is left.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	line, err = br.ReadSlice('\n')
	for err == bufio.ErrBufferFull {
		long = true
		_, err = br.ReadSlice('\n')
	}
	switch {
	case err == io.EOF && (long || len(line) > 0): // the last line has no '\n'
	case err != nil:
		return nil, false, err
	}
	if long {
		return nil, true, nil
	}
	return bytes.TrimSuffix(line, []byte{'\n'}), false, nil
}

// valueSource reads JSON values with a json.Decoder: the elements of one array, or a
// sequence of values. A syntax error ends it: nothing after it can be told apart.
type valueSource struct {
	dec   *json.Decoder
	cr    *countingReader
	base  int  // the line on which the decoder's input starts
	array bool // the elements of an array, rather than a sequence of values
	n     int  // values read
	done  bool
}

func newValueSource(r io.Reader, line int, array bool) (*valueSource, error) {
	cr := &countingReader{r: r}
	s := &valueSource{dec: json.NewDecoder(cr), cr: cr, base: line, array: array}
	if array {
		if _, err := s.dec.Token(); err != nil { // the '[' sniffed
			return nil, s.fail(err)
		}
	}
	return s, nil
}

func (s *valueSource) next() (item, error) {
	if s.done {
		return item{}, io.EOF
	}
	if s.array && !s.dec.More() {
		if _, err := s.dec.Token(); err != nil { // the closing ']'
			if err == io.EOF {
				return item{}, fmt.Errorf("the file ends on line %d before the JSON array is closed with ']' (truncated?)", s.line())
			}
			return item{}, s.fail(err)
		}
		s.done = true
		if _, err := s.dec.Token(); err != io.EOF {
			return item{}, fmt.Errorf("line %d: more follows the JSON array; send one array, or NDJSON (one object per line)", s.line())
		}
		return item{}, io.EOF
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		if err == io.EOF && !s.array {
			s.done = true
			return item{}, io.EOF
		}
		return item{}, s.fail(err)
	}
	// The decoder stands just after the value, on the line of its last byte.
	it := item{raw: raw, line: s.line() - bytes.Count(raw, []byte{'\n'}), element: -1}
	if s.array {
		it.element = s.n
	}
	s.n++
	return it, nil
}

// line is the line on which the decoder stands: the lines it has read, less those still in
// its buffer.
func (s *valueSource) line() int {
	n, _ := s.buffered()
	return s.base + s.cr.lines - n
}

// nextLine is the line of the next byte that is not blank, where the value that failed
// starts.
func (s *valueSource) nextLine() int {
	n, blank := s.buffered()
	return s.base + s.cr.lines - n + blank
}

// buffered counts the line ends in the decoder's buffer, and those among its leading blanks.
func (s *valueSource) buffered() (n, blank int) {
	var chunk [4096]byte
	leading := true
	for r := s.dec.Buffered(); ; {
		k, err := r.Read(chunk[:])
		for _, c := range chunk[:k] {
			if leading && !isSpace(c) {
				leading = false
			}
			if c == '\n' {
				n++
				if leading {
					blank++
				}
			}
		}
		if err != nil {
			return n, blank
		}
	}
}

// fail says why the rest of the file cannot be read.
func (s *valueSource) fail(err error) error {
	what := "the JSON value"
	if s.array {
		what = fmt.Sprintf("element %d of the JSON array", s.n)
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s, starting on line %d, is not valid JSON: %v; the rest of the file cannot be read",
			what, s.nextLine(), se)
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the file ends in the middle of %s, starting on line %d (truncated?)", what, s.nextLine())
	}
	return fmt.Errorf("read near line %d: %w", s.line(), err)
}

// countingReader counts the line ends read through it.
type countingReader struct {
	r     io.Reader
	lines int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.lines += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}
