package rdb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor/fold"
	"github.com/redis/go-redis/v9"
)

// AlertStreamKeep is how long the alert stream keeps entries (real time): the live feed
// promises at least 7 days of replay (docs/api.md); a day more covers a trim that is approximate.
const AlertStreamKeep = 8 * 24 * time.Hour

// idSep joins a case id and an alert key in an alert id (alerting.Sep; a character case ids
// cannot contain). System alerts' ids start with it.
const idSep = "~"

// AlertDoc is a stored alert record: its id and JSON.
type AlertDoc struct {
	ID  string
	Doc []byte
}

func splitAlertID(id string) (caseID, key string, system bool) {
	if strings.HasPrefix(id, idSep) {
		return "", id, true
	}
	caseID, key, _ = strings.Cut(id, idSep)
	return caseID, key, false
}

// Alert reads one alert record by id; ok is false when there is none.
func (s *Store) Alert(ctx context.Context, id string) (doc []byte, ok bool, err error) {
	caseID, key, system := splitAlertID(id)
	var v string
	switch {
	case system:
		v, err = s.c.HGet(ctx, s.k.sysAlerts(), id).Result()
	case caseID == "" || key == "":
		return nil, false, nil
	default:
		v, err = s.c.HGet(ctx, s.k.alerts(caseID), key).Result()
	}
	if err == redis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rdb: read alert %s: %w", id, err)
	}
	return []byte(v), true, nil
}

// CaseAlerts reads every alert record of a case, in id order.
func (s *Store) CaseAlerts(ctx context.Context, caseID string) ([]AlertDoc, error) {
	m, err := s.c.HGetAll(ctx, s.k.alerts(caseID)).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read alerts of %s: %w", caseID, err)
	}
	out := make([]AlertDoc, 0, len(m))
	for k, v := range m {
		out = append(out, AlertDoc{ID: caseID + idSep + k, Doc: []byte(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SystemAlerts reads every system alert (calendar_missing, fault_threshold), in id order.
func (s *Store) SystemAlerts(ctx context.Context) ([]AlertDoc, error) {
	m, err := s.c.HGetAll(ctx, s.k.sysAlerts()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read system alerts: %w", err)
	}
	out := make([]AlertDoc, 0, len(m))
	for k, v := range m {
		out = append(out, AlertDoc{ID: k, Doc: []byte(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// AlertQuery selects alerts for a listing. Department and State choose the index to read
// (State first); Match filters what the index cannot (it sees every candidate, so it must
// also check Department and State).
type AlertQuery struct {
	CaseID     string
	Department string
	State      string
	After      string // the page cursor: alert ids sorting after this one
	Limit      int
	Match      func(AlertDoc) bool
}

// ListAlerts lists alerts in id order: one case's from its hash, else every partition's
// index merged with the system alerts (few: one per missing year, one per handler over the
// threshold). It returns the page and the id to continue after ("" at the end).
func (s *Store) ListAlerts(ctx context.Context, q AlertQuery) ([]AlertDoc, string, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.CaseID != "" {
		docs, err := s.CaseAlerts(ctx, q.CaseID)
		if err != nil {
			return nil, "", err
		}
		out, next := page(docs, q)
		return out, next, nil
	}
	sys, err := s.SystemAlerts(ctx)
	if err != nil {
		return nil, "", err
	}
	index := s.k.alertIdxAll
	switch {
	case q.State != "":
		index = func(p int) string { return s.k.alertIdxState(p, q.State) }
	case q.Department != "":
		index = func(p int) string { return s.k.alertIdxDept(p, q.Department) }
	}
	sysByID := make(map[string][]byte, len(sys))
	for _, d := range sys {
		sysByID[d.ID] = d.Doc
	}
	var out []AlertDoc
	after := q.After
	for round := 0; round < maxScanRounds; round++ {
		want := int64(q.Limit + 1)
		cand, more, err := s.nextIDs(ctx, index, after, want)
		if err != nil {
			return nil, "", fmt.Errorf("rdb: list alerts: %w", err)
		}
		for _, d := range sys {
			if d.ID > after {
				cand = append(cand, d.ID)
			}
		}
		sort.Strings(cand)
		if len(cand) > int(want) {
			cand = cand[:want]
			more = true
		}
		if len(cand) == 0 {
			return out, "", nil
		}
		docs, err := s.alertDocs(ctx, cand, sysByID)
		if err != nil {
			return nil, "", err
		}
		for _, d := range docs {
			after = d.ID
			if d.Doc == nil || (q.Match != nil && !q.Match(d)) {
				continue
			}
			if len(out) == q.Limit {
				return out, out[len(out)-1].ID, nil
			}
			out = append(out, d)
		}
		if !more {
			return out, "", nil
		}
	}
	return out, after, nil
}

// page applies the cursor, the filter and the limit to docs in id order; next is the id to
// continue after ("" on the last page).
func page(docs []AlertDoc, q AlertQuery) (out []AlertDoc, next string) {
	for _, d := range docs {
		if d.ID <= q.After || (q.Match != nil && !q.Match(d)) {
			continue
		}
		if len(out) == q.Limit {
			return out, out[len(out)-1].ID
		}
		out = append(out, d)
	}
	return out, ""
}

// alertDocs reads the records of the given ids (system ones from sys) in one round trip.
func (s *Store) alertDocs(ctx context.Context, ids []string, sys map[string][]byte) ([]AlertDoc, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		if _, ok := sys[id]; ok {
			continue
		}
		caseID, key, _ := splitAlertID(id)
		cmds[i] = pipe.HGet(ctx, s.k.alerts(caseID), key)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read alerts: %w", err)
	}
	out := make([]AlertDoc, len(ids))
	for i, id := range ids {
		out[i].ID = id
		if d, ok := sys[id]; ok {
			out[i].Doc = d
		} else if v, err := cmds[i].Result(); err == nil {
			out[i].Doc = []byte(v)
		}
	}
	return out, nil
}

// ActOnCaseAlert stores a supervisor's change to a case's alert if the record is still as
// read (act.lua): the case is marked dirty so its level and fault counts follow, and the
// transition (the changed alert) goes to the partition's outbox. ok is false when the
// record changed meanwhile.
func (s *Store) ActOnCaseAlert(ctx context.Context, id string, old, cur []byte, oldState, newState string, realNow time.Time, transition fold.Transition) (bool, error) {
	caseID, key, system := splitAlertID(id)
	if system {
		return false, fmt.Errorf("rdb: %s is a system alert", id)
	}
	t, err := json.Marshal([]fold.Transition{transition}) // an outbox entry is an array of transitions
	if err != nil {
		return false, fmt.Errorf("rdb: encode transition: %w", err)
	}
	p := Partition(caseID)
	c, err := s.runOne(ctx, actScript,
		[]string{s.k.alerts(caseID), s.k.caseKey(caseID), s.k.dirty(p), s.k.outbox(p),
			s.k.alertIdxState(p, oldState), s.k.alertIdxState(p, newState)},
		key, old, cur, id, realNow.UnixMilli(), t, s.outboxMax, caseID)
	if err != nil {
		return false, fmt.Errorf("rdb: act on alert %s: %w", id, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// UpdateSystemAlert changes a system alert if it is still as read, and appends it to the
// alert stream (sysalert.lua). ok is false when it changed meanwhile.
func (s *Store) UpdateSystemAlert(ctx context.Context, id string, old, cur []byte, realNow time.Time) (bool, error) {
	c, err := s.runOne(ctx, sysAlertScript, []string{s.k.sysAlerts(), s.k.alertStream()},
		id, old, cur, streamMinID(realNow))
	if err != nil {
		return false, fmt.Errorf("rdb: update alert %s: %w", id, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

func streamMinID(realNow time.Time) string {
	return strconv.FormatInt(realNow.Add(-AlertStreamKeep).UnixMilli(), 10)
}

// StreamAlert is an entry of the alert stream: its cursor and the alert record JSON.
type StreamAlert struct {
	Cursor string
	Doc    []byte
	// Order is set (and Doc nil) on an entry that carries a supervision order's change
	// rather than an alert: the live feed's "order" messages share the alerts' cursor
	// order. Deliveries of alerts pass these entries over.
	Order []byte
}

// AlertsAfter reads up to count alert stream entries after cursor ("" from the oldest kept).
func (s *Store) AlertsAfter(ctx context.Context, cursor string, count int64) ([]StreamAlert, error) {
	start := "-"
	if cursor != "" {
		start = "(" + cursor
	}
	msgs, err := s.c.XRangeN(ctx, s.k.alertStream(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read alert stream: %w", err)
	}
	return streamAlerts(msgs), nil
}

// WaitAlerts blocks up to block (real time) for alert stream entries after cursor ("$"
// for only new ones) and returns up to count of them.
func (s *Store) WaitAlerts(ctx context.Context, cursor string, count int64, block time.Duration) ([]StreamAlert, error) {
	res, err := s.c.XRead(ctx, &redis.XReadArgs{Streams: []string{s.k.alertStream(), cursor}, Count: count, Block: block}).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rdb: wait for alerts: %w", err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	return streamAlerts(res[0].Messages), nil
}

// LatestAlertCursor returns the cursor of the newest alert stream entry ("" when empty).
func (s *Store) LatestAlertCursor(ctx context.Context) (string, error) {
	msgs, err := s.c.XRevRangeN(ctx, s.k.alertStream(), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("rdb: read alert stream: %w", err)
	}
	if len(msgs) == 0 {
		return "", nil
	}
	return msgs[0].ID, nil
}

func streamAlerts(msgs []redis.XMessage) []StreamAlert {
	out := make([]StreamAlert, len(msgs))
	for i, m := range msgs {
		if o, ok := m.Values["o"].(string); ok {
			out[i] = StreamAlert{Cursor: m.ID, Order: []byte(o)}
			continue
		}
		doc, _ := m.Values["a"].(string)
		out[i] = StreamAlert{Cursor: m.ID, Doc: []byte(doc)}
	}
	return out
}

// FaultCounts reads a year's fault counts: "d|<dept>" and "h|<dept>|<handler>" → n.
func (s *Store) FaultCounts(ctx context.Context, year int) (map[string]int64, error) {
	m, err := s.c.HGetAll(ctx, s.k.faults(year)).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read faults of %d: %w", year, err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, _ := strconv.ParseInt(v, 10, 64)
		out[k] = n
	}
	return out, nil
}

// DeptFaultField and HandlerFaultField name the fields of FaultCounts.
func DeptFaultField(dept string) string { return "d|" + dept }

// HandlerFaultField is the field of a handler's count.
func HandlerFaultField(dept, handler string) string { return "h|" + dept + "|" + handler }

// AlertsOf reads the alert records (key → JSON) of several cases in one round trip.
func (s *Store) AlertsOf(ctx context.Context, caseIDs []string) ([]map[string][]byte, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(caseIDs))
	for i, id := range caseIDs {
		cmds[i] = pipe.HGetAll(ctx, s.k.alerts(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read alerts: %w", err)
	}
	out := make([]map[string][]byte, len(caseIDs))
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			continue
		}
		out[i] = make(map[string][]byte, len(m))
		for k, v := range m {
			out[i][k] = []byte(v)
		}
	}
	return out, nil
}

var sysNewScript = script("sysnew")

// RaiseSystemAlert creates a system alert once and appends it to the alert stream; ok is
// false when it exists already.
func (s *Store) RaiseSystemAlert(ctx context.Context, id string, doc []byte, realNow time.Time) (bool, error) {
	c, err := s.runOne(ctx, sysNewScript, []string{s.k.sysAlerts(), s.k.alertStream()}, id, doc, streamMinID(realNow))
	if err != nil {
		return false, fmt.Errorf("rdb: raise alert %s: %w", id, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}
