package simulate

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/workday"
)

// Options configure a Simulator. Zero values take the defaults given with each field.
type Options struct {
	// URL is the service's base URL, like http://127.0.0.1:8080. Required.
	URL string
	// Token is a bearer token that may report for every department (supervisor or admin).
	// Required.
	Token string
	// Catalog is the catalogue the cases are drawn from; every department with a matter
	// reports. Required.
	Catalog *monitor.Catalog
	// Calendar is the working-day calendar the service uses. Required.
	Calendar *workday.Calendar
	// Clock is the service's business clock; events are posted when it reaches their `at`.
	// Required.
	Clock clock.Clock
	// Loc is the configured time zone, in which days begin. Required.
	Loc *time.Location
	// Seed makes the traffic reproducible. Zero means 1.
	Seed uint64
	// PerDay is the mean number of new cases per department per working day. Zero means 3.
	PerDay float64
	// Months is how many whole months before the current one the backlog reported at start
	// covers: it begins on the first day of the month that many months back (BackfillStart).
	// Zero means DefaultMonths.
	Months int
	// Backfilled, when set, is called once, when everything that happened from the backlog's
	// first instant (from) to the business time Run began (until) has been posted and taken
	// by the service.
	Backfilled func(from, until time.Time)
	// Batch is the most events sent in one POST. Zero means 500.
	Batch int
	// MinInterval is the least real time between two posts, so that a fast business clock
	// sends batches rather than a request per event. Zero means 200 ms.
	MinInterval time.Duration
	// Client sends the requests. Nil means a client with a 30 s timeout.
	Client *http.Client
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Exchange, when set, takes its department's events instead of the push API: it writes
	// them into an exchange database that the service polls (collectors/sqlpoll), so that
	// the demo shows both paths.
	Exchange Exchange
}

// Exchange is an exchange database that one department writes its steps into.
type Exchange interface {
	Department() string
	Write(ctx context.Context, evs []monitor.Event) error
}

// DefaultMonths is the backlog's depth in whole months before the current one: with two,
// the previous month is complete and in steady flow (its early decisions are of cases
// submitted the month before), so that its ranking has enough decided cases per department
// to rank them, and the month before it is complete too.
const DefaultMonths = 2

// BackfillStart is the first instant of the backlog that a simulator started at now
// reports: 00:00 in loc of the first day of the month months months before now's (months
// below 1 mean DefaultMonths).
func BackfillStart(now time.Time, loc *time.Location, months int) time.Time {
	if months <= 0 {
		months = DefaultMonths
	}
	y, m, _ := now.In(loc).Date()
	return time.Date(y, m-time.Month(months), 1, 0, 0, 0, 0, loc)
}

// Stats counts what the simulator has posted and what the service answered.
type Stats struct {
	Cases, Posted, Accepted, Duplicates, Rejected int64
}

// Simulator posts the sample district's traffic.
type Simulator struct {
	o     Options
	p     *planner
	queue eventQueue
	// planned is the last day whose new cases have been planned.
	planned workday.Date
	stats   struct{ cases, posted, accepted, duplicates, rejected atomic.Int64 }
	// rejections remembers the rejection messages already logged, to log each once.
	rejections map[string]bool
}

// New checks the options and plans nothing yet: Run does, from the clock's time then.
func New(o Options) (*Simulator, error) {
	if o.URL == "" || o.Token == "" || o.Catalog == nil || o.Calendar == nil || o.Clock == nil || o.Loc == nil {
		return nil, errors.New("simulate: URL, token, catalogue, calendar, clock and zone are required")
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.PerDay <= 0 {
		o.PerDay = 3
	}
	if o.Months <= 0 {
		o.Months = DefaultMonths
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.MinInterval <= 0 {
		o.MinInterval = 200 * time.Millisecond
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.URL = strings.TrimSuffix(o.URL, "/")
	o.Logger = o.Logger.With("component", "simulate")
	return &Simulator{o: o, p: newPlanner(o.Catalog, o.Calendar, o.Loc, o.Seed), rejections: map[string]bool{}}, nil
}

// Stats returns the counts so far.
func (s *Simulator) Stats() Stats {
	return Stats{Cases: s.stats.cases.Load(), Posted: s.stats.posted.Load(), Accepted: s.stats.accepted.Load(),
		Duplicates: s.stats.duplicates.Load(), Rejected: s.stats.rejected.Load()}
}

// Run plans the backlog and the staged cases, posts what has already happened, and then
// posts every event when the business clock reaches it, planning each new working day's
// cases the day before. It returns when ctx ends (nil), or with an error when the service
// refuses the token, which no retry mends.
func (s *Simulator) Run(ctx context.Context) error {
	now := s.o.Clock.Now()
	today := workday.DateOf(now, s.o.Loc)
	from := BackfillStart(now, s.o.Loc, s.o.Months)
	s.backlog(workday.DateOf(from, s.o.Loc), today)
	s.o.Logger.Info("simulate_started", "cases", s.stats.cases.Load(), "events", s.queue.Len(),
		"backlog_from", from, "business_now", now.In(s.o.Loc))
	began := clock.Wall()
	past := newestFirst(s.due(now))
	if err := s.post(ctx, past); err != nil {
		return err
	}
	s.o.Logger.Info("simulate_backlog_posted", "events", len(past),
		"took", clock.Wall().Sub(began).Round(time.Millisecond))
	if s.o.Backfilled != nil && ctx.Err() == nil {
		s.o.Backfilled(from, now)
	}
	for {
		now = s.o.Clock.Now()
		for s.planned <= workday.DateOf(now, s.o.Loc) {
			s.planDay(s.planned + 1) // a day ahead, so its first events are queued in time
		}
		if due := s.due(now); len(due) > 0 {
			if err := s.post(ctx, due); err != nil {
				return err
			}
		}
		if err := s.sleep(ctx); err != nil {
			return nil
		}
	}
}

// backlog plans the cases submitted from day first to today, and the staged cases of
// every department.
func (s *Simulator) backlog(first, today workday.Date) {
	for d := first; d <= today; d++ {
		s.planDay(d)
	}
	prev := s.p.startFor(today, 1)
	for _, dept := range s.o.Catalog.Departments {
		m := s.p.stageable(dept.Code)
		if m == nil {
			continue
		}
		// Red at once (due two working days ago), red at the next midnight (due today),
		// yellow soon (due tomorrow and the day after).
		for _, due := range []workday.Date{s.p.startFor(prev, 1), today, s.p.after(today, 1), s.p.after(today, 2)} {
			s.enqueue(s.p.staged(m, due))
		}
	}
}

// newestFirst orders the backlog's events by case, the cases whose last event is the most
// recent first, each case's events in their order: the cases on screen now (open, staged,
// decided these days) reach the service in the first batches, and the months that only
// the rankings and the trend look back on follow.
func newestFirst(evs []monitor.Event) []monitor.Event {
	// evs are in time order (due pops them so): a case whose last event comes later in evs
	// has the more recent last event, and two cases never share their last index.
	last := make(map[string]int, len(evs))
	for i := range evs {
		last[evs[i].CaseID] = i
	}
	out := slices.Clone(evs)
	slices.SortStableFunc(out, func(a, b monitor.Event) int { return cmp.Compare(last[b.CaseID], last[a.CaseID]) })
	return out
}

// planDay plans the new cases submitted on day d, if it is a working day.
func (s *Simulator) planDay(d workday.Date) {
	s.planned = max(s.planned, d)
	if w, _ := s.o.Calendar.IsWorkday(d); !w {
		return
	}
	for _, dept := range s.o.Catalog.Departments {
		for range s.p.poisson(s.o.PerDay) {
			if m := s.p.matterOf(dept.Code); m != nil {
				s.enqueue(s.p.plan(m, d))
			}
		}
	}
}

func (s *Simulator) enqueue(evs []monitor.Event) {
	s.stats.cases.Add(1)
	for i := range evs {
		heap.Push(&s.queue, evs[i])
	}
}

// due pops every queued event whose `at` the business clock has reached, in order.
func (s *Simulator) due(now time.Time) []monitor.Event {
	var out []monitor.Event
	for s.queue.Len() > 0 && !s.queue[0].At.After(now) {
		out = append(out, heap.Pop(&s.queue).(monitor.Event))
	}
	return out
}

// sleep waits for the next queued event or the next day, whichever the business clock
// reaches first, and at least MinInterval of real time.
func (s *Simulator) sleep(ctx context.Context) error {
	pause := time.NewTimer(s.o.MinInterval)
	defer pause.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-pause.C:
	}
	next := (s.planned).Start(s.o.Loc) // planning the day after is due when this one begins
	if s.queue.Len() > 0 && s.queue[0].At.Before(next) {
		next = s.queue[0].At
	}
	return s.o.Clock.Until(ctx, next)
}

// poisson draws a Poisson-distributed count with mean lambda (Knuth's method; lambda is small).
func (p *planner) poisson(lambda float64) int {
	l, k, q := math.Exp(-lambda), 0, 1.0
	for {
		q *= p.rng.Float64()
		if q <= l {
			return k
		}
		k++
	}
}

// stageable picks the matter of dept with the shortest promised limit that still leaves
// room for a yellow warning before it ends (so the staged cases need the least history),
// else any with a promised limit.
func (p *planner) stageable(dept string) *monitor.Matter {
	var best *monitor.Matter
	better := func(m *monitor.Matter) bool {
		warns, bestWarns := m.PromisedDays > m.WarnDays, best.PromisedDays > best.WarnDays
		if warns != bestWarns {
			return warns
		}
		return m.PromisedDays < best.PromisedDays
	}
	for i := range p.cat.Matters {
		m := &p.cat.Matters[i]
		if m.Department == dept && m.PromisedDays >= 1 && (best == nil || better(m)) {
			best = m
		}
	}
	return best
}

// eventQueue is a min-heap of events by `at`, then seq, then event_id (monitor's order).
type eventQueue []monitor.Event

func (q eventQueue) Len() int           { return len(q) }
func (q eventQueue) Less(i, j int) bool { return q[i].Before(&q[j]) }
func (q eventQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)        { *q = append(*q, x.(monitor.Event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
