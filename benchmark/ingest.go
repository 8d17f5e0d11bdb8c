package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

const applyHist = "duban_ingest_apply_seconds"

// sixEvents appends the NDJSON lines of an open case of six events, the last at at: the
// case whose size the memory figure is about.
func sixEvents(buf []byte, caseID, dept, matter string, at time.Time) []byte {
	ts := func(min int) string { return at.Add(time.Duration(-min) * time.Minute).Format(time.RFC3339) }
	for i, ev := range [...]string{
		`"type":"submitted","matter":"` + matter + `","handler":"zhang.san","at":"` + ts(50) + `"`,
		`"type":"accepted","at":"` + ts(40) + `"`,
		`"type":"step","handler":"li.si","at":"` + ts(30) + `"`,
		`"type":"suspended","reason":"expert_review","at":"` + ts(20) + `"`,
		`"type":"resumed","at":"` + ts(10) + `"`,
		`"type":"fee_charged","amount_yuan":"120.00","at":"` + ts(0) + `"`,
	} {
		buf = fmt.Appendf(buf, `{"event_id":"e%d","case_id":"%s","department":"%s",%s}`+"\n", i, caseID, dept, ev)
	}
	return buf
}

// twoEvents appends an opened case: submitted and accepted, the last at at.
func twoEvents(buf []byte, caseID, dept, matter string, at time.Time) []byte {
	buf = fmt.Appendf(buf, `{"event_id":"e0","case_id":"%s","department":"%s","type":"submitted","matter":"%s","handler":"zhang.san","at":"%s"}`+"\n",
		caseID, dept, matter, at.Add(-time.Minute).Format(time.RFC3339))
	return fmt.Appendf(buf, `{"event_id":"e1","case_id":"%s","department":"%s","type":"accepted","at":"%s"}`+"\n",
		caseID, dept, at.Format(time.RFC3339))
}

// batches cuts the events of cases 0…n-1 (each made by gen) into NDJSON batches of size
// events, sent on the returned channel; a case may straddle two batches, as out-of-order
// events are the service's everyday.
func batches(ctx context.Context, n, size int, gen func(buf []byte, i int) []byte) <-chan []byte {
	out := make(chan []byte, 8)
	go func() {
		defer close(out)
		var pending, one []byte
		lines := 0
		flush := func() bool {
			select {
			case out <- pending:
			case <-ctx.Done():
				return false
			}
			pending, lines = nil, 0
			return true
		}
		for i := range n {
			one = gen(one[:0], i)
			for len(one) > 0 {
				j := bytes.IndexByte(one, '\n') + 1
				pending = append(pending, one[:j]...)
				one = one[j:]
				if lines++; lines == size && !flush() {
					return
				}
			}
		}
		if lines > 0 {
			flush()
		}
	}()
	return out
}

// post sends every batch of src over conns connections, paced at rate events/s (0: flat
// out), and waits until the service has applied them all. It returns the phase's figures.
func (b *bench) post(ctx context.Context, what string, rate float64, src <-chan []byte) (*IngestFigures, error) {
	m0, err := b.api.metrics(ctx)
	if err != nil {
		return nil, err
	}
	applied0 := m0.sum(applyHist + "_count")
	start := clock.Wall()
	var posted, sent atomic.Int64
	var maxWait atomic.Int64
	jobs := make(chan []byte)
	errs := make(chan error, b.o.Conns)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range b.o.Conns {
		hc := ingestClient()
		wg.Go(func() {
			for body := range jobs {
				n := bytes.Count(body, []byte{'\n'})
				t := clock.Wall()
				if err := b.api.postNDJSON(ctx, hc, body, n); err != nil {
					errs <- err
					cancel()
					return
				}
				if w := int64(time.Since(t)); w > maxWait.Load() {
					maxWait.Store(w) // the workers race here only by a hair: a figure, not a lock
				}
				posted.Add(int64(n))
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-done:
				return
			case <-time.After(500 * time.Millisecond):
				b.prog.set("%s: %d events posted, %.0f/s", what, posted.Load(), float64(posted.Load())/time.Since(start).Seconds())
			}
		}
	}()
feed:
	for body := range src {
		if rate > 0 {
			due := start.Add(time.Duration(float64(sent.Load()) / rate * float64(time.Second)))
			if !clock.Sleep(ctx, time.Until(due)) {
				break feed
			}
		}
		sent.Add(int64(bytes.Count(body, []byte{'\n'})))
		select {
		case jobs <- body:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	done <- struct{}{}
	<-done
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	postedAt := clock.Wall()
	total := posted.Load()
	m1, doneAt, err := b.waitApplied(ctx, what, applied0, total)
	if err != nil {
		return nil, err
	}
	secs := doneAt.Sub(start).Seconds()
	before, after := m0.buckets(applyHist), m1.buckets(applyHist)
	return &IngestFigures{OfferedEPS: rate, Events: int(total), Seconds: secs, AppliedEPS: float64(total) / secs,
		P50Millis: finite(1000 * histQuantile(0.5, before, after)), P99Millis: finite(1000 * histQuantile(0.99, before, after)),
		PostedEPS: float64(total) / postedAt.Sub(start).Seconds(), MaxPostWait: millis(time.Duration(maxWait.Load()))}, nil
}

// waitApplied waits until the service has applied the total events posted since its
// applied counter read applied0, and returns the scrape that says so. The bench's own service
// is asked exactly (no case left to apply, read from its Redis); a running one through the
// counter of its latency histogram, which leaves out the rare event whose receipt stamp is
// ahead of its application (a negative latency): there, a counter still for 3 s at 99.9 %
// of the total is done.
//
// It also returns when the work was done: the first look that found it so (for a counter
// that stopped short, when it last moved).
func (b *bench) waitApplied(ctx context.Context, what string, applied0 float64, total int64) (metrics, time.Time, error) {
	var m metrics
	var last int64
	var still, doneAt time.Time
	err := retry(ctx, 10*time.Minute, func() error {
		var err error
		if m, err = b.api.metrics(ctx); err != nil {
			return err
		}
		got := int64(m.sum(applyHist+"_count") - applied0)
		b.prog.set("%s: %d of %d events applied", what, got, total)
		if got >= total {
			if doneAt.IsZero() {
				doneAt = clock.Wall()
			}
			return nil
		}
		if got != last {
			last, still = got, clock.Wall()
		}
		if b.store != nil {
			if dirty, err := b.store.DirtyCount(ctx); err != nil || dirty > 0 {
				return fmt.Errorf("%d cases to apply (%v)", dirty, err)
			}
			if doneAt.IsZero() {
				doneAt = clock.Wall()
			}
			if time.Since(still) > 500*time.Millisecond { // the last commits' metrics are in
				return nil
			}
		} else if got*1000 >= total*999 && time.Since(still) > 3*time.Second {
			doneAt = still
			return nil
		}
		return fmt.Errorf("%d of %d events applied", got, total)
	})
	return m, doneAt, err
}

// ingest runs the fixed-rate phases and then the saturation one, which brings the open
// cases to --cases; Redis memory is read around them all, and the service's RSS after.
func (b *bench) ingest(ctx context.Context) error {
	matter := farMatter
	if b.own == nil {
		matter = b.o.Matter
	}
	at, err := b.businessNow(ctx)
	if err != nil {
		return err
	}
	at = at.Add(-time.Minute)
	cases := 0
	phase := func(what string, n int, rate float64) (*IngestFigures, error) {
		first := cases
		cases += n
		return b.post(ctx, what, rate, batches(ctx, n, b.o.Batch, func(buf []byte, i int) []byte {
			return sixEvents(buf, fmt.Sprintf("%s-%s-%07d", b.dept, b.run, first+i), b.dept, matter, at)
		}))
	}
	// One case first: the structures every case shares exist before memory is read.
	if _, err := phase("warming up", 1, 0); err != nil {
		return err
	}
	used0, err := b.usedMemory(ctx)
	if err != nil {
		return err
	}
	for _, r := range b.o.Rates {
		n := max(int(float64(r)*b.o.RateFor.Seconds())/6, 1)
		f, err := phase(fmt.Sprintf("ingest at %d events/s", r), n, float64(r))
		if err != nil {
			return err
		}
		b.res.Ingest = append(b.res.Ingest, *f)
	}
	n := max(b.o.Cases-cases, 10*b.o.Batch/6) // ten batches at least: a rate needs a run
	f, err := phase("ingest at saturation", n, 0)
	if err != nil {
		return err
	}
	b.res.Saturation = f
	open := cases
	if err := b.memory(ctx, used0, cases-1, fmt.Sprintf("%s-%s-%07d", b.dept, b.run, cases/2)); err != nil {
		return err
	}
	m, err := b.api.metrics(ctx)
	if err != nil {
		return err
	}
	b.res.RSS = &RSSFigures{OpenCases: open, AfterIngestMB: m.sum("process_resident_memory_bytes") / (1 << 20)}
	return nil
}

// usedMemory is Redis' INFO memory used_memory (0 without Redis access).
func (b *bench) usedMemory(ctx context.Context) (int64, error) {
	if b.rc == nil {
		return 0, nil
	}
	return b.info(ctx, "memory", "used_memory")
}

func (b *bench) info(ctx context.Context, section, field string) (int64, error) {
	s, err := b.rc.Info(ctx, section).Result()
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("no %s in INFO %s", field, section)
}

// memory reads what the cases cost Redis, once their fee_violation alerts are on the alert
// stream.
func (b *bench) memory(ctx context.Context, used0 int64, cases int, oneCase string) error {
	if b.rc == nil {
		b.res.skip("Redis memory per case needs the service's Redis: --redis, or run without --url")
		return nil
	}
	if b.store != nil {
		if err := b.waitRelayed(ctx); err != nil {
			return err
		}
	}
	used1, err := b.usedMemory(ctx)
	if err != nil {
		return err
	}
	keys, err := b.rc.Keys(ctx, b.o.prefix()+"*"+oneCase+"*").Result()
	if err != nil {
		return err
	}
	var own int64
	for _, k := range keys {
		u, err := b.rc.MemoryUsage(ctx, k, 0).Result() // SAMPLES 0: exact
		if err != nil {
			return err
		}
		own += u
	}
	b.res.Memory = &MemoryFigures{Cases: cases, UsedBefore: used0, UsedAfter: used1,
		BytesPerCase: float64(used1-used0) / float64(cases), CaseKeys: len(keys), CaseKeyBytes: own}
	return nil
}

func (o Options) prefix() string {
	if o.URL == "" {
		return "duban:"
	}
	return o.RedisPrefix
}

// field is the value of field in an INFO answer ("" when absent).
func field(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
