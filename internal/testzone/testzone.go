// Package testzone checks, for tests, that times are written in the configured zone: every
// string that reads as an RFC 3339 time carries the offset the zone has at that instant
// (so never "Z" unless the zone is UTC). It finds the times itself, anywhere in a JSON
// document, so a field added later is checked without the test naming it.
package testzone

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"
)

// Parse reads s as an RFC 3339 time with an offset; ok is false for anything else (a
// date, a message, an id).
func Parse(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// String checks one string that may be a time, reporting an error when it is a time not
// written in loc; it reports whether s was a time.
func String(t testing.TB, where, s string, loc *time.Location) bool {
	t.Helper()
	tm, ok := Parse(s)
	if !ok {
		return false
	}
	_, off := tm.Zone()
	if _, want := tm.In(loc).Zone(); off != want {
		t.Errorf("%s = %q: not in %s (want %s)", where, s, loc, tm.In(loc).Format(time.RFC3339Nano))
	}
	return true
}

// Value checks every string anywhere in a decoded JSON value and returns how many times it
// found.
func Value(t testing.TB, where string, v any, loc *time.Location) int {
	t.Helper()
	n := 0
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n += Value(t, where+"."+k, x[k], loc)
		}
	case []any:
		for i, e := range x {
			n += Value(t, fmt.Sprintf("%s[%d]", where, i), e, loc)
		}
	case string:
		if String(t, where, x, loc) {
			n++
		}
	}
	return n
}

// JSON checks a JSON document and wants at least min times in it, so that a check cannot
// pass by finding nothing. It returns the decoded document.
func JSON(t testing.TB, where string, raw []byte, loc *time.Location, min int) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v: %s", where, err, raw)
	}
	if n := Value(t, where, v, loc); n < min {
		t.Errorf("%s: %d times, want at least %d: %s", where, n, min, raw)
	}
	return v
}
