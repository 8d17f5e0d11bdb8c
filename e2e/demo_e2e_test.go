package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
)

// `duban demo` as a newcomer runs it: no Redis, no configuration, no token. Within a
// minute of real time a red alert arrives on the live feed that a timer fired while we
// watched (its deadline ended after the demo started), the months before this one are
// published as rankings, the read APIs answer without a token, writes still want one, and
// Ctrl+C stops it cleanly.
func TestDemoShowsRedAlertsLiveWithinAMinute(t *testing.T) {
	const start = "2026-03-18T09:00:00+08:00" // a Wednesday; the rate is the demo's own
	began := time.Now()
	in, stdout := startDuban(t, []string{"demo"}, map[string]string{"DUBAN_CLOCK_START": start}, "")

	banner := stdout.String()
	for _, want := range []string{"退出即全部丢弃", "nothing is written to any Redis or to disk", in.Base + "/",
		"Authorization: Bearer demo-"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}

	// The live feed, with no token, as the demo's wall screen opens it.
	f := openFeed(t, in, "", map[string]any{"levels": []string{"red"}})
	startAt, _ := time.Parse(time.RFC3339, start)
	got := f.wait(t, "a red alert fired by a timer during the demo", 60*time.Second-time.Since(began), func(ms []wsMsg) bool {
		for _, m := range ms {
			due, _ := m.Alert["due"].(map[string]any)
			at, _ := due["at"].(string)
			if end, err := time.Parse(time.RFC3339, at); err == nil && end.After(startAt) && m.Alert["level"] == "red" {
				return true
			}
		}
		return false
	})
	t.Logf("%d red alerts on the feed after %v", len(got), time.Since(began).Round(time.Millisecond))

	// The months before this one are backfilled and published at start, from the first
	// month of the backlog: the previous month ranks most departments, as a real month
	// would, and is final.
	var months []any
	eventually.Every(t, 90*time.Second-time.Since(began), 100*time.Millisecond, func() string {
		return fmt.Sprintf("two published months (published: %v)", months)
	}, func() bool {
		code, b, _ := in.Do("GET", "/api/v1/rankings", "", "")
		months, _ = b["months"].([]any)
		return code == 200 && len(months) >= 2
	})
	if fmt.Sprint(months) != "[2026-01 2026-02]" {
		t.Errorf("published months %v, want [2026-01 2026-02] (the backlog's whole months)", months)
	}
	t.Logf("rankings published %v after %v", months, time.Since(began).Round(time.Millisecond))
	code, feb, _ := in.Do("GET", "/api/v1/rankings/2026-02", "", "")
	depts, _ := feb["departments"].([]any)
	ranked := 0
	for _, d := range depts {
		if d.(map[string]any)["ranked"] == true {
			ranked++
		}
	}
	if code != 200 || feb["provisional"] != false || len(depts) != 9 || ranked < 7 {
		t.Errorf("GET /api/v1/rankings/2026-02: %d, provisional %v, %d departments, %d ranked; want a published month ranking at least 7 of 9",
			code, feb["provisional"], len(depts), ranked)
	}
	// Reads need no token; the red alerts are in the API too, and the overview counts
	// the whole backlog (applied, since its months are published).
	if code, b, _ := in.Do("GET", "/api/v1/alerts?level=red", "", ""); code != 200 || len(b["alerts"].([]any)) == 0 {
		t.Errorf("GET /api/v1/alerts?level=red without a token: %d %v", code, b)
	}
	code, ov, _ := in.Do("GET", "/api/v1/overview", "", "")
	if code != 200 || ov["open"].(float64) < 50 || ov["red"].(float64) < 9 || len(ov["departments"].([]any)) != 9 {
		t.Errorf("overview: %d %v", code, ov)
	}
	// One department (env) reports through the embedded exchange database, not the push API.
	if code, b, _ := in.Do("GET", "/readyz", "", ""); code != 200 || fmt.Sprint(b["sources"]) != "map[env-exchange:ok]" {
		t.Errorf("readyz: %d %v, want sources env-exchange ok", code, b)
	}
	if code, b, _ := in.Do("GET", "/api/v1/cases?department=env&limit=5", "", ""); code != 200 || len(b["cases"].([]any)) == 0 {
		t.Errorf("env's cases from the exchange database: %d %v", code, b)
	}
	if code, _, _ := in.Do("GET", "/", "", ""); code != 200 {
		t.Errorf("the wall screen without a session: %d, want 200", code)
	}
	// Writes still need a token.
	if code, _, _ := in.Do("POST", "/api/v1/events", "", `{}`); code != 401 {
		t.Errorf("POST /api/v1/events without a token: %d, want 401", code)
	}
	// The simulator's events are all valid. (Other errors are not checked: under -race
	// the embedded Redis is slow enough for a screen's figures to time out now and then.)
	if logs := in.Logs.String(); strings.Contains(logs, "event_rejected") || strings.Contains(logs, "simulate_stopped") {
		t.Errorf("the simulator failed:\n%s", logs)
	}
	if code := in.Shutdown(); code != 0 {
		t.Errorf("exit code %d, want 0\n%s", code, in.Logs.String())
	}
}
