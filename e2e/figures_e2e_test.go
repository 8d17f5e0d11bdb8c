package e2e_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// figuresScenario, reported all at once on Fri 2026-03-20 09:00:
//   - A (env) accepted 03-03: promised deadline 03-17 passed → decision stage, red;
//   - B (env) accepted 03-19 → decision, green;
//   - C (transport) accepted 03-03, decided 03-16 in time → delivery, decided this month;
//   - D (env) submitted 03-18 → acceptance, green;
//   - E (env) accepted Fri 03-06: promised deadline day is today → decision, yellow, due today.
const figuresScenario = `[
 {"event_id":"a1","case_id":"A","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":"zhang.san"},
 {"event_id":"a2","case_id":"A","department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"},
 {"event_id":"b1","case_id":"B","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-19T09:00:00+08:00"},
 {"event_id":"b2","case_id":"B","department":"env","type":"accepted","at":"2026-03-19T10:00:00+08:00"},
 {"event_id":"c1","case_id":"C","department":"transport","matter":"TRN-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"},
 {"event_id":"c2","case_id":"C","department":"transport","type":"accepted","at":"2026-03-03T10:00:00+08:00"},
 {"event_id":"c3","case_id":"C","department":"transport","type":"decided","result":"approved","at":"2026-03-16T10:00:00+08:00"},
 {"event_id":"d1","case_id":"D","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-18T09:00:00+08:00"},
 {"event_id":"e1","case_id":"E","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-05T09:00:00+08:00"},
 {"event_id":"e2","case_id":"E","department":"env","type":"accepted","at":"2026-03-06T10:00:00+08:00"}
]`

func TestOverviewTrendAndMetricsFollowTransitions(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	if code, b, _ := in.Do("POST", "/api/v1/events", "admin-secret", figuresScenario); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var ov map[string]any
	eventually.True(t, "five open cases in the overview", func() bool {
		_, ov, _ = in.Do("GET", "/api/v1/overview", "viewer-secret", "")
		return ov["open"] == 5.0 && ov["red"] == 1.0 && ov["decided_this_month"] == 1.0
	})
	stages := ov["by_stage"].(map[string]any)
	if stages["acceptance"] != 1.0 || stages["decision"] != 3.0 || stages["delivery"] != 1.0 {
		t.Errorf("by_stage %v", stages)
	}
	if ov["yellow"] != 1.0 || ov["due_today"] != 1.0 || ov["on_time_rate_this_month"] != 1.0 {
		t.Errorf("overview %v", ov)
	}
	deps := ov["departments"].([]any)
	first := deps[0].(map[string]any)
	if len(deps) != 2 || first["department"] != "env" || first["name"] != "区生态环境局" || first["open"] != 4.0 || first["red"] != 1.0 {
		t.Errorf("departments (riskiest first): %v", deps)
	}
	// A department screen sees only its department.
	_, envOv, _ := in.Do("GET", "/api/v1/overview", "env-screen-secret", "")
	if envOv["open"] != 4.0 || len(envOv["departments"].([]any)) != 1 {
		t.Errorf("env overview %v", envOv)
	}
	if code, _, _ := in.Do("GET", "/api/v1/overview?department=transport", "env-screen-secret", ""); code != 403 {
		t.Errorf("env screen asking for transport: %d", code)
	}

	// Trend: received by submission day, red alerts by firing day.
	req, _ := http.NewRequest("GET", in.Base+"/api/v1/trend?days=3&department=env", nil)
	req.Header.Set("Authorization", "Bearer viewer-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(raw)
	for _, want := range []string{`"date":"2026-03-18","received":1`, `"date":"2026-03-19","received":1`,
		`"date":"2026-03-20","received":0,"decided":0,"decided_late":0,"red_fired":1`} {
		if !strings.Contains(body, want) {
			t.Errorf("trend lacks %s:\n%s", want, body)
		}
	}
	if code, b, _ := in.Do("GET", "/api/v1/trend?days=0", "viewer-secret", ""); code != 400 || b["field"] != "days" {
		t.Errorf("days=0: %d %v", code, b)
	}

	// /metrics after the scenario: names, types and values.
	resp, err = http.Get(in.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	for _, want := range []string{
		"# TYPE duban_cases_open gauge",
		`duban_cases_open{department="env",level="red",stage="decision"} 1`,
		`duban_cases_open{department="env",level="yellow",stage="decision"} 1`,
		`duban_cases_open{department="transport",level="green",stage="delivery"} 1`,
		"# TYPE duban_alerts_fired_total counter",
		`duban_alerts_fired_total{department="env",kind="promise_overdue",level="red"} 1`,
		`duban_alerts_open{department="env",level="red"} 1`,
		`duban_cases_decided_total{department="transport",on_time="true"} 1`,
		"# TYPE duban_timer_lag_seconds histogram",
		"# TYPE duban_ingest_apply_seconds histogram",
		"duban_ingest_apply_seconds_count 10",
		"duban_calendar_last_year 2026",
		`duban_events_received_total{department="env",outcome="accepted",type="submitted"} 4`,
		"duban_build_info{",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
