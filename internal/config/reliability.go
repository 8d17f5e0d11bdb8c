package config

import (
	"fmt"
	"time"
)

// The defaults of the keys that bound the service under load and when Redis is away.
const (
	// DefaultInflightBytes is limits.inflight_bytes: two bodies of the largest size.
	DefaultInflightBytes = 2 * DefaultBodyBytes
	// DefaultBodyTimeout is limits.body_timeout: an 8 MiB batch on a slow department link.
	DefaultBodyTimeout = 60 * time.Second
	// The redis.timeouts defaults: with them every answer comes within 5 s when Redis is
	// gone or frozen (a command gives up after max(dial, pool_wait) + max(read, write)).
	DefaultRedisDial     = time.Second
	DefaultRedisRead     = 3 * time.Second
	DefaultRedisWrite    = 3 * time.Second
	DefaultRedisPoolWait = time.Second
)

// RedisTimeouts is `redis.timeouts`; every value is > 0.
type RedisTimeouts struct {
	Dial     time.Duration // to open a connection
	Read     time.Duration // for a reply
	Write    time.Duration // to send a command
	PoolWait time.Duration // for a free connection of the pool
}

type fileRedisTimeouts struct {
	Dial     string `yaml:"dial"`
	Read     string `yaml:"read"`
	Write    string `yaml:"write"`
	PoolWait string `yaml:"pool_wait"`
}

func defaultRedisTimeouts() fileRedisTimeouts {
	return fileRedisTimeouts{Dial: DefaultRedisDial.String(), Read: DefaultRedisRead.String(),
		Write: DefaultRedisWrite.String(), PoolWait: DefaultRedisPoolWait.String()}
}

// redisTimeouts parses `redis.timeouts`, each a duration > 0 of at most a minute.
func redisTimeouts(f fileRedisTimeouts) (RedisTimeouts, error) {
	var t RedisTimeouts
	for _, c := range []struct {
		key string
		s   string
		d   *time.Duration
	}{
		{"redis.timeouts.dial", f.Dial, &t.Dial},
		{"redis.timeouts.read", f.Read, &t.Read},
		{"redis.timeouts.write", f.Write, &t.Write},
		{"redis.timeouts.pool_wait", f.PoolWait, &t.PoolWait},
	} {
		d, err := parseDuration(c.key, c.s)
		if err != nil {
			return t, err
		}
		if d > time.Minute {
			return t, &Error{Key: c.key, Message: fmt.Sprintf("at most 1m, not %s: requests would wait that long on a Redis that does not answer", c.s)}
		}
		*c.d = d
	}
	return t, nil
}

// limitsMore checks the limits added for bounded memory and slow clients, and stores all.
func (l *loader) limitsMore(lim fileLimits) *Error {
	if err := positive("limits.inflight_bytes", float64(lim.InflightBytes)); err != nil {
		return err
	}
	if lim.InflightBytes < lim.BodyBytes {
		return &Error{Key: "limits.inflight_bytes", Message: fmt.Sprintf("%d is smaller than limits.body_bytes (%d): no full body could ever be taken", lim.InflightBytes, lim.BodyBytes)}
	}
	d, err := parseDuration("limits.body_timeout", lim.BodyTimeout)
	if err != nil {
		return err
	}
	l.cfg.Limits = Limits{BodyBytes: lim.BodyBytes, BatchEvents: lim.BatchEvents,
		EventsPerSecondPerToken: lim.EventsPerSecondPerToken, InflightBytes: lim.InflightBytes, BodyTimeout: d}
	return nil
}
