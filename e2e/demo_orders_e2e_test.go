package e2e_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// `duban demo` runs the supervision loop by itself (docs/supervision.md): red cards open
// orders automatically, the simulated departments reply through the orders API and the
// simulated supervisor returns some replies and accepts the others — all within a few
// minutes of real time. The banner's supervisor and liaison tokens work.
func TestDemoRunsTheSupervisionLoop(t *testing.T) {
	const start = "2026-03-18T09:00:00+08:00" // a Wednesday; the rate is the demo's own
	in, stdout := startDuban(t, []string{"demo"}, map[string]string{"DUBAN_CLOCK_START": start}, "")
	banner := stdout.String()
	tokenAfter := func(label string) string {
		m := regexp.MustCompile(regexp.QuoteMeta(label) + `[^\n]*?(demo-[0-9a-f]{32})`).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("the banner has no %s token:\n%s", label, banner)
		}
		return m[1]
	}
	supervisor, liaison := tokenAfter("督办员 supervisor:"), tokenAfter("部门联络员 liaison")
	if !strings.Contains(banner, in.Base+"/workbench") {
		t.Errorf("the banner does not name the workbench:\n%s", banner)
	}

	// Within three minutes: orders opened by the system, replies on time, a return with a
	// new round, an acceptance by the simulated supervisor.
	seen := map[string]bool{}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) && !(seen["auto"] && seen["replied"] && seen["returned"] && seen["accepted"]) {
		for _, st := range []string{"open", "replied", "closed"} {
			code, b, _ := in.Do("GET", "/api/v1/orders?limit=500&state="+st, supervisor, "")
			if code != 200 {
				t.Fatalf("GET /api/v1/orders?state=%s with the banner's supervisor token: %d %v", st, code, b)
			}
			list, _ := b["orders"].([]any)
			for _, x := range list {
				o := x.(map[string]any)
				if o["opened_by"] == "system" {
					seen["auto"] = true
				}
				for _, h := range o["history"].([]any) {
					switch h.(map[string]any)["action"] {
					case "replied":
						seen["replied"] = true
					case "returned":
						seen["returned"] = true
					case "accepted":
						seen["accepted"] = true
					}
				}
			}
		}
		time.Sleep(2 * time.Second)
	}
	for _, want := range []string{"auto", "replied", "returned", "accepted"} {
		if !seen[want] {
			t.Errorf("no order %s within three minutes of the demo (seen %v)", want, seen)
		}
	}
	// The liaison reads its own department's orders only.
	code, b, _ := in.Do("GET", "/api/v1/orders?limit=500", liaison, "")
	if code != 200 {
		t.Fatalf("GET /api/v1/orders with the banner's liaison token: %d %v", code, b)
	}
	depts := map[any]bool{}
	for _, x := range b["orders"].([]any) {
		depts[x.(map[string]any)["department"]] = true
	}
	if len(depts) != 1 {
		t.Errorf("the liaison sees orders of %v, want its one department", depts)
	}
	if logs := in.Logs.String(); strings.Contains(logs, "order_action_refused") || strings.Contains(logs, "simulate_orders_not_started") {
		t.Errorf("the simulated departments failed:\n%s", logs)
	}
	_, ov, _ := in.Do("GET", "/api/v1/overview", "", "")
	t.Logf("after the loop: orders_open %v, orders_overdue %v", ov["orders_open"], ov["orders_overdue"])
}
