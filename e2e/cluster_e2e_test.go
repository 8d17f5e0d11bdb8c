package e2e_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// clusterLife is the story the cluster test tells, with its expected figures worked out by
// hand from the 2026 calendar (Qingming: 04-04..04-06 off):
//   - M01..M12 (env, ENV-EIA-001: promised 10, statutory 20): accepted Tue 03-03, promised
//     deadline 03-17. M01..M10 (wang.wu) decided 03-10, in time; M11 and M12 (li.si) on
//     03-19, late: promise_overdue fires as they are applied (instant 03-18 00:00). All
//     delivered the next day.
//   - O (env, zhang.san): accepted Mon 03-16, promised deadline Mon 03-30, still open: red
//     at once (instant 03-31 00:00).
//   - T (env, zhang.san): accepted Wed 03-18, promised deadline Wed 04-01: yellow when
//     applied, red when the timer fires at 04-02 00:00 — after the test starts.
//   - X1 (transport): decided in time 03-10, delivered.
func clusterLife() string {
	var evs []string
	ev := func(id, caseID, dept, typ, at, extra string) {
		evs = append(evs, fmt.Sprintf(`{"event_id":%q,"case_id":%q,"department":%q,"type":%q,"at":%q%s}`,
			id, caseID, dept, typ, at, extra))
	}
	life := func(caseID, dept, matter, handler, accepted, decided, delivered string) {
		ev(caseID+"-1", caseID, dept, "submitted", accepted+"T09:00:00+08:00", fmt.Sprintf(`,"matter":%q,"handler":%q`, matter, handler))
		ev(caseID+"-2", caseID, dept, "accepted", accepted+"T10:00:00+08:00", "")
		if decided != "" {
			ev(caseID+"-3", caseID, dept, "decided", decided+"T15:00:00+08:00", `,"result":"approved"`)
			ev(caseID+"-4", caseID, dept, "delivered", delivered+"T11:00:00+08:00", "")
		}
	}
	for i := 1; i <= 12; i++ {
		id, handler, decided, delivered := fmt.Sprintf("env-M%02d", i), "wang.wu", "2026-03-10", "2026-03-11"
		if i > 10 {
			handler, decided, delivered = "li.si", "2026-03-19", "2026-03-20"
		}
		life(id, "env", "ENV-EIA-001", handler, "2026-03-03", decided, delivered)
	}
	life("env-O", "env", "ENV-EIA-001", "zhang.san", "2026-03-16", "", "")
	life("env-T", "env", "ENV-EIA-001", "zhang.san", "2026-03-18", "", "")
	life("trn-X1", "transport", "TRN-001", "zhao.liu", "2026-03-03", "2026-03-10", "2026-03-11")
	return "[" + strings.Join(evs, ",\n") + "]"
}

// The whole service on a three-master Redis Cluster, with DUBAN_REDIS_URL listing the
// masters: ingestion through the push API, a deadline timer firing at midnight, the alert
// stream and /ws, the overview, accountability and the monthly ranking published by the
// scheduled job — every one of them reading and writing across the cluster's slots.
func TestClusterEndToEnd(t *testing.T) {
	t.Parallel()
	addrs := testredis.StartCluster(t)
	url := strings.Join(addrs, ",")
	// 22:00 on Wed 04-01 at 1200×: midnight (T's red) in 6 s, the ranking job (02:00 on the
	// 2nd) in 12 s of real time.
	in, _ := startDuban(t, []string{"serve"}, map[string]string{"DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": "e2e:",
		"DUBAN_CLOCK_START": "2026-04-01T22:00:00+08:00", "DUBAN_CLOCK_RATE": "1200"}, servicetest.Config)
	store := rdbtest.At(t, url, "e2e:")

	f := openFeed(t, in, "viewer-secret", map[string]any{})
	if code, b, _ := in.Do("POST", "/api/v1/events", "admin-secret", clusterLife()); code != 202 || b["accepted"] != 56.0 {
		t.Fatalf("post: %d %v", code, b)
	}
	eventually.True(t, "every case applied, T yellow before midnight", func() bool {
		_, c, _ := in.Do("GET", "/api/v1/cases/env-T", "viewer-secret", "")
		_, l, _ := in.Do("GET", "/api/v1/cases?limit=100", "viewer-secret", "")
		cs, _ := l["cases"].([]any)
		return c["level"] == "yellow" && len(cs) == 15
	})

	// The timer: T's promise_overdue fires at 04-02 00:00, reaches the feed, the API and
	// the stream, once.
	got := f.wait(t, "T's promise_overdue on /ws", 30*time.Second, func(ms []wsMsg) bool {
		for _, m := range ms {
			if m.Alert["case_id"] == "env-T" && m.Alert["kind"] == "promise_overdue" {
				return true
			}
		}
		return false
	})
	var red map[string]any
	for _, m := range got {
		if m.Alert["case_id"] == "env-T" && m.Alert["kind"] == "promise_overdue" {
			red = m.Alert
		}
	}
	fired, _ := time.Parse(time.RFC3339Nano, red["fired_at"].(string))
	if dateOf(red["due"]) != "2026-04-01" || red["state"] != "firing" || fired.Before(time.Date(2026, 4, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))) {
		t.Errorf("T's alert: %v", red)
	}
	firing := alertsOf(t, in, "viewer-secret", "level=red&state=firing")
	if len(firing) != 2 {
		t.Errorf("firing red alerts: %v", firing)
	}
	checkStreamOnce(t, store, 0)

	// Figures: O and T open and red; accountability counts four faults for env.
	_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
	if ov["open"] != 2.0 || ov["red"] != 2.0 || ov["by_stage"].(map[string]any)["decision"] != 2.0 {
		t.Errorf("overview: %v", ov)
	}
	eventually.True(t, "accountability: env 4, zhang.san 2, li.si 2", func() bool {
		_, acc, _ := in.Do("GET", "/api/v1/accountability?year=2026", "supervisor-secret", "")
		faults := map[string]float64{}
		for _, d := range acc["departments"].([]any) {
			faults[d.(map[string]any)["department"].(string)] = d.(map[string]any)["faults"].(float64)
		}
		for _, h := range acc["handlers"].([]any) {
			faults[h.(map[string]any)["handler"].(string)] = h.(map[string]any)["faults"].(float64)
		}
		return faults["env"] == 4 && faults["zhang.san"] == 2 && faults["li.si"] == 2 && faults["transport"] == 0
	})

	// The March ranking, published by the scheduled job at 02:00 on the 2nd.
	var rk map[string]any
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var code int
		if code, rk, _ = in.Do("GET", "/api/v1/rankings/2026-03", "viewer-secret", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the March ranking was not published: %d %v", code, rk)
		}
	}
	deps := map[string]map[string]any{}
	for _, d := range rk["departments"].([]any) {
		deps[d.(map[string]any)["department"].(string)] = d.(map[string]any)
	}
	env, trn := deps["env"], deps["transport"]
	if env["decided"] != 12.0 || env["ranked"] != true || env["rank"] != 1.0 || env["open_overdue"] != 1.0 ||
		math.Abs(env["on_time_rate"].(float64)-0.833) > 1e-9 || env["red_per_100"] != 25.0 {
		t.Errorf("env in March: %v", env)
	}
	if trn["decided"] != 1.0 || trn["ranked"] != false {
		t.Errorf("transport in March: %v", trn)
	}
}

// checkStreamOnce reads the whole alert stream and checks that every alert was fired
// (revision 1) exactly once; want > 0 also checks how many alerts there are.
func checkStreamOnce(t *testing.T, store *rdb.Store, want int) map[string]string {
	t.Helper()
	firedAt := map[string]string{} // alert id → cursor of its revision 1
	cursor := ""
	for {
		batch, err := store.AlertsAfter(t.Context(), cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			if e.Order != nil { // a supervision order's change, not an alert
				cursor = e.Cursor
				continue
			}
			var a struct {
				ID       string `json:"id"`
				Revision int    `json:"revision"`
			}
			if err := json.Unmarshal(e.Doc, &a); err != nil {
				t.Fatal(err)
			}
			if a.Revision == 1 {
				if prev, dup := firedAt[a.ID]; dup {
					t.Errorf("alert %s fired twice: stream entries %s and %s", a.ID, prev, e.Cursor)
				}
				firedAt[a.ID] = e.Cursor
			}
			cursor = e.Cursor
		}
	}
	if want > 0 && len(firedAt) != want {
		t.Errorf("%d alerts fired, want %d", len(firedAt), want)
	}
	return firedAt
}
