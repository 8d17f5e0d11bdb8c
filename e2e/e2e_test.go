package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

func dateOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["date"].(string)
	return s
}

// A case's life, reported by the env collector: submitted Mon 2026-03-02, accepted Tue
// 03-03, suspended for expert review Thu 03-05 15:00 to Tue 03-10 11:00, extended by 5 on
// 03-12, decided (approved) 03-25.
const caseLife = `[
 {"event_id":"e1","case_id":"env-2026-000123","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":"zhang.san"},
 {"event_id":"e2","case_id":"env-2026-000123","department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"},
 {"event_id":"e3","case_id":"env-2026-000123","department":"env","type":"suspended","reason":"expert_review","at":"2026-03-05T15:00:00+08:00"},
 {"event_id":"e4","case_id":"env-2026-000123","department":"env","type":"resumed","at":"2026-03-10T03:00:00Z"},
 {"event_id":"e5","case_id":"env-2026-000123","department":"env","type":"extended","days":5,"approver":"li.si","at":"2026-03-12T09:00:00+08:00"},
 {"event_id":"e6","case_id":"env-2026-000123","department":"env","type":"decided","result":"approved","at":"2026-03-25T16:00:00+08:00"}
]`

func TestServeEndToEnd(t *testing.T) {
	url, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url, prefix, "2026-03-26T09:00:00+08:00", "")

	if code, _, _ := in.Do("GET", "/healthz", "", ""); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, body, _ := in.Do("GET", "/readyz", "", ""); code != 200 {
		t.Fatalf("readyz %d %v", code, body)
	}

	code, body, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", caseLife)
	if code != 202 || body["accepted"] != 6.0 {
		t.Fatalf("post: %d %v", code, body)
	}
	var c map[string]any
	eventually.True(t, "the case to be applied", func() bool {
		code, c, _ = in.Do("GET", "/api/v1/cases/env-2026-000123", "viewer-secret", "")
		return code == 200 && c["stage"] == "delivery"
	})
	// Decision clock from Tue 03-03: 03-04, 03-05 count; 03-06, 03-09, 03-10 stopped; from
	// 03-11 on, 15 promised days (10 + 5) end Fri 03-27; 25 statutory days cross Qingming
	// (04-04..06 off) and end Mon 04-13. Delivery: 10 days from 03-25 end Thu 04-09.
	checks := map[string]string{
		"decision_due_promised":  "2026-03-27",
		"decision_due_statutory": "2026-04-13",
		"delivery_due":           "2026-04-09",
	}
	for field, want := range checks {
		if got := dateOf(c[field]); got != want {
			t.Errorf("%s = %s, want %s", field, got, want)
		}
	}
	if c["suspended_days"] != 3.0 || c["extension_days"] != 5.0 || c["status"] != "decided" || c["result"] != "approved" {
		t.Errorf("case: suspended %v extension %v status %v result %v", c["suspended_days"], c["extension_days"], c["status"], c["result"])
	}
	if evs, _ := c["events"].([]any); len(evs) != 6 {
		t.Errorf("events: %d, want 6", len(evs))
	}
	// The names people read, beside the codes.
	if c["department_name"] != "区生态环境局" || c["matter_name"] != "建设项目环境影响报告表审批" {
		t.Errorf("case names: department %v, matter %v", c["department_name"], c["matter_name"])
	}
	if tl, _ := c["timeline"].([]any); len(tl) == 0 {
		t.Error("no timeline")
	}
	if due, _ := c["delivery_due"].(map[string]any); due["at"] != "2026-04-10T00:00:00+08:00" {
		t.Errorf("delivery_due.at = %v", due["at"])
	}

	// Re-sending the whole life is safe: every event is a duplicate.
	if code, body, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", caseLife); code != 202 || body["duplicates"] != 6.0 {
		t.Errorf("re-post: %d %v", code, body)
	}

	t.Run("listing", func(t *testing.T) {
		post(t, in, "transport-collector-secret", `{"event_id":"t1","case_id":"trn-1","department":"transport","matter":"TRN-001","type":"submitted","at":"2026-03-20T09:00:00+08:00"}`)
		eventually.True(t, "two cases listed", func() bool {
			_, l, _ := in.Do("GET", "/api/v1/cases", "viewer-secret", "")
			cs, _ := l["cases"].([]any)
			return len(cs) == 2
		})
		for _, q := range []struct {
			query, token string
			want         []string
		}{
			{"?department=env", "viewer-secret", []string{"env-2026-000123"}},
			{"?stage=acceptance", "viewer-secret", []string{"trn-1"}},
			{"?stage=delivery&department=env", "viewer-secret", []string{"env-2026-000123"}},
			{"?due_before=2026-03-28", "viewer-secret", []string{"trn-1"}}, // acceptance due 03-27
			{"?due_before=2026-03-27", "viewer-secret", nil},
			{"", "env-screen-secret", []string{"env-2026-000123"}}, // a department screen sees its own
			{"", "transport-collector-secret", []string{"trn-1"}},
		} {
			code, l, _ := in.Do("GET", "/api/v1/cases"+q.query, q.token, "")
			var got []string
			cs, _ := l["cases"].([]any)
			for _, x := range cs {
				got = append(got, x.(map[string]any)["case_id"].(string))
			}
			if code != 200 || fmt.Sprint(got) != fmt.Sprint(q.want) {
				t.Errorf("GET /cases%s as %s: %d %v, want %v", q.query, q.token, code, got, q.want)
			}
		}
		// Paging: one per page, then the end.
		_, p1, _ := in.Do("GET", "/api/v1/cases?limit=1", "viewer-secret", "")
		next, _ := p1["next_cursor"].(string)
		_, p2, _ := in.Do("GET", "/api/v1/cases?limit=1&cursor="+next, "viewer-secret", "")
		if next == "" || p2["next_cursor"] != "" || len(p2["cases"].([]any)) != 1 {
			t.Errorf("paging: %v then %v", p1, p2)
		}
		if code, b, _ := in.Do("GET", "/api/v1/cases?stage=nope", "viewer-secret", ""); code != 400 || b["field"] != "stage" {
			t.Errorf("bad stage: %d %v", code, b)
		}
	})

	t.Run("authorisation", func(t *testing.T) {
		for _, q := range []struct {
			method, path, token, body string
			want                      int
		}{
			{"GET", "/api/v1/cases/env-2026-000123", "", "", 401},
			{"GET", "/api/v1/cases/env-2026-000123", "not-a-token", "", 401},
			{"GET", "/api/v1/cases/env-2026-000123", "transport-collector-secret", "", 403},
			{"GET", "/api/v1/cases/env-2026-000123", "env-collector-secret", "", 200},
			{"GET", "/api/v1/cases?department=env", "transport-collector-secret", "", 403},
			{"POST", "/api/v1/events", "viewer-secret", caseLife, 403},
			{"POST", "/api/v1/events", "transport-collector-secret", caseLife, 403},
			{"GET", "/api/v1/deadletters", "supervisor-secret", "", 403},
			{"GET", "/api/v1/audit", "viewer-secret", "", 403},
			{"PUT", "/api/v1/calendar/2027", "supervisor-secret", "year: 2027\n", 403},
			{"GET", "/api/v1/cases/nope-404", "viewer-secret", "", 404},
		} {
			if code, b, _ := in.Do(q.method, q.path, q.token, q.body); code != q.want {
				t.Errorf("%s %s as %q: %d %v, want %d", q.method, q.path, q.token, code, b, q.want)
			}
		}
	})

	t.Run("dead letters and replay", func(t *testing.T) {
		post(t, in, "env-collector-secret", `{"event_id":"x2","case_id":"env-orphan","department":"env","type":"accepted","at":"2026-03-20T09:00:00+08:00"}`)
		var list []any
		eventually.True(t, "a dead letter", func() bool {
			_, b, _ := in.Do("GET", "/api/v1/deadletters", "admin-secret", "")
			list, _ = b["deadletters"].([]any)
			return len(list) == 1
		})
		d := list[0].(map[string]any)
		if d["id"] != "env-orphan" || !strings.Contains(d["reason"].(string), "submitted") {
			t.Errorf("dead letter: %v", d)
		}
		if code, b, _ := in.Do("POST", "/api/v1/deadletters/env-orphan/replay", "admin-secret", ""); code != 202 {
			t.Errorf("replay: %d %v", code, b)
		}
		_, a, _ := in.Do("GET", "/api/v1/audit", "supervisor-secret", "")
		entries, _ := a["entries"].([]any)
		if len(entries) == 0 || entries[len(entries)-1].(map[string]any)["action"] != "deadletter_replay" {
			t.Errorf("audit: %v", a)
		}
	})

	t.Run("calendar API", func(t *testing.T) {
		if code, b, _ := in.Do("GET", "/api/v1/calendar/2026", "viewer-secret", ""); code != 200 || !strings.Contains(b["raw"].(string), "2026-02-15") {
			t.Errorf("2026: %d %v", code, b)
		}
		if code, b, _ := in.Do("GET", "/api/v1/calendar/2028", "viewer-secret", ""); code != 404 {
			t.Errorf("2028 (not loaded): %d %v", code, b)
		}
		bad := "year: 2028\noff:\n  - 2028-13-01\n"
		if code, b, _ := in.Do("PUT", "/api/v1/calendar/2028", "admin-secret", bad); code != 400 || !strings.HasPrefix(b["field"].(string), "off") {
			t.Errorf("bad year file: %d %v", code, b)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		code, b, _ := in.Do("GET", "/metrics", "", "")
		raw, _ := b["raw"].(string)
		if code != 200 || !strings.Contains(raw, `duban_events_received_total{department="env",outcome="accepted",type="submitted"} 1`) ||
			!strings.Contains(raw, `duban_events_received_total{department="env",outcome="duplicate",type="decided"} 1`) {
			t.Errorf("metrics: %d\n%s", code, raw)
		}
	})

	if code := in.Shutdown(); code != 0 {
		t.Errorf("shutdown exit code %d, want 0\n%s", code, in.Logs.String())
	}
}

func post(t *testing.T, in *servicetest.Instance, token, body string) {
	t.Helper()
	code, b, _ := in.Do("POST", "/api/v1/events", token, body)
	if code != 202 || b["accepted"] != 1.0 {
		t.Fatalf("post: %d %v", code, b)
	}
}

// TestCalendarLoadMovesAProvisionalDeadline stands in late December 2026, when the 2027
// calendar is not yet published: a deadline reaching into 2027 is provisional until an admin
// loads the year, and then moves.
func TestCalendarLoadMovesAProvisionalDeadline(t *testing.T) {
	url, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url, prefix, "2026-12-22T09:00:00+08:00", "")
	post(t, in, "env-collector-secret", `{"event_id":"p1","case_id":"env-prov","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-12-21T09:00:00+08:00"}`)
	post(t, in, "env-collector-secret", `{"event_id":"p2","case_id":"env-prov","department":"env","type":"accepted","at":"2026-12-21T10:00:00+08:00"}`)
	var c map[string]any
	eventually.True(t, "the provisional deadline", func() bool {
		_, c, _ = in.Do("GET", "/api/v1/cases/env-prov", "viewer-secret", "")
		return c["stage"] == "decision"
	})
	// Fallback 2027 (only 01-01 off): 10 working days after Mon 12-21 end Tue 2027-01-05.
	if c["provisional"] != true || dateOf(c["decision_due_promised"]) != "2027-01-05" {
		t.Fatalf("before loading 2027: provisional %v, promised %v", c["provisional"], c["decision_due_promised"])
	}
	// calendar_missing is raised once for 2027 — by the case's provisional deadline and by
	// the December check (caught up at start, due at 03:00 today) alike.
	var missing []map[string]any
	eventually.True(t, "calendar_missing for 2027", func() bool {
		missing = alertsOf(t, in, "viewer-secret", "kind=calendar_missing")
		return len(missing) == 1
	})
	if m := missing[0]; m["year"] != 2027.0 || m["state"] != "firing" || m["level"] != "yellow" || m["case_id"] != nil {
		t.Errorf("calendar_missing: %v", m)
	}
	year := "year: 2027\nsource: test\noff:\n  - 2027-01-01\n  - 2027-01-04..2027-01-05\nwork: []\n"
	if code, b, _ := in.Do("PUT", "/api/v1/calendar/2027", "admin-secret", year); code != 200 || b["recomputed"] != 1.0 {
		t.Fatalf("load 2027: %d %v", code, b)
	}
	eventually.True(t, "the deadline to move", func() bool {
		_, c, _ = in.Do("GET", "/api/v1/cases/env-prov", "viewer-secret", "")
		return c["provisional"] == false && dateOf(c["decision_due_promised"]) == "2027-01-07"
	})
	code, b, _ := in.Do("GET", "/api/v1/audit", "supervisor-secret", "")
	entries, _ := b["entries"].([]any)
	if code != 200 || len(entries) != 1 || entries[0].(map[string]any)["action"] != "calendar_load" {
		t.Errorf("audit: %d %v", code, b)
	}
	if m := alertsOf(t, in, "viewer-secret", "kind=calendar_missing"); len(m) != 1 || m[0]["state"] != "resolved" || m[0]["resolution"] != "closed" {
		t.Errorf("calendar_missing after loading 2027: %v", m)
	}
}
