package live

import (
	"encoding/json"
	"fmt"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/rdb"
)

// entry is one alert stream entry, decoded once and shared by every client it goes to.
type entry struct {
	cur cursor
	// ok is false for an entry whose record could not be decoded: it still moves the hub's
	// position, but goes to nobody.
	ok                bool
	order             bool // a supervision order's change: filtered by department only
	dept, level, kind string
	data              []byte                     // the alert message, as sent
	pm                *websocket.PreparedMessage // data framed once for every live client
}

// alertFields are the fields of an alert record that subscriptions filter on.
type alertFields struct {
	Department string `json:"department"`
	Level      string `json:"level"`
	Kind       string `json:"kind"`
}

// newEntry decodes a stream entry and builds its message
// {"type":"alert","cursor":"…","alert":{…}}: the record is embedded as stored, so a
// replayed alert and a live one are the same bytes. prepared frames it once for the fan-out
// (replays write the bytes directly).
func newEntry(sa rdb.StreamAlert, prepared bool) (*entry, error) {
	cur, ok := parseCursor(sa.Cursor)
	if !ok {
		return nil, fmt.Errorf("live: stream entry id %q is not a cursor", sa.Cursor)
	}
	e := &entry{cur: cur}
	if sa.Order != nil {
		return orderEntry(e, sa, prepared)
	}
	var f alertFields
	if err := json.Unmarshal(sa.Doc, &f); err != nil {
		return e, fmt.Errorf("live: alert stream entry %s: %w", sa.Cursor, err)
	}
	e.ok, e.dept, e.level, e.kind = true, f.Department, f.Level, f.Kind
	b := make([]byte, 0, len(sa.Doc)+64)
	b = append(b, `{"type":"alert","cursor":"`...)
	b = append(b, sa.Cursor...)
	b = append(b, `","alert":`...)
	b = append(b, sa.Doc...)
	b = append(b, '}')
	e.data = b
	if prepared {
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
		if err != nil {
			return e, fmt.Errorf("live: frame alert %s: %w", sa.Cursor, err)
		}
		e.pm = pm
	}
	return e, nil
}

// orderEntry builds the message {"type":"order","cursor":"…","order":{…}} of an order's
// change (its responsible statements are left out on the stream: the feed goes to readers
// who may not see them).
func orderEntry(e *entry, sa rdb.StreamAlert, prepared bool) (*entry, error) {
	var f struct {
		Department string `json:"department"`
	}
	if err := json.Unmarshal(sa.Order, &f); err != nil {
		return e, fmt.Errorf("live: order stream entry %s: %w", sa.Cursor, err)
	}
	e.ok, e.order, e.dept = true, true, f.Department
	b := make([]byte, 0, len(sa.Order)+64)
	b = append(b, `{"type":"order","cursor":"`...)
	b = append(b, sa.Cursor...)
	b = append(b, `","order":`...)
	b = append(b, sa.Order...)
	b = append(b, '}')
	e.data = b
	if prepared {
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
		if err != nil {
			return e, fmt.Errorf("live: frame order %s: %w", sa.Cursor, err)
		}
		e.pm = pm
	}
	return e, nil
}

// filter is what one subscription receives: the departments, levels and kinds it asked
// for (nil: all), within the department its principal is bound to (scope; "" for all).
type filter struct {
	scope  string
	depts  map[string]bool
	levels map[string]bool
	kinds  map[string]bool
}

func (f *filter) match(e *entry) bool {
	switch {
	case !e.ok:
		return false
	case f.scope != "" && e.dept != f.scope:
		return false
	case f.depts != nil && !f.depts[e.dept]:
		return false
	case e.order: // levels and kinds are about alerts
		return true
	case f.levels != nil && !f.levels[e.level]:
		return false
	case f.kinds != nil && !f.kinds[e.kind]:
		return false
	}
	return true
}

// clientMessage is what a client sends (docs/api.md, "GET /ws"). Unknown fields are
// ignored, so clients may send more than this version knows.
type clientMessage struct {
	Op          string   `json:"op"`
	Departments []string `json:"departments"`
	Levels      []string `json:"levels"`
	Kinds       []string `json:"kinds"`
	Since       string   `json:"since"`
}

// errorMessage is the server's answer to a message it cannot act on; Field names the
// message field at fault. The connection stays open and the previous subscription, if
// any, stays as it was.
type errorMessage struct {
	Type  string `json:"type"` // "error"
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func errorf(field, format string, args ...any) *errorMessage {
	return &errorMessage{Type: "error", Field: field, Error: fmt.Sprintf(format, args...)}
}

// parseSubscribe validates a subscribe message for principal p and returns its filter and
// its `since` (hasSince false: no replay).
func parseSubscribe(p web.Principal, m *clientMessage) (f *filter, since cursor, hasSince bool, em *errorMessage) {
	f = &filter{scope: p.Department}
	if len(m.Departments) > 0 {
		f.depts = make(map[string]bool, len(m.Departments))
		for _, d := range m.Departments {
			if !p.CanRead(d) {
				return nil, since, false, errorf("departments", "this token may only read department %q", p.Department)
			}
			f.depts[d] = true
		}
	}
	if len(m.Levels) > 0 {
		f.levels = make(map[string]bool, len(m.Levels))
		for _, l := range m.Levels {
			switch monitor.Level(l) {
			case monitor.Green, monitor.Yellow, monitor.Red:
			default:
				return nil, since, false, errorf("levels", "unknown level %q: want yellow or red", l)
			}
			f.levels[l] = true
		}
	}
	if len(m.Kinds) > 0 {
		f.kinds = make(map[string]bool, len(m.Kinds))
		for _, k := range m.Kinds {
			if !monitor.AlertKind(k).Valid() {
				return nil, since, false, errorf("kinds", "unknown alert kind %q", k)
			}
			f.kinds[k] = true
		}
	}
	if m.Since != "" {
		c, ok := parseCursor(m.Since)
		if !ok {
			return nil, since, false, errorf("since", "%q is not a cursor: give the cursor of the last alert or subscribed message received, like \"1767225600000-0\"", m.Since)
		}
		since, hasSince = c, true
	}
	return f, since, hasSince, nil
}

// subscribedMessage announces that a subscription is live; Cursor is the stream position
// it is live from (every later alert that matches will follow).
type subscribedMessage struct {
	Type   string `json:"type"` // "subscribed"
	Cursor string `json:"cursor"`
}

// overviewMessage carries the figures of GET /api/v1/overview for the client's scope.
type overviewMessage struct {
	Type     string `json:"type"` // "overview"
	Overview any    `json:"overview"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("live: encode " + fmt.Sprintf("%T", v) + ": " + err.Error()) // fixed shapes: a defect
	}
	return b
}
