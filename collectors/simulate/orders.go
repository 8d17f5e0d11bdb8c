package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// The supervision loop of `duban demo`: the simulated departments answer the supervision
// orders (督办单) opened on their cases, and a simulated supervisor reviews the answers, all
// through the orders API like people and department systems would. Each order's fate is
// drawn from its id and round (so it is the same on every poll and every run with the same
// seed): most departments reply on time, some late, some never (so order_overdue and then
// order_escalated fire while you watch); the supervisor returns some first replies (a new
// round starts) and accepts the rest. On the demo's fast clock the whole loop — red card,
// order, reply, review, reminder, escalation — passes within minutes.

// Fate is what a department does with one round of an order.
type Fate int

// The fates.
const (
	OnTime Fate = iota // replies before the deadline
	Late               // replies after the deadline, before escalation
	Never              // does not reply (the order escalates)
)

func (f Fate) String() string { return [...]string{"on_time", "late", "never"}[f] }

// OrdersOptions configure the simulated departments' and supervisor's side of the orders.
type OrdersOptions struct {
	// URL is the service's base URL. Required.
	URL string
	// Departments maps a department code to a token that may reply for it (its collector
	// or its liaison). Orders of departments without one are left alone. Required.
	Departments map[string]string
	// Supervisor is a supervisor's token, which reviews the replies. Required.
	Supervisor string
	// Clock is the service's business clock. Required.
	Clock clock.Clock
	// Seed chooses the fates. Zero means 1.
	Seed uint64
	// Poll is the real time between two looks at the orders. Zero means 1 s.
	Poll   time.Duration
	Client *http.Client
	Logger *slog.Logger
}

// Orders plays the departments and the supervisor.
type Orders struct {
	o OrdersOptions
	// done remembers the actions taken (order id, round, action), so each is posted once;
	// the service answers a repeated identical reply as the first anyway.
	done map[string]bool
}

// NewOrders checks the options.
func NewOrders(o OrdersOptions) (*Orders, error) {
	if o.URL == "" || len(o.Departments) == 0 || o.Supervisor == "" || o.Clock == nil {
		return nil, errors.New("simulate: orders need the URL, the departments' tokens, a supervisor's token and the clock")
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.URL = strings.TrimSuffix(o.URL, "/")
	o.Logger = o.Logger.With("component", "simulate_orders")
	return &Orders{o: o, done: map[string]bool{}}, nil
}

// draw is a number in [0, 1) fixed by the seed, the order, its round and a purpose.
func (s *Orders) draw(id string, round int, what string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%d|%s", s.o.Seed, id, round, what)
	return float64(h.Sum64()>>11) / (1 << 53)
}

// FateOf is what the department does in the order's round: 65 % reply on time, 20 % late,
// 15 % never. A returned order's next round is always answered on time: the point of a
// return is a better answer, and the demo shows it.
func (s *Orders) FateOf(id string, round int) Fate {
	if round > 1 {
		return OnTime
	}
	switch x := s.draw(id, round, "fate"); {
	case x < 0.65:
		return OnTime
	case x < 0.85:
		return Late
	default:
		return Never
	}
}

// ReplyAt is the business time at which the department replies to the round that started
// at start and is due at due; ok is false when it never does.
func (s *Orders) ReplyAt(id string, round int, start, due time.Time) (at time.Time, ok bool) {
	x := s.draw(id, round, "when")
	switch s.FateOf(id, round) {
	case OnTime:
		// Between a fifth and four fifths of the way to the deadline.
		return start.Add(time.Duration((0.2 + 0.6*x) * float64(due.Sub(start)))), true
	case Late:
		// Half a day to two days after the deadline: before the escalation (5 working days).
		return due.Add(time.Duration((0.5 + 1.5*x) * float64(24*time.Hour))), true
	}
	return time.Time{}, false
}

// Returns reports whether the supervisor returns the reply of this round: a quarter of the
// first replies; later rounds are accepted.
func (s *Orders) Returns(id string, round int) bool {
	return round == 1 && s.draw(id, round, "return") < 0.25
}

// reviewDelay is the business time the supervisor takes to review a reply.
const reviewDelay = 12 * time.Hour

// order is the part of an order the simulation reads.
type order struct {
	ID         string   `json:"id"`
	Department string   `json:"department"`
	CaseIDs    []string `json:"case_ids"`
	State      string   `json:"state"`
	Round      int      `json:"round"`
	ReplyDue   struct {
		At time.Time `json:"at"`
	} `json:"reply_due"`
	Replies []struct {
		Round int       `json:"round"`
		At    time.Time `json:"at"`
	} `json:"replies"`
	History []struct {
		At     time.Time `json:"at"`
		Action string    `json:"action"`
	} `json:"history"`
	Opened time.Time `json:"opened_at"`
}

// roundStart is when the order's current round began: its opening, or the latest return.
func (o *order) roundStart() time.Time {
	start := o.Opened
	for _, h := range o.History {
		if h.Action == "returned" && h.At.After(start) {
			start = h.At
		}
	}
	return start
}

// Run looks at the pending orders every Poll until ctx ends, and acts on those whose time
// has come.
func (s *Orders) Run(ctx context.Context) error {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		if err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("orders_step_failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step acts once on every pending order whose time has come: replies to open orders,
// reviews replied ones.
func (s *Orders) Step(ctx context.Context) error {
	now := s.o.Clock.Now()
	for _, state := range []string{"open", "replied"} {
		orders, err := s.list(ctx, state)
		if err != nil {
			return err
		}
		for i := range orders {
			o := &orders[i]
			var err error
			switch state {
			case "open":
				err = s.maybeReply(ctx, o, now)
			case "replied":
				err = s.maybeReview(ctx, o, now)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Orders) maybeReply(ctx context.Context, o *order, now time.Time) error {
	token, ok := s.o.Departments[o.Department]
	key := fmt.Sprintf("%s|%d|reply", o.ID, o.Round)
	if !ok || s.done[key] {
		return nil
	}
	at, ok := s.ReplyAt(o.ID, o.Round, o.roundStart(), o.ReplyDue.At)
	if !ok || now.Before(at) {
		return nil
	}
	body := s.replyBody(ctx, token, o)
	if err := s.act(ctx, token, o, "reply", body); err != nil {
		return err
	}
	s.done[key] = true
	return nil
}

func (s *Orders) maybeReview(ctx context.Context, o *order, now time.Time) error {
	key := fmt.Sprintf("%s|%d|review", o.ID, o.Round)
	if s.done[key] {
		return nil
	}
	var replied time.Time
	for _, r := range o.Replies {
		if r.Round == o.Round {
			replied = r.At
		}
	}
	if replied.IsZero() || now.Before(replied.Add(reviewDelay)) {
		return nil
	}
	var err error
	if s.Returns(o.ID, o.Round) {
		err = s.act(ctx, s.o.Supervisor, o, "return", map[string]any{"note": "原因分析不够具体，整改措施未落实到人，请补充后重新反馈。"})
	} else {
		err = s.act(ctx, s.o.Supervisor, o, "accept", map[string]any{"note": "整改措施可行，同意办结。"})
	}
	if err == nil {
		s.done[key] = true
	}
	return err
}

// causes and measures are the simulated departments' answers.
var (
	causes = []string{
		"承办人同时承担多项审查任务，未及时审查，材料流转延误。",
		"专家评审安排延后，未按承诺时限作出决定。",
		"科室负责人外出，审批签字环节积压。",
		"审批系统与监察系统对接故障，办理进度未及时上报。",
	}
	measures = []string{
		"已督促承办人限期办结，并将办理时限纳入科室周例会通报。",
		"已调整审查分工，设立临期办件提醒，由分管领导每日督查。",
		"已完成系统修复并补报全部办理记录，明确专人负责数据上报。",
	}
)

// replyBody is the department's answer: a cause and measures, done or not, and who bears
// what: the case's handler, directly responsible in most answers.
func (s *Orders) replyBody(ctx context.Context, token string, o *order) map[string]any {
	x := s.draw(o.ID, o.Round, "text")
	body := map[string]any{
		"cause":     causes[int(x*float64(len(causes)))],
		"measures":  measures[int(x*float64(len(measures)))],
		"completed": x < 0.7,
	}
	resp := []map[string]string{}
	if len(o.CaseIDs) > 0 {
		if h := s.handlerOf(ctx, token, o.CaseIDs[0]); h != "" {
			r := "direct"
			if x >= 0.8 {
				r = "none"
			}
			resp = append(resp, map[string]string{"handler": h, "responsibility": r})
		}
	}
	body["responsible"] = resp
	return body
}

func (s *Orders) handlerOf(ctx context.Context, token, caseID string) string {
	var c struct {
		Handler string `json:"handler"`
	}
	parts := strings.Split(caseID, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	if err := s.get(ctx, token, "/api/v1/cases/"+strings.Join(parts, "/"), &c); err != nil {
		return ""
	}
	return c.Handler
}

// list reads every order in the state, page by page, with the supervisor's token.
func (s *Orders) list(ctx context.Context, state string) ([]order, error) {
	var all []order
	cursor := ""
	for {
		var page struct {
			Orders     []order `json:"orders"`
			NextCursor string  `json:"next_cursor"`
		}
		q := url.Values{"state": {state}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if err := s.get(ctx, s.o.Supervisor, "/api/v1/orders?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Orders...)
		if page.NextCursor == "" || len(page.Orders) == 0 {
			return all, nil
		}
		cursor = page.NextCursor
	}
}

func (s *Orders) get(ctx context.Context, token, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.o.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", path, resp.Status, raw)
	}
	return json.Unmarshal(raw, into)
}

// act posts one action on an order. A 409 (the order moved on meanwhile: withdrawn by a
// person, or already answered) is not an error: the next look sees the new state.
func (s *Orders) act(ctx context.Context, token string, o *order, action string, body any) error {
	id := o.ID
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	path := "/api/v1/orders/" + url.PathEscape(id) + "/" + action
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("simulate-%s-%d-%s", id, o.Round, action))
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK:
		s.o.Logger.Info("order_"+action, "order", id)
		return nil
	case resp.StatusCode == http.StatusConflict:
		return nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	// Anything else is a defect of the simulation: logged, and not retried.
	s.o.Logger.Error("order_action_refused", "order", id, "action", action, "status", resp.StatusCode, "body", string(raw))
	return nil
}
