// Package testredis gives tests a real Redis: a unique key prefix on a shared server, or a
// server or a three-node cluster of their own started on loopback. It speaks just enough
// RESP by hand to check, clean up and wait, so that it does not import go-redis (only
// rdb does; its tests build their clients from what this package returns).
//
// When Redis (or redis-server) is not available, tests are skipped, except under CI=true,
// where they fail: CI must never pass by skipping the storage tests.
package testredis

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/duban-gov/duban/internal/config"
)

// DefaultURL is the Redis that New uses when DUBAN_TEST_REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// New returns the URL of the shared test Redis (DUBAN_TEST_REDIS_URL, default DefaultURL)
// and a key prefix unique to this test, like "t3f9a0c1d2e4b5a6c:". On cleanup it deletes
// every key starting with the prefix, on every master when the URL is a cluster's; the
// test's own cleanups registered after New (closing its client) run first. An unreachable
// server skips the test, or fails it under CI=true.
func New(t testing.TB) (url, prefix string) {
	t.Helper()
	url = os.Getenv("DUBAN_TEST_REDIS_URL")
	if url == "" {
		url = DefaultURL
	}
	r, err := config.ParseRedisURL(url)
	if err != nil {
		t.Fatalf("testredis: DUBAN_TEST_REDIS_URL: %v", err)
	}
	if r.Mode == config.RedisSentinel {
		t.Fatalf("testredis: DUBAN_TEST_REDIS_URL: a sentinel URL is not supported here; give the master's redis:// URL")
	}
	cr := credentials{username: r.Username, password: r.Password, db: r.DB, tls: r.TLS}
	for _, addr := range r.Addrs {
		if err := ping(addr, cr); err != nil {
			unavailable(t, "testredis: Redis at %s (%s) does not answer PING: %v", addr, r.Redacted(), err)
		}
	}
	prefix = "t" + randomHex(8) + ":"
	t.Cleanup(func() {
		addrs := r.Addrs
		if r.Mode == config.RedisCluster {
			// The URL may list only some seeds; keys live on every master.
			if masters, err := clusterMasters(addrs[0], cr); err == nil && len(masters) > 0 {
				addrs = masters
			}
		}
		for _, addr := range addrs {
			if err := deleteKeys(addr, cr, prefix); err != nil {
				t.Errorf("testredis: delete keys %s* on %s: %v", prefix, addr, err)
			}
		}
	})
	return url, prefix
}

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: the storage tests must run)", args...)
	}
	t.Skipf("SKIPPED: "+format+" — this storage test did not run; start Redis (redis-server on the PATH) "+
		"or run .ci/run; set CI=true to fail instead", args...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
