package httpin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/duban-gov/duban/internal/web"
)

// rawEvent is one event as cut out of the body: its bytes, and for NDJSON its line.
type rawEvent struct {
	raw  []byte
	line int // 1-based line number in an NDJSON body; 0 for a JSON object or array
	// bad says why an NDJSON line is not valid JSON ("" when it is); such a line is one
	// rejected event, not a broken body.
	bad string
}

// bodyFormat is how a body is cut into events.
type bodyFormat int

const (
	formatSniff  bodyFormat = iota // no JSON content type: an object, an array, or NDJSON
	formatJSON                     // application/json: exactly one object or array
	formatNDJSON                   // application/x-ndjson and its aliases: one value per line
)

// formatOf reads the declared format from the Content-Type. An absent or unparsable
// Content-Type, and every other type (curl -d sends application/x-www-form-urlencoded), is
// sniffed.
func formatOf(contentType string) bodyFormat {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return formatSniff
	}
	switch mt {
	case "application/json":
		return formatJSON
	case "application/x-ndjson", "application/ndjson", "application/jsonl",
		"application/x-jsonlines", "application/jsonlines":
		return formatNDJSON
	}
	return formatSniff
}

// readBody reads the whole body, at most limit bytes. Over the limit is 413; a body that
// cannot be read (the client hung up, broken chunking) is 400.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength)) // ≤ limit: at most one allocation
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		if bodyTimedOut(err) {
			return nil, web.Errorf(web.Timeout, "", "the body did not arrive within the body timeout (limits.body_timeout); nothing was stored")
		}
		return nil, web.Errorf(web.Invalid, "", "could not read the request body: %v", err)
	}
	return buf.Bytes(), nil
}

func tooLarge(limit int64) *web.Error {
	return web.Errorf(web.TooLarge, "", "the body is larger than %d bytes; send the events in smaller batches", limit)
}

// utf8BOM is what some Windows tools put before UTF-8 text; JSON parsers reject it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// splitBody cuts a body into events, at most maxEvents of them. It answers a *web.Error for
// a body that is not readable as a whole (400) or holds too many events (413); a single
// event that is valid JSON but a bad event, and an NDJSON line that is not JSON, are not its
// concern: they become per-event rejections.
func splitBody(body []byte, f bodyFormat, maxEvents int) ([]rawEvent, *web.Error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, web.Errorf(web.Invalid, "", "the body is empty: send a JSON object, a JSON array of objects, or NDJSON (one object per line)")
	}
	if f == formatNDJSON {
		return splitLines(body, maxEvents)
	}
	switch trimmed[0] {
	case '[':
		if !json.Valid(trimmed) {
			return nil, web.Errorf(web.Invalid, "", "the body is not a readable JSON array: %s", describeJSONError(trimmed))
		}
		// The elements are cut out of the body in place: no second copy of the batch.
		elems := splitArray(trimmed)
		if len(elems) > maxEvents {
			return nil, tooMany(len(elems), maxEvents)
		}
		evs := make([]rawEvent, len(elems))
		for i, e := range elems {
			evs[i] = rawEvent{raw: e}
		}
		return evs, nil
	case '{':
		if json.Valid(trimmed) {
			return []rawEvent{{raw: trimmed}}, nil
		}
		if f == formatSniff {
			// No declared type and not one object: NDJSON, provided it has readable lines.
			evs, werr := splitLines(body, maxEvents)
			if werr == nil || werr.Code == web.TooLarge {
				return evs, werr
			}
		}
		return nil, web.Errorf(web.Invalid, "", "the body is not one readable JSON object: %s", describeJSONError(trimmed))
	}
	return nil, web.Errorf(web.Invalid, "", "the body must be a JSON object, a JSON array of objects, or NDJSON (one object per line); it starts with %s", startOf(trimmed))
}

// splitLines cuts an NDJSON body at '\n' (a trailing '\r' is dropped), skipping blank lines.
// A line that is not valid JSON is kept as a bad event; only a body in which no line is
// valid JSON is unreadable (400): that is not NDJSON at all (a pretty-printed object, HTML,
// a form), and answering with one rejection per line would hide the real mistake.
func splitLines(body []byte, maxEvents int) ([]rawEvent, *web.Error) {
	var evs []rawEvent
	anyValid := false
	firstBad := ""
	for n, rest := 1, body; len(rest) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSpace(line) // also drops the '\r' of CRLF line ends
		if len(line) == 0 {
			continue
		}
		if len(evs) == maxEvents {
			return nil, tooMany(countLines(body), maxEvents)
		}
		ev := rawEvent{raw: line, line: n}
		if json.Valid(line) {
			anyValid = true
		} else {
			ev.bad = fmt.Sprintf("line %d is not valid JSON: %s", n, describeJSONError(line))
			if firstBad == "" {
				firstBad = ev.bad
			}
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		return nil, web.Errorf(web.Invalid, "", "the body holds only blank lines")
	}
	if !anyValid {
		return nil, web.Errorf(web.Invalid, "", "the body is not NDJSON: no line is valid JSON (%s)", firstBad)
	}
	return evs, nil
}

// countLines counts the non-blank lines of an NDJSON body, for the 413 message.
func countLines(body []byte) int {
	n := 0
	for line := range bytes.SplitSeq(body, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

func tooMany(n, max int) *web.Error {
	return web.Errorf(web.TooLarge, "", "the batch holds %d events; at most %d are taken per request", n, max)
}

// describeJSONError says what is wrong with b, which is not valid JSON, and where.
func describeJSONError(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	err := dec.Decode(&v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		// The first value is fine: something follows it.
		return fmt.Sprintf("more than one JSON value (the next starts near byte %d); send a JSON array, or NDJSON with Content-Type: application/x-ndjson", dec.InputOffset())
	case errors.As(err, &se):
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends in the middle of a JSON value (truncated?)"
	}
	return err.Error()
}

// startOf quotes the first few bytes of b for a message.
func startOf(b []byte) string {
	const n = 16
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// splitArray returns the elements of b, a JSON array already known to be valid, as
// sub-slices of b.
func splitArray(b []byte) [][]byte {
	var out [][]byte
	depth, start := 0, -1
	inStr, esc := false, false
	inner := b[1 : len(b)-1] // valid and trimmed: '[' … ']'
	for i, c := range inner {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case ',':
			if depth == 0 {
				out = append(out, bytes.TrimSpace(inner[start:i]))
				start = -1
				continue
			}
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, bytes.TrimSpace(inner[start:]))
	}
	return out
}
