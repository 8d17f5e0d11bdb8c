package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// The demo's supervision loop: simulated departments answer their supervision orders
// (督办单) and a simulated bureau reviews the answers, all through the real API, so the screen
// shows the whole cycle — orders opened by automatic opening, replies on time and late,
// escalations for the departments that never answer, returns and acceptances.

// Fate is what a simulated department does with an order: drawn once per order from its
// id, so every poll (and every replica of the demo) agrees.
type Fate int

// The fates, in the order of their shares.
const (
	OnTime  Fate = iota // replies within the limit (~65%)
	Late                // replies after the deadline (~15%)
	Never               // never replies: order_overdue, then order_escalated (~10%)
	Revised             // replies on time, is returned, and answers again (~10%)
)

// FateOf draws an order's fate from its id.
func FateOf(id string) Fate {
	h := fnv.New32a()
	h.Write([]byte(id))
	switch v := h.Sum32() % 100; {
	case v < 65:
		return OnTime
	case v < 80:
		return Late
	case v < 90:
		return Never
	}
	return Revised
}

// ResponderOptions configure a Responder.
type ResponderOptions struct {
	URL string // the service's base URL
	// Supervisor is a supervisor or admin token: the bureau that reviews the replies.
	Supervisor string
	// Departments maps each department to a token that may reply for it (a liaison or its
	// collector).
	Departments map[string]string
	Clock       clock.Clock
	// Poll is the real time between two looks at the orders. Zero means 1 s.
	Poll   time.Duration
	Client *http.Client
	Logger *slog.Logger
}

// Responder answers and reviews supervision orders on behalf of the simulated district.
type Responder struct{ o ResponderOptions }

// NewResponder builds a Responder.
func NewResponder(o ResponderOptions) *Responder {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Responder{o: o}
}

// order is what the responder reads of an order.
type order struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	State      string    `json:"state"`
	Round      int       `json:"round"`
	CaseIDs    []string  `json:"case_ids"`
	OpenedAt   time.Time `json:"opened_at"`
	ReplyDue   struct {
		At time.Time `json:"at"`
	} `json:"reply_due"`
	Replies []struct {
		Round int       `json:"round"`
		At    time.Time `json:"at"`
	} `json:"replies"`
}

// Run looks at the open and replied orders every Poll until ctx ends.
func (r *Responder) Run(ctx context.Context) error {
	t := time.NewTicker(r.o.Poll)
	defer t.Stop()
	for {
		if err := r.Step(ctx); err != nil && ctx.Err() == nil {
			r.o.Logger.Warn("simulate_orders", "component", "simulate", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step does what is due now: each department replies to its open orders whose moment has
// come (by their fate), and the bureau reviews replied orders a few hours after the reply.
func (r *Responder) Step(ctx context.Context) error {
	now := r.o.Clock.Now()
	for _, state := range []string{"open", "replied"} {
		cursor := ""
		for {
			var page struct {
				Orders     []order `json:"orders"`
				NextCursor string  `json:"next_cursor"`
			}
			q := url.Values{"state": {state}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			if err := r.call(ctx, "GET", "/api/v1/orders?"+q.Encode(), r.o.Supervisor, nil, &page); err != nil {
				return err
			}
			for i := range page.Orders {
				if err := r.act(ctx, &page.Orders[i], now); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return nil
}

// act does what is due for one order at now.
func (r *Responder) act(ctx context.Context, o *order, now time.Time) error {
	fate := FateOf(o.ID)
	switch o.State {
	case "open":
		if fate == Never {
			return nil
		}
		// On time: two thirds into the round; late: a working day or so after the deadline.
		start := o.OpenedAt
		if n := len(o.Replies); n > 0 {
			start = o.Replies[n-1].At // a returned round starts about when it was returned
		}
		when := start.Add(o.ReplyDue.At.Sub(start) * 2 / 3)
		if fate == Late && o.Round == 1 {
			when = o.ReplyDue.At.Add(30 * time.Hour)
		}
		if now.Before(when) {
			return nil
		}
		tok, ok := r.o.Departments[o.Department]
		if !ok {
			return nil
		}
		body := map[string]any{
			"cause":     fmt.Sprintf("承办人员对办理时限把握不准，内部流转环节衔接不畅（第%d轮说明）", o.Round),
			"measures":  "已督促承办人员加快办理，完善内部流转和时限提醒，相关办件已办结",
			"completed": true,
			"responsible": []map[string]string{{"handler": "承办人", "responsibility": "direct"},
				{"handler": "科室负责人", "responsibility": "leadership"}},
		}
		return r.call(ctx, "POST", "/api/v1/orders/"+o.ID+"/reply", tok, body, nil)
	case "replied":
		if len(o.Replies) == 0 || now.Before(o.Replies[len(o.Replies)-1].At.Add(4*time.Hour)) {
			return nil
		}
		if fate == Revised && o.Round == 1 {
			return r.call(ctx, "POST", "/api/v1/orders/"+o.ID+"/return", r.o.Supervisor,
				map[string]string{"note": "整改措施不够具体，请补充说明并落实到人"}, nil)
		}
		return r.call(ctx, "POST", "/api/v1/orders/"+o.ID+"/accept", r.o.Supervisor,
			map[string]string{"note": "同意反馈意见"}, nil)
	}
	return nil
}

// call sends one request; a 409 (another replica or a person acted first) is no error.
func (r *Responder) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.o.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	switch {
	case resp.StatusCode == http.StatusConflict:
		return nil
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	case out != nil:
		return json.Unmarshal(raw, out)
	}
	return nil
}
