package wsload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/monitor/clock"
)

// Fleet is the open clients and the alerts they are waiting for.
type Fleet struct {
	conns      []*websocket.Conn
	probes     sync.Map // alert key (its case_id) → *Probe
	closing    atomic.Bool
	readers    sync.WaitGroup
	Duplicates atomic.Int64 // an alert received twice by one client
	Errors     atomic.Int64 // connections that failed before the end
}

// Probe is one triggered alert: when it was triggered, and each client's delay.
type Probe struct {
	Start time.Time      // set it just before triggering the alert
	lat   []atomic.Int64 // per client, nanoseconds; 0 until received
	got   atomic.Int32
	done  chan struct{}
}

// Expect registers the alert key, starting its clock.
func (f *Fleet) Expect(key string) *Probe {
	p := &Probe{Start: clock.Wall(), lat: make([]atomic.Int64, len(f.conns)), done: make(chan struct{})}
	f.probes.Store(key, p)
	return p
}

// Forget drops the alert key.
func (f *Fleet) Forget(key string) { f.probes.Delete(key) }

// Wait waits until every client has the alert, or for at most d; it returns how many have.
func (p *Probe) Wait(ctx context.Context, d time.Duration) int {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	case <-ctx.Done():
	}
	return int(p.got.Load())
}

// Delays returns the delays of the clients that received the alert.
func (p *Probe) Delays() []time.Duration {
	out := make([]time.Duration, 0, len(p.lat))
	for i := range p.lat {
		if ns := p.lat[i].Load(); ns > 0 {
			out = append(out, time.Duration(ns))
		}
	}
	return out
}

// Options say which clients Connect opens.
type Options struct {
	URL         string // ws://host:port/ws
	Token       string // the clients' token (a viewer's)
	Clients     int    // how many clients
	DialWorkers int    // concurrent handshakes while connecting
	Department  string // the department the clients subscribe to (promise_overdue alerts only)
}

// Connect opens and subscribes cfg.Clients clients, DialWorkers handshakes at a time.
func Connect(ctx context.Context, cfg Options) (*Fleet, error) {
	f := &Fleet{conns: make([]*websocket.Conn, cfg.Clients)}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	header := http.Header{}
	if cfg.Token != "" {
		header.Set("Authorization", "Bearer "+cfg.Token)
	}
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 512}
	sub, _ := json.Marshal(map[string]any{"op": "subscribe", "departments": []string{cfg.Department},
		"kinds": []string{"promise_overdue"}})
	next := make(chan int)
	errs := make(chan error, cfg.DialWorkers)
	var wg sync.WaitGroup
	for range cfg.DialWorkers {
		wg.Go(func() {
			for i := range next {
				c, err := dialOne(ctx, dialer, u.String(), header, sub)
				if err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				f.conns[i] = c
			}
		})
	}
	var failed error
feed:
	for i := range cfg.Clients {
		select {
		case next <- i:
		case failed = <-errs:
			break feed
		case <-ctx.Done():
			failed = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed == nil {
		select {
		case failed = <-errs:
		default:
		}
	}
	if failed != nil {
		for _, c := range f.conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, failed
	}
	for i, c := range f.conns {
		f.readers.Go(func() { f.read(i, c) })
	}
	return f, nil
}

// dialOne opens one client and subscribes it; it returns once the subscription is live.
func dialOne(ctx context.Context, d *websocket.Dialer, u string, h http.Header, sub []byte) (*websocket.Conn, error) {
	c, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	if err := c.WriteMessage(websocket.TextMessage, sub); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	_ = c.SetReadDeadline(clock.Wall().Add(30 * time.Second))
	for {
		var m struct{ Type, Error string }
		if err := c.ReadJSON(&m); err != nil {
			c.Close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		switch m.Type {
		case "subscribed":
			_ = c.SetReadDeadline(time.Time{})
			return c, nil
		case "error":
			c.Close()
			return nil, fmt.Errorf("subscribe: %s", m.Error)
		}
	}
}

// read records client i's receipts until its connection ends.
func (f *Fleet) read(i int, c *websocket.Conn) {
	for {
		_, b, err := c.ReadMessage()
		now := clock.Wall()
		if err != nil {
			if !f.closing.Load() {
				f.Errors.Add(1)
			}
			return
		}
		caseID, ok := AlertCase(b)
		if !ok {
			continue
		}
		v, ok := f.probes.Load(caseID)
		if !ok {
			continue
		}
		p := v.(*Probe)
		if !p.lat[i].CompareAndSwap(0, max(int64(now.Sub(p.Start)), 1)) {
			f.Duplicates.Add(1)
			continue
		}
		if int(p.got.Add(1)) == len(p.lat) {
			close(p.done)
		}
	}
}

// Close closes every client and waits for the readers.
func (f *Fleet) Close() {
	f.closing.Store(true)
	for _, c := range f.conns {
		c.Close()
	}
	f.readers.Wait()
}

// AlertCase finds the case_id of a promise_overdue alert message without decoding it all:
// the load tool must cost the machine as little as it can, since it shares it with the
// server it measures. The server's messages are compact JSON of a fixed shape
// ({"type":"alert","cursor":…,"alert":{…}}), and case ids need no escaping.
func AlertCase(b []byte) (string, bool) {
	if !bytes.HasPrefix(b, []byte(`{"type":"alert"`)) || !bytes.Contains(b, []byte(`"kind":"promise_overdue"`)) {
		return "", false
	}
	const field = `"case_id":"`
	i := bytes.Index(b, []byte(field))
	if i < 0 {
		return "", false
	}
	rest := b[i+len(field):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}
