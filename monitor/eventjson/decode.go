package eventjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/duban-gov/duban/monitor"
)

// Messages of Decode for values of the wrong JSON type or form.
const (
	msgString = "must be a string"
	msgAt     = `must be an RFC 3339 time with a UTC offset, such as "2026-03-02T10:15:00+08:00" or "2026-03-02T02:15:00Z"`
	msgSeq    = "must be a non-negative integer (a JSON number)"
	msgDays   = "must be an integer from 1 to 60"
)

// Decode decodes one JSON object into a monitor.Event field by field, so that a malformed
// field gives a monitor.FieldError naming that field while the others are still read. A body that is
// not one JSON object gives a single monitor.FieldError with Field "" (the event as a whole).
//
// The rules, beyond the event schema of docs/openapi.yaml:
//   - Field names are matched exactly (case-sensitive). Unknown fields are ignored, for
//     forward compatibility; so is `received_at`, which the service stamps itself.
//   - A known field given twice is an error on that field: which copy would win differs
//     between JSON parsers.
//   - null, and for string fields "", mean the field is absent.
//   - String fields must be JSON strings of valid UTF-8.
//   - `at` must be RFC 3339 with an offset (`Z` or ±hh:mm, hours 00–23), a 'T' separator and
//     at most 9 fractional digits after a '.'; its offset is kept in monitor.Event.At.
//   - `seq` must be a JSON integer ≥ 0 (no fraction or exponent, not a string).
//   - `days` must be a JSON integer; its range (1–60) is monitor.ValidateEvent's.
//   - `amount_yuan` must be a JSON string holding a decimal (monitor.ParseAmountFen); a JSON number
//     is rejected, as binary floating point cannot carry fen exactly.
//
// Decode checks no required field and no catalogue: that is monitor.ValidateEvent's work, and
// Parse does both. It never panics.
//
// Most events are well-formed and take a single-pass scanner (decodeEventFast); anything that
// scanner is not sure of, every input with an error among them, is decoded again by
// decodeEventSlow, the token walk that defines the rules above. FuzzDecodeEventEquivalence
// checks that the two agree.
func Decode(raw []byte) (monitor.Event, monitor.FieldErrors) {
	if e, ok := decodeEventFast(raw); ok {
		return e, nil
	}
	return decodeEventSlow(raw)
}

// decodeEventSlow is the reference implementation of Decode: it validates raw with
// encoding/json, then walks the object's members with a json.Decoder.
func decodeEventSlow(raw []byte) (monitor.Event, monitor.FieldErrors) {
	var e monitor.Event
	if err := json.Unmarshal(raw, new(json.RawMessage)); err != nil {
		msg := "is not valid JSON"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("is not valid JSON: %v (at byte %d)", se, se.Offset)
		}
		return e, monitor.FieldErrors{{Field: "", Message: msg}}
	}
	if b := bytes.TrimLeft(raw, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return e, monitor.FieldErrors{{Field: "", Message: "must be a JSON object"}}
	}

	var errs monitor.FieldErrors
	bad := func(field, msg string) { errs = append(errs, monitor.FieldError{Field: field, Message: msg}) }
	str := func(field string, v json.RawMessage, dst *string) {
		s, msg := decodeString(v)
		if msg != "" {
			bad(field, msg)
			return
		}
		*dst = s
	}

	// raw is valid JSON and starts with '{', so the token walk below cannot fail; the error
	// checks only guard against a change in that reasoning.
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return monitor.Event{}, monitor.FieldErrors{{Field: "", Message: "must be a JSON object"}}
	}
	seen := make(map[string]bool, 16)
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return monitor.Event{}, monitor.FieldErrors{{Field: "", Message: "must be a JSON object"}}
		}
		if !knownEventField(key) {
			continue
		}
		if seen[key] {
			bad(key, "appears more than once")
			continue
		}
		seen[key] = true
		switch key {
		case "event_id":
			str(key, v, &e.EventID)
		case "case_id":
			str(key, v, &e.CaseID)
		case "department":
			str(key, v, &e.Department)
		case "matter":
			str(key, v, &e.Matter)
		case "type":
			var s string
			str(key, v, &s)
			e.Type = monitor.EventType(s)
		case "at":
			s, msg := decodeString(v)
			if msg != "" {
				bad(key, msgAt)
			} else if s != "" {
				t, err := ParseTime(s)
				if err != nil {
					bad(key, msgAt)
				} else {
					e.At = t
				}
			}
		case "seq":
			n, msg := decodeInt(v, msgSeq)
			if msg == "" && n < 0 {
				msg = msgSeq
			}
			if msg != "" {
				bad(key, msg)
			} else {
				e.Seq = n
			}
		case "handler":
			str(key, v, &e.Handler)
		case "days":
			n, msg := decodeInt(v, msgDays)
			if msg != "" {
				bad(key, msg)
			} else {
				e.Days = int(n)
			}
		case "approver":
			str(key, v, &e.Approver)
		case "reason":
			str(key, v, &e.Reason)
		case "note":
			str(key, v, &e.Note)
		case "amount_yuan":
			if string(v) != "null" && v[0] != '"' {
				bad(key, `must be a decimal string such as "120.00" (a JSON string, not a number)`)
				break
			}
			var s string
			str(key, v, &s)
			if s == "" {
				break
			}
			if _, err := monitor.ParseAmountFen(s); err != nil {
				bad(key, err.Error())
				break
			}
			e.AmountYuan = s
		case "result":
			str(key, v, &e.Result)
		case "ref":
			str(key, v, &e.Ref)
		}
	}
	return e, errs
}

// Parse decodes raw with Decode and validates the result with monitor.ValidateEvent,
// returning every problem at once but at most one error per field: a field that could not
// be decoded is not reported again as missing.
func Parse(raw []byte, cat *monitor.Catalog, now time.Time) (monitor.Event, monitor.FieldErrors) {
	e, errs := Decode(raw)
	if len(errs) == 1 && errs[0].Field == "" {
		return e, errs
	}
	return e, monitor.MergeFieldErrors(errs, monitor.ValidateEvent(&e, cat, now))
}

func knownEventField(k string) bool {
	switch k {
	case "event_id", "case_id", "department", "matter", "type", "at", "seq", "handler",
		"days", "approver", "reason", "note", "amount_yuan", "result", "ref":
		return true
	}
	return false
}

// decodeString reads a JSON string value; null is "". It returns a message when v is not a
// string of valid UTF-8.
func decodeString(v json.RawMessage) (string, string) {
	if string(v) == "null" {
		return "", ""
	}
	if len(v) == 0 || v[0] != '"' {
		return "", msgString
	}
	if !utf8.Valid(v) {
		return "", "must be valid UTF-8"
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", msgString
	}
	return s, ""
}

// decodeInt reads a JSON integer value in the int range; null is 0. It returns msg when v is
// anything else (a fraction, an exponent, a string, out of range).
func decodeInt(v json.RawMessage, msg string) (int64, string) {
	if string(v) == "null" {
		return 0, ""
	}
	n, err := strconv.ParseInt(string(v), 10, strconv.IntSize)
	if err != nil {
		return 0, msg
	}
	return n, ""
}

var errBadTime = errors.New("not an RFC 3339 time with an offset")

// ParseTime parses an event's `at`: RFC 3339 with a mandatory offset, checked more
// strictly than time.Parse does (which also takes a ',' before the fraction, offsets of 24
// hours and more, and minutes of 60 and more). The offset is kept in the result.
func ParseTime(s string) (time.Time, error) {
	bad := errBadTime
	// 2006-01-02T15:04:05 then an optional fraction, then Z or ±hh:mm.
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 {
		return time.Time{}, bad
	}
	for i := 0; i < base; i++ {
		c := s[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return time.Time{}, bad
			}
		case 10:
			if c != 'T' {
				return time.Time{}, bad
			}
		case 13, 16:
			if c != ':' {
				return time.Time{}, bad
			}
		default:
			if c < '0' || c > '9' {
				return time.Time{}, bad
			}
		}
	}
	rest := s[base:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 { // 1 to 9 digits
			return time.Time{}, bad
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		allDigits(rest[1:3]) && allDigits(rest[4:6]) && rest[1:3] <= "23" && rest[4:6] <= "59":
	default:
		return time.Time{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
