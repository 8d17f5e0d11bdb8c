package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

func newOrdersSim(t *testing.T, base string, clk clock.Clock) *Orders {
	t.Helper()
	s, err := NewOrders(OrdersOptions{URL: base, Departments: map[string]string{"env": "env-token"},
		Supervisor: "sup-token", Clock: clk, Seed: 7, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrderFates(t *testing.T) {
	s := newOrdersSim(t, "http://x", clock.Manual(time.Unix(0, 0)))
	count := map[Fate]int{}
	returned := 0
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due := start.Add(7 * 24 * time.Hour)
	const n = 2000
	for i := range n {
		id := fmt.Sprintf("DB-2026-%06d", i)
		f := s.FateOf(id, 1)
		if f != s.FateOf(id, 1) {
			t.Fatalf("%s: the fate changes between looks", id)
		}
		count[f]++
		if s.FateOf(id, 2) != OnTime || s.Returns(id, 2) {
			t.Fatalf("%s: a returned order's second round is answered on time and accepted", id)
		}
		if s.Returns(id, 1) {
			returned++
		}
		at, ok := s.ReplyAt(id, 1, start, due)
		switch f {
		case OnTime:
			if !ok || !at.After(start) || !at.Before(due) {
				t.Errorf("%s on time replies at %v, not inside (%v, %v)", id, at, start, due)
			}
		case Late:
			if !ok || !at.After(due) || at.After(due.Add(2*24*time.Hour)) {
				t.Errorf("%s late replies at %v, want within two days after %v", id, at, due)
			}
		case Never:
			if ok {
				t.Errorf("%s never replies, but has a time %v", id, at)
			}
		}
	}
	// Most on time, some late, some never, some returned: every part of the loop shows.
	share := func(k int) float64 { return float64(k) / n }
	if x := share(count[OnTime]); x < 0.58 || x > 0.72 {
		t.Errorf("on time: %.2f, want about 0.65", x)
	}
	if x := share(count[Late]); x < 0.14 || x > 0.26 {
		t.Errorf("late: %.2f, want about 0.20", x)
	}
	if x := share(count[Never]); x < 0.10 || x > 0.20 {
		t.Errorf("never: %.2f, want about 0.15", x)
	}
	if x := share(returned); x < 0.19 || x > 0.31 {
		t.Errorf("returned: %.2f, want about 0.25", x)
	}
}

// fakeOrders is the orders API as far as the simulation uses it, recording the actions.
type fakeOrders struct {
	mu      sync.Mutex
	orders  map[string]map[string]any
	actions []string // "token id action body"
}

func (f *fakeOrders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v1/orders":
		var list []map[string]any
		for _, o := range f.orders {
			if o["state"] == r.URL.Query().Get("state") {
				list = append(list, o)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"orders": list, "next_cursor": ""})
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/cases/"):
		json.NewEncoder(w).Encode(map[string]any{"case_id": "env/1", "handler": "wang.wu"})
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/api/v1/orders/"):
		rest := strings.TrimPrefix(r.URL.Path, "/api/v1/orders/")
		id, action, _ := strings.Cut(rest, "/")
		b, _ := io.ReadAll(r.Body)
		f.actions = append(f.actions, tok+" "+id+" "+action+" "+r.Header.Get("Idempotency-Key")+" "+string(b))
		o := f.orders[id]
		switch action {
		case "reply":
			o["state"] = "replied"
		case "accept":
			o["state"] = "closed"
		case "return":
			o["state"], o["round"] = "open", 2
		}
		json.NewEncoder(w).Encode(o)
	default:
		http.NotFound(w, r)
	}
}

func TestOrdersStepRepliesAndReviews(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	due := start.Add(5 * 24 * time.Hour)
	clk := clock.Manual(start)
	f := &fakeOrders{orders: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := newOrdersSim(t, srv.URL, clk)
	// One order of each fate, and one of a department without a token.
	ids := map[Fate]string{}
	for i := 0; len(ids) < 3; i++ {
		id := fmt.Sprintf("DB-2026-%06d", i)
		if _, ok := ids[s.FateOf(id, 1)]; !ok {
			ids[s.FateOf(id, 1)] = id
		}
	}
	for _, id := range append([]string{"DB-2026-999999"}, ids[OnTime], ids[Late], ids[Never]) {
		dept := "env"
		if id == "DB-2026-999999" {
			dept = "transport"
		}
		f.orders[id] = map[string]any{"id": id, "department": dept, "case_ids": []string{"env/1"}, "state": "open", "round": 1,
			"opened_at": start, "reply_due": map[string]any{"date": "2026-03-09", "at": due}, "history": []any{}}
	}
	ctx := context.Background()
	step := func(at time.Time) {
		t.Helper()
		clk.Set(at)
		if err := s.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(start.Add(time.Hour)) // too early for anyone
	if len(f.actions) != 0 {
		t.Fatalf("actions before their time: %v", f.actions)
	}
	step(due.Add(-time.Minute)) // the on-time department has answered
	if len(f.actions) != 1 || !strings.HasPrefix(f.actions[0], "env-token "+ids[OnTime]+" reply simulate-"+ids[OnTime]+"-1-reply ") {
		t.Fatalf("by the deadline: %v", f.actions)
	}
	var body struct {
		Cause, Measures string
		Responsible     []struct{ Handler, Responsibility string }
	}
	if err := json.Unmarshal([]byte(f.actions[0][strings.Index(f.actions[0], "{"):]), &body); err != nil ||
		body.Cause == "" || body.Measures == "" || len(body.Responsible) != 1 || body.Responsible[0].Handler != "wang.wu" {
		t.Errorf("reply body %q: %+v %v", f.actions[0], body, err)
	}
	f.orders[ids[OnTime]]["replies"] = []map[string]any{{"round": 1, "at": due.Add(-time.Minute)}}
	step(due.Add(-time.Minute)) // not again
	if len(f.actions) != 1 {
		t.Fatalf("a reply posted twice: %v", f.actions)
	}
	step(due.Add(3 * 24 * time.Hour)) // the late one has answered; the first reply is reviewed
	joined := strings.Join(f.actions, "\n")
	if !strings.Contains(joined, "env-token "+ids[Late]+" reply") {
		t.Errorf("the late department did not reply:\n%s", joined)
	}
	wantReview := "accept"
	if s.Returns(ids[OnTime], 1) {
		wantReview = "return"
	}
	if !strings.Contains(joined, "sup-token "+ids[OnTime]+" "+wantReview) {
		t.Errorf("the supervisor did not %s the reply:\n%s", wantReview, joined)
	}
	for _, id := range []string{ids[Never], "DB-2026-999999"} {
		if strings.Contains(joined, " "+id+" ") {
			t.Errorf("%s was acted on:\n%s", id, joined)
		}
	}
}
