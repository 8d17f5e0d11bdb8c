package testredis

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is one redis-server started by StartServer, kept for the fault tests.
type server struct {
	bin, dir string
	port     int
	args     []string
	proc     *os.Process
	exited   chan struct{}
}

// procs maps each started server's host:port to its *server.
var procs sync.Map

func lookup(t testing.TB, addr string) *server {
	t.Helper()
	s, ok := procs.Load(addr)
	if !ok {
		t.Fatalf("testredis: %s was not started by StartServer", addr)
	}
	return s.(*server)
}

// Freeze stops the server started at addr with SIGSTOP: it keeps its connections and
// answers nothing, as a wedged or paused machine does. Thaw resumes it.
func Freeze(t testing.TB, addr string) {
	t.Helper()
	if err := lookup(t, addr).proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("testredis: SIGSTOP %s: %v", addr, err)
	}
}

// Thaw resumes a server frozen by Freeze (SIGCONT).
func Thaw(t testing.TB, addr string) {
	t.Helper()
	if err := lookup(t, addr).proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("testredis: SIGCONT %s: %v", addr, err)
	}
}

// Kill ends the server at addr with SIGKILL and waits until it is gone: no shutdown, no
// last save, only what it had written (its AOF, with appendfsync always every write).
func Kill(t testing.TB, addr string) {
	t.Helper()
	s := lookup(t, addr)
	if err := s.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("testredis: SIGKILL %s: %v", addr, err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("testredis: %s did not die", addr)
	}
}

// Restart starts a server killed by Kill again, on the same port, folder and arguments (so
// it reloads its AOF), and waits until it answers.
func Restart(t testing.TB, addr string) {
	t.Helper()
	s := lookup(t, addr)
	var err error
	for range 50 { // the port may linger for a moment
		if _, err = launch(t, s.bin, s.dir, s.port, s.args); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(fmt.Errorf("testredis: restart %s: %w", addr, err))
}
