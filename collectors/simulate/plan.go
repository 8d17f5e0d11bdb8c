package simulate

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// planner writes the whole life of a simulated case in advance, as the events its
// department's system will report: when each step happens is drawn once, so a case that is
// going to be late is late whenever its events are posted. It is pure: a seeded generator,
// the catalogue and the calendar in, events out.
type planner struct {
	cat *monitor.Catalog
	cal *workday.Calendar
	loc *time.Location
	rng *rand.Rand
	// next is the next case number per department and year, for 办件编号 like
	// env-2026-000123.
	next map[string]int
}

func newPlanner(cat *monitor.Catalog, cal *workday.Calendar, loc *time.Location, seed uint64) *planner {
	return &planner{cat: cat, cal: cal, loc: loc, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		next: map[string]int{}}
}

// handlers are the officials (承办人) of a department; the simulator names them so that
// accountability has someone to count.
var handlers = []string{"王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周婷", "吴刚", "徐丽", "孙涛"}

// approvers are the heads who sign extensions (延期须经本行政机关负责人批准).
var approvers = []string{"局长 郑国华", "副局长 马建平", "副局长 林秀英"}

func (p *planner) handler(dept string) string {
	// Four officials per department, picked from the shared list by the department's place
	// in the catalogue, so two departments rarely share a name.
	base := 0
	for i := range p.cat.Departments {
		if p.cat.Departments[i].Code == dept {
			base = i * 4
		}
	}
	return handlers[(base+p.rng.IntN(4))%len(handlers)]
}

// caseID returns the next 办件编号 of a department, like env-2026-000123.
func (p *planner) caseID(dept string, year int) string {
	k := dept + "/" + strconv.Itoa(year)
	p.next[k]++
	return fmt.Sprintf("%s-%d-%06d", dept, year, p.next[k])
}

// life collects one case's events, keeping their instants strictly increasing.
type life struct {
	p      *planner
	caseID string
	dept   string
	events []monitor.Event
	last   time.Time
}

// at returns an office-hours instant on day d (09:00–17:30), after the case's previous event.
func (l *life) at(d workday.Date) time.Time {
	t := d.Start(l.p.loc).Add(9*time.Hour + time.Duration(l.p.rng.IntN(510))*time.Minute)
	if !t.After(l.last) {
		t = l.last.Add(time.Duration(5+l.p.rng.IntN(40)) * time.Minute)
	}
	return t
}

// add appends an event of type typ on day d; fill sets its type-specific fields.
func (l *life) add(typ monitor.EventType, d workday.Date, fill func(e *monitor.Event)) workday.Date {
	e := monitor.Event{
		EventID:    fmt.Sprintf("%s-%02d", l.caseID, len(l.events)+1),
		CaseID:     l.caseID,
		Department: l.dept,
		Type:       typ,
		At:         l.at(d),
		Seq:        int64(len(l.events) + 1),
	}
	if fill != nil {
		fill(&e)
	}
	l.last = e.At
	l.events = append(l.events, e)
	return workday.DateOf(e.At, l.p.loc)
}

// after returns the n-th working day after d (d itself when n is 0 and d is a working day).
func (p *planner) after(d workday.Date, n int) workday.Date {
	r, _ := p.cal.NthWorkdayAfter(d, n)
	return r
}

// startFor returns the working day on which a clock of n working days must start for its
// last day to be end: the inverse of after, used to stage cases due on a given day.
func (p *planner) startFor(end workday.Date, n int) workday.Date {
	d := end
	for count := 0; n > 0; d-- {
		if w, _ := p.cal.IsWorkday(d); w {
			if count++; count == n {
				break
			}
		}
	}
	d-- // the start day itself never counts
	for w, _ := p.cal.IsWorkday(d); !w; w, _ = p.cal.IsWorkday(d) {
		d--
	}
	return d
}

// between draws an integer from lo to hi inclusive.
func (p *planner) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + p.rng.IntN(hi-lo+1)
}

func (p *planner) chance(f float64) bool { return p.rng.Float64() < f }

// matterOf picks one of a department's matters.
func (p *planner) matterOf(dept string) *monitor.Matter {
	var ms []*monitor.Matter
	for i := range p.cat.Matters {
		if p.cat.Matters[i].Department == dept {
			ms = append(ms, &p.cat.Matters[i])
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return ms[p.rng.IntN(len(ms))]
}

// plan writes the life of a case of matter m submitted on day d: acceptance (with a
// supplement round now and then, rarely too late), review (with a suspension or an
// extension now and then), a decision that is usually in time, and delivery. The odds are
// those of a district whose departments mostly keep their promises: about one case in six
// breaks its promise, one in thirty the statutory limit.
func (p *planner) plan(m *monitor.Matter, d workday.Date) []monitor.Event {
	l := &life{p: p, caseID: p.caseID(m.Department, d.Year()), dept: m.Department}
	handler := p.handler(m.Department)
	l.add(monitor.Submitted, d, func(e *monitor.Event) { e.Matter, e.Handler = m.Code, handler })

	// Acceptance (受理).
	acceptance := m.AcceptanceDays
	var start workday.Date // the day the decision clock starts
	switch r := p.rng.Float64(); {
	case r < 0.04:
		l.add(monitor.NotAccepted, p.after(d, p.between(0, 2)), func(e *monitor.Event) {
			e.Note = "申请事项不属于本机关职权范围，已告知向有关行政机关申请"
		})
		return l.events
	case r < 0.14:
		asked := l.add(monitor.SupplementRequested, p.after(d, p.between(0, 2)), func(e *monitor.Event) {
			e.Note = "一次性告知：请补正营业执照副本及法定代表人身份证明"
		})
		got := l.add(monitor.SupplementReceived, p.after(asked, p.between(1, 4)), nil)
		start = l.add(monitor.Accepted, p.after(got, p.between(0, 1)), nil)
	case r < 0.17:
		// Not accepted in time: deemed accepted from the day the materials arrived
		// (行政许可法 Art. 32), acceptance_overdue fires; the acceptance comes late.
		l.add(monitor.Accepted, p.after(d, acceptance+p.between(1, 2)), nil)
		start = d
	default:
		start = l.add(monitor.Accepted, p.after(d, p.between(0, 1)), nil)
	}

	if p.chance(0.02) {
		l.add(monitor.Withdrawn, p.after(start, p.between(1, max(1, m.PromisedDays-1))), func(e *monitor.Event) {
			e.Note = "申请人撤回申请"
		})
		return l.events
	}
	p.review(l, m, start, p.usedDays(m), true)
	return l.events
}

// usedDays draws how many counted working days the decision takes, against the promised
// and statutory limits.
func (p *planner) usedDays(m *monitor.Matter) int {
	pr, st := m.PromisedDays, m.StatutoryDays
	switch r := p.rng.Float64(); {
	case r < 0.55: // comfortably early
		return p.between(min(1, pr), max(min(1, pr), pr*4/5))
	case r < 0.83: // at the last moment
		return p.between(max(0, pr*4/5), pr)
	case r < 0.97: // promise broken, law kept
		return p.between(pr+1, max(pr+1, st))
	default: // statutory limit broken too
		return st + p.between(1, 5)
	}
}

// review writes the decision stage from start, deciding after used counted days, and the
// delivery of an approval. Without stops, the clock is never suspended or extended, so the
// promised deadline stays where the caller put it.
func (p *planner) review(l *life, m *monitor.Matter, start workday.Date, used int, stops bool) {
	stopped := 0 // working days the clock does not count
	if reason, limit := p.suspensionReason(m); stops && reason != "" && used >= 2 {
		from := p.after(start, p.between(1, max(1, used/2)))
		days := p.between(2, 6)
		if limit > 0 {
			days = min(days, limit)
		}
		to := p.after(from, days)
		l.add(monitor.Suspended, from, func(e *monitor.Event) {
			e.Reason = reason
			if reason == monitor.ReasonOther {
				e.Note = "申请人申请现场核查改期"
			}
		})
		l.add(monitor.Resumed, to, nil)
		n, _ := p.cal.CountWorkdays(from, to)
		stopped += n
	}
	if stops && used > m.PromisedDays && used <= m.StatutoryDays && m.PromisedDays >= 2 && p.chance(0.35) {
		// An extension granted before the promise broke: the late decision is in time.
		ext := min(p.between(5, 10), max(1, m.MaxExtensionDays))
		l.add(monitor.Extended, p.after(start, m.PromisedDays-1+stopped), func(e *monitor.Event) {
			e.Days, e.Approver = ext, approvers[p.rng.IntN(len(approvers))]
			e.Note = "需组织现场勘验，经负责人批准延长审查期限"
		})
	}
	decided := p.after(start, used+stopped)
	if used >= 3 && p.chance(0.25) {
		l.add(monitor.Step, p.after(start, p.between(1, used-1)), func(e *monitor.Event) {
			e.Handler = p.handler(m.Department)
		})
	}
	if m.FeeMaxFen != nil {
		fee, charge := *m.FeeMaxFen, false
		switch {
		case fee > 0 && p.chance(0.9):
			charge = true
			if p.chance(0.04) {
				fee *= 2 // 超标准收费
			}
		case fee == 0 && p.chance(0.005):
			fee, charge = 5000, true // 违规收取"咨询费"
		}
		if charge {
			l.add(monitor.FeeCharged, decided, func(e *monitor.Event) {
				e.AmountYuan = fmt.Sprintf("%d.%02d", fee/100, fee%100)
			})
		}
	}
	approved := p.chance(0.9)
	l.add(monitor.Decided, decided, func(e *monitor.Event) {
		e.Result = monitor.ResultDenied
		if approved {
			e.Result = monitor.ResultApproved
		}
	})
	if !approved {
		return
	}
	delivery := m.DeliveryDays
	days := p.between(0, min(3, delivery))
	if p.chance(0.03) {
		days = delivery + p.between(1, 3)
	}
	l.add(monitor.Delivered, p.after(decided, days), nil)
}

// suspensionReason picks, for about one case in eight, why its review stops: a reason the
// matter caps (the point of the cap), else expert review or testing. limit is the matter's
// cap for it, 0 for none.
func (p *planner) suspensionReason(m *monitor.Matter) (reason string, limit int) {
	if !p.chance(0.12) {
		return "", 0
	}
	if len(m.MaxSuspensionDays) > 0 {
		capped := slices.Sorted(maps.Keys(m.MaxSuspensionDays)) // map order is random; the plan must not be
		r := capped[p.rng.IntN(len(capped))]
		return r, m.MaxSuspensionDays[r]
	}
	if p.chance(0.5) {
		return monitor.ReasonTesting, 0
	}
	return monitor.ReasonExpertReview, 0
}

// staged writes a case meant to be on screen the moment the demo starts: accepted so that
// its promised deadline ends on day due, and decided late (or not for a long while). A due
// day before today makes it red at once; today makes it red at the next midnight; tomorrow
// yellow now or soon.
func (p *planner) staged(m *monitor.Matter, due workday.Date) []monitor.Event {
	start := p.startFor(due, m.PromisedDays)
	l := &life{p: p, caseID: p.caseID(m.Department, start.Year()), dept: m.Department}
	handler := p.handler(m.Department)
	l.add(monitor.Submitted, start, func(e *monitor.Event) { e.Matter, e.Handler = m.Code, handler })
	l.add(monitor.Accepted, start, nil)
	p.review(l, m, start, m.PromisedDays+p.between(2, 4), false)
	return l.events
}
