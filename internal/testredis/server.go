package testredis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Waits, in real time: a server answers PING within a few hundred milliseconds and a
// cluster agrees on its slots within a few seconds; these bounds only catch the wedged.
const (
	startTimeout   = 15 * time.Second
	clusterTimeout = 60 * time.Second
	stopTimeout    = 10 * time.Second
	pollInterval   = 20 * time.Millisecond
)

// StartServer starts a redis-server of the test's own on a free loopback port, waits until
// it answers PING and returns its host:port; it is stopped (SIGTERM, then SIGKILL) on
// cleanup. It keeps nothing on disk unless told: args are appended to `--port P --bind
// 127.0.0.1 --save "" --appendonly no --dir <t.TempDir()>`, and redis-server takes the last
// value of each, so durability tests pass e.g. `--appendonly yes --dir D` and can start a
// second server on the same D after stopping the first. Without redis-server the test is
// skipped, or fails under CI=true.
func StartServer(t testing.TB, args ...string) (addr string) {
	t.Helper()
	return startServer(t, false, args)
}

// StartCluster starts a Redis Cluster of three masters (no replicas) on loopback, each a
// StartServer with cluster mode on in its own folder, joins them with `redis-cli --cluster
// create`, waits until every node says cluster_state:ok and returns their addresses. It is
// torn down on cleanup. Without redis-server or redis-cli the test is skipped, or fails
// under CI=true.
func StartCluster(t testing.TB) []string {
	t.Helper()
	cli := lookPath(t, "redis-cli")
	addrs := make([]string, 3)
	for i := range addrs {
		addrs[i] = startServer(t, true, []string{"--cluster-enabled", "yes", "--cluster-node-timeout", "5000"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("testredis: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, addr := range addrs {
		err := waitFor(ctx, func() error {
			info, err := clusterInfo(addr)
			if err == nil && !strings.Contains(info, "cluster_state:ok") {
				err = errors.New("cluster_state is not ok")
			}
			return err
		})
		if err != nil {
			t.Fatalf("testredis: cluster node %s: %v", addr, err)
		}
	}
	return addrs
}

// startServer starts one redis-server; clusterBus picks a port whose cluster bus port
// (port + 10000) is free too.
func startServer(t testing.TB, clusterBus bool, args []string) string {
	t.Helper()
	bin := lookPath(t, "redis-server")
	dir := t.TempDir() // registered before the process's cleanup, so removed after it stops
	var err error
	// A free port can be taken between finding it and the server binding it: retry.
	for range 3 {
		var port int
		if port, err = freePort(clusterBus); err != nil {
			break
		}
		var addr string
		if addr, err = launch(t, bin, dir, port, args); err == nil {
			return addr
		}
	}
	t.Fatalf("testredis: start redis-server: %v", err)
	return ""
}

// launch runs redis-server on port and waits until it answers.
func launch(t testing.TB, bin, dir string, port int, args []string) (string, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close() // the child keeps its own descriptor
	full := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	procs.Store(addr, &server{bin: bin, dir: dir, port: port, args: args, proc: cmd.Process, exited: exited})

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	err = waitFor(ctx, func() error {
		select {
		case <-exited:
			return errExited
		default:
		}
		return ping(addr, credentials{})
	})
	if err != nil {
		cmd.Process.Kill()
		<-exited
		log, _ := os.ReadFile(logPath)
		return "", fmt.Errorf("redis-server on %s: %w\n%s", addr, err, tail(log, 2000))
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			cmd.Process.Kill()
			<-exited
		}
	})
	return addr, nil
}

var errExited = errors.New("exited")

// waitFor calls check every pollInterval until it returns nil, errExited or ctx ends.
func waitFor(ctx context.Context, check func() error) error {
	for {
		err := check()
		if err == nil || errors.Is(err, errExited) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}

func clusterInfo(addr string) (string, error) {
	c, err := dial(addr, credentials{})
	if err != nil {
		return "", err
	}
	defer c.close()
	reply, err := c.do("CLUSTER", "INFO")
	if err != nil {
		return "", err
	}
	s, _ := reply.(string)
	return s, nil
}

// freePort finds a free loopback port. With clusterBus it also needs port + 10000 free and
// within range, which the kernel's ephemeral ports (up to 60999) do not promise, so it
// tries random ports below them.
func freePort(clusterBus bool) (int, error) {
	if !clusterBus {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	for range 100 {
		port := 20000 + rand.IntN(10000)
		if bindable(port) && bindable(port+10000) {
			return port, nil
		}
	}
	return 0, errors.New("no free port pair for a cluster node")
}

func bindable(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// lookPath finds a Redis program, skipping the test without it (failing under CI=true).
func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "testredis: %s not found: %v", name, err)
	}
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
