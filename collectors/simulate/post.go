package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// ErrRefused is returned by Run when the service refuses the simulator's token (401 or
// 403): no retry can mend that.
var ErrRefused = errors.New("simulate: the service refused the token")

// answer is the push API's 202 body (docs/api.md, "POST /api/v1/events").
type answer struct {
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   int64 `json:"rejected"`
	Results    []struct {
		EventID string `json:"event_id"`
		Status  string `json:"status"`
		Errors  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"results"`
}

// Retry waits, in real time: a restarting service answers again within seconds.
const (
	retryFirst = 250 * time.Millisecond
	retryMax   = 5 * time.Second
)

// post sends events in batches of about Batch, each until the service takes it. A case's
// events go in one batch: were a case's decision to come a batch after its acceptance, the
// service would apply the case in between, see the promised deadline long past with no
// decision, and fire an alert that the decision then supersedes — a false alarm on every
// screen. Only a case with more than Batch events due at once is split.
func (s *Simulator) post(ctx context.Context, evs []monitor.Event) error {
	if x := s.o.Exchange; x != nil {
		var rows []monitor.Event
		evs, rows = splitDepartment(evs, x.Department())
		if len(rows) > 0 {
			if err := x.Write(ctx, byCase(rows)); err != nil {
				return fmt.Errorf("simulate: write to the exchange database: %w", err)
			}
		}
	}
	evs = byCase(evs)
	for len(evs) > 0 {
		n := min(len(evs), s.o.Batch)
		for n < len(evs) && n > 0 && evs[n].CaseID == evs[n-1].CaseID {
			n-- // end the batch at a case boundary
		}
		if n == 0 {
			n = min(len(evs), s.o.Batch)
		}
		if err := s.postBatch(ctx, evs[:n]); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

// splitDepartment parts events into the others and the department's, each in order.
func splitDepartment(evs []monitor.Event, dept string) (others, its []monitor.Event) {
	for _, e := range evs {
		if e.Department == dept {
			its = append(its, e)
		} else {
			others = append(others, e)
		}
	}
	return others, its
}

// byCase orders events by case, cases in the order of their first event, keeping each
// case's events in their order.
func byCase(evs []monitor.Event) []monitor.Event {
	first := make(map[string]int, len(evs))
	for i := range evs {
		if _, ok := first[evs[i].CaseID]; !ok {
			first[evs[i].CaseID] = i
		}
	}
	out := slices.Clone(evs)
	slices.SortStableFunc(out, func(a, b monitor.Event) int { return first[a.CaseID] - first[b.CaseID] })
	return out
}

// postBatch sends one batch, retrying network errors, 5xx and 429 (after its Retry-After)
// until the service answers 202 or ctx ends. Event ids make a retry harmless: what was
// stored comes back as a duplicate.
func (s *Simulator) postBatch(ctx context.Context, evs []monitor.Event) error {
	body, err := json.Marshal(evs)
	if err != nil {
		return fmt.Errorf("simulate: encode events: %w", err)
	}
	wait := retryFirst
	for {
		retryAfter, err := s.send(ctx, body, len(evs))
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrRefused):
			return err
		case ctx.Err() != nil:
			return nil
		}
		if retryAfter > 0 {
			wait = retryAfter
		}
		s.o.Logger.Debug("post_retry", "err", err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, retryMax)
	}
}

// send makes one request. It returns the wait a 429 asks for, and an error for anything but
// a 202; a 4xx other than 401, 403 and 429 is a defect of the simulator, logged and dropped.
func (s *Simulator) send(ctx context.Context, body []byte, n int) (retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.o.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	switch {
	case resp.StatusCode == http.StatusAccepted:
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fmt.Errorf("%w: %s %s", ErrRefused, resp.Status, raw)
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return time.Duration(max(secs, 1)) * time.Second, fmt.Errorf("rate limited: %s", resp.Status)
	case resp.StatusCode >= 500:
		return 0, fmt.Errorf("%s: %s", resp.Status, raw)
	default:
		s.o.Logger.Error("post_refused", "status", resp.StatusCode, "events", n, "body", string(raw))
		return 0, nil
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, fmt.Errorf("read the answer: %w", err)
	}
	s.stats.posted.Add(int64(n))
	s.stats.accepted.Add(a.Accepted)
	s.stats.duplicates.Add(a.Duplicates)
	s.stats.rejected.Add(a.Rejected)
	for _, r := range a.Results {
		for _, e := range r.Errors {
			if key := e.Field + ": " + e.Message; !s.rejections[key] {
				s.rejections[key] = true
				s.o.Logger.Warn("event_rejected", "event_id", r.EventID, "field", e.Field, "message", e.Message)
			}
		}
	}
	return 0, nil
}
