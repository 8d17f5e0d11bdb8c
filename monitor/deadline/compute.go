package deadline

import (
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// Compute folds a case's events through the clock rules (docs/rules.md) and returns the
// case's state at in.Now: its stage and status, deadlines, day counts, the alerts the
// events imply and the future instants at which they change. It is a pure function of the
// event set (in.Events is sorted in place; its arrival order does not matter). docs/rules.md
// states every rule and every choice it makes where the law is silent.
func Compute(in Input) Result {
	var e engine
	e.init(&in)
	e.run()
	r := e.build()
	e.done()
	return r
}

// resultMem holds what a Result points to, so that a typical Result costs one allocation.
type resultMem struct {
	times     [4]time.Time
	deadlines [4]Deadline
	remaining int
	facts     DecisionFacts
	thr       [4]Threshold
}

// finish computes the final deadlines: the open stop as if it ended now, the decision
// limits in force, the yellow day and the delivery deadline.
func (e *engine) finish() {
	if e.dec.on {
		if e.open >= 0 {
			st := &e.stops[e.open]
			e.evalStop(st, max(e.firstDayFrom(e.now), st.a), e.now, true)
			if st.e > st.a {
				e.spans = append(e.spans, span{st.a, st.e})
			}
			e.stopped, e.openA = !st.capped, st.a
		}
		e.promLimit, e.statLimit = e.limits()
		e.promDue, e.promProv = e.nth(e.dec.start, e.spans, e.promLimit)
		e.statDue, e.statProv = e.nth(e.dec.start, e.spans, e.statLimit)
		e.promAt = e.endOf(e.promDue)
		e.statAt = e.promAt
		if e.statDue != e.promDue {
			e.statAt = e.endOf(e.statDue)
		}
		// decision_due: at 00:00 of the first counted day whose remaining_days is at most
		// warn_days, the (limit-warn+1)-th; never when warn_days >= the promised limit.
		if w := e.m.WarnDays; w > 0 && w < e.m.PromisedDays && w < e.promLimit {
			e.yellow = true
			e.yellowDay, _ = e.nth(e.dec.start, e.spans, e.promLimit-w+1)
		}
	}
	if e.del.on {
		e.delDue, e.delProv = e.nth(e.del.start, nil, e.m.DeliveryDays)
		e.delAt = e.endOf(e.delDue)
	}
}

// build assembles the Result.
func (e *engine) build() Result {
	mem := new(resultMem)
	r := Result{Level: monitor.Green, FeesFen: e.fees, ExtensionDays: e.extStat}
	e.stageStatus(&r)

	if e.hasSub {
		mem.times[0] = e.subAt
		r.SubmittedAt = &mem.times[0]
	}
	if e.hasAccepted || e.deemed {
		mem.times[1] = e.acceptedAt
		if e.deemed {
			mem.times[1] = e.dec.startAt
		}
		r.AcceptedAt = &mem.times[1]
	}
	r.DeemedAccepted = e.deemed
	if e.decided {
		mem.times[2] = e.decidedAt
		r.DecidedAt = &mem.times[2]
		r.Result = e.result
	}
	if e.ph == phClosed {
		mem.times[3] = e.closedAt
		r.ClosedAt = &mem.times[3]
	}

	var prov provisional
	if e.accShown {
		mem.deadlines[0] = Deadline{Date: e.accDue, At: e.accEnd}
		r.AcceptanceDue = &mem.deadlines[0]
		prov.note(e, e.acc.start, e.accDue, e.accProv)
	}
	if e.dec.on {
		mem.deadlines[1] = Deadline{Date: e.promDue, At: e.promAt}
		mem.deadlines[2] = Deadline{Date: e.statDue, At: e.statAt}
		r.DecisionDuePromised, r.DecisionDueStatutory = &mem.deadlines[1], &mem.deadlines[2]
		prov.note(e, e.dec.start, e.promDue, e.promProv)
		prov.note(e, e.dec.start, e.statDue, e.statProv)
		r.ClockStopped = e.stopped
		for _, s := range e.spans {
			n, _ := e.workdays(s.a-1, s.e-1)
			r.SuspendedDays += n
		}
	}
	if e.del.on {
		mem.deadlines[3] = Deadline{Date: e.delDue, At: e.delAt}
		r.DeliveryDue = &mem.deadlines[3]
		prov.note(e, e.del.start, e.delDue, e.delProv)
	}
	r.Provisional, r.MissingYears = prov.any, prov.years

	e.dayCountsOf(&r, mem)

	if e.decided && e.dec.on {
		d := e.dateOf(e.decidedAt)
		used := e.counted(e.dec.start, e.spans, e.dec.start, e.lastRunDay(e.decidedAt))
		mem.facts = DecisionFacts{
			At: e.decidedAt, Date: d,
			OnTime:          e.decidedAt.Before(mem.deadlines[1].At),
			WithinStatutory: e.decidedAt.Before(mem.deadlines[2].At),
			UsedDays:        used, PromisedDays: e.m.PromisedDays,
			Early: used*2 <= e.m.PromisedDays,
		}
		r.Decision = &mem.facts
	}

	for i := range e.evs {
		if e.flags[i] == 0 {
			if e.evs[i].Type != monitor.Retracted {
				r.Applied++
			}
			if e.evs[i].Handler != "" {
				r.Handler = e.evs[i].Handler
			}
		}
	}

	b := builder{thr: mem.thr[:0], hint: 4 + len(e.findings)}
	e.alerts(&b)
	sortAlerts(b.alerts)
	sortThresholds(b.thr)
	r.Alerts = b.alerts
	if len(b.thr) > 0 {
		r.Thresholds = b.thr
	}
	for k := range r.Alerts {
		a := &r.Alerts[k]
		if a.Active && a.Kind != monitor.LateReport {
			r.Level = r.Level.Worse(a.Level)
		}
	}
	return r
}

// stageStatus sets the stage and status of the case.
func (e *engine) stageStatus(r *Result) {
	switch e.ph {
	case phNone, phAcceptance:
		r.Stage, r.Status = monitor.StageAcceptance, monitor.StatusReceived
	case phSupplementing:
		r.Stage, r.Status = monitor.StageAcceptance, monitor.StatusSupplementing
	case phDecision:
		r.Stage, r.Status = monitor.StageDecision, monitor.StatusAccepted
		if e.open >= 0 {
			r.Status = monitor.StatusSuspended
		}
	case phDelivery:
		r.Stage, r.Status = monitor.StageDelivery, monitor.StatusDecided
	case phClosed:
		r.Stage, r.Status = monitor.StageClosed, e.closeStatus
	}
}

// dayCountsOf sets used_days and remaining_days of the current stage's clock (the
// promised limit in the decision stage); at closing, used_days up to and including the
// closing day and no remaining_days. While waiting for supplementary materials there is
// no clock: 0 and null.
func (e *engine) dayCountsOf(r *Result, mem *resultMem) {
	today := e.dateOf(e.now)
	var used, rem int
	switch e.ph {
	case phAcceptance:
		used, rem = e.dayCounts(e.acc.start, nil, e.m.AcceptanceDays, e.accDue, today)
	case phDecision:
		used, rem = e.dayCounts(e.dec.start, e.spans, e.promLimit, e.promDue, today)
	case phDelivery:
		used, rem = e.dayCounts(e.del.start, nil, e.m.DeliveryDays, e.delDue, today)
	case phClosed:
		c := e.lastRunDay(e.closedAt)
		switch e.closePhase {
		case phAcceptance:
			r.UsedDays = e.counted(e.acc.start, nil, e.acc.start, c)
		case phDecision:
			r.UsedDays = e.counted(e.dec.start, e.spans, e.dec.start, c)
		case phDelivery:
			r.UsedDays = e.counted(e.del.start, nil, e.del.start, c)
		}
		return
	default:
		return
	}
	r.UsedDays = used
	mem.remaining = rem
	r.RemainingDays = &mem.remaining
}

// lastRunDay is the last day whose 00:00 came before t: the closing day itself, unless the
// case closed at exactly its 00:00, when (as for a stop at 00:00) the clock did not run
// at the start of that day.
func (e *engine) lastRunDay(t time.Time) workday.Date { return e.firstDayFrom(t) - 1 }

// provisional collects whether shown deadlines relied on unloaded years, and which.
type provisional struct {
	any   bool
	years []int
}

func (p *provisional) note(e *engine, from, to workday.Date, prov bool) {
	if !prov {
		return
	}
	p.any = true
	for _, y := range e.cal.MissingYears(from, to) {
		i := 0
		for i < len(p.years) && p.years[i] < y {
			i++
		}
		if i < len(p.years) && p.years[i] == y {
			continue
		}
		p.years = append(p.years, 0)
		copy(p.years[i+1:], p.years[i:])
		p.years[i] = y
	}
}

// handlerAt returns the handler of the latest applied event (by at) up to instant t that
// names one.
func (e *engine) handlerAt(t time.Time) string {
	for i := len(e.evs) - 1; i >= 0; i-- {
		ev := &e.evs[i]
		if e.flags[i] == 0 && ev.Handler != "" && !ev.At.After(t) {
			return ev.Handler
		}
	}
	return ""
}

func sortAlerts(as []Alert) {
	for i := 1; i < len(as); i++ {
		for j := i; j > 0 && alertLess(&as[j], &as[j-1]); j-- {
			as[j], as[j-1] = as[j-1], as[j]
		}
	}
}

func alertLess(a, b *Alert) bool {
	if !a.Instant.Equal(b.Instant) {
		return a.Instant.Before(b.Instant)
	}
	return a.Key < b.Key
}

func sortThresholds(ts []Threshold) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && thresholdLess(ts[j], ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func thresholdLess(a, b Threshold) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return kindRank(a.Kind) < kindRank(b.Kind)
}

func kindRank(k monitor.AlertKind) int {
	for i, v := range monitor.AlertKinds {
		if v == k {
			return i
		}
	}
	return len(monitor.AlertKinds)
}
