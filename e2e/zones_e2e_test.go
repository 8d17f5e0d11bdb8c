package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/dashboards/ranking"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testalertmanager"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/internal/testzone"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// zoneChecker checks that times the service writes are in the configured zone (testzone).
type zoneChecker struct {
	t   *testing.T
	loc *time.Location
}

// str checks one string that may be a time; it reports whether it was one.
func (z zoneChecker) str(where, s string) bool {
	z.t.Helper()
	return testzone.String(z.t, where, s, z.loc)
}

// walk checks every string anywhere in a decoded JSON document.
func (z zoneChecker) walk(where string, v any) int {
	z.t.Helper()
	return testzone.Value(z.t, where, v, z.loc)
}

// doc checks a JSON document and wants at least min times in it.
func (z zoneChecker) doc(where string, raw []byte, min int) any {
	z.t.Helper()
	return testzone.JSON(z.t, where, raw, z.loc, min)
}

// get reads a JSON answer and checks its times.
func (z zoneChecker) get(in *servicetest.Instance, path, token string, min int) any {
	z.t.Helper()
	code, _, raw := in.GetRaw(path, token)
	if code != http.StatusOK {
		z.t.Fatalf("GET %s: %d %s", path, code, raw)
	}
	return z.doc("GET "+path, raw, min)
}

// logTimes matches a time-valued field of a text log line (time=…, business_now=…).
var logTimes = regexp.MustCompile(`[a-z_]+=(\d{4}-\d\d-\d\dT\S+)`)

// zoneCase was reported by a department system in UTC: submitted Mon 2026-03-02 10:15
// (Beijing), accepted Tue 03-03; its promised 10 working days are over by 03-20, and its
// events reached duban late, so it has a red and a yellow alert as soon as it is applied.
// dz-orphan has no submitted event: a dead letter.
const zoneCase = `[
 {"event_id":"z1","case_id":"env-2026-000888","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T02:15:00Z","handler":"zhang.san"},
 {"event_id":"z2","case_id":"env-2026-000888","department":"env","type":"accepted","at":"2026-03-03T02:00:00Z"},
 {"event_id":"z3","case_id":"env-2026-000889","department":"env","type":"accepted","at":"2026-03-03T02:00:00Z"}
]`

// Every time the service writes — the API's answers, the live feed, webhook bodies, what
// Alertmanager is sent, the ranking page and the log — is in the configured zone, whatever
// zone the events were reported in and whatever zone the clock was started in: the default
// (Asia/Shanghai), DUBAN_TIMEZONE, and `timezone` in the configuration file (a zone with
// daylight saving, so the offset is the zone's at each instant, not a constant). Records
// stored by an earlier version in UTC read back in the zone through the API.
func TestTimesInTheConfiguredZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, env, config string
		zone              string
	}{
		{name: "default", zone: "Asia/Shanghai"},
		{name: "DUBAN_TIMEZONE", env: "Asia/Urumqi", zone: "Asia/Urumqi"},
		{name: "config", config: "timezone: Europe/Berlin\n", zone: "Europe/Berlin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			checkZoneEverywhere(t, loc, tc.env, tc.config)
		})
	}
}

func checkZoneEverywhere(t *testing.T, loc *time.Location, envZone, config string) {
	z := zoneChecker{t: t, loc: loc}
	am := testalertmanager.Start(t)
	url0, prefix := testredis.New(t)
	env := map[string]string{"DUBAN_REDIS_URL": url0, "DUBAN_REDIS_PREFIX": prefix,
		// The clock starts at an instant written in UTC: business time is still shown in
		// the zone.
		"DUBAN_CLOCK_START": "2026-03-20T01:00:00Z"}
	if envZone != "" {
		env["DUBAN_TIMEZONE"] = envZone
	}
	in, _ := startDuban(t, []string{"serve"}, env, servicetest.Config+config+"alertmanager: { url: \""+am+"\" }\n")

	// A webhook subscriber, keeping every body as it came.
	var mu sync.Mutex
	var bodies [][]byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer rcv.Close()
	hooked := func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), bodies...)
	}
	code, sub, _ := in.Do("POST", "/api/v1/subscriptions", "supervisor-secret",
		`{"url": "`+rcv.URL+`", "departments": ["env"], "secret": "a-secret-of-16-bytes"}`)
	if code != http.StatusCreated {
		t.Fatalf("subscribe: %d %v", code, sub)
	}
	z.walk("POST /subscriptions", map[string]any(sub))
	subID, _ := sub["id"].(string)

	// A wall screen, keeping every message of the live feed as it came.
	ws := wsDial(t, in, "viewer-secret")
	wsSubscribe(t, ws, map[string]any{})
	_ = ws.SetReadDeadline(time.Time{})
	var wsMu sync.Mutex
	var msgs [][]byte
	go func() {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			wsMu.Lock()
			msgs = append(msgs, b)
			wsMu.Unlock()
		}
	}()
	fed := func() [][]byte {
		wsMu.Lock()
		defer wsMu.Unlock()
		return append([][]byte(nil), msgs...)
	}

	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", zoneCase); code != 202 || b["accepted"] != 3.0 {
		t.Fatalf("post: %d %v", code, b)
	}
	var red string
	eventually.True(t, "the promise_overdue alert", func() bool {
		for _, a := range alertsOf(t, in, "viewer-secret", "case_id=env-2026-000888&kind=promise_overdue") {
			red, _ = a["id"].(string)
		}
		return red != ""
	})

	// The case: submitted_at, accepted_at, computed_at, each deadline's end, each event's
	// at and received_at.
	c := z.get(in, "/api/v1/cases/env-2026-000888", "viewer-secret", 9).(map[string]any)
	if evs, _ := c["events"].([]any); len(evs) != 2 {
		t.Errorf("events: %v", c["events"])
	} else if at := evs[0].(map[string]any)["at"]; at != time.Date(2026, 3, 2, 2, 15, 0, 0, time.UTC).In(loc).Format(time.RFC3339) {
		t.Errorf("the first event's at = %v: not the instant reported, in the zone", at)
	}
	z.get(in, "/api/v1/cases?department=env", "viewer-secret", 5)
	// Alerts: instant, fired_at, updated_at, due.at, history[].at.
	z.get(in, "/api/v1/alerts?case_id=env-2026-000888", "viewer-secret", 8)
	z.get(in, "/api/v1/alerts/"+red, "viewer-secret", 5)
	code, _, raw := postRaw(t, in, "/api/v1/alerts/"+red+"/ack", "supervisor-secret", `{"note":"已电话督办"}`)
	if code != http.StatusOK {
		t.Fatalf("ack: %d %s", code, raw)
	}
	z.doc("POST ack", raw, 6)

	// The live feed and the webhook: the alert firing, then acknowledged.
	acked := func(docs [][]byte, alertOf func(any) any) bool {
		for _, d := range docs {
			var v any
			_ = json.Unmarshal(d, &v)
			if a, ok := alertOf(v).(map[string]any); ok && a["id"] == red && a["state"] == "acknowledged" {
				return true
			}
		}
		return false
	}
	field := func(k string) func(any) any {
		return func(v any) any { m, _ := v.(map[string]any); return m[k] }
	}
	eventually.True(t, "the acknowledgement on the live feed", func() bool { return acked(fed(), field("alert")) })
	eventually.True(t, "the acknowledgement at the webhook", func() bool { return acked(hooked(), field("alert")) })
	typeOf := func(m []byte) string {
		var head struct{ Type string }
		_ = json.Unmarshal(m, &head)
		return head.Type
	}
	eventually.True(t, "an overview on the live feed", func() bool {
		for _, m := range fed() {
			if typeOf(m) == "overview" {
				return true
			}
		}
		return false
	})
	kinds := map[string]int{}
	for i, m := range fed() {
		typ := typeOf(m)
		kinds[typ]++
		// An alert has at least instant, fired_at, updated_at and a step; an overview its at.
		least := map[string]int{"alert": 4, "overview": 1}[typ]
		z.doc(fmt.Sprintf("/ws message %d (%s)", i, typ), m, least)
	}
	if kinds["alert"] < 3 {
		t.Errorf("live feed: %v", kinds)
	}
	for i, b := range hooked() {
		z.doc(fmt.Sprintf("webhook body %d", i), b, 4)
	}
	eventually.True(t, "the delivery state", func() bool {
		_, s, _ := in.Do("GET", "/api/v1/subscriptions/"+subID, "supervisor-secret", "")
		d, _ := s["delivery"].(map[string]any)
		return d != nil && d["last_success"] != nil
	})
	// created_at, last_success, last_attempt.
	z.get(in, "/api/v1/subscriptions", "supervisor-secret", 3)

	// What Alertmanager was sent for people to read: the fired_at annotation.
	eventually.True(t, "the alerts in Alertmanager", func() bool {
		n := 0
		for _, a := range testalertmanager.Alerts(t, am) {
			if a.Labels["case_id"] == "env-2026-000888" {
				n++
			}
		}
		return n >= 2
	})
	for _, a := range testalertmanager.Alerts(t, am) {
		if !z.str("Alertmanager annotation fired_at of "+a.Labels["alert_id"], a.Annotations["fired_at"]) {
			t.Errorf("Alertmanager: no fired_at annotation in %v", a.Annotations)
		}
	}

	eventually.True(t, "the dead letter", func() bool {
		_, b, _ := in.Do("GET", "/api/v1/deadletters", "admin-secret", "")
		l, _ := b["deadletters"].([]any)
		return len(l) == 1
	})
	z.get(in, "/api/v1/deadletters", "admin-secret", 1)
	z.get(in, "/api/v1/audit", "supervisor-secret", 2) // subscription_create, alert_ack
	z.get(in, "/api/v1/overview", "viewer-secret", 1)
	rk := z.get(in, "/api/v1/rankings/2026-03", "viewer-secret", 1)
	checkRankingPage(t, z, in, "2026-03")

	// Stored by an earlier version, in UTC: an audit entry, a system alert, a published
	// ranking. The API shows them in the zone. (The alert stream passes records on as
	// they are stored, so this comes after the live feed and webhook checks.)
	store := rdbtest.At(t, url0, prefix)
	ctx := context.Background()
	old := time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)
	if _, err := store.Audit(ctx, rdb.AuditEntry{At: old, Actor: "admin", Action: "calendar_load", Target: "2026"}); err != nil {
		t.Fatal(err)
	}
	sys := alerting.Record{ID: alerting.CalendarMissingID(2031), Kind: monitor.CalendarMissing,
		Level: monitor.CalendarMissing.Level(), Year: 2031, Instant: old, FiredAt: old, Message: "2031年节假日安排未加载"}
	sys.Fire(old)
	doc, _ := json.Marshal(&sys)
	if !strings.Contains(string(doc), `"fired_at":"2026-03-01T00:30:00Z"`) {
		t.Fatalf("not an old UTC record: %s", doc)
	}
	if _, err := store.RaiseSystemAlert(ctx, sys.ID, doc, clock.Wall()); err != nil {
		t.Fatal(err)
	}
	var past ranking.Ranking
	b, _ := json.Marshal(rk)
	if err := json.Unmarshal(b, &past); err != nil {
		t.Fatal(err)
	}
	past.Month, past.GeneratedAt = ranking.Month{Year: 2025, Month: time.December}, old
	doc, _ = json.Marshal(past)
	if _, err := store.PublishRanking(ctx, "2025-12", doc, true); err != nil {
		t.Fatal(err)
	}
	z.get(in, "/api/v1/audit", "supervisor-secret", 3)
	z.get(in, "/api/v1/alerts/"+sys.ID, "viewer-secret", 4)
	all := z.get(in, "/api/v1/alerts", "viewer-secret", 12).(map[string]any)
	if l, _ := all["alerts"].([]any); len(l) < 3 {
		t.Errorf("alerts: %v", all)
	}
	if got := z.get(in, "/api/v1/rankings/2025-12", "viewer-secret", 1).(map[string]any); got["generated_at"] != old.In(loc).Format(time.RFC3339) {
		t.Errorf("published ranking generated_at = %v", got["generated_at"])
	}
	checkRankingPage(t, z, in, "2025-12")

	// The log: each line's time and every time field.
	n := 0
	for _, m := range logTimes.FindAllStringSubmatch(in.Logs.String(), -1) {
		if z.str("log field "+m[0], m[1]) {
			n++
		}
	}
	if n < 3 {
		t.Errorf("log: %d times in\n%s", n, in.Logs.String())
	}
}

// checkRankingPage checks the generation time a month's printable ranking carries, and
// that its CSV holds no time in another zone.
func checkRankingPage(t *testing.T, z zoneChecker, in *servicetest.Instance, month string) {
	t.Helper()
	code, _, page := in.GetRaw("/api/v1/rankings/"+month+".html", "viewer-secret")
	m := regexp.MustCompile(`datetime="([^"]+)"`).FindSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("ranking page %s: %d, no generation time", month, code)
	}
	if !z.str("ranking page "+month+" datetime", html.UnescapeString(string(m[1]))) {
		t.Errorf("ranking page %s: datetime %q is not a time", month, m[1])
	}
	code, _, csv := in.GetRaw("/api/v1/rankings/"+month+".csv", "viewer-secret")
	if code != http.StatusOK {
		t.Fatalf("ranking csv %s: %d", month, code)
	}
	for _, cell := range regexp.MustCompile(`[^,\r\n"]+`).FindAll(csv, -1) {
		z.str("ranking csv "+month, string(cell))
	}
}

// postRaw posts a body and returns the answer as it came.
func postRaw(t *testing.T, in *servicetest.Instance, path, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}
