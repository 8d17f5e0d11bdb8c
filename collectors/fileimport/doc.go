// Package fileimport backfills events from a file: `duban import FILE`
// (docs/import.md). It is a collector like collectors/httpin, reading NDJSON or CSV instead of a
// request body, and it ends in the same place: eventjson.Parse for every event, then
// rdb.Store.Ingest for the valid ones.
//
// # Streaming and batches
//
// The file is read as a stream, never loaded whole: events are read, decoded and validated
// one by one and stored in batches of Options.BatchSize (1000 by default), each with one
// Ingest call. The business clock is read once per batch, as httpin reads it once per
// request. After each batch that stored new events, rdb.NoticeDirty is published so that
// running replicas apply them at once (a lost notice only costs their fallback poll).
// Rejections are reported through Options.OnRejected in file order, batch by batch.
//
// A batch is not cut between events of one case that stand next to each other in the file
// (it grows to at most twice BatchSize for them): Ingest stores a case's events of a batch
// in one atomic step, so a running replica never applies such a case half-imported. Events
// of a case scattered through the file can be applied in between, as when a department
// reports them in separate requests: a case may then fire an alert that its later events
// resolve (superseded). A backfill should keep each case's events together, sorted by
// case_id for example.
//
// A batch is taken event by event, like a request of the push API (docs/architecture.md, invariant 9):
// a bad event is rejected with every offending field named, and the good events around it
// are stored. An event whose event_id is already stored for its case is a duplicate and
// changes nothing, so running the same import twice is safe. An event for a case that
// belongs to another department is rejected with {department: "case <id> belongs to
// department <owner>"}, the push API's wording.
//
// # Formats
//
// NDJSON (FormatOf: .ndjson, .jsonl, .json) reads like the push API's sniffed body: a file
// whose first non-blank byte is '[' is one JSON array of events; otherwise it is one JSON
// object per line, blank lines skipped, a trailing '\r' dropped. A line that is not valid
// JSON is one rejected event (field "") and the other lines are kept. A file whose first
// line is not valid JSON but which starts with a whole JSON object spanning several lines
// (a pretty-printed event) is read as a sequence of JSON values instead. A leading UTF-8
// byte order mark is skipped. A line longer than MaxLineBytes is one rejected event. In an
// array, and in a sequence of values, an element that is valid JSON but not a valid event
// is one rejection; a syntax error ends the import there, since nothing after it can be
// told apart (the events before it are stored).
//
// CSV (.csv) is UTF-8, a byte order mark allowed (Excel's "CSV UTF-8" writes one), quoted
// per RFC 4180 (fields with commas, quotes or line breaks in double quotes). The first row
// is a header naming each column with an event field of the contract: event_id, case_id,
// department, matter, type, at, seq, handler, days, approver, reason, note, amount_yuan,
// result, ref, in any order, surrounding blanks ignored. A header column that is not one of
// these, is empty or is given twice ends the import before anything is stored: a typo must
// not silently drop a column's data. A header without event_id, case_id, department, type
// or at is refused likewise, as every row would be rejected. Each row becomes one JSON
// object run through eventjson.Parse, so its messages are the push API's: an empty cell
// means the field is absent; a seq or days cell holding an integer becomes a JSON number,
// anything else stays a string (and eventjson.Parse names the field); every other cell is a
// string. A row with more or fewer cells than the header, a row that is not valid CSV and a
// cell that is not valid UTF-8 (a file saved as GBK) are rejections of that row.
//
// # Where a rejection is
//
// Rejection.Line is the 1-based line on which the event starts: the NDJSON line, the first
// line of the CSV record, or the line where a JSON value starts. Rejection.Element is the
// 0-based index of an element of a JSON array (the push API's `index`), -1 otherwise.
//
// # received_at
//
// Each stored event's ReceivedAt is, by default, the business clock's now: a file is just
// a late way of reporting, and an event reported more than rules.report_within after its
// `at` is a late_report, as it would be through the push API. Options.Historical stamps
// each event's ReceivedAt with its own `at` instead, for migrating records made before
// duban watched the department: they raise no late_report.
//
// # Audit
//
// Each import that read any event (or ran to the end) leaves one audit entry: actor
// "import", action "events_import", target the file's name, and a note with the counts.
package fileimport
