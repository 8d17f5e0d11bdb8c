// Package stream is duban's one follower of the alert stream: read the entries after a
// cursor in batches, wait for news when there is none (a blocking read, or a read woken by
// a broadcast), resume after a failed read with back-off, and hand each batch to a stage
// that says where to go on from. The live hub, the webhook workers (and the dispatcher's
// news broadcast) and the Alertmanager forwarder are stages on it, as the stages of
// Alertmanager's own notification pipeline are on its dispatcher.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/duban-gov/duban/internal/loop"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
)

// Reader is what a follower needs of storage (rdb.Store implements it).
type Reader interface {
	// AlertsAfter returns up to count entries after cursor, without waiting.
	AlertsAfter(ctx context.Context, cursor string, count int64) ([]rdb.StreamAlert, error)
	// WaitAlerts is AlertsAfter that waits up to block (real time) for the first entry.
	WaitAlerts(ctx context.Context, cursor string, count int64, block time.Duration) ([]rdb.StreamAlert, error)
	// LatestAlertCursor is the newest entry's cursor, "" for an empty stream.
	LatestAlertCursor(ctx context.Context) (string, error)
}

// Defaults of Options.
const (
	DefaultBatch      = 100
	DefaultBlock      = time.Second
	DefaultRetryFirst = 500 * time.Millisecond
	DefaultRetryMax   = 4 * time.Second
)

// Options configure a follower. Zero values take the defaults above.
type Options struct {
	Store Reader
	// Batch is the most entries one read returns.
	Batch int
	// Block is how long one read waits for news before it counts as idle (real time). It
	// bounds how long Follow may take to return after ctx ends: go-redis does not abort a
	// blocking read when its context is cancelled.
	Block time.Duration
	// News, when set, replaces the blocking read: reads do not wait, and one that finds
	// nothing waits for the channel News returned before it (so news arriving in between
	// is not missed), at most Block. Many followers then share one blocking reader (which
	// broadcasts) instead of holding a Redis connection each.
	News func() <-chan struct{}
	// Idle, when set, runs after each read that found nothing.
	Idle func(ctx context.Context)
	// BlockFor, when set, shortens the next wait to what it returns (at least 1 ms): the
	// time left to a deadline of the stage's own, which Idle then meets.
	BlockFor func() time.Duration
	// RetryFirst and RetryMax bound the back-off after failed reads (clock.Backoff).
	RetryFirst, RetryMax time.Duration
	// Logger gets alert_stream_unreadable when reads start failing (and when the failure
	// changes) and alert_stream_readable when they work again.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Block <= 0 {
		o.Block = DefaultBlock
	}
	if o.RetryFirst <= 0 {
		o.RetryFirst = DefaultRetryFirst
	}
	if o.RetryMax < o.RetryFirst {
		o.RetryMax = max(DefaultRetryMax, o.RetryFirst)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// block is how long the next wait may last.
func (o *Options) block() time.Duration {
	if o.BlockFor == nil {
		return o.Block
	}
	return min(max(o.BlockFor(), time.Millisecond), o.Block)
}

// Stage takes one batch (in stream order, never empty) and returns the cursor to read
// after next — normally the batch's last, or an earlier one to read part of it again. An
// error ends Follow with that error.
type Stage func(ctx context.Context, batch []rdb.StreamAlert) (next string, err error)

// ErrStop is what a stage returns to end Follow quietly (its work is over: a lease lost,
// a subscription deleted); Follow then returns nil.
var ErrStop = errors.New("stream: stop")

// Follow reads the entries after cursor ("" for the whole stream) and hands each batch to
// stage, until ctx ends (nil) or stage fails (its error; nil for ErrStop).
func Follow(ctx context.Context, o Options, cursor string, stage Stage) error {
	o.defaults()
	errs := loop.Errors{Logger: o.Logger, Event: "alert_stream_unreadable", Recovered: "alert_stream_readable"}
	fails := int64(0)
	for ctx.Err() == nil {
		var news <-chan struct{}
		var batch []rdb.StreamAlert
		var err error
		if o.News != nil {
			news = o.News()
			batch, err = o.Store.AlertsAfter(ctx, cursor, int64(o.Batch))
		} else {
			from := cursor
			if from == "" {
				from = "0-0"
			}
			batch, err = o.Store.WaitAlerts(ctx, from, int64(o.Batch), o.block())
		}
		if ctx.Err() != nil {
			return nil
		}
		errs.Report(err)
		if err != nil {
			fails++
			clock.Sleep(ctx, clock.Backoff(fails, o.RetryFirst, o.RetryMax))
			continue
		}
		fails = 0
		if len(batch) == 0 {
			if o.Idle != nil {
				o.Idle(ctx)
			}
			if news != nil {
				t := time.NewTimer(o.block())
				select {
				case <-news:
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			continue
		}
		next, err := stage(ctx, batch)
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
		cursor = next
	}
	return nil
}

// Latest is the cursor to follow only new entries from: the newest entry's, or "0-0" for
// an empty stream. It retries with back-off while the stream cannot be read; ok is false
// when ctx ended first.
func Latest(ctx context.Context, o Options) (cursor string, ok bool) {
	o.defaults()
	errs := loop.Errors{Logger: o.Logger, Event: "alert_stream_unreadable", Recovered: "alert_stream_readable"}
	for fails := int64(1); ; fails++ {
		c, err := o.Store.LatestAlertCursor(ctx)
		if ctx.Err() != nil {
			return "", false
		}
		errs.Report(err)
		if err == nil {
			if c == "" {
				c = "0-0"
			}
			return c, true
		}
		if !clock.Sleep(ctx, clock.Backoff(fails, o.RetryFirst, o.RetryMax)) {
			return "", false
		}
	}
}
