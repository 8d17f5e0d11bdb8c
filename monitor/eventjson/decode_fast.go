package eventjson

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/duban-gov/duban/monitor"
)

// decodeEventFast is Decode's fast path: one pass over raw with no json.Decoder, no
// reflection and one allocation for all of the event's strings. It only ever answers for
// inputs that decode without any error; ok is false whenever it meets something it does not
// handle (any syntax error, a wrong type, a duplicate field, an escaped key, deep nesting, an
// invalid `at`, `seq`, `days` or `amount_yuan`, invalid UTF-8 in a known field...), and the
// caller then decodes raw with decodeEventSlow, which gives the errors. It is stricter than
// encoding/json, never looser: when ok is true, raw is valid JSON and decodeEventSlow would
// return the same monitor.Event and no error (FuzzDecodeEventEquivalence checks this).
//
// The event's strings share one backing array (at most the text of its known fields, never
// unknown ones): keeping any one of them alive keeps them all.
func decodeEventFast(raw []byte) (e monitor.Event, ok bool) {
	var (
		spans [nEventFields]fastSpan // string fields; zero when absent or null
		seen  uint32                 // bit f: field f appeared (null included)
		seq   int64
		days  int64
	)
	i := skipJSONSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return e, false
	}
	i = skipJSONSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		i++
	} else {
		for {
			// A key: only unescaped keys; an escaped one might spell a known field.
			if i >= len(raw) || raw[i] != '"' {
				return e, false
			}
			ks := i + 1
			j := ks
			for j < len(raw) && raw[j] != '"' {
				if c := raw[j]; c == '\\' || c < 0x20 {
					return e, false
				}
				j++
			}
			if j >= len(raw) {
				return e, false
			}
			f := eventFieldIndex(raw[ks:j])
			i = skipJSONSpace(raw, j+1)
			if i >= len(raw) || raw[i] != ':' {
				return e, false
			}
			i = skipJSONSpace(raw, i+1)
			if i >= len(raw) {
				return e, false
			}

			switch {
			case f < 0: // unknown, or received_at
				if i, ok = skipJSONValue(raw, i, 0); !ok {
					return e, false
				}
			case seen&(1<<f) != 0: // "appears more than once"
				return e, false
			case raw[i] == 'n': // null: absent, but seen
				if !hasPrefixAt(raw, i, "null") {
					return e, false
				}
				seen |= 1 << f
				i += len("null")
			case f == fSeq || f == fDays:
				n, end, ok := scanJSONInt(raw, i)
				if !ok || (f == fSeq && n < 0) {
					return e, false
				}
				seen |= 1 << f
				if f == fSeq {
					seq = n
				} else {
					days = n
				}
				i = end
			default: // a string field, `at` and `amount_yuan` included
				if raw[i] != '"' {
					return e, false
				}
				end, flags, ok := scanJSONString(raw, i+1)
				if !ok {
					return e, false
				}
				seen |= 1 << f
				spans[f] = fastSpan{start: i + 1, end: end, flags: flags}
				i = end + 1
			}

			i = skipJSONSpace(raw, i)
			if i >= len(raw) {
				return e, false
			}
			if raw[i] == '}' {
				i++
				break
			}
			if raw[i] != ',' {
				return e, false
			}
			i = skipJSONSpace(raw, i+1)
		}
	}
	if skipJSONSpace(raw, i) != len(raw) { // trailing data
		return e, false
	}

	// All strings go into one allocation. Unescaping never lengthens a string of valid UTF-8
	// (the longest case, \uXXXX, is 6 bytes for at most 3), so total bounds the buffer.
	total := 0
	for _, sp := range spans {
		total += sp.end - sp.start
	}
	var strs [nEventFields]string
	if total > 0 {
		var offs [nEventFields + 1]int
		var sb strings.Builder
		sb.Grow(total)
		for f := range spans {
			offs[f] = sb.Len()
			sp := spans[f]
			s := raw[sp.start:sp.end]
			if sp.flags&strNonASCII != 0 && !utf8.Valid(s) { // "must be valid UTF-8"
				return e, false
			}
			if sp.flags&strEscaped != 0 {
				unescapeJSONString(&sb, s)
			} else {
				sb.Write(s)
			}
		}
		offs[nEventFields] = sb.Len()
		all := sb.String()
		for f := range strs {
			strs[f] = all[offs[f]:offs[f+1]]
		}
	}

	if s := strs[fAt]; s != "" {
		t, err := ParseTime(s)
		if err != nil {
			return monitor.Event{}, false
		}
		e.At = t
	}
	if s := strs[fAmount]; s != "" {
		if _, err := monitor.ParseAmountFen(s); err != nil {
			return monitor.Event{}, false
		}
		e.AmountYuan = s
	}
	e.EventID = strs[fEventID]
	e.CaseID = strs[fCaseID]
	e.Department = strs[fDepartment]
	e.Matter = strs[fMatter]
	e.Type = monitor.EventType(strs[fType])
	e.Seq = seq
	e.Handler = strs[fHandler]
	e.Days = int(days)
	e.Approver = strs[fApprover]
	e.Reason = strs[fReason]
	e.Note = strs[fNote]
	e.Result = strs[fResult]
	e.Ref = strs[fRef]
	return e, true
}

// The known fields of an event, as indices for decodeEventFast.
const (
	fEventID = iota
	fCaseID
	fDepartment
	fMatter
	fType
	fAt
	fSeq
	fHandler
	fDays
	fApprover
	fReason
	fNote
	fAmount
	fResult
	fRef
	nEventFields
)

// eventFieldIndex returns the index of a known field (as knownEventField), or -1.
func eventFieldIndex(k []byte) int {
	switch string(k) {
	case "event_id":
		return fEventID
	case "case_id":
		return fCaseID
	case "department":
		return fDepartment
	case "matter":
		return fMatter
	case "type":
		return fType
	case "at":
		return fAt
	case "seq":
		return fSeq
	case "handler":
		return fHandler
	case "days":
		return fDays
	case "approver":
		return fApprover
	case "reason":
		return fReason
	case "note":
		return fNote
	case "amount_yuan":
		return fAmount
	case "result":
		return fResult
	case "ref":
		return fRef
	}
	return -1
}

// fastSpan is the content of a JSON string in raw, without its quotes.
type fastSpan struct {
	start, end int
	flags      uint8
}

const (
	strEscaped  = 1 << iota // holds a backslash escape
	strNonASCII             // holds a byte ≥ 0x80
)

// maxSkipDepth bounds the nesting of unknown values the fast path skips; deeper ones go to
// the slow path (encoding/json's own limit is 10000).
const maxSkipDepth = 64

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasPrefixAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanJSONString scans the content of a JSON string starting at i, just after the opening
// quote, and returns the index of the closing quote. ok is false for a control character, an
// escape JSON does not define or a missing closing quote. Bytes ≥ 0x80 are not checked here
// (encoding/json takes invalid UTF-8 in strings), only flagged.
func scanJSONString(b []byte, i int) (end int, flags uint8, ok bool) {
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i, flags, true
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return 0, 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || hex4(b[i+2:i+6]) < 0 {
					return 0, 0, false
				}
				i += 6
			default:
				return 0, 0, false
			}
		case c < 0x20:
			return 0, 0, false
		default:
			if c >= utf8.RuneSelf {
				flags |= strNonASCII
			}
			i++
		}
	}
	return 0, 0, false
}

// hex4 decodes 4 hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unescapeJSONString writes the decoded content of a JSON string, already checked by
// scanJSONString and utf8.Valid, as encoding/json decodes it: a \u escape of a lone or
// mismatched surrogate becomes U+FFFD.
func unescapeJSONString(sb *strings.Builder, s []byte) {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '\\' {
			j++
		}
		sb.Write(s[i:j])
		if j == len(s) {
			return
		}
		i = j + 2 // past the backslash and the escape letter
		switch s[j+1] {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r := hex4(s[j+2:])
			i = j + 6
			if 0xD800 <= r && r < 0xE000 { // a surrogate
				r1 := rune(-1)
				if len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
					r1 = hex4(s[i+2:])
				}
				if r < 0xDC00 && 0xDC00 <= r1 && r1 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r1 - 0xDC00)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			sb.WriteRune(r)
		default: // '"', '\\', '/'
			sb.WriteByte(s[j+1])
		}
	}
}

// scanJSONInt reads a JSON number at i that must be an integer in the int range, as
// decodeInt does with strconv.ParseInt(v, 10, strconv.IntSize). ok is false for anything
// else: not a number, a fraction or exponent, out of range, or not JSON (a leading zero is
// left for the caller's delimiter check to reject).
func scanJSONInt(b []byte, i int) (n int64, end int, ok bool) {
	const maxInt = 1<<(strconv.IntSize-1) - 1
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return 0, 0, false
	}
	limit := uint64(maxInt)
	if neg {
		limit++
	}
	var u uint64
	if b[i] == '0' {
		i++
	} else {
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			d := uint64(b[i] - '0')
			if u > (limit-d)/10 {
				return 0, 0, false
			}
			u = u*10 + d
			i++
		}
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, 0, false
	}
	if neg {
		return -int64(u), i, true
	}
	return int64(u), i, true
}

// skipJSONNumber skips a JSON number at i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipJSONNumber(b []byte, i int) (int, bool) {
	digits := func(i int) (int, bool) {
		s := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i, i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		i, _ = digits(i)
	} else {
		return 0, false
	}
	var ok bool
	if i < len(b) && b[i] == '.' {
		if i, ok = digits(i + 1); !ok {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i, ok = digits(i); !ok {
			return 0, false
		}
	}
	return i, true
}

// skipJSONValue skips the JSON value at i (no leading space) and returns the index just past
// it. ok is false on a syntax error or nesting deeper than maxSkipDepth.
func skipJSONValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; c {
	case '"':
		end, _, ok := scanJSONString(b, i+1)
		return end + 1, ok
	case 't':
		return i + 4, hasPrefixAt(b, i, "true")
	case 'f':
		return i + 5, hasPrefixAt(b, i, "false")
	case 'n':
		return i + 4, hasPrefixAt(b, i, "null")
	case '{', '[':
		if depth >= maxSkipDepth {
			return 0, false
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipJSONSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return 0, false
				}
				end, _, ok := scanJSONString(b, i+1)
				if !ok {
					return 0, false
				}
				i = skipJSONSpace(b, end+1)
				if i >= len(b) || b[i] != ':' {
					return 0, false
				}
				i = skipJSONSpace(b, i+1)
			}
			if i, ok = skipJSONValue(b, i, depth+1); !ok {
				return 0, false
			}
			i = skipJSONSpace(b, i)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == closer {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i = skipJSONSpace(b, i+1)
		}
	default:
		return skipJSONNumber(b, i)
	}
}
