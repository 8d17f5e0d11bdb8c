package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// TestMain lets a test run the whole program, main and its process included: started with
// DUBAN_TEST_MAIN=1, the test binary is duban (see runMain).
func TestMain(m *testing.M) {
	if os.Getenv("DUBAN_TEST_MAIN") == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// runMain runs duban as a process, with args and an environment of exactly env, and
// returns what it printed, its exit code and how long it took.
func runMain(t *testing.T, env map[string]string, args ...string) (result, time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{"DUBAN_TEST_MAIN=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := clock.Wall()
	err := cmd.Run()
	took := clock.Wall().Sub(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}, took
}

// wedgedRedis listens on 127.0.0.1 and accepts connections but never answers: a Redis that
// hangs.
func wedgedRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A Redis that refuses or does not answer at start: the process exits 1 within a few
// seconds with one line saying so, and nothing else but its log records — not the Redis
// client's own lines about each retry.
func TestRedisUnreachableAtStart(t *testing.T) {
	down, hung := closedPort(t), wedgedRedis(t)
	cases := []struct {
		name, url, cmd, line string
	}{
		{"refused", "redis://" + down + "/0", "serve",
			"duban serve: connect to Redis redis://" + down + ": rdb: ping: dial tcp " + down + ": connect: connection refused\n"},
		{"refused, rank", "redis://" + down + "/0", "rank",
			"duban rank: connect to Redis redis://" + down + ": rdb: ping: dial tcp " + down + ": connect: connection refused\n"},
		{"no sentinel", "redis-sentinel://" + down + "/mymaster", "serve",
			"duban serve: connect to Redis redis-sentinel://" + down + "/mymaster: no answer within 5s\n"},
		{"no answer", "redis://" + hung + "/0", "serve",
			"duban serve: connect to Redis redis://" + hung + ": no answer within 5s\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := []string{c.cmd}
			if c.cmd == "rank" {
				args = append(args, "2026-03")
			}
			r, took := runMain(t, map[string]string{"DUBAN_REDIS_URL": c.url, "DUBAN_LISTEN": "127.0.0.1:0"}, args...)
			if r.code != 1 || messages(r.stderr) != c.line || took > 15*time.Second {
				t.Errorf("duban %s with DUBAN_REDIS_URL=%s: code %d after %s, stderr:\n%s\nwant code 1 within 15 s and only\n%s",
					c.cmd, c.url, r.code, took.Round(time.Millisecond), r.stderr, c.line)
			}
			for _, l := range strings.SplitAfter(r.stderr, "\n") {
				if l != "" && !strings.HasPrefix(l, "time=") && l != c.line {
					t.Errorf("stray line %q", l)
				}
			}
		})
	}
}

// The process's exit codes: 0 for help and the version, 2 for a usage error.
func TestProcessExitCodes(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"--help"}, 0, "The commands are:"},
		{[]string{"--version"}, 0, "duban "},
		{[]string{"srve"}, 2, ""},
		{[]string{"rank", "2026-3"}, 2, ""},
	}
	for _, c := range cases {
		r, _ := runMain(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout, c.stdout) || (c.code == 0) != (r.stderr == "") {
			t.Errorf("duban %s: code %d, stdout %q, stderr %q; want code %d", strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.code)
		}
	}
}
