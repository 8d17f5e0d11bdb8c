package fileimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/eventjson"
	"github.com/duban-gov/duban/rdb"
)

// DefaultBatchSize is how many events are stored per Ingest call when Options.BatchSize is
// zero.
const DefaultBatchSize = 1000

// Format is how a file is cut into events.
type Format string

// The formats.
const (
	NDJSON Format = "ndjson" // NDJSON, or one JSON array, or one JSON object
	CSV    Format = "csv"    // a header of event field names, then one event per row
)

// ParseFormat reads a --format value: ndjson or csv.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case NDJSON, CSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use ndjson or csv", s)
}

// FormatOf tells the format of a file from its extension (.ndjson, .jsonl and .json are
// NDJSON, .csv is CSV, in any case); ok is false for any other name.
func FormatOf(name string) (f Format, ok bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl", ".json":
		return NDJSON, true
	case ".csv":
		return CSV, true
	}
	return "", false
}

// Options configure an Importer. Store, Catalog and Clock are required.
type Options struct {
	Store Store
	// Catalog is the catalogue events are validated against.
	Catalog *monitor.Catalog
	// Clock is the business clock: an `at` more than 5 minutes past its Now is rejected, and
	// its Now is each stored event's ReceivedAt unless Historical. It is read once per batch.
	Clock interface{ Now() time.Time }
	// Wall is the real time (plumbing): the dirty-set score of Store.Ingest. Nil means
	// clock.Wall.
	Wall func() time.Time
	// Historical stamps each event's ReceivedAt with its own `at` instead of the business
	// now, so that records made before duban watched them raise no late_report.
	Historical bool
	// BatchSize is how many events are read before they are stored with one Ingest call.
	// Zero means DefaultBatchSize.
	BatchSize int
	// OnRejected is called for each rejected event, in file order. Nil means rejections are
	// only counted.
	OnRejected func(Rejection)
	// Logger gets the importer's warnings (component=fileimport). Nil means slog.Default().
	Logger *slog.Logger
}

// Importer stores the events of files. It is safe for concurrent use.
type Importer struct {
	o   Options
	log *slog.Logger
}

// New checks the options and builds an Importer.
func New(o Options) (*Importer, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("fileimport: Options.Store is required")
	case o.Catalog == nil:
		return nil, errors.New("fileimport: Options.Catalog is required")
	case o.Clock == nil:
		return nil, errors.New("fileimport: Options.Clock is required")
	case o.BatchSize < 0:
		return nil, fmt.Errorf("fileimport: Options.BatchSize must not be negative: %d", o.BatchSize)
	}
	if o.Wall == nil {
		o.Wall = clock.Wall
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Importer{o: o, log: o.Logger.With("component", "fileimport")}, nil
}

// Report is what an import did.
type Report struct {
	Name       string // the file's name, the audit entry's target
	Format     Format
	Historical bool
	Accepted   int // newly stored
	Duplicates int // already stored for their case: nothing changed
	Rejected   int // not stored: invalid, or for a case of another department
	// LastLine is the last line read, for a message when the import stopped early.
	LastLine int
}

// Events is the number of events read.
func (r *Report) Events() int { return r.Accepted + r.Duplicates + r.Rejected }

// String is the one-line summary: "events.csv: 12 accepted, 1 duplicate, 2 rejected".
func (r *Report) String() string {
	s := fmt.Sprintf("%s: %d accepted, %s, %d rejected", r.Name, r.Accepted,
		plural(r.Duplicates, "duplicate", "duplicates"), r.Rejected)
	if r.Historical {
		s += " (historical: received_at = at)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Rejection is one event that was not stored, and why.
type Rejection struct {
	// Line is the 1-based line on which the event starts.
	Line int
	// Element is the event's 0-based index in a JSON array, -1 when it is not in one.
	Element int
	// EventID is the event's event_id as read, "" when missing or unreadable.
	EventID string
	// Errors names each offending field; field "" is the event as a whole.
	Errors monitor.FieldErrors
}

// Position says where the event is: "line 17", or "element 3 (line 17)" in a JSON array.
func (r Rejection) Position() string {
	if r.Element >= 0 {
		return fmt.Sprintf("element %d (line %d)", r.Element, r.Line)
	}
	return "line " + strconv.Itoa(r.Line)
}

// String is the rejection on one line: "line 17: at: must be …; days: must be …".
func (r Rejection) String() string {
	var b strings.Builder
	b.WriteString(r.Position())
	b.WriteString(": ")
	for i, e := range r.Errors {
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

// item is one event as read from a file, before validation.
type item struct {
	raw     []byte // one JSON value; nil when errs says why the event could not be read
	line    int    // 1-based line on which it starts
	element int    // 0-based index in a JSON array, -1 otherwise
	// errs are problems found while reading (a line that is not JSON, a CSV cell that is not
	// UTF-8); with raw set, the fields they name are left out of raw.
	errs monitor.FieldErrors
}

// source yields a file's events in order: io.EOF after the last, any other error when the
// rest of the file cannot be read. raw is valid only until the next call.
type source interface {
	next() (item, error)
}

// Import reads the events of r, in format f, and stores the valid ones; name is the file's
// name for the report and the audit entry. The report is never nil: when the import stops
// early (a file that cannot be read further, Redis failing, ctx ending), it counts what was
// done until then, and the error says where it stopped. Events already stored stay stored;
// importing the file again is safe, as they come back as duplicates.
func (im *Importer) Import(ctx context.Context, name string, r io.Reader, f Format) (*Report, error) {
	rep := &Report{Name: name, Format: f, Historical: im.o.Historical}
	var (
		src source
		err error
	)
	switch f {
	case NDJSON:
		src, err = newJSONSource(r)
	case CSV:
		src, err = newCSVSource(r)
	default:
		err = fmt.Errorf("unknown format %q", f)
	}
	if err == nil {
		err = im.run(ctx, src, rep)
	}
	if err == nil || rep.Events() > 0 {
		// Stored events are worth a trace even when the import stopped early.
		if aerr := im.audit(context.WithoutCancel(ctx), rep, err); aerr != nil {
			err = errors.Join(err, aerr)
		}
	}
	if err != nil {
		return rep, fmt.Errorf("%s: %w", name, err)
	}
	return rep, nil
}

// run reads src in batches and stores each. A batch holds BatchSize events, more when the
// events that follow belong to the case of its last one (up to twice BatchSize): the events
// of a case that stand together in the file are stored in one atomic step, so that no
// replica applies the case half-imported (and fires an alert the rest of it would resolve).
func (im *Importer) run(ctx context.Context, src source, rep *Report) error {
	b := &batch{now: im.o.Clock.Now()}
	for {
		if err := ctx.Err(); err != nil {
			if ferr := im.flush(ctx, b, rep); ferr != nil {
				return ferr
			}
			return fmt.Errorf("stopped after line %d: %w", rep.LastLine, err)
		}
		it, err := src.next()
		if err == io.EOF {
			return im.flush(ctx, b, rep)
		}
		if err != nil {
			if ferr := im.flush(ctx, b, rep); ferr != nil {
				return ferr
			}
			return err
		}
		rep.LastLine = it.line
		e, ev := parse(it, im.o.Catalog, b.now, im.o.Historical)
		if n := len(b.entries); n >= im.o.BatchSize &&
			(e.caseID == "" || e.caseID != b.entries[n-1].caseID || n >= 2*im.o.BatchSize) {
			if err := im.flush(ctx, b, rep); err != nil {
				return err
			}
			// Once per batch; e keeps the instant it was checked and stamped with.
			b.now = im.o.Clock.Now()
		}
		b.entries = append(b.entries, e)
		if len(e.errs) == 0 {
			b.valid = append(b.valid, ev)
		}
	}
}

// batch is the events read since the last flush, every one of them, in file order.
type batch struct {
	now     time.Time // the business now of the batch
	entries []entry
	valid   []monitor.Event // the entries without errors, ReceivedAt stamped
}

type entry struct {
	line, element int
	eventID       string
	caseID        string
	errs          monitor.FieldErrors
}

// parse decodes and validates one event against the business now, as httpin does for one
// event of a request, and stamps ReceivedAt on a valid one.
func parse(it item, cat *monitor.Catalog, now time.Time, historical bool) (entry, monitor.Event) {
	e := entry{line: it.line, element: it.element, errs: it.errs}
	if it.raw == nil {
		return e, monitor.Event{}
	}
	ev, errs := eventjson.Parse(it.raw, cat, now)
	e.eventID, e.caseID = monitor.Shorten(ev.EventID, monitor.MaxIDLen), ev.CaseID
	e.errs = monitor.MergeFieldErrors(it.errs, errs)
	ev.ReceivedAt = now
	if historical {
		ev.ReceivedAt, ev.StoredAt = ev.At, now
	}
	return e, ev
}

// flush stores the batch's valid events with one Ingest call, reports every event of the
// batch in order, wakes the replicas when anything new was stored, and empties the batch.
func (im *Importer) flush(ctx context.Context, b *batch, rep *Report) error {
	if len(b.entries) == 0 {
		return nil
	}
	var stored []rdb.IngestResult
	if len(b.valid) > 0 {
		var err error
		// Not cancelled half-way: a batch is stored whole or the error says so.
		stored, err = im.o.Store.Ingest(context.WithoutCancel(ctx), b.valid, im.o.Wall())
		if err != nil {
			first, last := b.entries[0].line, b.entries[len(b.entries)-1].line
			return fmt.Errorf("storing the events of lines %d to %d: %w (the events before line %d are stored; importing the file again is safe)",
				first, last, err, first)
		}
	}
	next, added := 0, 0
	for i := range b.entries {
		e := &b.entries[i]
		if len(e.errs) == 0 {
			s := stored[next]
			next++
			switch s.Status {
			case rdb.Stored:
				rep.Accepted++
				added++
				continue
			case rdb.Duplicate:
				rep.Duplicates++
				continue
			default: // rdb.WrongDepartment, in the push API's words
				e.errs = monitor.FieldErrors{{Field: "department",
					Message: "case " + e.caseID + " belongs to department " + s.Owner}}
			}
		}
		rep.Rejected++
		if im.o.OnRejected != nil {
			im.o.OnRejected(Rejection{Line: e.line, Element: e.element, EventID: e.eventID, Errors: e.errs})
		}
	}
	if added > 0 {
		if err := im.o.Store.Publish(context.WithoutCancel(ctx), rdb.NoticeDirty); err != nil {
			// The replicas' fallback poll finds the cases anyway, a little later.
			im.log.Warn("wake_failed", "err", err)
		}
	}
	b.entries, b.valid = b.entries[:0], b.valid[:0]
	return nil
}

// audit writes the import's audit entry.
func (im *Importer) audit(ctx context.Context, rep *Report, stopped error) error {
	note := fmt.Sprintf("%d accepted, %d duplicates, %d rejected", rep.Accepted, rep.Duplicates, rep.Rejected)
	if rep.Historical {
		note += "; historical: received_at = at"
	}
	if stopped != nil {
		note += "; stopped early: " + stopped.Error()
	}
	detail, err := json.Marshal(map[string]any{"format": rep.Format, "historical": rep.Historical,
		"accepted": rep.Accepted, "duplicates": rep.Duplicates, "rejected": rep.Rejected,
		"complete": stopped == nil})
	if err != nil {
		return fmt.Errorf("fileimport: encode audit detail: %w", err)
	}
	if _, err := im.o.Store.Audit(ctx, rdb.AuditEntry{At: im.o.Clock.Now(), Actor: "import",
		Action: "events_import", Target: rep.Name, Note: note, Detail: detail}); err != nil {
		return fmt.Errorf("the events are stored, but the audit entry is not: %w", err)
	}
	return nil
}
