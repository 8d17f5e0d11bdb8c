package alertmanager

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/metrics"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Options configure a Forwarder. Zero values are as documented per field.
type Options struct {
	Store *rdb.Store
	// URL is Alertmanager's base URL (http:// or https://); alerts go to URL/api/v2/alerts.
	URL string
	// SendHandlerNames sends handlers' names (`alertmanager.send_handler_names`). False,
	// the default, sends none: a fault_threshold alert goes out under a pseudonym keyed by
	// the deployment's secret in Redis (see Handlers).
	SendHandlerNames bool
	// Owner names this replica in the lease; zero means a random token.
	Owner string
	// Client posts to Alertmanager; nil means one with a 10 s timeout.
	Client *http.Client
	// Wall is the real clock of leases, resends and endsAt (plumbing); nil means time.Now.
	Wall func() time.Time
	// Loc is the configured zone, the one the times sent (the fired_at annotation, startsAt,
	// endsAt) are written in; nil leaves them in the zone they come in.
	Loc *time.Location
	// Resend is how often open alerts are sent again; zero means 1 min. Alertmanager
	// resolves an alert that is not resent before its endsAt, which is set 4 resends
	// ahead (and before its resolve_timeout, 5 min by default, when no endsAt is given).
	Resend time.Duration
	// Lease is how long the forwarder stays with this replica without a renewal; zero means
	// 30 s. Poll is how often the lease is taken or renewed; zero means 2 s.
	Lease, Poll time.Duration
	// RetryFirst and RetryMax bound the backoff while Alertmanager is unreachable or
	// failing: zero means 1 s and 5 min. Entries wait, in order, until it accepts them.
	RetryFirst, RetryMax time.Duration
	Logger               *slog.Logger
	Registerer           prometheus.Registerer
}

// Forwarder follows the alert stream and forwards it to Alertmanager.
type Forwarder struct {
	o     Options
	url   string
	posts *prometheus.CounterVec
	log   *slog.Logger
	names Handlers // set by serve, read by its goroutine only
}

// batch is how many alert stream entries go into one POST; page how many open alerts are
// resent per POST.
const (
	batch = 200
	page  = 500
)

// New validates the options and builds a Forwarder.
func New(o Options) (*Forwarder, error) {
	if o.Store == nil {
		return nil, errors.New("alertmanager: forwarder needs a store")
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alertmanager: %q is not an http:// or https:// URL", o.URL)
	}
	if o.Owner == "" {
		b := make([]byte, 8)
		rand.Read(b)
		o.Owner = hex.EncodeToString(b)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Wall == nil {
		o.Wall = time.Now
	}
	if o.Resend <= 0 {
		o.Resend = time.Minute
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Poll*3 > o.Lease {
		return nil, errors.New("alertmanager: poll must be at most a third of the lease")
	}
	if o.RetryFirst <= 0 {
		o.RetryFirst = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &Forwarder{o: o, url: strings.TrimRight(o.URL, "/") + "/api/v2/alerts",
		log: o.Logger.With("component", "alertmanager"),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metrics.NameAlertmanagerPosts,
			Help: "POSTs of alerts to Alertmanager by this replica, by outcome (success, failure, rejected).",
		}, []string{"outcome"})}
	if o.Registerer != nil {
		if err := o.Registerer.Register(f.posts); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Run forwards while this replica holds the lease, and waits for it otherwise, until ctx
// ends. It releases the lease on the way out so another replica takes over at once.
func (f *Forwarder) Run(ctx context.Context) error {
	names := []string{rdb.AlertmanagerLease}
	for ctx.Err() == nil {
		held, err := f.o.Store.HoldLeases(ctx, names, f.o.Owner, f.o.Lease)
		if err == nil && held[0] {
			f.log.Info("forwarding", "url", f.url)
			f.serve(ctx)
		}
		clock.Sleep(ctx, f.o.Poll)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = f.o.Store.ReleaseLeases(rctx, names, f.o.Owner)
	return nil
}

// serve forwards until ctx ends or the lease is lost.
func (f *Forwarder) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		f.renew(ctx)
		cancel()
	}()
	defer func() { <-renewed }()

	f.names = Handlers{Send: f.o.SendHandlerNames}
	for !f.names.Send {
		key, err := f.o.Store.AlertmanagerKey(ctx)
		if err == nil {
			f.names.Key = key
			break
		}
		if !clock.Sleep(ctx, time.Second) {
			return
		}
	}
	var pos string
	for {
		p, err := f.o.Store.AlertmanagerPosition(ctx)
		if err == nil {
			pos = p
			break
		}
		if !clock.Sleep(ctx, time.Second) {
			return
		}
	}
	nextResend := f.o.Wall() // at once: the previous holder may have died before its resend
	failures := 0
	for ctx.Err() == nil {
		entries, err := f.o.Store.AlertsAfter(ctx, pos, batch)
		if err != nil {
			clock.Sleep(ctx, time.Second)
			continue
		}
		if len(entries) > 0 {
			next, ok := f.forward(ctx, pos, entries, &failures)
			if !ok {
				return
			}
			pos = next
			continue
		}
		if now := f.o.Wall(); !now.Before(nextResend) {
			f.resend(ctx)
			nextResend = now.Add(f.o.Resend)
		}
		// Wait for news, at most until the next resend.
		wait := min(max(nextResend.Sub(f.o.Wall()), time.Millisecond), time.Second)
		_, _ = f.o.Store.WaitAlerts(ctx, pos, 1, wait)
	}
}

// renew keeps the lease until it is lost (or cannot be renewed for most of its life) or ctx
// ends.
func (f *Forwarder) renew(ctx context.Context) {
	last := f.o.Wall()
	for clock.Sleep(ctx, f.o.Poll) {
		held, err := f.o.Store.HoldLeases(ctx, []string{rdb.AlertmanagerLease}, f.o.Owner, f.o.Lease)
		switch {
		case err == nil && held[0]:
			last = f.o.Wall()
		case err == nil:
			f.log.Warn("lease_lost")
			return
		case f.o.Wall().Sub(last) > f.o.Lease*2/3:
			f.log.Warn("lease_not_renewed", "err", err)
			return
		}
	}
}

// forward posts the alerts of a batch of stream entries (each alert in its latest state)
// and, once Alertmanager accepted them, moves the position past the batch. It retries with
// backoff while Alertmanager fails; it returns false when the lease is lost or ctx ends.
func (f *Forwarder) forward(ctx context.Context, pos string, entries []rdb.StreamAlert, failures *int) (string, bool) {
	last := entries[len(entries)-1].Cursor
	latest := map[string][]byte{}
	var order []string
	for _, e := range entries {
		if e.Order != nil {
			continue // a supervision order's change, not an alert
		}
		r, err := decode(e.Doc, f.o.Loc)
		if err != nil {
			f.log.Error("alert_unreadable", "cursor", e.Cursor, "err", err)
			continue
		}
		if _, seen := latest[r.ID]; !seen {
			order = append(order, r.ID)
		}
		latest[r.ID] = e.Doc
	}
	for {
		now := monitor.InZone(f.o.Wall(), f.o.Loc)
		var out []Alert
		var open []rdb.AlertDoc
		var ended []string
		for _, id := range order {
			r, _ := decode(latest[id], f.o.Loc)
			out = append(out, FromRecord(r, now, 4*f.o.Resend, f.names))
			if r.State.Open() {
				open = append(open, rdb.AlertDoc{ID: id, Doc: latest[id]})
			} else {
				ended = append(ended, id)
			}
		}
		err := f.post(ctx, out)
		var rej *rejected
		if errors.As(err, &rej) {
			// Alertmanager will never take this batch, and waiting would hold up every later
			// alert: send the alerts one by one, and skip those it refuses. Resending what it
			// already has is harmless: it knows an alert by its labels.
			err = f.postEach(ctx, out)
		}
		switch {
		case err == nil:
		default:
			if ctx.Err() != nil {
				return "", false
			}
			*failures++
			if *failures == 1 {
				f.log.Warn("alertmanager_unreachable", "err", err)
			}
			if !clock.Sleep(ctx, f.backoff(*failures)) {
				return "", false
			}
			continue
		}
		if *failures > 0 {
			f.log.Info("alertmanager_reachable", "after_failures", *failures)
			*failures = 0
		}
		for {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			ok, err := f.o.Store.CommitAlertmanager(cctx, f.o.Owner, pos, last, open, ended)
			cancel()
			if err == nil {
				return last, ok
			}
			if !clock.Sleep(ctx, time.Second) {
				return "", false
			}
		}
	}
}

// postEach posts alerts one at a time, logging and skipping those Alertmanager refuses as
// invalid; it stops at the first other failure.
func (f *Forwarder) postEach(ctx context.Context, alerts []Alert) error {
	for _, a := range alerts {
		err := f.post(ctx, []Alert{a})
		var rej *rejected
		switch {
		case errors.As(err, &rej):
			f.log.Error("alert_rejected", "alert_id", a.Labels["alert_id"], "status", rej.status, "err", rej.msg)
		case err != nil:
			return err
		}
	}
	return nil
}

// resend posts every open alert again, a page at a time.
func (f *Forwarder) resend(ctx context.Context) {
	var cursor uint64
	for {
		docs, next, err := f.o.Store.OpenAlertmanagerAlerts(ctx, cursor, page)
		if err != nil {
			f.log.Warn("resend_failed", "err", err)
			return
		}
		now := monitor.InZone(f.o.Wall(), f.o.Loc)
		out := make([]Alert, 0, len(docs))
		for _, d := range docs {
			if r, err := decode(d.Doc, f.o.Loc); err == nil {
				out = append(out, FromRecord(r, now, 4*f.o.Resend, f.names))
			}
		}
		if len(out) > 0 {
			if err := f.post(ctx, out); err != nil {
				f.log.Warn("resend_failed", "err", err)
				return
			}
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

// rejected is Alertmanager's refusal of a request as invalid (a 4xx other than 408 and
// 429), which no retry would change.
type rejected struct {
	status int
	msg    string
}

func (r *rejected) Error() string { return fmt.Sprintf("HTTP %d: %s", r.status, r.msg) }

// post sends alerts to Alertmanager.
func (f *Forwarder) post(ctx context.Context, alerts []Alert) error {
	body, err := json.Marshal(alerts)
	if err != nil {
		return &rejected{msg: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "duban")
	resp, err := f.o.Client.Do(req)
	if err != nil {
		f.posts.WithLabelValues("failure").Inc()
		return err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code/100 == 2:
		f.posts.WithLabelValues("success").Inc()
		return nil
	case code/100 == 4 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		f.posts.WithLabelValues("rejected").Inc()
		return &rejected{status: code, msg: strings.TrimSpace(string(head))}
	default:
		f.posts.WithLabelValues("failure").Inc()
		return fmt.Errorf("HTTP %d: %s", code, strings.TrimSpace(string(head)))
	}
}

// backoff is the delay after the n-th failure in a row: RetryFirst doubling up to RetryMax,
// less a random part of up to half (jitter).
func (f *Forwarder) backoff(n int) time.Duration {
	return clock.Backoff(int64(n), f.o.RetryFirst, f.o.RetryMax)
}
