package benchmark

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// Flags defines the flags of `duban bench` on fs, with Defaults, and returns the options
// they fill in when fs is parsed.
func Flags(fs *flag.FlagSet) *Options {
	o := Defaults()
	fs.StringVar(&o.URL, "url", "", "a running service's base `URL` (default: start a redis-server and a service of the bench's own)")
	fs.StringVar(&o.Token, "token", "", "--url: a `token` that may post events of --department")
	fs.StringVar(&o.ViewerToken, "viewer-token", "", "--url: a viewer's `token`, for reads and /ws (default --token)")
	fs.StringVar(&o.Department, "department", o.Department, "--url: the `department` of the events")
	fs.StringVar(&o.Matter, "matter", o.Matter, "--url: a `matter` of --department")
	fs.StringVar(&o.RedisURL, "redis", "", "--url: the service's Redis `URL`, for the memory figures")
	fs.StringVar(&o.RedisPrefix, "redis-prefix", o.RedisPrefix, "--url: the service's key `prefix`")
	fs.StringVar(&o.RedisServer, "redis-server", o.RedisServer, "the redis-server `binary` of the bench's own service")
	fs.Func("rates", "fixed offered ingestion `rates`, events/s, comma-separated (default 1000,5000; \"\" for none)", func(s string) error {
		o.Rates = nil
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a rate > 0", f)
			}
			o.Rates = append(o.Rates, n)
		}
		return nil
	})
	fs.DurationVar(&o.RateFor, "rate-for", o.RateFor, "how long each fixed rate is offered")
	fs.IntVar(&o.Cases, "cases", o.Cases, "open cases of six events in all, the rest posted at saturation")
	fs.IntVar(&o.Batch, "batch", o.Batch, "events per NDJSON batch")
	fs.IntVar(&o.Conns, "conns", o.Conns, "ingesting connections")
	fs.IntVar(&o.Probes, "probes", o.Probes, "timer-lag probe cases per promised limit (20 limits)")
	fs.Float64Var(&o.LagRate, "lag-rate", o.LagRate, "the business clock's rate while the probes come due")
	fs.IntVar(&o.Burst, "burst", o.Burst, "deadlines of the midnight burst")
	fs.IntVar(&o.Clients, "clients", o.Clients, "WebSocket clients of the fan-out")
	fs.IntVar(&o.Alerts, "alerts", o.Alerts, "alerts pushed to the clients, one at a time")
	fs.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	fs.BoolVar(&o.Compare, "compare", false, "run the comparison with asynq and Prometheus+Alertmanager (bench/compare of a checkout)")
	fs.StringVar(&o.CompareJSON, "compare-json", "", "--compare: also write every figure as JSON to this `file`")
	fs.BoolVar(&o.Progress, "progress", true, "show the live progress line on standard error")
	return &o
}
