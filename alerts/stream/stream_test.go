package stream_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts/stream"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/syncbuf"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

func appendN(t *testing.T, s *rdb.Store, from, n int) []string {
	t.Helper()
	var cursors []string
	for i := from; i < from+n; i++ {
		cs, err := s.AppendAlerts(context.Background(), [][]byte{fmt.Appendf(nil, `{"n":%d}`, i)}, clock.Wall())
		if err != nil {
			t.Fatal(err)
		}
		cursors = append(cursors, cs[0])
	}
	return cursors
}

// collector is a stage that keeps what it was handed.
type collector struct {
	mu      sync.Mutex
	docs    []string
	batches []int
}

func (c *collector) stage(_ context.Context, batch []rdb.StreamAlert) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, len(batch))
	for _, e := range batch {
		c.docs = append(c.docs, string(e.Doc))
	}
	return batch[len(batch)-1].Cursor, nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.docs...)
}

func want(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	return out
}

func follow(t *testing.T, o stream.Options, from string, stage stream.Stage) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stream.Follow(ctx, o, from, stage) }()
	t.Cleanup(cancel)
	return func() error { cancel(); return <-done }
}

// A blocking follower hands over the whole stream in order, in batches of at most Batch,
// then what is appended while it waits.
func TestFollowReadsInOrderInBatchesThenWaitsForNews(t *testing.T) {
	s := rdbtest.Store(t)
	appendN(t, s, 0, 7)
	var c collector
	stop := follow(t, stream.Options{Store: s, Batch: 3, Block: 100 * time.Millisecond}, "", c.stage)
	eventually.True(t, "the seven entries", func() bool { return len(c.got()) == 7 })
	appendN(t, s, 7, 2)
	eventually.True(t, "the two new entries", func() bool { return len(c.got()) == 9 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.got(), ","); got != strings.Join(want(9), ",") {
		t.Errorf("entries %s", got)
	}
	for _, n := range c.batches {
		if n > 3 {
			t.Errorf("a batch of %d over Batch 3: %v", n, c.batches)
		}
	}
}

// The cursor a stage returns is where reading goes on: from Latest only new entries come.
func TestLatestThenFollowGivesOnlyNewEntries(t *testing.T) {
	s := rdbtest.Store(t)
	o := stream.Options{Store: s, Block: 100 * time.Millisecond}
	if c, ok := stream.Latest(context.Background(), o); !ok || c != "0-0" {
		t.Fatalf("Latest of an empty stream: %q %v", c, ok)
	}
	old := appendN(t, s, 0, 3)
	latest, ok := stream.Latest(context.Background(), o)
	if !ok || latest != old[2] {
		t.Fatalf("Latest %q, want %q", latest, old[2])
	}
	var c collector
	stop := follow(t, o, latest, c.stage)
	appendN(t, s, 3, 1)
	eventually.True(t, "the new entry", func() bool { return len(c.got()) == 1 })
	stop()
	if got := c.got(); got[0] != `{"n":3}` {
		t.Errorf("got %v", got)
	}
}

func TestStageEndsFollow(t *testing.T) {
	s := rdbtest.Store(t)
	appendN(t, s, 0, 2)
	o := stream.Options{Store: s, Batch: 1}
	n := 0
	err := stream.Follow(context.Background(), o, "", func(context.Context, []rdb.StreamAlert) (string, error) {
		n++
		return "", stream.ErrStop
	})
	if err != nil || n != 1 {
		t.Errorf("ErrStop: Follow returned %v after %d batches", err, n)
	}
	boom := errors.New("boom")
	if err := stream.Follow(context.Background(), o, "", func(context.Context, []rdb.StreamAlert) (string, error) {
		return "", boom
	}); !errors.Is(err, boom) {
		t.Errorf("a failing stage: Follow returned %v", err)
	}
}

// With News, reads never block: an empty read waits for the broadcast (or Block), and the
// broadcast taken before the read is not missed. Idle runs on every empty read.
func TestNewsModeWaitsForTheBroadcast(t *testing.T) {
	s := rdbtest.Store(t)
	var mu sync.Mutex
	news := make(chan struct{})
	var idle atomic.Int32
	o := stream.Options{Store: s, Block: time.Hour, News: func() <-chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		return news
	}, Idle: func(context.Context) { idle.Add(1) }}
	var c collector
	stop := follow(t, o, "", c.stage)
	eventually.True(t, "an idle read", func() bool { return idle.Load() == 1 })
	appendN(t, s, 0, 1)
	mu.Lock()
	close(news)
	news = make(chan struct{})
	mu.Unlock()
	eventually.True(t, "the entry after the broadcast", func() bool { return len(c.got()) == 1 })
	stop()
}

// BlockFor shortens the wait to a deadline of the stage's own, which Idle meets.
func TestBlockForMakesIdleMeetTheStagesDeadline(t *testing.T) {
	s := rdbtest.Store(t)
	var idle atomic.Int32
	o := stream.Options{Store: s, Block: time.Minute,
		BlockFor: func() time.Duration { return 10 * time.Millisecond },
		Idle:     func(context.Context) { idle.Add(1) }}
	stop := follow(t, o, "", (&collector{}).stage)
	eventually.True(t, "idle reads every 10 ms, not every minute", func() bool { return idle.Load() >= 3 })
	stop()
}

// failing is the real store with reads that fail while down is set, as when Redis is away.
type failing struct {
	*rdb.Store
	down  atomic.Bool
	tries atomic.Int32
}

func (f *failing) WaitAlerts(ctx context.Context, cursor string, count int64, block time.Duration) ([]rdb.StreamAlert, error) {
	f.tries.Add(1)
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	return f.Store.WaitAlerts(ctx, cursor, count, block)
}

// A failed read is retried with back-off from the same cursor, logged once when reads start
// failing and once when they work again.
func TestFollowResumesAfterFailedReads(t *testing.T) {
	f := &failing{Store: rdbtest.Store(t)}
	f.down.Store(true)
	var buf syncbuf.Buffer
	o := stream.Options{Store: f, Block: 50 * time.Millisecond, RetryFirst: 10 * time.Millisecond,
		RetryMax: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	var c collector
	stop := follow(t, o, "", c.stage)
	eventually.True(t, "several failed reads", func() bool { return f.tries.Load() >= 4 })
	appendN(t, f.Store, 0, 2)
	f.down.Store(false)
	eventually.True(t, "the entries after the outage", func() bool { return len(c.got()) == 2 })
	stop()
	log := buf.String()
	if n := strings.Count(log, "alert_stream_unreadable"); n != 1 {
		t.Errorf("an outage logged %d times:\n%s", n, log)
	}
	if n := strings.Count(log, "alert_stream_readable"); n != 1 {
		t.Errorf("the recovery logged %d times:\n%s", n, log)
	}
}
