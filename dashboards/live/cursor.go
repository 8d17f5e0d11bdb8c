package live

import (
	"strconv"
	"strings"
)

// cursor is a position in the alert stream: a Redis stream entry id "<ms>-<seq>". Ids are
// assigned by Redis in one global order, whichever replica appended the entry, so a cursor
// from one replica means the same on every other.
type cursor struct{ ms, seq uint64 }

// zeroCursor is before every entry: the hub's position on an empty stream, and a `since`
// that replays everything kept.
var zeroCursor = cursor{}

// parseCursor parses the full form "<ms>-<seq>" of a stream id (both decimal). The short
// form "<ms>" that Redis accepts in ranges is refused: a client only ever has cursors the
// server gave it, which are full.
func parseCursor(s string) (cursor, bool) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || !digits(ms) || !digits(seq) {
		return cursor{}, false
	}
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return cursor{}, false
	}
	return cursor{a, b}, true
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// after reports whether c comes after o in the stream.
func (c cursor) after(o cursor) bool {
	return c.ms > o.ms || (c.ms == o.ms && c.seq > o.seq)
}

func (c cursor) String() string {
	return strconv.FormatUint(c.ms, 10) + "-" + strconv.FormatUint(c.seq, 10)
}
