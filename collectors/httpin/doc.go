// Package httpin is the push API: POST /api/v1/events, through which department systems
// report the steps of their cases (docs/api.md, docs/openapi.yaml).
//
// # A request, step by step
//
// Handler.ServeHTTP runs behind web.Authenticator.Authenticate, which has already answered
// 401 for a missing or unknown token. Each step below either answers the whole request or
// passes it on; the first four store nothing and cost little.
//
//  1. Method: anything but POST is 405 with `Allow: POST`.
//  2. Role: a department collector may post, for its own department only (checked in step
//     7); a supervisor or admin may post for any department (backfills, corrections); a
//     viewer gets 403. The demo's tokenless viewer gets 401: writes need a token there too.
//  3. Body: read whole, through http.MaxBytesReader, at most Limits.BodyBytes (a larger
//     Content-Length is refused before reading). Over the limit is 413. A Content-Encoding
//     other than identity is 400: compressed bodies are not supported, and saying so beats
//     "not valid JSON".
//  4. Cutting the body into events (see "Body formats"). A body that cannot be read as a
//     whole is 400 with a message saying what is wrong and where; more than
//     Limits.BatchEvents events is 413.
//  5. Rate limit: the events are counted against the token (per web.Principal.Name) in a
//     web.RateLimiter of Limits.EventsPerSecondPerToken on the Wall clock, before any
//     decoding work, so that a client over its budget costs next to nothing. Over it is
//     429 with Retry-After in whole seconds, rounded up, at least 1. A batch larger than
//     the bucket is taken whole when the bucket is not empty and repaid before the next.
//  6. Each event is decoded and validated (eventjson.Parse: eventjson.Decode, then
//     ValidateEvent, each field reported once) against the current catalogue and the
//     business clock's Now, both read once for the whole request. A nil catalogue is 503.
//  7. A collector's event naming another department makes the whole request 403, with
//     nothing stored, even when the other events are fine: a collector configured with the
//     wrong token or department code must be noticed at once, not half-accepted with its
//     events quietly rejected one by one. Events whose department is missing or unreadable
//     are ordinary per-event rejections. The mismatch is logged (once per token and
//     department, not on every retry).
//  8. The valid events get ReceivedAt = the business clock's Now and are stored by ONE
//     rdb.Store.Ingest call for the whole batch (one pipelined round trip), after all
//     validation, so that a request refused in step 7 has stored nothing. Ingest runs on
//     a context detached from the client's cancellation: a client hanging up mid-batch must
//     not leave the batch half stored and the applier unwoken (Redis' own timeouts bound
//     the call). Ingest returns only once Redis has answered for every event, so the 202
//     that follows is durable (docs/architecture.md, invariant 1).
//  9. If Redis fails, the answer is 503 and nothing is reported accepted, even though some
//     events may have been stored: the client retries the whole batch, and dedupe makes
//     that safe (those events come back as duplicates). The failure is logged when it
//     starts and when it ends, not on every request.
//  10. The results are mapped back onto every event, in the order sent: Stored is
//     `accepted`, Duplicate `duplicate`, WrongDepartment `rejected` with {field:
//     "department", message: "case <id> belongs to department <owner>"}. Two events with
//     the same (case_id, event_id) in one batch: Ingest runs in order, so the second is a
//     duplicate. OnStored is called once with the number of newly stored events, when
//     there are any, before the answer is written; then the answer is 202.
//
// A batch is taken event by event (docs/architecture.md, invariant 9): an event that is a valid JSON
// value but a bad event (a wrong type, a missing field, an unknown matter, an `at` more than
// five minutes ahead of the business clock) is rejected in the 202 with every offending
// field named, and the good events around it are kept. A single bad event is a 202 with
// rejected: 1. Only what makes the body as a whole unreadable is a 400.
//
// # Body formats
//
// The Content-Type declares the format; mime parameters (charset) are ignored:
//
//   - application/x-ndjson (also application/ndjson, application/jsonl,
//     application/x-jsonlines, application/jsonlines): one value per line, cut at '\n'; a
//     trailing '\r' and surrounding blanks are dropped and blank lines skipped. A line that
//     is not valid JSON is one rejected event (field "", the message naming the line) and
//     the other lines are kept; a line that is JSON but not an object likewise. But when no
//     line at all is valid JSON, the body is not NDJSON (a pretty-printed object, an HTML
//     error page) and the answer is 400, not one rejection per line.
//   - application/json: exactly one JSON object, or one JSON array. An array element that
//     is not an object is one rejected event. A body holding several values is 400, with a
//     hint to send NDJSON: the client said JSON, and guessing otherwise could hide a
//     truncated or concatenated body.
//   - anything else, or none (curl -d sends application/x-www-form-urlencoded): sniffed. A
//     body starting with '[' must be one JSON array; one starting with '{' is one object
//     when it is valid JSON as a whole, and NDJSON otherwise (with the rule above that at
//     least one line must be valid JSON, else 400). Tools that stream NDJSON without
//     setting a type are common, and a multi-line body starting with '{' that is not one
//     object has no other sensible reading.
//
// A leading UTF-8 byte order mark, as some Windows tools write, is skipped. An empty or
// blank body is 400; an empty array is a 202 with no results.
//
// # The answer
//
// 202 with Answer: the counts and one Result per event, in the order sent. Index counts
// events from 0 (for NDJSON, blank lines are not events; the line number is in the message of
// a line that could not be read). event_id is as sent, "" when missing or not a string, and
// cut to 128 bytes when longer (it is invalid then anyway), so that an answer never echoes
// an oversized input. errors is omitted when empty; field "" means the event as a whole.
//
// # Metrics
//
// With a Registerer, duban_events_received_total{department, type, outcome} counts each
// event answered in a 202 by outcome (accepted, duplicate, rejected). department is the
// event's only when it is in the catalogue and type only when it is one of the contract's,
// "unknown" otherwise, so that no client can grow the label set. Requests refused as a whole
// (400, 403, 413, 429, 503) have no per-event outcome and are not counted here.
//
// # Time
//
// The business clock (Options.Clock) decides what is "in the future" and stamps ReceivedAt;
// the rate limiter and the dirty-set score given to Ingest run on real time (Options.Wall),
// as plumbing must (docs/architecture.md, "Time").
package httpin
