package rdb

import (
	"hash/crc32"
	"strconv"
)

// Every Redis key duban uses is built here, with its type and retention.
//
// Cases are spread over a fixed number of partitions. All keys of one case, and the
// per-partition sets that a case's scripts touch (dirty set, timers, outbox, indexes), carry
// the partition's hash tag `{pN}`, so every Lua script touches exactly one slot and Redis
// Cluster needs no multi-slot transaction (docs/architecture.md, invariant 7). What spans partitions is
// read by visiting every partition (bounded: Partitions round trips, pipelined).
//
// The prefix (default "duban:") lets tests run in parallel on one Redis and lets several
// deployments share one. It must not contain '{' or '}', or the hash tag would move.

// Partitions is the number of partitions. It is fixed for a deployment: changing it would
// move cases between partitions. 64 spreads a million open cases ~15,600 per partition and
// spreads evenly over the slots of a small cluster.
const Partitions = 64

// Partition returns the partition of a case.
func Partition(caseID string) int {
	return int(crc32.ChecksumIEEE([]byte(caseID)) % Partitions)
}

type keys struct{ prefix string }

// tag is the hash tag of a partition: "{p17}".
func (k keys) tag(p int) string { return k.prefix + "{p" + strconv.Itoa(p) + "}:" }

// events: HASH event_id → stored event JSON (the event as received plus received_at).
// Kept for the life of the deployment: it is the source of truth the case is folded from.
func (k keys) events(caseID string) string { return k.tag(Partition(caseID)) + "ev:" + caseID }

// caseKey: HASH of one case: dept (owner department, fixed by the first accepted event),
// ver (event version, +1 per stored event), sv (state version, +1 per commit), applied (the
// event version the state reflects), state (JSON of the computed case), and the index
// fields it is listed under (stage, level, due). Kept for the life of the deployment.
func (k keys) caseKey(caseID string) string { return k.tag(Partition(caseID)) + "case:" + caseID }

// dirty: ZSET case_id → real-time ms at which the case may next be claimed for applying.
// A case enters at ingest (score = now) and leaves only when a commit made with its latest
// event version succeeds; a claim pushes its score one lease ahead, so a replica that dies
// mid-apply leaves it to be reclaimed when the lease lapses.
func (k keys) dirty(p int) string { return k.tag(p) + "dirty" }

// timers: ZSET case_id → business-time ms of the case's next threshold (alert instants,
// docs/rules.md). Written by every commit; consumed by the timer engine.
func (k keys) timers(p int) string { return k.tag(p) + "timers" }

// outbox: STREAM of the partition's transitions (stage changes, decisions, level changes,
// alerts), one entry per commit (field t: the JSON array of the commit's transitions),
// written by the commit script in the same atomic step as the state; consumers build
// counters, aggregates and the alert stream from it idempotently. Trimmed to ~outboxMaxLen.
func (k keys) outbox(p int) string { return k.tag(p) + "outbox" }

// Index sets: ZSET with score 0 and member case_id, so members sort by case_id (lex order)
// and pages are stable under ZRANGEBYLEX. idxAll lists every case; the others narrow it.
func (k keys) idxAll(p int) string               { return k.tag(p) + "idx:all" }
func (k keys) idxDept(p int, dept string) string { return k.tag(p) + "idx:dept:" + dept }
func (k keys) idxStage(p int, st string) string  { return k.tag(p) + "idx:stage:" + st }
func (k keys) idxLevel(p int, lv string) string  { return k.tag(p) + "idx:level:" + lv }

// dead: HASH case_id → JSON {reason, event_ids, at} of cases whose stored events cannot be
// applied (say, their matter left the catalogue). An entry leaves when the case applies.
func (k keys) dead(p int) string { return k.tag(p) + "dead" }

// audit: STREAM of operator actions (calendar loads, dead-letter replays, alert actions),
// with who and when. Not partitioned: it is written rarely and read in order. Kept forever.
func (k keys) audit() string { return k.prefix + "audit" }

// calendar: HASH year → year-file YAML loaded at run time (PUT /calendar/{year}); the
// shipped years are built in and need no key. Kept forever.
func (k keys) calendars() string { return k.prefix + "calendars" }

// wake: pub/sub channel on which a replica announces new dirty work so that others need not
// wait for their fallback poll.
func (k keys) wake() string { return k.prefix + "wake" }

// alerts: HASH alert key → alert record JSON (alerting.Record) of one case, written by the
// commit script with the case state (so an alert fires once: its key exists or it does not)
// and by supervisors' actions. Kept for the life of the deployment: the history.
func (k keys) alerts(caseID string) string { return k.tag(Partition(caseID)) + "al:" + caseID }

// Alert index sets, like the case indexes: ZSET score 0, member alert id, lex order.
func (k keys) alertIdxAll(p int) string { return k.tag(p) + "aidx:all" }
func (k keys) alertIdxDept(p int, dept string) string {
	return k.tag(p) + "aidx:dept:" + dept
}
func (k keys) alertIdxState(p int, st string) string { return k.tag(p) + "aidx:state:" + st }

// The global slot. What spans partitions — the alert stream with its one cursor order,
// system alerts, accountability counts, screen figures — lives under one hash tag `{g}`
// and is fed from the partitions' outboxes by the relay, which keeps, in the same slot, how
// far it has copied each outbox: a copy is exactly-once because the checkpoint moves in the
// same script as the copy (docs/architecture.md, invariant 7: no multi-slot transaction).
func (k keys) global() string { return k.prefix + "{g}:" }

// relay: HASH partition → id of the last outbox entry copied into the global slot.
func (k keys) relay() string { return k.global() + "relay" }

// alertStream: STREAM of every new or changed alert (field `a`: the record JSON), in one
// order across the deployment; its entry ids are the live feed's cursors. Trimmed by age
// (MINID, real time) to keep at least alertStreamKeep.
func (k keys) alertStream() string { return k.global() + "alerts" }

// sysAlerts: HASH alert id → record JSON of alerts that belong to no case
// (calendar_missing, fault_threshold). Kept forever.
func (k keys) sysAlerts() string { return k.global() + "sysalerts" }

// faults: HASH of one year's fault counts: "d|<dept>" → n and "h|<dept>|<handler>" → n.
// Kept forever (accountability is per calendar year).
func (k keys) faults(year int) string { return k.global() + "faults:" + strconv.Itoa(year) }

// idxDue: ZSET case_id → the current stage's deadline day as yyyymmdd, per department, for
// "due today" (ZCOUNT day day); a case leaves it when its stage has no running deadline.
func (k keys) idxDue(p int, dept string) string { return k.tag(p) + "idx:due:" + dept }

// Screen figures in the global slot, kept by the relay from the outboxes' transitions so a
// screen never scans cases (docs/architecture.md, invariant 8). Fields are "<figure>|<department>".
//
// openCases: HASH "dept|stage|level" → open cases in that cell.
func (k keys) openCases() string { return k.global() + "fig:open" }

// openAlerts: HASH "dept|level" → alerts firing or acknowledged.
func (k keys) openAlerts() string { return k.global() + "fig:alerts" }

// day: HASH of one day (configured zone): received, decided, decided_late, red_fired,
// yellow_fired per department. Kept for the life of the deployment (a few hundred bytes a day).
func (k keys) day(date string) string { return k.global() + "fig:day:" + date }

// month: HASH of one month's ranking aggregates per department (decided, on_time,
// statutory, early, ratio_u, red, yellow, ovs, ove). Kept forever: published months are
// rebuilt from it.
func (k keys) month(m string) string { return k.global() + "fig:month:" + m }

// --- Outbound: webhook subscriptions (alerts/webhook) and Alertmanager forwarding
// (alerts/alertmanager). All in the global slot, beside the alert stream they follow, so that
// creating a subscription can read the stream's newest id in the same script.

// subscriptions: HASH subscription id → subscription JSON (url, filters, secret, created_at,
// created_by). Kept until the subscription is deleted.
func (k keys) subscriptions() string { return k.global() + "subs" }

// subState: HASH of one subscription's delivery state: pos (the alert stream id of the last
// entry delivered, dropped or passed over), delivered and dropped (counts), last_success and
// last_attempt (real-time ms), last_error, and for the entry being retried fail_cursor,
// fail_since (real-time ms of its first failure) and attempts. Removed with the subscription.
func (k keys) subState(id string) string { return k.global() + "sub:" + id }

// lease: STRING owner token with a TTL (real time): the replica doing one piece of singleton
// work ("sub:<id>" for a subscription's deliveries, "alertmanager" for the forwarder).
// Expires by itself when its holder stops renewing.
func (k keys) lease(name string) string { return k.global() + "lease:" + name }

// amState: HASH of the Alertmanager forwarder: pos (the alert stream id of the last entry
// forwarded) and key (hex of 32 random bytes, set once: the secret of the pseudonyms that
// stand for handlers' names in what is sent). Kept forever.
func (k keys) amState() string { return k.global() + "am" }

// amOpen: HASH alert id → record JSON of the alerts forwarded to Alertmanager while open
// (firing or acknowledged), resent periodically; an alert leaves when its end is forwarded.
func (k keys) amOpen() string { return k.global() + "am:open" }

// rankings: HASH month "2006-01" → the published ranking JSON. A published month is
// immutable; `duban rank --force` replaces it and pushes the previous version onto
// rankingHistory. Kept forever.
func (k keys) rankings() string { return k.global() + "rankings" }

// rankingHistory: LIST of the earlier versions of a month's ranking, newest first.
func (k keys) rankingHistory(month string) string { return k.global() + "rankings:prev:" + month }

// jobDone: HASH "<job>|<period>" → when it ran (business time): a scheduled job runs once
// per period, whichever replica gets there first (the one running it holds the lease
// JobLease(job), see lease). Kept forever.
func (k keys) jobDone() string { return k.global() + "jobs:done" }

// --- Supervision orders (督办单). An order lives in the partition of its id
// (Partition(order id)), beside the cases of that partition, and is a clocked subject like a
// case: its next instant is a member "~o:<id>" of the same timers set, handed to the same
// dirty set (invariant 10 of docs/architecture.md).

// order: HASH of one order: doc (the order JSON, supervision.Order), sv (storage version,
// +1 per write: the compare-and-set of ordersave.lua), dept, state. Kept forever (the
// register: an order never disappears).
func (k keys) order(id string) string { return k.tag(Partition(id)) + "ord:" + id }

// Order indexes, like the case indexes: ZSET score 0, member order id (ids sort by year,
// then number).
func (k keys) orderIdxAll(p int) string { return k.tag(p) + "oidx:all" }
func (k keys) orderIdxDept(p int, dept string) string {
	return k.tag(p) + "oidx:dept:" + dept
}

// caseOrders: HASH order id → "<revision>|<state>" of the orders that name a case, in the
// case's partition, written from the orders' outbox entries by the relay (the case's side of
// the link) and by autoopen.lua when automatic opening reserves an order. Kept forever.
func (k keys) caseOrders(caseID string) string {
	return k.tag(Partition(caseID)) + "co:" + caseID
}

// autoOpened: HASH alert id → "open|<order id>" or "attach|<order id>": what automatic
// opening decided for each alert of the partition's cases, so a retried decision is the
// same. Kept forever.
func (k keys) autoOpened(p int) string { return k.tag(p) + "autoopen" }

// orderSeq: STRING, the last order number given in a year (INCR), in the global slot. Kept
// forever: numbers are never reused.
func (k keys) orderSeq(year int) string { return k.global() + "ordseq:" + strconv.Itoa(year) }

// orderFigures: HASH "<dept>|<state>" → orders in that state, and "overdue|<dept>" → open
// orders past their reply deadline, kept by the relay from the orders' outbox entries.
func (k keys) orderFigures() string { return k.global() + "fig:orders" }

// idempotency: STRING, the stored answer of a write request with an Idempotency-Key, per
// principal and key (hashed), with a 24 h TTL (real time). Not partitioned: one key per
// request, touched alone.
func (k keys) idempotency(hash string) string { return k.prefix + "idem:" + hash }
