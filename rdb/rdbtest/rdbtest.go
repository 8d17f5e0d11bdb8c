// Package rdbtest opens real Redis stores for tests, each under its own key prefix so tests
// run in parallel on one server (the server comes from internal/testredis).
package rdbtest

import (
	"context"
	"testing"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb"
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

// At opens a store on the Redis at url under prefix: the store a service under test runs
// on, for the test to look into.
func At(t testing.TB, url, prefix string) *rdb.Store {
	t.Helper()
	o, err := Options(url)
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

// Options turns a Redis URL into store options, parsed the way the service parses
// DUBAN_REDIS_URL.
func Options(raw string) (rdb.Options, error) {
	r, err := config.ParseRedisURL(raw)
	if err != nil {
		return rdb.Options{}, err
	}
	return rdb.Options{Mode: rdb.Mode(r.Mode), Addrs: r.Addrs, MasterName: r.MasterName, DB: r.DB,
		Username: r.Username, Password: r.Password, TLS: r.TLS}, nil
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
