package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
)

// Calendars holds the working-day calendar in force: the years built into the binary, then
// the years of the configured files, then the years loaded at run time (kept in Redis, so
// every replica and every restart sees them). Later sources replace a year of earlier ones.
type Calendars struct {
	store CalendarStore
	base  *workday.Calendar // built in plus configured files
	cur   atomic.Pointer[workday.Calendar]
	mu    sync.Mutex // serialises reloads
}

// NewCalendars starts from base (built-in and configured years) and loads the run-time years
// from Redis.
func NewCalendars(ctx context.Context, store CalendarStore, base *workday.Calendar) (*Calendars, error) {
	c := &Calendars{store: store, base: base}
	c.cur.Store(base)
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Current returns the calendar in force. It is immutable; a reload swaps it.
func (c *Calendars) Current() *workday.Calendar { return c.cur.Load() }

// Reload re-reads the run-time years from Redis (after a PUT here or on another replica).
func (c *Calendars) Reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	docs, err := c.store.Calendars(ctx)
	if err != nil {
		return err
	}
	cal := c.base
	for year, doc := range docs {
		y, err := workday.ParseYear(doc)
		if err != nil || y.Year != year {
			// A stored year was validated when loaded; a bad one means tampering or a
			// bug. Keep serving with the others rather than refuse to start.
			continue
		}
		cal = cal.With(y)
	}
	c.cur.Store(cal)
	return nil
}

// Load validates a year file, keeps it in Redis and puts it in force here. The caller then
// tells the other replicas (Store.Publish) and recomputes the affected cases.
func (c *Calendars) Load(ctx context.Context, year int, doc []byte) (*workday.YearFile, error) {
	y, err := workday.ParseYear(doc)
	if err != nil {
		return nil, err
	}
	if y.Year != year {
		return nil, fmt.Errorf("year: the file is for %d, the path says %d", y.Year, year)
	}
	if err := c.store.SaveCalendar(ctx, year, y.Marshal()); err != nil {
		return nil, err
	}
	return y, c.Reload(ctx)
}

// Affected marks dirty every open case whose clocks the given year can change: cases whose
// span from submission to their latest deadline touches the year, and provisional cases
// missing it. It reads stored states in bounded batches and returns how many it marked.
func Affected(ctx context.Context, store AffectedStore, year int, wall time.Time) (int, error) {
	marked := 0
	err := store.OpenCaseIDs(ctx, func(ids []string) error {
		recs, err := store.Records(ctx, ids)
		if err != nil {
			return err
		}
		var touch []string
		for _, rec := range recs {
			if rec.State == nil {
				continue
			}
			var st fold.CaseState
			if err := json.Unmarshal(rec.State, &st); err != nil {
				return fmt.Errorf("engine: decode state of %s: %w", rec.CaseID, err)
			}
			if touches(&st, year) {
				touch = append(touch, rec.CaseID)
			}
		}
		if len(touch) == 0 {
			return nil
		}
		marked += len(touch)
		return store.MarkDirty(ctx, wall, touch...)
	})
	if err != nil {
		return marked, err
	}
	// Supervision orders with a provisional deadline are recomputed too.
	n, err := AffectedOrders(ctx, store, wall)
	return marked + n, err
}

// touches reports whether a case's clocks can depend on the year: it misses the year, or
// the span from its submission to its latest deadline includes the year.
func touches(st *fold.CaseState, year int) bool {
	for _, y := range st.MissingYears {
		if y == year {
			return true
		}
	}
	if st.SubmittedAt == nil || st.SubmittedAt.Year() > year {
		return false
	}
	for _, d := range []*deadline.Deadline{st.AcceptanceDue, st.DecisionDuePromised, st.DecisionDueStatutory, st.DeliveryDue} {
		if d != nil && d.Date.Year() >= year {
			return true
		}
	}
	return false
}
