package httpin

import (
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/eventjson"
	"github.com/duban-gov/duban/rdb"
)

// Statuses of one event in the answer.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

// Answer is the 202 body (docs/api.md, "POST /api/v1/events").
type Answer struct {
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Rejected   int      `json:"rejected"`
	Results    []Result `json:"results"`
}

// Result is what happened to one event. Index counts events from 0 in the order sent (for
// NDJSON, blank lines are not events; a line that is not JSON is). EventID is the event's
// `event_id` as sent, "" when it is missing or unreadable, and cut to 128 bytes and "…" when
// longer (it is then rejected anyway), so that the answer never echoes an oversized input.
type Result struct {
	Index   int                 `json:"index"`
	EventID string              `json:"event_id"`
	Status  string              `json:"status"`
	Errors  monitor.FieldErrors `json:"errors,omitempty"`
}

// batch is a request's events after decoding and validation, before storing.
type batch struct {
	events []parsed
	valid  []monitor.Event // the events without errors, in order, ReceivedAt stamped
}

// parsed is one event of the batch: what could be decoded and what is wrong with it.
type parsed struct {
	ev   monitor.Event
	errs monitor.FieldErrors
}

// parseBatch decodes and validates every event against one catalogue and one business
// instant, read once for the request, and stamps the valid ones' ReceivedAt with it.
func parseBatch(raws []rawEvent, cat *monitor.Catalog, now time.Time) *batch {
	b := &batch{events: make([]parsed, len(raws))}
	nValid := 0
	for i, r := range raws {
		p := &b.events[i]
		if r.bad != "" {
			p.errs = monitor.FieldErrors{{Field: "", Message: r.bad}}
			continue
		}
		// eventjson.Parse is eventjson.Decode then monitor.ValidateEvent, reporting each field once: a field
		// that could not be decoded is not reported again as missing.
		p.ev, p.errs = eventjson.Parse(r.raw, cat, now)
		if r.line > 0 {
			for j := range p.errs {
				if p.errs[j].Field == "" {
					p.errs[j].Message = "line " + strconv.Itoa(r.line) + ": " + p.errs[j].Message
				}
			}
		}
		if len(p.errs) == 0 {
			nValid++
		}
	}
	b.valid = make([]monitor.Event, 0, nValid)
	for i := range b.events {
		if p := &b.events[i]; len(p.errs) == 0 {
			p.ev.ReceivedAt = now
			b.valid = append(b.valid, p.ev)
		}
	}
	return b
}

// answer maps the store's results, which follow b.valid, back onto every event in order.
func (b *batch) answer(stored []rdb.IngestResult) *Answer {
	a := &Answer{Results: make([]Result, len(b.events))}
	next := 0 // index into stored
	for i := range b.events {
		p := &b.events[i]
		res := Result{Index: i, EventID: monitor.Shorten(p.ev.EventID, monitor.MaxIDLen)}
		switch {
		case len(p.errs) > 0:
			res.Status, res.Errors = StatusRejected, p.errs
		default:
			s := stored[next]
			next++
			switch s.Status {
			case rdb.Stored:
				res.Status = StatusAccepted
			case rdb.Duplicate:
				res.Status = StatusDuplicate
			default: // rdb.WrongDepartment
				res.Status = StatusRejected
				res.Errors = monitor.FieldErrors{{Field: "department",
					Message: "case " + p.ev.CaseID + " belongs to department " + s.Owner}}
			}
		}
		switch res.Status {
		case StatusAccepted:
			a.Accepted++
		case StatusDuplicate:
			a.Duplicates++
		default:
			a.Rejected++
		}
		a.Results[i] = res
	}
	return a
}
