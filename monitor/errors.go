package monitor

import (
	"strings"
	"unicode/utf8"
)

// FieldError says what is wrong with one field of an event, a catalogue entry or a request.
// Field is the input's own field name (`at`, `days`, `matters[2].statutory_days`).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Fields lists the fields named, in order: what a test or a summary line compares.
func (errs FieldErrors) Fields() []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field
	}
	return out
}

// FieldErrors is a list of field errors that is itself an error.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// MergeFieldErrors returns first followed by those of second whose field first does not
// name: a field already found wrong while reading is not reported again (as missing, say).
func MergeFieldErrors(first, second FieldErrors) FieldErrors {
	out := first
	for _, e := range second {
		dup := false
		for _, f := range first {
			if f.Field == e.Field {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// Shorten cuts s to at most n bytes, at a rune boundary, and marks the cut with "…", so that
// an answer or a report never echoes an oversized input (an ID longer than MaxIDLen is
// invalid anyway).
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
