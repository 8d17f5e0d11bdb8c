package testredis

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// opTimeout bounds each dial and each command, so that a wedged server fails the test
// instead of hanging it.
const opTimeout = 5 * time.Second

// conn is a minimal RESP2 client: enough to PING, SCAN, DEL and ask a cluster about itself.
// It exists so that this package does not import go-redis, which only rdb may.
type conn struct {
	c net.Conn
	r *bufio.Reader
}

// credentials are what a connection sends after dialling.
type credentials struct {
	username, password string
	db                 int
	tls                bool
}

// dial connects to addr, authenticates and selects the database.
func dial(addr string, cr credentials) (*conn, error) {
	d := &net.Dialer{Timeout: opTimeout}
	var (
		c   net.Conn
		err error
	)
	if cr.tls {
		host, _, _ := net.SplitHostPort(addr)
		c, err = tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: host})
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	cn := &conn{c: c, r: bufio.NewReader(c)}
	if cr.password != "" {
		args := []string{"AUTH", cr.password}
		if cr.username != "" {
			args = []string{"AUTH", cr.username, cr.password}
		}
		if _, err := cn.do(args...); err != nil {
			cn.close()
			return nil, fmt.Errorf("auth: %w", err)
		}
	}
	if cr.db != 0 {
		if _, err := cn.do("SELECT", strconv.Itoa(cr.db)); err != nil {
			cn.close()
			return nil, fmt.Errorf("select %d: %w", cr.db, err)
		}
	}
	return cn, nil
}

func (c *conn) close() { c.c.Close() }

// do sends one command and reads its reply.
func (c *conn) do(args ...string) (any, error) {
	if err := c.send(args...); err != nil {
		return nil, err
	}
	return c.read()
}

// send writes one command without reading its reply, for pipelining.
func (c *conn) send(args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetDeadline(clock.Wall().Add(opTimeout))
	_, err := io.WriteString(c.c, b.String())
	return err
}

// respError is an error reply (`-ERR …`).
type respError string

func (e respError) Error() string { return string(e) }

// read reads one reply: a string for simple and bulk strings, int64, []any, nil for null,
// or a respError.
func (c *conn) read() (any, error) {
	c.c.SetDeadline(clock.Wall().Add(opTimeout))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, n)
		for i := range items {
			if items[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// ping checks that the server at addr answers PING with PONG.
func ping(addr string, cr credentials) error {
	c, err := dial(addr, cr)
	if err != nil {
		return err
	}
	defer c.close()
	reply, err := c.do("PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("PING answered %v", reply)
	}
	return nil
}

// deleteKeys deletes every key of the server at addr that starts with prefix. It DELs one
// key per command, pipelined, since a SCAN batch of a cluster node spans slots.
func deleteKeys(addr string, cr credentials, prefix string) error {
	c, err := dial(addr, cr)
	if err != nil {
		return err
	}
	defer c.close()
	cursor := "0"
	for {
		reply, err := c.do("SCAN", cursor, "MATCH", prefix+"*", "COUNT", "1000")
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		parts, ok := reply.([]any)
		if !ok || len(parts) != 2 {
			return fmt.Errorf("scan: unexpected reply %v", reply)
		}
		keys, _ := parts[1].([]any)
		for _, k := range keys {
			if err := c.send("DEL", fmt.Sprint(k)); err != nil {
				return err
			}
		}
		for range keys {
			if _, err := c.read(); err != nil {
				return fmt.Errorf("del: %w", err)
			}
		}
		if cursor, _ = parts[0].(string); cursor == "0" {
			return nil
		}
	}
}

// clusterMasters returns the addresses of a cluster's masters, as the node at addr sees
// them; nil when addr is not in cluster mode.
func clusterMasters(addr string, cr credentials) ([]string, error) {
	c, err := dial(addr, cr)
	if err != nil {
		return nil, err
	}
	defer c.close()
	reply, err := c.do("CLUSTER", "NODES")
	if err != nil {
		if strings.Contains(err.Error(), "cluster support disabled") {
			return nil, nil
		}
		return nil, err
	}
	var masters []string
	// Each line: <id> <ip:port@cport[,hostname]> <flags> …
	for _, line := range strings.Split(reply.(string), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.Contains(f[2], "master") || strings.Contains(f[2], "fail") {
			continue
		}
		hostport, _, _ := strings.Cut(f[1], "@")
		masters = append(masters, hostport)
	}
	return masters, nil
}
