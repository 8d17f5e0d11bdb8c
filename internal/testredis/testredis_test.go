package testredis

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/config"
)

// fakeTB records a Skip or a Fatal and stops the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper()        {}
func (f *fakeTB) Cleanup(func()) {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runFake runs fn with a fakeTB on its own goroutine, so Goexit ends only fn.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// mustDo runs one command on addr, failing the test on an error.
func mustDo(t *testing.T, addr string, args ...string) any {
	t.Helper()
	c, err := dial(addr, credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	reply, err := c.do(args...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return reply
}

// setAnywhere sets key on whichever cluster node owns its slot.
func setAnywhere(t *testing.T, addrs []string, key string) {
	t.Helper()
	for _, addr := range addrs {
		c, err := dial(addr, credentials{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.do("SET", key, "v")
		c.close()
		if err == nil {
			return
		}
		var re respError
		if !errors.As(err, &re) || !strings.HasPrefix(string(re), "MOVED") {
			t.Fatalf("SET %s on %s: %v", key, addr, err)
		}
	}
	t.Fatalf("no node took %s", key)
}

func TestNewPrefixAndCleanup(t *testing.T) {
	var url, prefix string
	keep := "testredis-keep-" + randomHex(4)
	t.Run("test", func(t *testing.T) {
		url, prefix = New(t)
		if !regexp.MustCompile(`^t[0-9a-f]{16}:$`).MatchString(prefix) {
			t.Fatalf("prefix %q", prefix)
		}
		if _, other := New(t); other == prefix {
			t.Fatalf("two calls gave the same prefix %q", prefix)
		}
		addr := addrOf(t, url)
		c, err := dial(addr, credentials{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		const n = 2500 // more keys than one SCAN batch
		for i := range n {
			c.send("SET", fmt.Sprintf("%s{p%d}:k%d", prefix, i%7, i), "v")
		}
		for range n {
			if _, err := c.read(); err != nil {
				t.Fatal(err)
			}
		}
		mustDo(t, addr, "SET", prefix+"k0", "v")
		mustDo(t, addr, "SET", keep, "v")
	})
	if prefix == "" {
		t.Skip("no Redis")
	}
	addr := addrOf(t, url)
	defer mustDo(t, addr, "DEL", keep)
	if n := mustDo(t, addr, "EXISTS", prefix+"k0", prefix+"{p3}:k3"); n != int64(0) {
		t.Errorf("%d keys with the prefix left after cleanup", n)
	}
	if n := mustDo(t, addr, "EXISTS", keep); n != int64(1) {
		t.Errorf("cleanup deleted a key without the prefix")
	}
}

func addrOf(t *testing.T, url string) string {
	t.Helper()
	r, err := config.ParseRedisURL(url)
	if err != nil || r.Mode != config.RedisSingle || r.DB != 0 || r.Password != "" {
		t.Skipf("this test speaks to a plain single Redis on db 0, not %s", r.Redacted())
	}
	return r.Addrs[0]
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	t.Setenv("DUBAN_TEST_REDIS_URL", "redis://"+closed)
	t.Setenv("CI", "")
	if f := runFake(t, func(tb testing.TB) { New(tb) }); !f.skipped || !strings.Contains(f.msg, closed) ||
		!strings.HasPrefix(f.msg, "SKIPPED: ") {
		t.Errorf("without CI: skipped %v, failed %v, %q; want a skip naming %s", f.skipped, f.failed, f.msg, closed)
	}
	t.Setenv("CI", "true")
	if f := runFake(t, func(tb testing.TB) { New(tb) }); !f.failed || !strings.Contains(f.msg, closed) {
		t.Errorf("with CI=true: skipped %v, failed %v, %q; want a failure naming %s", f.skipped, f.failed, f.msg, closed)
	}
}

func TestMissingRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	if f := runFake(t, func(tb testing.TB) { StartServer(tb) }); !f.skipped || !strings.Contains(f.msg, "redis-server") ||
		!strings.HasPrefix(f.msg, "SKIPPED: ") {
		t.Errorf("without CI: skipped %v, failed %v, %q", f.skipped, f.failed, f.msg)
	}
	t.Setenv("CI", "true")
	if f := runFake(t, func(tb testing.TB) { StartCluster(tb) }); !f.failed || !strings.Contains(f.msg, "redis-cli") {
		t.Errorf("with CI=true: skipped %v, failed %v, %q", f.skipped, f.failed, f.msg)
	}
}

func TestStartServer(t *testing.T) {
	var addr string
	t.Run("running", func(t *testing.T) {
		addr = StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
		if reply := mustDo(t, addr, "CONFIG", "GET", "appendonly"); fmt.Sprint(reply) != "[appendonly yes]" {
			t.Errorf("CONFIG GET appendonly = %v: extra args not applied", reply)
		}
		if reply := mustDo(t, addr, "SET", "k", "v"); reply != "OK" {
			t.Errorf("SET = %v", reply)
		}
	})
	if addr == "" {
		return
	}
	if err := ping(addr, credentials{}); err == nil {
		t.Errorf("server on %s still answers after its test ended", addr)
	}
}

func TestStartCluster(t *testing.T) {
	addrs := StartCluster(t)
	if len(addrs) != 3 {
		t.Fatalf("%d nodes", len(addrs))
	}
	for _, addr := range addrs {
		info, err := clusterInfo(addr)
		if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
			t.Fatalf("CLUSTER INFO on %s: %v\n%s", addr, err, info)
		}
	}
	// New's cleanup finds every master from one seed and deletes across slots.
	var prefix string
	t.Run("cleanup", func(t *testing.T) {
		t.Setenv("DUBAN_TEST_REDIS_URL", addrs[0]+","+addrs[1])
		_, prefix = New(t)
		for i := range 30 {
			setAnywhere(t, addrs, fmt.Sprintf("%s{p%d}:k", prefix, i))
		}
	})
	for _, addr := range addrs {
		if n := mustDo(t, addr, "DBSIZE"); n != int64(0) {
			t.Errorf("%s keeps %v keys after cleanup", addr, n)
		}
	}
}
