package config

import (
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/catalogfile"
)

// maxClockRate bounds DUBAN_CLOCK_RATE: at a million, a business day passes in 86 ms,
// already faster than the timer engine can make sense of.
const maxClockRate = 1e6

// loader turns the decoded file and the environment into a validated Config.
type loader struct {
	cfg    *Config
	dir    string // the configuration file's folder, for relative paths
	getenv func(string) string
}

// build validates every section in the contract's order, so that the first error reported
// is the first one in the file.
func (l *loader) build(fc *fileConfig) error {
	steps := []func(*fileConfig) *Error{
		l.listen, l.redis, l.timezone, l.catalog, l.calendars, l.auth, l.limits,
		l.rules, l.ranking, l.alertmanager, l.supervision, l.collectors, l.clock,
	}
	for _, step := range steps {
		if err := step(fc); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) listen(fc *fileConfig) *Error {
	s := l.override("DUBAN_LISTEN", fc.Listen, "listen")
	host, port, err := net.SplitHostPort(s.value)
	if err != nil {
		return &Error{Key: s.key, Message: fmt.Sprintf("%q is not host:port, like \":8080\" or \"127.0.0.1:8080\"", s.value)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &Error{Key: s.key, Message: fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return &Error{Key: s.key, Message: fmt.Sprintf("host %q is not an IP address or a host name", host)}
	}
	l.cfg.Listen = s.value
	return nil
}

func validHostname(h string) bool {
	for _, r := range h {
		if !(r == '-' || r == '.' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return len(h) <= 253
}

func (l *loader) redis(fc *fileConfig) *Error {
	s := l.override("DUBAN_REDIS_URL", fc.Redis.URL, "redis.url")
	r, err := ParseRedisURL(s.value)
	if err != nil {
		return &Error{Key: s.key, Message: err.Error(), err: err}
	}
	px := l.override("DUBAN_REDIS_PREFIX", fc.Redis.Prefix, "redis.prefix")
	r.Prefix = px.value
	if r.Prefix == "" {
		r.Prefix = "duban:"
	}
	if strings.ContainsAny(r.Prefix, "{} \t\r\n") || len(r.Prefix) > 64 {
		return &Error{Key: px.key, Message: fmt.Sprintf("%q: at most 64 characters, no braces (they would move the hash tag) and no spaces", r.Prefix)}
	}
	if r.Timeouts, err = redisTimeouts(fc.Redis.Timeouts); err != nil {
		return err.(*Error)
	}
	l.cfg.Redis = r
	return nil
}

func (l *loader) timezone(fc *fileConfig) *Error {
	s := l.override("DUBAN_TIMEZONE", fc.Timezone, "timezone")
	// LoadLocation reads "" as UTC and "Local" as the host's zone: neither belongs in a
	// deployment whose deadlines end at local midnight, so the zone must be named.
	if s.value == "" || s.value == "Local" {
		return &Error{Key: s.key, Message: fmt.Sprintf("%q does not name a time zone like Asia/Shanghai", s.value)}
	}
	loc, err := time.LoadLocation(s.value)
	if err != nil {
		return &Error{Key: s.key, Message: fmt.Sprintf("unknown time zone %q", s.value), err: err}
	}
	l.cfg.Timezone, l.cfg.Location = s.value, loc
	return nil
}

func (l *loader) catalog(fc *fileConfig) *Error {
	n := &fc.Catalog
	var (
		cat *monitor.Catalog
		raw []byte
		err error
	)
	switch {
	case n.Kind == 0 || n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == ""):
		return nil // no catalogue
	case n.Kind == yaml.ScalarNode:
		path := l.resolve(n.Value)
		if raw, err = os.ReadFile(path); err != nil {
			return &Error{Key: "catalog", Message: err.Error(), err: err}
		}
		if cat, err = catalogfile.Parse(raw); err != nil {
			return &Error{Key: "catalog", Message: path + ": " + err.Error(), err: err}
		}
		l.cfg.CatalogPath = path
	case n.Kind == yaml.MappingNode:
		// Parsed from the node so that its messages carry this file's line numbers; kept
		// re-marshalled as well, for whoever needs the catalogue's YAML.
		if raw, err = yaml.Marshal(n); err != nil {
			return &Error{Key: "catalog", Message: err.Error(), err: err}
		}
		if cat, err = catalogfile.ParseNode(n); err != nil {
			return &Error{Key: "catalog", Message: err.Error(), err: err}
		}
	default:
		return &Error{Key: "catalog", Message: "must be a file path or the catalogue itself, as a mapping"}
	}
	l.cfg.Catalog, l.cfg.CatalogYAML = cat, raw
	return nil
}

// resolve makes a path from the file absolute, relative to the file's folder.
func (l *loader) resolve(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.dir, p)
}

func (l *loader) calendars(fc *fileConfig) *Error {
	for i, p := range fc.Calendars {
		key := fmt.Sprintf("calendars[%d]", i)
		if p == "" {
			return &Error{Key: key, Message: "must be a file path"}
		}
		// Checked now so that a typo is a configuration error (exit 2) naming the entry,
		// not a failure later during start-up.
		path := l.resolve(p)
		if _, err := os.Stat(path); err != nil {
			return &Error{Key: key, Message: err.Error(), err: err}
		}
		l.cfg.Calendars = append(l.cfg.Calendars, path)
	}
	return nil
}

func (l *loader) limits(fc *fileConfig) *Error {
	lim := fc.Limits
	for _, c := range []struct {
		key string
		v   float64
	}{
		{"limits.body_bytes", float64(lim.BodyBytes)},
		{"limits.batch_events", float64(lim.BatchEvents)},
		{"limits.events_per_second_per_token", lim.EventsPerSecondPerToken},
	} {
		if err := positive(c.key, c.v); err != nil {
			return err
		}
	}
	return l.limitsMore(lim)
}

func (l *loader) rules(fc *fileConfig) *Error {
	d, err := parseDuration("rules.report_within", fc.Rules.ReportWithin)
	if err != nil {
		return err
	}
	if fc.Rules.FaultThreshold < 1 {
		return &Error{Key: "rules.fault_threshold", Message: fmt.Sprintf("must be ≥ 1, not %d", fc.Rules.FaultThreshold)}
	}
	l.cfg.Rules = Rules{ReportWithin: d, FaultThreshold: fc.Rules.FaultThreshold}
	return nil
}

func (l *loader) ranking(fc *fileConfig) *Error {
	r := fc.Ranking
	if r.MinCases < 1 {
		return &Error{Key: "ranking.min_cases", Message: fmt.Sprintf("must be ≥ 1, not %d", r.MinCases)}
	}
	// The zone is the configured timezone; robfig/cron also panics on a "TZ=" prefix with
	// nothing after it.
	if strings.HasPrefix(r.Schedule, "TZ=") || strings.HasPrefix(r.Schedule, "CRON_TZ=") {
		return &Error{Key: "ranking.schedule", Message: "must not name a time zone: the schedule runs in `timezone`"}
	}
	sched, err := cron.ParseStandard(r.Schedule)
	if err != nil {
		return &Error{Key: "ranking.schedule", Message: fmt.Sprintf("%q is not a 5-field cron schedule: %v", r.Schedule, err), err: err}
	}
	w := r.Weights
	sum := 0.0
	for _, c := range []struct {
		key string
		v   float64
	}{
		{"on_time", w.OnTime}, {"time_ratio", w.TimeRatio}, {"early", w.Early}, {"red", w.Red},
		{"open_overdue", w.OpenOverdue},
	} {
		if !(c.v >= 0) || math.IsInf(c.v, 0) {
			return &Error{Key: "ranking.weights." + c.key, Message: fmt.Sprintf("must be ≥ 0, not %v", c.v)}
		}
		sum += c.v
	}
	if sum == 0 {
		return &Error{Key: "ranking.weights", Message: "at least one weight must be > 0"}
	}
	l.cfg.Ranking = Ranking{MinCases: r.MinCases, Schedule: r.Schedule, Cron: sched, Weights: Weights(w)}
	return nil
}

func (l *loader) alertmanager(fc *fileConfig) *Error {
	s := fc.Alertmanager.URL
	if s == "" {
		if fc.Alertmanager.SendHandlerNames {
			// Said on purpose and doing nothing: most likely the url was forgotten.
			return &Error{Key: "alertmanager.send_handler_names", Message: "is true but alertmanager.url is not set: nothing is sent"}
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Key: "alertmanager.url", Message: fmt.Sprintf("%q is not an http:// or https:// URL", s)}
	}
	l.cfg.Alertmanager = Alertmanager{URL: s, SendHandlerNames: fc.Alertmanager.SendHandlerNames}
	return nil
}

func (l *loader) clock(*fileConfig) *Error {
	c := Clock{Rate: DefaultClockRate}
	if s := l.getenv("DUBAN_CLOCK_START"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return &Error{Key: "DUBAN_CLOCK_START", Message: fmt.Sprintf("%q is not an RFC 3339 time like 2026-03-02T09:00:00+08:00", s), err: err}
		}
		c.Start = t
	}
	if s := l.getenv("DUBAN_CLOCK_RATE"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || !(r > 0) || r > maxClockRate {
			return &Error{Key: "DUBAN_CLOCK_RATE", Message: fmt.Sprintf("%q is not a number > 0 and ≤ %g", s, maxClockRate)}
		}
		c.Rate = r
	}
	l.cfg.Clock = c
	return nil
}

// hashHex parses a token's hex SHA-256.
func hashHex(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err == nil
}
