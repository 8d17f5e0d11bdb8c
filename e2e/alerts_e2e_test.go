package e2e_test

import (
	"net/url"
	"testing"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// overdueCase was accepted on 2026-03-03; its promised deadline (10 working days) ended at
// 2026-03-18 00:00, before the clock's start, so it is red as soon as it is applied.
const overdueCase = `[
 {"event_id":"o1","case_id":"env-2026-000777","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":"zhang.san"},
 {"event_id":"o2","case_id":"env-2026-000777","department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"}
]`

func alertsOf(t *testing.T, in *servicetest.Instance, token, query string) []map[string]any {
	t.Helper()
	code, b, _ := in.Do("GET", "/api/v1/alerts?"+query, token, "")
	if code != 200 {
		t.Fatalf("GET /alerts?%s: %d %v", query, code, b)
	}
	var out []map[string]any
	list, _ := b["alerts"].([]any)
	for _, a := range list {
		out = append(out, a.(map[string]any))
	}
	return out
}

func TestAlertLifecycleThroughTheAPI(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", overdueCase)
	if code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var red map[string]any
	eventually.True(t, "the promise_overdue alert", func() bool {
		for _, a := range alertsOf(t, in, "viewer-secret", "case_id=env-2026-000777&kind=promise_overdue") {
			red = a
		}
		return red != nil
	})
	id, _ := red["id"].(string)
	// A case's alerts page like every listing.
	all := alertsOf(t, in, "viewer-secret", "case_id=env-2026-000777")
	var paged []any
	for cursor, pages := "", 0; ; pages++ {
		_, b, _ := in.Do("GET", "/api/v1/alerts?case_id=env-2026-000777&limit=2&cursor="+cursor, "viewer-secret", "")
		list, _ := b["alerts"].([]any)
		if len(list) > 2 || pages > 10 {
			t.Fatalf("page of %d alerts (limit 2), page %d", len(list), pages)
		}
		paged = append(paged, list...)
		if cursor, _ = b["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(all) < 3 || len(paged) != len(all) {
		t.Errorf("paged %d alerts of the case, unpaged %d", len(paged), len(all))
	}
	if red["state"] != "firing" || red["level"] != "red" || red["department"] != "env" || red["handler"] != "zhang.san" ||
		dateOf(red["due"]) != "2026-03-17" || red["message"] == "" || red["fired_at"] == nil {
		t.Fatalf("alert: %v", red)
	}
	path := "/api/v1/alerts/" + url.PathEscape(id)
	if code, got, _ := in.Do("GET", path, "env-screen-secret", ""); code != 200 || got["id"] != id {
		t.Errorf("GET alert as the env screen: %d %v", code, got)
	}
	if code, _, _ := in.Do("GET", path, "transport-collector-secret", ""); code != 403 {
		t.Errorf("GET another department's alert: %d, want 403", code)
	}
	if code, got, _ := in.Do("GET", "/api/v1/alerts?kind=nope", "viewer-secret", ""); code != 400 || got["field"] != "kind" {
		t.Errorf("bad kind filter: %d %v", code, got)
	}
	eventually.True(t, "one fault for env", func() bool {
		_, acc, _ := in.Do("GET", "/api/v1/accountability?year=2026", "supervisor-secret", "")
		deps, _ := acc["departments"].([]any)
		return len(deps) == 1 && deps[0].(map[string]any)["faults"] == 1.0
	})
	if code, _, _ := in.Do("GET", "/api/v1/accountability", "viewer-secret", ""); code != 403 {
		t.Errorf("accountability for a viewer: %d, want 403", code)
	}

	// Lifecycle: only supervisors act; resolve and exempt need a note.
	if code, _, _ := in.Do("POST", path+"/ack", "viewer-secret", `{}`); code != 403 {
		t.Errorf("ack by a viewer: %d, want 403", code)
	}
	code, got, _ := in.Do("POST", path+"/ack", "supervisor-secret", `{"note":"已电话督办"}`)
	if code != 200 || got["state"] != "acknowledged" {
		t.Fatalf("ack: %d %v", code, got)
	}
	if code, got, _ := in.Do("POST", path+"/resolve", "supervisor-secret", `{}`); code != 400 || got["field"] != "note" {
		t.Errorf("resolve without a note: %d %v", code, got)
	}
	code, got, _ = in.Do("POST", path+"/exempt", "supervisor-secret", `{"note":"复核：专家评审暂停漏报，已补报"}`)
	if code != 200 || got["state"] != "exempted" {
		t.Fatalf("exempt: %d %v", code, got)
	}
	if code, _, _ := in.Do("POST", path+"/exempt", "supervisor-secret", `{"note":"again"}`); code != 409 {
		t.Errorf("exempting twice: %d, want 409", code)
	}
	// The exempted alert counts nowhere, and no longer makes the case red.
	eventually.True(t, "the exemption to reach the fault count and the case level", func() bool {
		_, acc, _ := in.Do("GET", "/api/v1/accountability?year=2026", "supervisor-secret", "")
		deps, _ := acc["departments"].([]any)
		_, cs, _ := in.Do("GET", "/api/v1/cases/env-2026-000777", "viewer-secret", "")
		return len(deps) == 0 && cs["level"] != "red"
	})
	_, audit, _ := in.Do("GET", "/api/v1/audit", "supervisor-secret", "")
	actions := map[string]bool{}
	for _, e := range audit["entries"].([]any) {
		m := e.(map[string]any)
		if m["target"] == id {
			actions[m["action"].(string)] = true
		}
	}
	if !actions["alert_ack"] || !actions["alert_exempt"] {
		t.Errorf("audit log: %v", audit)
	}
	// Listing by state follows the actions.
	if l := alertsOf(t, in, "viewer-secret", "state=exempted"); len(l) != 1 || l[0]["id"] != id {
		t.Errorf("exempted alerts: %v", l)
	}
	if l := alertsOf(t, in, "viewer-secret", "state=firing&level=red"); len(l) != 0 {
		t.Errorf("firing red alerts after the exemption: %v", l)
	}
}
