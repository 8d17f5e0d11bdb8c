package benchmark

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/duban-gov/duban/monitor/clock"
)

// Result is what `duban bench --json` prints. A figure not measured is absent (null), and
// Skipped says why.
type Result struct {
	Date      string  `json:"date"`
	Mode      string  `json:"mode"` // own: the bench's own redis-server and service; url: a running one
	GOOS      string  `json:"goos"`
	GOARCH    string  `json:"goarch"`
	CPUs      int     `json:"cpus"`
	LoadStart float64 `json:"load_avg_start"` // 1-minute load average when the run began
	LoadEnd   float64 `json:"load_avg_end"`
	Sizes     Sizes   `json:"sizes"`

	Ingest     []IngestFigures `json:"ingest"`     // at each fixed offered rate
	Saturation *IngestFigures  `json:"saturation"` // flat out
	Memory     *MemoryFigures  `json:"memory"`
	RSS        *RSSFigures     `json:"rss"`
	Fanout     *FanoutFigures  `json:"fanout"`
	TimerLag   *LagFigures     `json:"timer_lag"`
	Burst      *BurstFigures   `json:"burst"`
	Skipped    []string        `json:"skipped,omitempty"`
}

// Sizes are the run's sizes, from the flags.
type Sizes struct {
	Batch   int     `json:"batch_events"`
	Conns   int     `json:"connections"`
	Rates   []int   `json:"offered_rates"`
	RateFor float64 `json:"rate_seconds"`
	Cases   int     `json:"open_cases"`
	Probes  int     `json:"lag_probes"`
	LagRate float64 `json:"lag_clock_rate"`
	Burst   int     `json:"burst_deadlines"`
	Clients int     `json:"ws_clients"`
	Alerts  int     `json:"ws_alerts"`
}

func sizesOf(o Options) Sizes {
	return Sizes{Batch: o.Batch, Conns: o.Conns, Rates: o.Rates, RateFor: o.RateFor.Seconds(), Cases: o.Cases,
		Probes: o.Probes * (lagLastDays - lagFirstDays + 1), LagRate: o.LagRate, Burst: o.Burst, Clients: o.Clients, Alerts: o.Alerts}
}

// IngestFigures are one ingestion phase: events posted (six-event open cases, NDJSON
// batches), the rate from the first post to the last event applied, and receipt-to-applied
// latency from the service's duban_ingest_apply_seconds histogram (interpolated within its
// buckets, as Prometheus' histogram_quantile does).
type IngestFigures struct {
	OfferedEPS  float64 `json:"offered_events_per_s,omitempty"` // 0: saturation
	Events      int     `json:"events"`
	Seconds     float64 `json:"seconds"`
	AppliedEPS  float64 `json:"applied_events_per_s"`
	P50Millis   float64 `json:"receipt_to_applied_p50_ms"`
	P99Millis   float64 `json:"receipt_to_applied_p99_ms"`
	PostedEPS   float64 `json:"posted_events_per_s"` // the rate of the 202s alone
	MaxPostWait float64 `json:"max_post_ms"`         // the slowest POST
}

// MemoryFigures: Redis' used_memory grown per open case of six events (submitted,
// accepted, step, suspended, resumed, fee_charged with its fee_violation alert), and the
// MEMORY USAGE of the keys named after one case.
type MemoryFigures struct {
	Cases        int     `json:"cases"`
	UsedBefore   int64   `json:"used_memory_before"`
	UsedAfter    int64   `json:"used_memory_after"`
	BytesPerCase float64 `json:"bytes_per_case"`
	CaseKeys     int     `json:"case_keys"`
	CaseKeyBytes int64   `json:"case_keys_bytes"`
}

// RSSFigures: the service's resident set (process_resident_memory_bytes).
type RSSFigures struct {
	OpenCases     int     `json:"open_cases"`
	AfterIngestMB float64 `json:"after_ingest_mib"`
	Clients       int     `json:"clients,omitempty"`
	WithClientsMB float64 `json:"with_clients_mib,omitempty"`
}

// FanoutFigures: from pushing a case that is overdue on arrival to each client's receipt of
// its promise_overdue alert, over every client and alert.
type FanoutFigures struct {
	Clients   int     `json:"clients"`
	Alerts    int     `json:"alerts"`
	Receipts  int     `json:"receipts"`
	Lost      int     `json:"lost"`
	P50Millis float64 `json:"p50_ms"`
	P99Millis float64 `json:"p99_ms"`
	MaxMillis float64 `json:"max_ms"`
}

// LagFigures: fire time minus due time of the probes' deadline alerts, in real time (the
// business difference ÷ the clock's rate), with OpenCases open besides.
type LagFigures struct {
	OpenCases int     `json:"open_cases"`
	Alerts    int     `json:"alerts"`
	ClockRate float64 `json:"clock_rate"`
	P50Millis float64 `json:"p50_ms"`
	P99Millis float64 `json:"p99_ms"`
	MaxMillis float64 `json:"max_ms"`
}

// BurstFigures: Deadlines promise_overdue deadlines at one midnight; from the clock reaching
// it to every alert committed (Fired, the service's duban_alerts_fired_total) and to every
// alert on the alert stream that /ws and the outbound deliveries read (Relayed).
type BurstFigures struct {
	Deadlines        int     `json:"deadlines"`
	FiredSeconds     float64 `json:"fired_s"`
	RelayedSeconds   float64 `json:"relayed_s"`
	FiredPerSecond   float64 `json:"fired_per_s"`
	RedisCPUSeconds  float64 `json:"redis_cpu_s"`
	RedisMicrosPerOp float64 `json:"redis_cpu_us_per_case"`
}

func (r *Result) skip(why string) { r.Skipped = append(r.Skipped, why) }

func writeJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeTable prints the figures for people.
func writeTable(w io.Writer, r *Result) {
	fmt.Fprintf(w, "duban bench, %s, %s/%s, %d CPUs, load average %.2f → %.2f (%s)\n\n", r.Date, r.GOOS, r.GOARCH, r.CPUs, r.LoadStart, r.LoadEnd, r.Mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tdetail")
	row := func(name, value, detail string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", name, value, detail) }
	for _, f := range r.Ingest {
		row(fmt.Sprintf("ingest at %.0f events/s offered", f.OfferedEPS), fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", f.P50Millis, f.P99Millis),
			fmt.Sprintf("receipt→applied; %d events, %.0f applied/s", f.Events, f.AppliedEPS))
	}
	if f := r.Saturation; f != nil {
		row("ingest → applied, saturation", fmt.Sprintf("%.0f events/s", f.AppliedEPS),
			fmt.Sprintf("%d events, batches of %d, %d connections; p50 %.1f ms, p99 %.1f ms", f.Events, r.Sizes.Batch, r.Sizes.Conns, f.P50Millis, f.P99Millis))
	}
	if f := r.Memory; f != nil {
		row("Redis memory per open case", fmt.Sprintf("%.0f B", f.BytesPerCase),
			fmt.Sprintf("%d cases of 6 events; one case's %d keys: %d B", f.Cases, f.CaseKeys, f.CaseKeyBytes))
	}
	if f := r.RSS; f != nil {
		row("service RSS", fmt.Sprintf("%.0f MiB", f.AfterIngestMB), fmt.Sprintf("with %d open cases", f.OpenCases))
		if f.Clients > 0 {
			row("service RSS with clients", fmt.Sprintf("%.0f MiB", f.WithClientsMB), fmt.Sprintf("%d WebSocket clients", f.Clients))
		}
	}
	if f := r.Fanout; f != nil {
		row("WebSocket fan-out", fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", f.P50Millis, f.P99Millis),
			fmt.Sprintf("%d clients × %d alerts, push → receipt; max %.1f ms, lost %d", f.Clients, f.Alerts, f.MaxMillis, f.Lost))
	}
	if f := r.TimerLag; f != nil {
		row("timer lag", fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", f.P50Millis, f.P99Millis),
			fmt.Sprintf("%d alerts, %d open cases; max %.2f ms", f.Alerts, f.OpenCases, f.MaxMillis))
	}
	if f := r.Burst; f != nil {
		row("midnight burst", fmt.Sprintf("fired %.2f s, on the alert stream %.2f s", f.FiredSeconds, f.RelayedSeconds),
			fmt.Sprintf("%d deadlines, %.0f fired/s; Redis CPU %.2f s (%.0f µs per case)", f.Deadlines, f.FiredPerSecond, f.RedisCPUSeconds, f.RedisMicrosPerOp))
	}
	_ = tw.Flush()
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "not measured: %s\n", s)
	}
}

// progress is the live line on standard error: rewritten in place on a terminal, a line
// every few seconds otherwise.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	on, tty  bool
	last     time.Time
	lastText string
	open     bool
}

func newProgress(w io.Writer, on bool) *progress {
	p := &progress{w: w, on: on}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) set(format string, args ...any) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	text := fmt.Sprintf(format, args...)
	now := clock.Wall()
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", text)
		p.open = true
	case text != p.lastText && (now.Sub(p.last) >= 2*time.Second || !sameStem(text, p.lastText)):
		fmt.Fprintln(p.w, text)
		p.last = now
	}
	p.lastText = text
}

// sameStem: two lines of the same phase (the text before ':').
func sameStem(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return false
		}
		if a[i] == ':' {
			return true
		}
	}
	return false
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		fmt.Fprint(p.w, "\r\033[K")
		p.open = false
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// finite replaces NaN (no observation) with -1, which JSON can carry.
func finite(f float64) float64 {
	if math.IsNaN(f) {
		return -1
	}
	return f
}
