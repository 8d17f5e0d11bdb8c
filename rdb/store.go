// Package rdb is duban's storage in Redis and the only package that imports go-redis. Every
// key is built in keys.go; every multi-key change is one Lua script in lua/, touching one
// partition's slot.
package rdb

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFS embed.FS

func script(name string) *redis.Script {
	b, err := luaFS.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("rdb: missing embedded script " + name) // a build defect, caught by every test
	}
	return redis.NewScript(string(b))
}

var (
	ingestScript     = script("ingest")
	claimScript      = script("claim")
	commitScript     = script("commit")
	deadLetterScript = script("deadletter")
	dueScript        = script("due")
	relayScript      = script("relay")
	actScript        = script("act")
	sysAlertScript   = script("sysalert")
)

// Mode says how to reach Redis.
type Mode string

// The connection modes of DUBAN_REDIS_URL (docs/configuration.md).
const (
	Single   Mode = "single"
	Cluster  Mode = "cluster"
	Sentinel Mode = "sentinel"
)

// Options configure a Store. Zero values: Mode single, Prefix "duban:".
type Options struct {
	Mode       Mode
	Addrs      []string // host:port; one for single, the seeds for cluster, the sentinels
	MasterName string   // sentinel
	DB         int
	Username   string
	Password   string
	TLS        bool
	// Prefix starts every key; tests give each test its own. No '{' or '}'.
	Prefix string
	// OutboxMaxLen bounds each partition's outbox stream (approximate trim). Zero means
	// 100,000 entries, hours of traffic for consumers that are seconds behind.
	OutboxMaxLen int64
	// Timeouts bound each wait on Redis; zero values are the defaults (health.go).
	Timeouts Timeouts
	// Logger gets the outage's two lines (redis_unavailable, redis_recovered). Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Store is duban's Redis storage. It is safe for concurrent use.
type Store struct {
	c         redis.UniversalClient
	k         keys
	outboxMax int64
	h         *health // nil for NewWithClient: no circuit, the client's own timeouts
}

// Open connects to Redis and checks that it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	if strings.ContainsAny(o.Prefix, "{}") {
		return nil, fmt.Errorf("rdb: prefix %q must not contain '{' or '}'", o.Prefix)
	}
	if o.Prefix == "" {
		o.Prefix = "duban:"
	}
	if len(o.Addrs) == 0 {
		return nil, errors.New("rdb: no Redis address")
	}
	to := o.Timeouts.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	uo := &redis.UniversalOptions{
		Addrs:      o.Addrs,
		DB:         o.DB,
		Username:   o.Username,
		Password:   o.Password,
		MasterName: o.MasterName,
		// Plumbing timeouts: a wedged Redis must not hang a request for ever. Each command
		// is also bounded as a whole, retries included (health.go), which needs the client
		// to honour context deadlines.
		DialTimeout:           to.Dial,
		ReadTimeout:           to.Read,
		WriteTimeout:          to.Write,
		PoolTimeout:           to.PoolWait,
		ContextTimeoutEnabled: true,
		PoolSize:              64,
	}
	if o.TLS {
		uo.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	var c redis.UniversalClient
	switch o.Mode {
	case Cluster:
		c = redis.NewClusterClient(uo.Cluster())
	case Sentinel:
		c = redis.NewFailoverClient(uo.Failover())
	default:
		c = redis.NewClient(uo.Simple())
	}
	s := NewWithClient(c, o.Prefix)
	if o.OutboxMaxLen > 0 {
		s.outboxMax = o.OutboxMaxLen
	}
	if err := s.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	// From the first answer on, an outage is answered promptly and logged once.
	s.h = &health{budget: to.Budget(), log: o.Logger, stop: make(chan struct{}),
		ping: func(ctx context.Context) error { return c.Ping(ctx).Err() }}
	c.AddHook(s.h)
	return s, nil
}

// NewWithClient wraps an existing client (the demo's embedded Redis, tests).
func NewWithClient(c redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = "duban:"
	}
	return &Store{c: c, k: keys{prefix: prefix}, outboxMax: 100_000}
}

// Ping checks that Redis answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("rdb: ping: %w", err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.h != nil {
		s.h.close()
	}
	return s.c.Close()
}

// Client exposes the underlying client for the components that own their own keys through
// this package's helpers (tests, the demo). Application code goes through Store methods.
func (s *Store) Client() redis.UniversalClient { return s.c }
