package simulate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/workday"
)

// pushAPI stands in for POST /api/v1/events: it keeps what it is sent, answers 503 to the
// first request (the simulator must retry) and 202 after.
type pushAPI struct {
	mu       sync.Mutex
	events   map[string]monitor.Event
	requests int
	clk      clock.Clock
	late     []string // events posted before the business clock reached them
}

func (a *pushAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	if r.Header.Get("Authorization") != "Bearer sim-token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if a.requests == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var evs []monitor.Event
	if err := json.NewDecoder(r.Body).Decode(&evs); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	now := a.clk.Now()
	ans := answer{}
	for _, e := range evs {
		if e.At.After(now) {
			a.late = append(a.late, e.EventID)
		}
		if _, dup := a.events[e.EventID]; dup {
			ans.Duplicates++
		} else {
			a.events[e.EventID] = e
			ans.Accepted++
		}
	}
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(ans)
}

func (a *pushAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events)
}

func TestRunPostsTheBacklogThenEachEventInItsTime(t *testing.T) {
	start := time.Date(2026, 3, 18, 9, 0, 0, 0, shanghai) // a Wednesday
	clk := clock.Manual(start)
	api := &pushAPI{events: map[string]monitor.Event{}, clk: clk}
	srv := httptest.NewServer(api)
	defer srv.Close()
	type backfill struct {
		from, until time.Time
		stored      int
	}
	backfilled := make(chan backfill, 2)
	sim, err := New(Options{URL: srv.URL, Token: "sim-token", Catalog: district(t), Calendar: workday.Builtin(),
		Clock: clk, Loc: shanghai, MinInterval: time.Millisecond, Batch: 100,
		Backfilled: func(from, until time.Time) { backfilled <- backfill{from, until, api.count()} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()

	eventually.True(t, "the backlog", func() bool { return api.count() > 0 && clk.Waiters() > 0 })
	backlog := api.count()
	st := sim.Stats()
	if st.Accepted != int64(backlog) || st.Rejected != 0 || st.Cases < 9*40*3 {
		t.Errorf("after the backlog: stats %+v, %d events stored", st, backlog)
	}
	// The backlog covers the two whole months before this one, from their first day, and
	// Backfilled says so once it is all posted.
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
	select {
	case b := <-backfilled:
		if !b.from.Equal(jan) || !b.until.Equal(start) || b.stored != backlog {
			t.Errorf("Backfilled(%v, %v) with %d events stored; want (%v, %v) with %d", b.from, b.until, b.stored, jan, start, backlog)
		}
	default:
		t.Error("Backfilled was not called")
	}
	first := start
	for _, e := range api.events {
		if e.Type == monitor.Submitted && e.At.Before(first) {
			first = e.At
		}
	}
	if first.Before(jan) || first.After(jan.AddDate(0, 0, 7)) {
		t.Errorf("the first case was submitted at %v, want in the first week of January", first)
	}
	// Every department has cases already overdue, and none is from the future.
	overdue := map[string]bool{}
	for _, e := range api.events {
		if e.Type == monitor.Accepted && start.Sub(e.At) > 5*24*time.Hour {
			overdue[e.Department] = true
		}
	}
	if len(overdue) != 9 {
		t.Errorf("departments with old accepted cases: %v", overdue)
	}

	// Two business days later, the events of those days have been posted, in their time.
	clk.Set(start.Add(48 * time.Hour))
	eventually.True(t, "two more days of events", func() bool { return api.count() > backlog+50 && clk.Waiters() > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if len(backfilled) > 0 {
		t.Error("Backfilled was called again")
	}
	if len(api.late) > 0 {
		t.Errorf("%d events posted before their time, e.g. %s", len(api.late), api.late[0])
	}
	if api.requests < 3 {
		t.Errorf("%d requests: the 503 was not retried?", api.requests)
	}
}

func TestRunStopsOnARefusedToken(t *testing.T) {
	clk := clock.Manual(time.Date(2026, 3, 18, 9, 0, 0, 0, shanghai))
	api := &pushAPI{events: map[string]monitor.Event{}, clk: clk, requests: 1}
	srv := httptest.NewServer(api)
	defer srv.Close()
	sim, err := New(Options{URL: srv.URL, Token: "wrong", Catalog: district(t), Calendar: workday.Builtin(),
		Clock: clk, Loc: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Run(context.Background()); err == nil {
		t.Fatal("Run went on with a refused token")
	}
}

func TestBackfillStart(t *testing.T) {
	for _, c := range []struct {
		now    time.Time
		months int
		want   time.Time
	}{
		{time.Date(2026, 3, 18, 9, 0, 0, 0, shanghai), 0, time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)},
		{time.Date(2026, 1, 31, 23, 0, 0, 0, shanghai), 2, time.Date(2025, 11, 1, 0, 0, 0, 0, shanghai)},
		{time.Date(2026, 3, 1, 0, 30, 0, 0, shanghai), 1, time.Date(2026, 2, 1, 0, 0, 0, 0, shanghai)},
		// 2026-02-28T17:00Z is already March 1st in Shanghai.
		{time.Date(2026, 2, 28, 17, 0, 0, 0, time.UTC), 0, time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)},
	} {
		if got := BackfillStart(c.now, shanghai, c.months); !got.Equal(c.want) {
			t.Errorf("BackfillStart(%v, %d) = %v, want %v", c.now, c.months, got, c.want)
		}
	}
}

// The backlog reaches the service newest case first: what is on screen now comes before
// the months only the rankings look back on.
func TestNewestFirst(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 3, 18, h, 0, 0, 0, shanghai) }
	evs := []monitor.Event{
		{EventID: "a1", CaseID: "a", At: at(1)},
		{EventID: "b1", CaseID: "b", At: at(2)},
		{EventID: "a2", CaseID: "a", At: at(3)},
		{EventID: "c1", CaseID: "c", At: at(4)},
		{EventID: "b2", CaseID: "b", At: at(5)},
	}
	var got []string
	for _, e := range newestFirst(evs) {
		got = append(got, e.EventID)
	}
	if want := "b1 b2 c1 a1 a2"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}
