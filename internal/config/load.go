package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // supervision networks are often offline hosts without a zone database

	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/supervision"
)

// fileConfig is the YAML file's shape. Values whose parsing should name the key (durations,
// the catalogue) are kept as strings or nodes, so that Load, not the YAML library, words the
// error.
type fileConfig struct {
	Listen       string           `yaml:"listen"`
	Redis        fileRedis        `yaml:"redis"`
	Timezone     string           `yaml:"timezone"`
	Catalog      yaml.Node        `yaml:"catalog"`
	Calendars    []string         `yaml:"calendars"`
	Auth         fileAuth         `yaml:"auth"`
	MetricsToken string           `yaml:"metrics_token"`
	Limits       fileLimits       `yaml:"limits"`
	Rules        fileRules        `yaml:"rules"`
	Ranking      fileRanking      `yaml:"ranking"`
	Alertmanager fileAlertmanager `yaml:"alertmanager"`
	Supervision  fileSupervision  `yaml:"supervision"`
	Collectors   fileCollectors   `yaml:"collectors"`
}

type fileRedis struct {
	URL      string            `yaml:"url"`
	Prefix   string            `yaml:"prefix"`
	Timeouts fileRedisTimeouts `yaml:"timeouts"`
}

type fileAuth struct {
	Tokens         []fileToken `yaml:"tokens"`
	AllowedOrigins []string    `yaml:"allowed_origins"`
}

type fileToken struct {
	SHA256     string `yaml:"sha256"`
	Token      string `yaml:"token"`
	Role       string `yaml:"role"`
	Department string `yaml:"department"`
	Name       string `yaml:"name"`
}

type fileLimits struct {
	BodyBytes               int64   `yaml:"body_bytes"`
	BatchEvents             int     `yaml:"batch_events"`
	EventsPerSecondPerToken float64 `yaml:"events_per_second_per_token"`
	InflightBytes           int64   `yaml:"inflight_bytes"`
	BodyTimeout             string  `yaml:"body_timeout"`
}

type fileRules struct {
	ReportWithin   string `yaml:"report_within"`
	FaultThreshold int    `yaml:"fault_threshold"`
}

type fileRanking struct {
	MinCases int         `yaml:"min_cases"`
	Schedule string      `yaml:"schedule"`
	Weights  fileWeights `yaml:"weights"`
}

type fileWeights struct {
	OnTime      float64 `yaml:"on_time"`
	TimeRatio   float64 `yaml:"time_ratio"`
	Early       float64 `yaml:"early"`
	Red         float64 `yaml:"red"`
	OpenOverdue float64 `yaml:"open_overdue"`
}

type fileAlertmanager struct {
	URL              string `yaml:"url"`
	SendHandlerNames bool   `yaml:"send_handler_names"`
}

type fileSupervision struct {
	ReplyDays    int      `yaml:"reply_days"`
	ReturnDays   int      `yaml:"return_days"`
	EscalateDays int      `yaml:"escalate_days"`
	AutoOpen     []string `yaml:"auto_open"`
}

// defaults returns the file shape filled with the defaults. The file is decoded
// over it, so an absent key (or a null one) keeps its default, in nested sections too:
// `weights: {red: 30}` changes only red.
func defaults() fileConfig {
	w := DefaultWeights
	return fileConfig{
		Listen:   DefaultListen,
		Timezone: DefaultTimezone,
		Redis:    fileRedis{Timeouts: defaultRedisTimeouts()},
		Limits: fileLimits{BodyBytes: DefaultBodyBytes, BatchEvents: DefaultBatchEvents,
			EventsPerSecondPerToken: DefaultEventsPerSecondPerToken,
			InflightBytes:           DefaultInflightBytes, BodyTimeout: DefaultBodyTimeout.String()},
		Rules:   fileRules{ReportWithin: DefaultReportWithin.String(), FaultThreshold: DefaultFaultThreshold},
		Ranking: fileRanking{MinCases: DefaultMinCases, Schedule: DefaultSchedule, Weights: fileWeights(w)},
		Supervision: fileSupervision{ReplyDays: supervision.DefaultReplyDays, ReturnDays: supervision.DefaultReturnDays,
			EscalateDays: supervision.DefaultEscalateDays},
	}
}

// Load reads the configuration file at path (none when path is empty: every default),
// applies the environment overrides read through getenv (DUBAN_LISTEN, DUBAN_REDIS_URL,
// DUBAN_TIMEZONE, DUBAN_CLOCK_START, DUBAN_CLOCK_RATE), which win over the file, and
// validates every value. Relative paths in the file are relative to the file's folder. The
// catalogue, when configured, is parsed with catalogfile.Parse. Every error is an
// *Error naming the key. A nil getenv reads no environment.
func Load(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	fc := defaults()
	l := &loader{cfg: &Config{}, getenv: getenv}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, &Error{Message: fmt.Sprintf("configuration file %s: %v", path, err), err: err}
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, &Error{Message: fmt.Sprintf("read configuration: %v", err), err: err}
		}
		if err := decode(data, &fc); err != nil {
			if err.Key == "" {
				err.Message = abs + ": " + err.Message
			}
			return nil, err
		}
		l.cfg.File, l.dir = abs, filepath.Dir(abs)
	}
	if err := l.build(&fc); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// decode parses data strictly into fc. A first pass over the YAML tree names an unknown key
// or a value of the wrong type by its dotted path (`limits.bodybytes: unknown key`), which
// the YAML library's own messages (`line 3: field bodybytes not found in type …`) do not;
// the strict decoder then does the work, and catches what the walk does not (duplicate
// keys, bad anchors).
func decode(data []byte, fc *fileConfig) *Error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return &Error{Message: err.Error(), err: err}
	}
	if len(doc.Content) == 0 {
		return nil // empty, or only comments
	}
	if err := walk(doc.Content[0], reflect.TypeFor[fileConfig](), ""); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(fc); err != nil && !errors.Is(err, io.EOF) {
		return &Error{Message: err.Error(), err: err}
	}
	return nil
}

var nodeType = reflect.TypeFor[yaml.Node]()

// walk checks that node n fits Go type t, key being n's dotted path.
func walk(n *yaml.Node, t reflect.Type, key string) *Error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t == nodeType || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &Error{Key: key, Message: "must be a mapping"}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			if name == "<<" {
				continue // a merge key: the strict decoder checks what it merges
			}
			f, ok := fieldByTag(t, name)
			if !ok {
				return &Error{Key: join(key, name), Message: "unknown key (known: " + knownKeys(t) + ")"}
			}
			if err := walk(n.Content[i+1], f.Type, join(key, name)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return &Error{Key: key, Message: "must be a list"}
		}
		for i, c := range n.Content {
			if err := walk(c, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
			return &Error{Key: key, Message: fmt.Sprintf("must be %s, not %s", kindName(t), describe(n))}
		}
	}
	return nil
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("yaml") == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func knownKeys(t reflect.Type) string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Tag.Get("yaml")
	}
	return strings.Join(names, ", ")
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// setting is one value with the name to blame for it: the dotted key, or the environment
// variable that overrode it.
type setting struct {
	value, key string
}

// override returns the environment variable's value when set, else the file's.
func (l *loader) override(env, fileValue, key string) setting {
	if v := l.getenv(env); v != "" {
		return setting{v, env}
	}
	return setting{fileValue, key}
}

// positive checks that a number is > 0 and finite.
func positive(key string, v float64) *Error {
	if !(v > 0) || math.IsInf(v, 0) {
		return &Error{Key: key, Message: fmt.Sprintf("must be > 0, not %v", v)}
	}
	return nil
}

// parseDuration parses a Go duration > 0.
func parseDuration(key, s string) (time.Duration, *Error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, &Error{Key: key, Message: fmt.Sprintf("%q is not a duration like 24h or 90m", s)}
	}
	if d <= 0 {
		return 0, &Error{Key: key, Message: fmt.Sprintf("must be > 0, not %s", s)}
	}
	return d, nil
}
