package benchmark

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/wsload"
	"github.com/duban-gov/duban/monitor/clock"
)

// wsURL is the service's /ws with the viewer's token.
func (b *bench) wsURL() string {
	return "ws" + strings.TrimPrefix(b.api.base, "http") + "/ws?token=" + url.QueryEscape(b.api.viewer)
}

// fanout connects the clients, pushes the alerts one at a time (a case overdue on arrival,
// through the push API) and records each client's delay; the service's RSS is read while
// the clients are connected.
func (b *bench) fanout(ctx context.Context) error {
	if b.o.Clients == 0 {
		b.res.skip("WebSocket fan-out: --clients 0")
		return nil
	}
	dept, matter := "fan", fanMatter
	if b.own == nil {
		dept, matter = b.o.Department, b.o.Matter
	}
	if limit, err := wsload.RaiseFileLimit(); err == nil && limit != 0 && uint64(b.o.Clients)+64 > limit {
		return fmt.Errorf("%d clients need more open files than RLIMIT_NOFILE allows (%d)", b.o.Clients, limit)
	}
	b.prog.set("fan-out: connecting %d WebSocket clients", b.o.Clients)
	fleet, err := wsload.Connect(ctx, wsload.Options{URL: b.wsURL(), Clients: b.o.Clients, DialWorkers: 32, Department: dept})
	if err != nil {
		return err
	}
	defer fleet.Close()
	hc := &http.Client{Timeout: 30 * time.Second}
	var all []time.Duration
	lost := 0
	for i := range b.o.Alerts {
		if i > 0 && !clock.Sleep(ctx, 300*time.Millisecond) {
			return ctx.Err()
		}
		b.prog.set("fan-out: alert %d of %d to %d clients", i+1, b.o.Alerts, b.o.Clients)
		now, err := b.businessNow(ctx)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s-fan-%s-%03d", dept, b.run, i)
		p := fleet.Expect(key)
		p.Start = clock.Wall()
		if err := wsload.PushOverdue(ctx, hc, b.api.base, b.api.token, dept, matter, key, now); err != nil {
			return err
		}
		got := p.Wait(ctx, 30*time.Second)
		all = append(all, p.Delays()...)
		fleet.Forget(key)
		lost += b.o.Clients - got
	}
	m, err := b.api.metrics(ctx)
	if err != nil {
		return err
	}
	b.res.RSS.Clients = b.o.Clients
	b.res.RSS.WithClientsMB = m.sum("process_resident_memory_bytes") / (1 << 20)
	s := wsload.Summarize(all)
	b.res.Fanout = &FanoutFigures{Clients: b.o.Clients, Alerts: b.o.Alerts, Receipts: s.N, Lost: lost,
		P50Millis: millis(s.P50), P99Millis: millis(s.P99), MaxMillis: millis(s.Max)}
	if lost > 0 || fleet.Duplicates.Load() > 0 {
		return fmt.Errorf("%d receipts lost, %d duplicated", lost, fleet.Duplicates.Load())
	}
	return nil
}
