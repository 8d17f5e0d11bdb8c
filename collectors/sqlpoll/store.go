package sqlpoll

import (
	"context"
	"fmt"
	"strings"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/eventjson"
	"github.com/duban-gov/duban/rdb"
)

// store takes a page's rows as the push API takes a request's events: each row becomes a
// JSON event checked by eventjson.Parse against one business instant, the valid ones
// are stored with one rdb.Store.Ingest call (deduplicated by case and event_id), and the
// replicas are woken. A row that is not a valid event, or reports for a case of another
// department, is parked as a dead letter with the source's name and its cursor value.
// Only then may the page's cursor be saved. top is the cursor stored before the poll:
// duplicates at or before it are the overlap read again, and are not counted.
func (p *poller) store(ctx context.Context, page []row, top cursor) error {
	ctx = context.WithoutCancel(ctx) // a page is stored whole or the error says so
	rd, o := p.rd, p.ps.o
	now := o.Clock.Now()
	cat := o.Catalog()
	type entry struct {
		cur     string
		eventID string
		caseID  string
		errs    monitor.FieldErrors
		beyond  bool // after the stored cursor: new to this source
	}
	entries := make([]entry, len(page))
	valid := make([]monitor.Event, 0, len(page))
	for i := range page {
		rw := &page[i]
		e := &entries[i]
		e.beyond = rw.bad == "" && rd.less(top, rw.cur)
		if rw.bad != "" {
			e.errs = monitor.FieldErrors{{Field: "", Message: rw.bad}}
			continue
		}
		e.cur = rd.format(rw.cur)
		raw, receivedAt, errs := p.mp.event(rw, rd.cols, e.cur)
		ev, perrs := eventjson.Parse(raw, cat, now)
		e.eventID, e.caseID = monitor.Shorten(ev.EventID, monitor.MaxIDLen), ev.CaseID
		e.errs = monitor.MergeFieldErrors(errs, perrs)
		if len(e.errs) > 0 {
			continue
		}
		ev.ReceivedAt = now
		if !receivedAt.IsZero() && receivedAt.Before(now) {
			// When the row was written: a row that waited in the exchange database was
			// still reported then.
			ev.ReceivedAt, ev.StoredAt = receivedAt, now
		}
		valid = append(valid, ev)
	}
	var stored []rdb.IngestResult
	if len(valid) > 0 {
		var err error
		if stored, err = o.Store.Ingest(ctx, valid, o.Wall()); err != nil {
			return err
		}
	}
	next, added := 0, 0
	for i := range entries {
		e := &entries[i]
		if len(e.errs) == 0 {
			s := stored[next]
			next++
			switch s.Status {
			case rdb.Stored:
				added++
				p.counts[OutcomeAccepted]++
				continue
			case rdb.Duplicate:
				if e.beyond {
					p.counts[OutcomeDuplicate]++
				}
				continue
			default: // rdb.WrongDepartment, in the push API's words
				e.errs = monitor.FieldErrors{{Field: "department",
					Message: "case " + e.caseID + " belongs to department " + s.Owner}}
			}
		}
		wrote, err := o.Store.PutRowDeadLetter(ctx, rdb.DeadLetter{
			CaseID: letterID(p.src.Name, e.cur, e.eventID, i), Department: p.src.Department,
			Reason: reason(e.errs), EventIDs: nonEmpty(e.eventID), At: now,
			Source: p.src.Name, Cursor: e.cur})
		if err != nil {
			return err
		}
		if wrote {
			p.counts[OutcomeRejected]++
			p.log.Warn("row_rejected", "cursor", e.cur, "reason", reason(e.errs))
		}
	}
	if added > 0 {
		o.OnStored(added)
		if err := o.Store.Publish(ctx, rdb.NoticeDirty); err != nil {
			// The replicas' fallback poll finds the cases anyway, a little later.
			p.log.Warn("wake_failed", "err", err)
		}
	}
	return nil
}

// letterID names a row's dead letter: the source and the row's cursor value, and its
// event id when it has one (rows of a timestamp cursor share values).
func letterID(source, cur, eventID string, i int) string {
	id := source + ":" + cur
	if eventID != "" && eventID != id {
		id += ":" + eventID
	}
	if cur == "" && eventID == "" {
		id += fmt.Sprintf("row%d", i)
	}
	return id
}

func reason(errs monitor.FieldErrors) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		if e.Field != "" {
			b.WriteString(e.Field)
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	return b.String()
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}
