package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/service"
)

// ChildEnv, set to 1 in its environment, makes `duban bench` the service the bench started
// (RunChild) rather than the bench.
const ChildEnv = "DUBAN_BENCH_CHILD"

// controlPath is the child's clock control: GET tells business time and the rate; POST
// {"set": RFC 3339 instant or "", "rate": r or 0} steers the clock. Only the service that
// `duban bench` starts for itself, on 127.0.0.1, has it.
const controlPath = "/_bench/clock"

// listenPrefix starts the line on which the child tells the bench its address.
const listenPrefix = "duban-bench-child listening on "

// clockState is the control endpoint's body, both ways.
type clockState struct {
	Now  string  `json:"now,omitempty"`
	Set  string  `json:"set,omitempty"`
	Rate float64 `json:"rate,omitempty"`
}

// RunChild runs the service of `duban bench` until ctx ends: cfg's store and settings, on a
// business clock starting at cfg.Clock.Start (now when zero) at cfg.Clock.Rate that the bench
// steers through controlPath. It writes the line listenPrefix+address to stdout once it
// listens.
func RunChild(ctx context.Context, cfg *config.Config, o service.Options, stdout io.Writer) error {
	start := cfg.Clock.Start
	if start.IsZero() {
		start = clock.Wall()
	}
	rate := cfg.Clock.Rate
	if rate <= 0 {
		rate = 1
	}
	clk := newSteerClock(start, rate)
	o.OnListen = func(addr string) { fmt.Fprintf(stdout, "%s%s\n", listenPrefix, addr) }
	o.WrapHandler = func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != controlPath {
				h.ServeHTTP(w, r)
				return
			}
			if r.Method == http.MethodPost {
				var s clockState
				if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
					http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
					return
				}
				var t time.Time
				if s.Set != "" {
					var err error
					if t, err = time.Parse(time.RFC3339Nano, s.Set); err != nil {
						http.Error(w, "set: "+err.Error(), http.StatusBadRequest)
						return
					}
				}
				clk.Steer(t, s.Rate)
			}
			clk.mu.Lock()
			s := clockState{Now: clk.nowLocked().In(cfg.Location).Format(time.RFC3339Nano), Rate: clk.rate}
			clk.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s)
		})
	}
	return service.ServeOn(ctx, cfg, clock.InZone(clk, cfg.Location), o)
}
