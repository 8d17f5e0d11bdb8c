// Package config loads duban's configuration: one YAML file, every key optional, and
// environment overrides for the common keys (docs/configuration.md lists them all). Load
// validates every value and answers the first problem as an *Error that names the key, so
// that `duban` can exit with code 2 and a message an operator can act on.
package config

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/supervision"
)

// The defaults (docs/configuration.md).
const (
	DefaultListen                  = ":8080"
	DefaultTimezone                = "Asia/Shanghai"
	DefaultBodyBytes               = 8 << 20
	DefaultBatchEvents             = 10000
	DefaultEventsPerSecondPerToken = 2000
	DefaultReportWithin            = 24 * time.Hour
	DefaultFaultThreshold          = 3
	DefaultMinCases                = 10
	DefaultSchedule                = "0 2 2 * *" // 02:00 on the 2nd, after report_within
	DefaultClockRate               = 1
)

// DefaultWeights are the default ranking weights.
var DefaultWeights = Weights{OnTime: 40, TimeRatio: 20, Early: 10, Red: 20, OpenOverdue: 10}

// Config is the loaded, validated configuration. Paths in it are absolute; tokens are kept
// only as their SHA-256.
type Config struct {
	// File is the configuration file loaded, absolute; empty when none was given.
	File string
	// Listen is the HTTP address, host:port (`listen`, DUBAN_LISTEN).
	Listen string
	// Redis says how to reach Redis (`redis.url`, DUBAN_REDIS_URL); its URL is empty when
	// none is configured, which only `duban demo` accepts.
	Redis Redis
	// Timezone is the zone's name (`timezone`, DUBAN_TIMEZONE) and Location the zone
	// itself, in which deadlines end at midnight and scheduled jobs run.
	Timezone string
	Location *time.Location
	// Catalog is the catalogue of departments and matters; nil when none is configured.
	// CatalogPath is its file (empty when given inline) and CatalogYAML its YAML as given,
	// re-marshalled when inline, for readiness checks and reloads.
	Catalog     *monitor.Catalog
	CatalogPath string
	CatalogYAML []byte
	// Calendars are extra calendar year files, absolute; loading them is the caller's job.
	Calendars []string
	// Auth holds the API tokens and the extra WebSocket origins.
	Auth Auth
	// MetricsToken protects /metrics when not nil (`metrics_token`).
	MetricsToken *Hash
	Limits       Limits
	Rules        Rules
	Ranking      Ranking
	Alertmanager Alertmanager
	// Supervision is the `supervision` section: the supervision orders' limits and which
	// alert kinds open an order by themselves.
	Supervision supervision.Settings
	// Collectors are the exchange-database sources (`collectors.sql`).
	Collectors Collectors
	// Clock is the simulated business clock of DUBAN_CLOCK_START and DUBAN_CLOCK_RATE.
	Clock Clock
}

// Auth is the `auth` section.
type Auth struct {
	// Tokens are the API tokens, in the file's order; no two share a hash.
	Tokens []Token
	// AllowedOrigins are WebSocket origins (scheme://host[:port]) accepted besides the
	// service's own.
	AllowedOrigins []string
}

// Role is what a token may do (docs/configuration.md, `auth.tokens`).
type Role string

// The roles. A collector is a token with a department and no role: it reports for its
// department and reads its department's cases and alerts.
const (
	RoleCollector Role = "collector"
	RoleViewer    Role = "viewer"
	// RoleLiaison is a department's liaison (部门联络员): it reads what a viewer of its
	// department reads and replies to its department's supervision orders.
	RoleLiaison    Role = "liaison"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// AtLeast reports whether r may do everything role o may: admin ⊇ supervisor ⊇ viewer. A
// collector is at least a collector only, since it writes but does not read everything.
func (r Role) AtLeast(o Role) bool {
	if r == RoleCollector || o == RoleCollector {
		return r == o
	}
	return r.rank() > 0 && r.rank() >= o.rank()
}

func (r Role) rank() int {
	switch r {
	case RoleViewer, RoleLiaison:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Hash is the SHA-256 of a token; the clear text is never kept once loaded.
type Hash [sha256.Size]byte

// HashToken returns the hash of a token as presented by a client.
func HashToken(token string) Hash { return sha256.Sum256([]byte(token)) }

// Matches reports whether token hashes to h, in constant time.
func (h Hash) Matches(token string) bool {
	sum := HashToken(token)
	return subtle.ConstantTimeCompare(h[:], sum[:]) == 1
}

// Token is one entry of `auth.tokens`.
type Token struct {
	Hash Hash
	Role Role
	// Department limits a collector's, a viewer's or a liaison's reach to one department;
	// empty means all departments (a liaison always has one).
	Department string
	// Name is who the token's holder is, shown where an action records who acted (a
	// supervision order's opened_by, by); empty: the principal's stable name.
	Name string
}

// Limits is the `limits` section; every value is > 0.
type Limits struct {
	BodyBytes               int64   // largest accepted request body, in bytes
	BatchEvents             int     // most events in one request
	EventsPerSecondPerToken float64 // sustained ingest rate per token
	// InflightBytes bounds the request body bytes taken in at once, all requests together;
	// at least BodyBytes.
	InflightBytes int64
	// BodyTimeout is how long a request, body included, may take to arrive.
	BodyTimeout time.Duration
}

// Rules is the `rules` section.
type Rules struct {
	// ReportWithin is how long after `at` an event may arrive before it is a late report.
	ReportWithin time.Duration
	// FaultThreshold is the number of faults a handler may reach in a year before a
	// fault_threshold alert.
	FaultThreshold int
}

// Ranking is the `ranking` section.
type Ranking struct {
	// MinCases is the fewest decided cases a department needs in a month to be ranked.
	MinCases int
	// Schedule is the cron spec as written and Cron its parsed form. Cron carries no zone:
	// Cron.Next(t) works in t's zone, so pass business time in Location.
	Schedule string
	Cron     cron.Schedule
	Weights  Weights
}

// Weights are the ranking's score weights, each ≥ 0 and not all zero.
type Weights struct {
	OnTime      float64 `json:"on_time"`
	TimeRatio   float64 `json:"time_ratio"`
	Early       float64 `json:"early"`
	Red         float64 `json:"red"`
	OpenOverdue float64 `json:"open_overdue"`
}

// Alertmanager is the `alertmanager` section.
type Alertmanager struct {
	// URL is the Alertmanager to forward alerts to; empty means none.
	URL string
	// SendHandlerNames lets handlers' names (personal data) go to Alertmanager
	// (`send_handler_names`); false, the default, keeps them inside duban: a fault_threshold
	// alert goes out under a pseudonym.
	SendHandlerNames bool
}

// Collectors is the `collectors` section.
type Collectors struct {
	SQL []SQLSource
}

// Clock is the business clock's setting, from the environment only.
type Clock struct {
	// Start is DUBAN_CLOCK_START; zero means the real time when the process starts.
	Start time.Time
	// Rate is DUBAN_CLOCK_RATE, > 0; 1 by default.
	Rate float64
}

// Simulated reports whether the service runs on a simulated clock rather than the real one.
func (c Clock) Simulated() bool { return !c.Start.IsZero() || c.Rate != 1 }

// Error is a configuration problem: Key names the key, in dotted form with list indexes
// (`auth.tokens[2].role`), or the environment variable that set it (`DUBAN_LISTEN`); it is
// empty for a file that cannot be read or parsed at all.
type Error struct {
	Key     string
	Message string
	err     error
}

// Error returns "key: message", or the message alone when no key is to blame.
func (e *Error) Error() string {
	if e.Key == "" {
		return e.Message
	}
	return e.Key + ": " + e.Message
}

// Unwrap returns the underlying error, if any (an *os.PathError, the catalogue's errors).
func (e *Error) Unwrap() error { return e.err }
