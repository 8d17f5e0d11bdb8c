package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// RedisMode says how to reach Redis; rdb builds its client from it.
type RedisMode string

// The modes of DUBAN_REDIS_URL.
const (
	RedisSingle   RedisMode = "single"
	RedisCluster  RedisMode = "cluster"
	RedisSentinel RedisMode = "sentinel"
)

// Redis is a parsed Redis URL. It is plain data so that only rdb imports go-redis.
type Redis struct {
	// URL is the URL as configured, password included: log Redacted() instead.
	URL  string
	Mode RedisMode
	// Addrs are host:port: the server (single), the seed nodes (cluster) or the sentinels.
	Addrs      []string
	MasterName string // sentinel only
	DB         int    // always 0 on a cluster
	Username   string
	Password   string
	TLS        bool // rediss://
	// Prefix starts every key (redis.prefix, DUBAN_REDIS_PREFIX; default "duban:"), so
	// several deployments — or parallel tests — can share one Redis.
	Prefix string
	// Timeouts bound every wait on Redis (`redis.timeouts`).
	Timeouts RedisTimeouts
}

// Redacted returns the URL with its password masked, for logs and messages.
func (r Redis) Redacted() string {
	if r.URL == "" {
		return ""
	}
	scheme := "redis"
	switch {
	case r.Mode == RedisSentinel:
		scheme = "redis-sentinel"
	case r.TLS:
		scheme = "rediss"
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	if r.Username != "" || r.Password != "" {
		b.WriteString(url.PathEscape(r.Username))
		if r.Password != "" {
			b.WriteString(":xxxxx")
		}
		b.WriteString("@")
	}
	b.WriteString(strings.Join(r.Addrs, ","))
	if r.MasterName != "" {
		b.WriteString("/" + url.PathEscape(r.MasterName))
	}
	if r.DB != 0 {
		b.WriteString("/" + strconv.Itoa(r.DB))
	}
	return b.String()
}

// ParseRedisURL parses DUBAN_REDIS_URL's forms: `redis://[user:password@]host[:port][/db]`,
// `rediss://…` (TLS), several comma-separated `host:port` or `redis://` addresses (Redis
// Cluster), and `redis-sentinel://[user:password@]host:26379,host2:26379/master-name[/db]`
// (the credentials are the master's). An empty string parses to the zero Redis: none
// configured. Query parameters are rejected rather than silently ignored.
func ParseRedisURL(s string) (Redis, error) {
	r := Redis{URL: s}
	if strings.TrimSpace(s) == "" {
		return Redis{}, nil
	}
	sentinel := strings.HasPrefix(s, "redis-sentinel://")
	defPort := "6379"
	if sentinel {
		defPort = "26379"
	}
	var eps []endpoint
	for i, part := range strings.Split(s, ",") {
		ep, err := parseEndpoint(strings.TrimSpace(part), defPort)
		if err != nil {
			return Redis{}, fmt.Errorf("address %d: %w", i+1, err)
		}
		eps = append(eps, ep)
	}
	scheme := "" // the first redis:// or rediss:// seen; the others must agree
	for i, ep := range eps {
		r.Addrs = append(r.Addrs, ep.addr)
		switch {
		case ep.scheme == "":
		case ep.scheme == "redis-sentinel" && i == 0:
		case ep.scheme == "redis-sentinel":
			return Redis{}, errors.New("redis-sentinel:// starts the URL once: list the other sentinels as host:port")
		case ep.scheme == "redis" || ep.scheme == "rediss":
			if sentinel {
				return Redis{}, errors.New("list sentinels as host:port after redis-sentinel://")
			}
			if scheme != "" && ep.scheme != scheme {
				return Redis{}, errors.New("mixes redis:// and rediss:// addresses")
			}
			scheme = ep.scheme
			r.TLS = ep.scheme == "rediss"
		default:
			return Redis{}, fmt.Errorf("scheme %q is not redis://, rediss:// or redis-sentinel://", ep.scheme)
		}
		if ep.user != "" || ep.pass != "" {
			if (r.Username != "" || r.Password != "") && (r.Username != ep.user || r.Password != ep.pass) {
				return Redis{}, errors.New("addresses give different credentials")
			}
			r.Username, r.Password = ep.user, ep.pass
		}
	}
	paths := pathsOf(eps)
	switch {
	case sentinel:
		r.Mode = RedisSentinel
		if len(paths) != 1 {
			return Redis{}, errors.New("needs the master name once, after the sentinels: redis-sentinel://host:26379,host2:26379/master-name")
		}
		name, db, _ := strings.Cut(paths[0], "/")
		r.MasterName = name
		if db != "" {
			var err error
			if r.DB, err = parseDB(db); err != nil {
				return Redis{}, err
			}
		}
	case len(eps) > 1:
		r.Mode = RedisCluster
		for _, p := range paths {
			if p != "0" {
				return Redis{}, fmt.Errorf("database %q: Redis Cluster has only database 0", p)
			}
		}
	default:
		r.Mode = RedisSingle
		if len(paths) == 1 {
			var err error
			if r.DB, err = parseDB(paths[0]); err != nil {
				return Redis{}, err
			}
		}
	}
	return r, nil
}

// endpoint is one comma-separated part of a Redis URL.
type endpoint struct {
	scheme     string // empty for a bare host:port
	user, pass string
	addr       string // host:port
	path       string // after the first '/', without it
}

// parseEndpoint parses [scheme://][user[:password]@]host[:port][/path] by hand: net/url
// does not take the comma-separated host lists of cluster and sentinel URLs.
func parseEndpoint(s, defPort string) (endpoint, error) {
	var ep endpoint
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		ep.scheme, s = strings.ToLower(scheme), rest
	}
	if strings.ContainsAny(s, "?#") {
		return ep, errors.New("query parameters and fragments are not supported")
	}
	hostport, path, _ := strings.Cut(s, "/")
	ep.path = path
	if at := strings.LastIndex(hostport, "@"); at >= 0 {
		user, pass, _ := strings.Cut(hostport[:at], ":")
		var err1, err2 error
		ep.user, err1 = url.PathUnescape(user)
		ep.pass, err2 = url.PathUnescape(pass)
		if err := errors.Join(err1, err2); err != nil {
			return ep, errors.New("malformed user or password (percent-encode special characters)")
		}
		hostport = hostport[at+1:]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), defPort
	}
	if host == "" || strings.ContainsAny(host, " :[]") && net.ParseIP(host) == nil {
		return ep, fmt.Errorf("%q is not host:port", hostport)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return ep, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	ep.addr = net.JoinHostPort(host, port)
	return ep, nil
}

// pathsOf returns the non-empty paths of the endpoints.
func pathsOf(eps []endpoint) []string {
	var paths []string
	for _, ep := range eps {
		if ep.path != "" {
			paths = append(paths, ep.path)
		}
	}
	return paths
}

func parseDB(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("database %q is not a number ≥ 0", s)
	}
	return n, nil
}
