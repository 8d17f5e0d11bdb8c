package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/duban-gov/duban/demo"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/syncbuf"
	"github.com/duban-gov/duban/service"
	"github.com/duban-gov/duban/service/servicetest"
)

// startDuban runs `duban serve` (args ["serve"]) or `duban demo` (["demo"]) in-process, as
// the command would, with an environment of its own (DUBAN_LISTEN defaults to
// 127.0.0.1:0); config, when not empty, is written to a file named by DUBAN_CONFIG. It
// returns once the service listens, and what it wrote on standard output (the demo's banner).
func startDuban(t testing.TB, args []string, env map[string]string, config string) (*servicetest.Instance, *syncbuf.Buffer) {
	t.Helper()
	full := map[string]string{"DUBAN_LISTEN": "127.0.0.1:0"}
	for k, v := range env {
		full[k] = v
	}
	if config != "" {
		full["DUBAN_CONFIG"] = servicetest.WriteConfig(t, config)
	}
	stdout := &syncbuf.Buffer{}
	switch args[0] {
	case "serve":
		return servicetest.Start(t, servicetest.Serve(full)), stdout
	case "demo":
		return servicetest.Start(t, runDemo(full, stdout)), stdout
	}
	t.Fatalf("startDuban: unknown command %q", args[0])
	return nil, nil
}

// runDemo is the servicetest.Runner of `duban demo` with the environment env.
func runDemo(env map[string]string, stdout *syncbuf.Buffer) servicetest.Runner {
	return servicetest.Command(env, func(ctx context.Context, cfg *config.Config, getenv func(string) string, o service.Options) error {
		return demo.Run(ctx, demo.Options{Config: cfg, Logger: o.Logger, Stdout: stdout, Getenv: getenv,
			OnListen: o.OnListen, WrapHandler: o.WrapHandler, Version: o.Version})
	})
}

// feed is a live-feed client that reads every message in the background, as a wall screen
// does, and keeps the alerts.
type feed struct {
	conn *websocket.Conn
	mu   sync.Mutex
	got  []wsMsg
	err  error // why reading stopped
}

// openFeed dials /ws on the instance, subscribes and reads from then on.
func openFeed(t *testing.T, in *servicetest.Instance, token string, sub map[string]any) *feed {
	t.Helper()
	c := wsDial(t, in, token)
	replayed, _ := wsSubscribe(t, c, sub)
	f := &feed{conn: c, got: replayed}
	_ = c.SetReadDeadline(time.Time{}) // wsSubscribe's deadline would end the reader
	go func() {
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				f.mu.Lock()
				f.err = err
				f.mu.Unlock()
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) == nil && (m.Type == "alert" || m.Type == "order") {
				f.mu.Lock()
				f.got = append(f.got, m)
				f.mu.Unlock()
			}
		}
	}()
	return f
}

// alerts returns the alert messages received so far.
func (f *feed) alerts() []wsMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wsMsg(nil), f.got...)
}

// wait polls the received alerts until ok says so, for up to limit of real time.
func (f *feed) wait(t *testing.T, what string, limit time.Duration, ok func([]wsMsg) bool) []wsMsg {
	t.Helper()
	var got []wsMsg
	eventually.Every(t, limit, 20*time.Millisecond, func() string {
		f.mu.Lock()
		err := f.err
		f.mu.Unlock()
		return fmt.Sprintf("%s on the live feed (%d alerts received, reader: %v)", what, len(got), err)
	}, func() bool {
		got = f.alerts()
		return ok(got)
	})
	return got
}

// tcpProxy forwards loopback connections to target until killed. Put between a replica and
// what it talks to, it lets a test cut the replica off at once — every connection reset,
// nothing drained — which is what the rest of the system sees of a process killed with
// SIGKILL or a machine that lost power.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	killed bool
	// trap, when armed, kills the proxy the moment the client sends these bytes, before
	// they are forwarded: sprung is closed then.
	trap   []byte
	armed  bool
	sprung chan struct{}
	// gate is closed while traffic flows; pause replaces it with an open one.
	gate chan struct{}
}

// pause holds every byte the clients send until resume: a network partition, as the
// client sees it (its requests hang; nothing it sent before is lost).
func (p *tcpProxy) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate = make(chan struct{})
}

func (p *tcpProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
}

// killOn arms the proxy to kill itself when the client next sends pattern, which is then
// never forwarded. The returned channel is closed when that happens.
func (p *tcpProxy) killOn(pattern []byte) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trap, p.armed, p.sprung = pattern, true, make(chan struct{})
	return p.sprung
}

// forward copies client bytes to the server, watching for the trap (across reads too).
func (p *tcpProxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	var tail []byte
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			trap, armed, gate := p.trap, p.armed, p.gate
			p.mu.Unlock()
			<-gate
			if armed && bytes.Contains(append(tail, buf[:n]...), trap) {
				p.spring()
				return
			}
			if len(trap) > 1 {
				tail = append(tail[:0], buf[max(0, n-len(trap)+1):n]...)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *tcpProxy) spring() {
	p.mu.Lock()
	if p.armed {
		p.armed = false
		close(p.sprung)
	}
	p.mu.Unlock()
	p.kill()
}

func startProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, gate: make(chan struct{})}
	close(p.gate)
	go p.serve()
	t.Cleanup(p.kill)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		if !p.track(in, out) {
			continue
		}
		go p.forward(out, in)
		go func() { io.Copy(in, out); in.Close() }()
	}
}

func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// kill stops accepting and resets every connection (SO_LINGER 0: RST, not FIN).
func (p *tcpProxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return
	}
	p.killed = true
	p.ln.Close()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	select { // release paused forwarders, now that they have nowhere to write
	case <-p.gate:
	default:
		close(p.gate)
	}
}
