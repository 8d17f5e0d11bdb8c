// Package rdbtest opens real Redis stores for tests, each under its own key prefix so tests
// run in parallel on one server (the server comes from internal/testredis).
package rdbtest

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/rdb"
)

// Store opens a store on the test Redis under a fresh prefix; keys are removed after the test.
func Store(t testing.TB) *rdb.Store {
	t.Helper()
	u, prefix := testredis.New(t)
	o, err := Options(u)
	if err != nil {
		t.Fatalf("rdbtest: %v", err)
	}
	o.Prefix = prefix
	return open(t, o)
}

// ClusterStore starts a three-master Redis Cluster on loopback and opens a store on it.
func ClusterStore(t testing.TB) *rdb.Store {
	t.Helper()
	addrs := testredis.StartCluster(t)
	return open(t, rdb.Options{Mode: rdb.Cluster, Addrs: addrs, Prefix: "c:"})
}

// Options turns a redis:// URL into store options.
func Options(raw string) (rdb.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return rdb.Options{}, err
	}
	o := rdb.Options{Addrs: []string{u.Host}, TLS: u.Scheme == "rediss"}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if o.DB, err = strconv.Atoi(db); err != nil {
			return rdb.Options{}, err
		}
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	return o, nil
}

func open(t testing.TB, o rdb.Options) *rdb.Store {
	t.Helper()
	s, err := rdb.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("rdbtest: open %v: %v", o.Addrs, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
