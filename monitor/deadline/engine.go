package deadline

import (
	"math"
	"sync"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// phase is where the fold of a case's events stands.
type phase uint8

const (
	phNone          phase = iota // no submitted event (yet): no acceptance clock
	phAcceptance                 // an acceptance period is running
	phSupplementing              // the one legitimate supplement notice was sent; no clock
	phDecision                   // accepted (or deemed accepted), not yet decided
	phDelivery                   // decided with approval, not yet delivered
	phClosed
)

// Event flags, one byte per event of the sorted input.
const (
	flagDup     uint8 = 1 << iota // an earlier event (in sort order) has the same event_id
	flagRemoved                   // named by a retraction: as if it never happened
)

// stopRec is one suspension of the decision clock: from `from` (the suspended event, or a
// change of reason) to `to` (resumed, decided, closed; zero while open).
type stopRec struct {
	reason string
	ev     int // index of the suspended event
	from   time.Time
	to     time.Time
	open   bool
	// a..b are the days the stop removes ([a, b)); e is the end after the reason's cap:
	// days from e on count again.
	a, b, e workday.Date
	// hasCap: the reason is capped; allow is what was left of the cap when the stop began;
	// last is the last day the cap allows (the due day of suspension_overdue) and capAt
	// its end; capped: the stop was still in force at capAt.
	hasCap bool
	capped bool
	allow  int
	last   workday.Date
	capAt  time.Time
}

// finding is an event alert: a procedure or fee violation or a late report.
type finding struct {
	ev   int
	kind monitor.AlertKind
	rule string
	n1   int64 // rule-specific figures for the message (days, fen)
	n2   int64
}

// extRec records an extension for the timeline.
type extRec struct {
	ev        int
	granted   int
	promised  bool // also added to the promised limit
	violation string
}

// usage is how many working days suspensions of one reason have removed so far.
type usage struct {
	reason string
	days   int
}

// engine folds one case's events. It is a value on the caller's stack; its slices come
// from a pooled scratch (see init).
type engine struct {
	sc *scratch
	// input
	evs    []monitor.Event
	m      *monitor.Matter
	cal    *workday.Calendar
	loc    *time.Location
	now    time.Time
	within time.Duration
	off    int // the zone's offset at now, seconds east of UTC

	flags []uint8

	ph          phase
	closePhase  phase
	closedAt    time.Time
	closeStatus monitor.Status
	firstAt     time.Time // effective instant of the first applied event
	hasFirst    bool

	hasSub bool
	subAt  time.Time

	// acceptance: the current (last) period
	acc                 clock
	accDue              workday.Date
	accPrev             clock // the first period, when a supplement round started a second one
	prevDue             workday.Date
	accEnd              time.Time
	accProv             bool
	accShown            bool // a period's deadline is shown (not while supplementing)
	accRound            int  // periods started: 1, or 2 after supplement_received
	suppReq             int  // supplement_requested events seen
	suppAt              time.Time
	suppLegit, suppRecv bool
	// acceptance_overdue (deemed acceptance)
	accOverdue       bool
	accOverdueActive bool
	accOverdueDue    workday.Date
	accOverdueAt     time.Time
	accOverdueLimit  int

	hasAccepted bool
	acceptedAt  time.Time
	deemed      bool

	// decision
	dec      clock
	stops    []stopRec
	open     int // index in stops of the open stop, -1 if none
	spans    []span
	usage    []usage
	extCount int
	extStat  int // days added to the statutory limit
	extProm  int // days added to the promised limit
	exts     []extRec

	decided   bool
	decidedAt time.Time
	result    string

	// delivery
	del clock

	fees     int64
	findings []finding

	// final figures, set by finish
	promLimit, statLimit int
	promDue, statDue     workday.Date
	promAt, statAt       time.Time
	promProv, statProv   bool
	yellow               bool
	yellowDay            workday.Date
	delDue               workday.Date
	delAt                time.Time
	delProv              bool
	stopped              bool // the decision clock is stopped now
	openA                workday.Date
}

// scratch holds the engine's growable slices between calls, so that a typical case
// allocates nothing for them. The engine itself lives on the caller's stack: writes to it
// need no GC write barriers, which matters at a few hundred nanoseconds per call.
type scratch struct {
	flags    []uint8
	stops    []stopRec
	spans    []span
	usage    []usage
	exts     []extRec
	findings []finding
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// init resets e for in, borrowing slices from a pooled scratch; release it with done.
func (e *engine) init(in *Input) {
	sc := scratchPool.Get().(*scratch)
	e.sc = sc
	e.flags, e.stops, e.spans, e.usage, e.exts, e.findings = sc.flags[:0], sc.stops[:0], sc.spans[:0], sc.usage[:0], sc.exts[:0], sc.findings[:0]
	e.open = -1
	e.evs, e.m, e.cal, e.loc, e.now, e.within = in.Events, in.Matter, in.Calendar, in.Loc, in.Now, in.ReportWithin
	if e.m == nil {
		e.m = &zeroMatter
	}
	if e.cal == nil {
		e.cal = workday.Builtin()
	}
	if e.loc == nil {
		e.loc = defaultLoc
	}
	_, e.off = e.now.In(e.loc).Zone()
}

// done returns the (possibly grown) slices to the pool, dropping references to the input.
func (e *engine) done() {
	sc := e.sc
	clear(e.stops)
	clear(e.usage)
	sc.flags, sc.stops, sc.spans, sc.usage, sc.exts, sc.findings = e.flags[:0], e.stops[:0], e.spans[:0], e.usage[:0], e.exts[:0], e.findings[:0]
	e.sc = nil
	scratchPool.Put(sc)
}

var zeroMatter monitor.Matter

// defaultLoc stands in for a nil Input.Loc: China Standard Time, UTC+8 all year (no
// daylight saving since 1991), so the same as Asia/Shanghai for every date a case uses.
var defaultLoc = time.FixedZone("CST", 8*3600)

// run folds the events and computes the final figures.
func (e *engine) run() {
	evs := e.evs
	monitor.SortEvents(evs)
	e.markFlags()
	first := -1
	for i := range evs {
		if e.flags[i] == 0 && evs[i].Type == monitor.Submitted {
			first = i
			break
		}
	}
	if first < 0 {
		for i := range evs {
			if e.flags[i] == 0 {
				e.apply(i, evs[i].At, false)
			}
		}
	} else {
		// Events sorted before the submission are taken as happening at it, after it; those
		// dated strictly before it are flagged.
		sub := evs[first].At
		e.apply(first, sub, false)
		for i := 0; i < first; i++ {
			if e.flags[i] == 0 {
				e.apply(i, sub, evs[i].At.Before(sub))
			}
		}
		for i := first + 1; i < len(evs); i++ {
			if e.flags[i] == 0 {
				e.apply(i, evs[i].At, false)
			}
		}
	}
	e.advance(e.now)
	e.finish()
}

// markFlags marks duplicates (the first in sort order is kept) and the events that a
// retraction names. A retraction that names another retraction, itself or an unknown
// event_id does nothing.
func (e *engine) markFlags() {
	evs := e.evs
	n := len(evs)
	if cap(e.flags) < n {
		e.flags = make([]uint8, n)
	}
	e.flags = e.flags[:n]
	clear(e.flags)
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			if evs[j].EventID == evs[i].EventID {
				e.flags[i] = flagDup
				break
			}
		}
	}
	for i := range evs {
		if e.flags[i]&flagDup != 0 || evs[i].Type != monitor.Retracted {
			continue
		}
		ref := evs[i].Ref
		if ref == "" || ref == evs[i].EventID {
			continue
		}
		for j := range evs {
			if e.flags[j]&flagDup == 0 && evs[j].EventID == ref && evs[j].Type != monitor.Retracted {
				e.flags[j] |= flagRemoved
			}
		}
	}
}

// advance moves the fold's time to t: an acceptance period that ended at or before t
// with no acceptance decision makes the case deemed accepted (Art. 32).
func (e *engine) advance(t time.Time) {
	if e.ph == phAcceptance && !t.Before(e.accEnd) {
		e.accOverdue, e.accOverdueActive = true, true
		e.accOverdueDue, e.accOverdueAt, e.accOverdueLimit = e.accDue, e.accEnd, e.m.AcceptanceDays
		e.deemed = true
		e.startDecision(e.acc.startAt)
	}
}

// finding records an event alert; a procedure violation is recorded once per event.
func (e *engine) violate(i int, rule string, n1, n2 int64) {
	for k := len(e.findings) - 1; k >= 0 && e.findings[k].ev == i; k-- {
		if e.findings[k].kind == monitor.ProcedureViolate {
			return
		}
	}
	e.findings = append(e.findings, finding{ev: i, kind: monitor.ProcedureViolate, rule: rule, n1: n1, n2: n2})
}

// apply folds event i at instant t (its own `at`, or the submission's for an event sorted
// before it); early marks an event dated before the submission.
func (e *engine) apply(i int, t time.Time, early bool) {
	ev := &e.evs[i]
	e.advance(t)
	if !e.hasFirst {
		e.hasFirst, e.firstAt = true, t
	}
	if e.within > 0 && !ev.ReceivedAt.IsZero() && ev.ReceivedAt.Sub(ev.At) > e.within {
		e.findings = append(e.findings, finding{ev: i, kind: monitor.LateReport, n1: int64(ev.ReceivedAt.Sub(ev.At))})
	}
	if ev.Type == monitor.Retracted {
		return
	}
	if early && ev.Type != monitor.Step {
		e.violate(i, RuleBeforeSubmitted, 0, 0)
	}
	if ev.Type == monitor.FeeCharged {
		e.fee(i)
	}
	if e.ph == phClosed {
		if ev.At.After(e.closedAt) {
			e.violate(i, RuleAfterClosing, 0, 0)
		}
		return
	}
	switch ev.Type {
	case monitor.Submitted:
		if !e.hasSub {
			e.hasSub, e.subAt = true, t
			e.startAcceptance(t)
		}
	case monitor.Accepted:
		switch e.ph {
		case phNone, phAcceptance, phSupplementing:
			e.hasAccepted, e.acceptedAt = true, t
			e.startDecision(t)
		default:
			e.accOverdueActive = false // deemed accepted: confirmed, the clock stays
		}
	case monitor.NotAccepted:
		if e.ph == phDecision || e.ph == phDelivery {
			e.violate(i, RuleNotAcceptedAfterAcceptance, 0, 0)
		}
		e.close(t, monitor.StatusNotAccepted)
	case monitor.SupplementRequested:
		e.supplementRequested(i, t)
	case monitor.SupplementReceived:
		if e.ph == phSupplementing && e.suppLegit && !e.suppRecv {
			e.suppRecv = true
			e.startAcceptance(t)
		}
	case monitor.Suspended:
		e.suspend(i, t)
	case monitor.Resumed:
		if e.ph == phDecision && e.open >= 0 {
			e.closeStop(t)
		}
	case monitor.Extended:
		e.extend(i, t)
	case monitor.Decided:
		switch e.ph {
		case phDecision:
			e.decide(t, ev.Result)
		case phDelivery:
			e.violate(i, RuleRepeatedDecision, 0, 0)
		default:
			e.violate(i, RuleDecidedWithoutAcceptance, 0, 0)
			e.impliedDecision()
			e.decide(t, ev.Result)
		}
	case monitor.Delivered:
		if e.ph != phDelivery {
			e.violate(i, RuleDeliveredWithoutDecision, 0, 0)
			if e.ph != phDecision {
				e.impliedDecision()
			}
			e.decide(t, monitor.ResultApproved)
		}
		e.close(t, monitor.StatusDelivered)
	case monitor.Withdrawn:
		e.close(t, monitor.StatusWithdrawn)
	}
}

// startAcceptance starts an acceptance period at t.
func (e *engine) startAcceptance(t time.Time) {
	if e.acc.on {
		e.accPrev, e.prevDue = e.acc, e.accDue
	}
	e.ph = phAcceptance
	e.acc = clock{on: true, startAt: t, start: e.dateOf(t)}
	e.accDue, e.accProv = e.nth(e.acc.start, nil, e.m.AcceptanceDays)
	e.accEnd = e.endOf(e.accDue)
	e.accShown = true
	e.accRound++
}

// startDecision starts the decision clock at t (accepted, or deemed from the period start).
func (e *engine) startDecision(t time.Time) {
	e.ph = phDecision
	e.dec = clock{on: true, startAt: t, start: e.dateOf(t)}
}

// impliedDecision starts the decision clock of a case decided with no acceptance: at the
// start of the last acceptance period, or of the case's first event if there was none.
func (e *engine) impliedDecision() {
	start := e.firstAt
	if e.acc.on {
		start = e.acc.startAt
	}
	e.startDecision(start)
	e.dec.implied = true
}

func (e *engine) supplementRequested(i int, t time.Time) {
	e.suppReq++
	switch e.ph {
	case phNone, phAcceptance:
		if e.suppReq == 1 {
			e.ph, e.suppLegit, e.suppAt, e.accShown = phSupplementing, true, t, false
			return
		}
		e.violate(i, RuleSecondSupplement, 0, 0)
	case phSupplementing:
		e.violate(i, RuleSecondSupplement, 0, 0)
	default: // decision, delivery
		switch {
		case e.suppReq > 1:
			e.violate(i, RuleSecondSupplement, 0, 0)
		case e.deemed:
			e.violate(i, RuleLateSupplement, 0, 0)
		default:
			e.violate(i, RuleSupplementAfterAcceptance, 0, 0)
		}
	}
}

// decide ends the decision clock at t; approval opens delivery, anything else closes.
func (e *engine) decide(t time.Time, result string) {
	if e.open >= 0 {
		e.closeStop(t)
	}
	e.decided, e.decidedAt, e.result = true, t, result
	e.dec.ended, e.dec.endAt = true, t
	e.accOverdueActive = false
	if result == monitor.ResultApproved {
		e.ph = phDelivery
		e.del = clock{on: true, startAt: t, start: e.dateOf(t)}
		return
	}
	e.close(t, monitor.StatusDecided)
}

// close closes the case at t.
func (e *engine) close(t time.Time, st monitor.Status) {
	if e.open >= 0 {
		e.closeStop(t)
	}
	if e.dec.on && !e.dec.ended {
		e.dec.ended, e.dec.endAt = true, t
	}
	if e.del.on && !e.del.ended {
		e.del.ended, e.del.endAt = true, t
	}
	e.accOverdueActive = false
	e.closePhase, e.ph, e.closedAt, e.closeStatus = e.ph, phClosed, t, st
}

// fee adds a fee_charged amount and checks the running total against the matter's cap.
func (e *engine) fee(i int) {
	fen, ok := parseFen(e.evs[i].AmountYuan)
	if !ok {
		return
	}
	if e.fees > math.MaxInt64-fen {
		e.fees = math.MaxInt64 // saturate: the cap is long exceeded either way
	} else {
		e.fees += fen
	}
	if e.m.FeeMaxFen != nil && e.fees > *e.m.FeeMaxFen {
		e.findings = append(e.findings, finding{ev: i, kind: monitor.FeeViolation, n1: e.fees, n2: *e.m.FeeMaxFen})
	}
}
