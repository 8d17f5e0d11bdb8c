package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/simulate"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service/servicetest"
)

// ordersConfig is the end-to-end configuration with a liaison of env and named tokens.
var ordersConfig = strings.Replace(servicetest.Config, "  tokens:\n", `  tokens:
    - { token: env-liaison-secret, role: liaison, department: env, name: 环保局联络员 }
    - { token: trn-liaison-secret, role: liaison, department: transport }
    - { token: named-supervisor-secret, role: supervisor, name: 张督查 }
`, 1) + "rules: { report_within: 720h }\n"

var cst = time.FixedZone("CST", 8*3600)

// startOrders runs one replica on the manual clock clk under prefix.
func startOrders(t *testing.T, url, prefix string, clk *clock.ManualClock, cfg string) *servicetest.Instance {
	t.Helper()
	return servicetest.Start(t, servicetest.ServeOn(map[string]string{
		"DUBAN_CONFIG": servicetest.WriteConfig(t, cfg), "DUBAN_REDIS_URL": url, "DUBAN_REDIS_PREFIX": prefix}, clk))
}

// doH is Do with extra headers.
func doH(t *testing.T, in *servicetest.Instance, method, path, token, body string, h map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, in.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header
}

// caseEvents are one env case's submitted and accepted events.
func caseEvents(id, accepted string) string {
	return fmt.Sprintf(`[{"event_id":"%[1]s-1","case_id":%[1]q,"department":"env","matter":"ENV-EIA-001","type":"submitted","at":"%[2]sT09:00:00+08:00","handler":"wang.wu"},`+
		`{"event_id":"%[1]s-2","case_id":%[1]q,"department":"env","type":"accepted","at":"%[2]sT10:00:00+08:00"}]`, id, accepted)
}

func wantStatus(t *testing.T, what string, code, want int, body map[string]any) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: %d %v, want %d", what, code, body, want)
	}
}

func wantField(t *testing.T, what string, code int, body map[string]any, field string) {
	t.Helper()
	if code != 400 || body["field"] != field {
		t.Errorf("%s: %d %v, want 400 naming %s", what, code, body, field)
	}
}

// The whole workflow through the HTTP API on the simulated clock: a red alert, an order
// opened on it by a named supervisor, its notice, a liaison's reply, a return, a second
// round, acceptance with a direct responsibility (a confirmed fault), the audit log, the
// report, a withdrawal, Idempotency-Key, who may do what and who sees names.
func TestOrderWorkflow(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	clk := clock.Manual(time.Date(2026, 3, 16, 9, 0, 0, 0, cst))
	in := startOrders(t, url, prefix, clk, ordersConfig)
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", caseEvents("env-W1", "2026-03-03")); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	// The promised deadline (03-17) passes: promise_overdue.
	clk.Set(time.Date(2026, 3, 18, 0, 0, 0, 0, cst))
	var alertID string
	eventually.True(t, "promise_overdue of env-W1", func() bool {
		for _, a := range alertsOf(t, in, "supervisor-secret", "case_id=env-W1&kind=promise_overdue") {
			alertID, _ = a["id"].(string)
		}
		return alertID != ""
	})
	clk.Set(time.Date(2026, 3, 18, 9, 30, 0, 0, cst))

	// Bad input: each named; an unknown alert or case 404; a viewer 403.
	code, b, _ := in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"alerts":["`+alertID+`"],"kind":"rectify"}`)
	wantField(t, "no opinion", code, b, "opinion")
	code, b, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"alerts":["`+alertID+`"],"kind":"scold","opinion":"x"}`)
	wantField(t, "bad kind", code, b, "kind")
	code, b, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"alerts":["`+alertID+`"],"kind":"rectify","opinion":"x","reply_days":61}`)
	wantField(t, "reply_days 61", code, b, "reply_days")
	code, b, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"alerts":["`+alertID+`"],"kind":"rectify","opinion":"x","reply_days":"3"}`)
	wantField(t, "reply_days a string", code, b, "reply_days")
	code, b, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"alerts":["env-W1~promise_overdue:2020-01-01"],"kind":"rectify","opinion":"x"}`)
	if code != 404 || b["field"] != "alerts[0]" {
		t.Errorf("unknown alert: %d %v", code, b)
	}
	code, b, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"case_id":"env-nope","kind":"rectify","opinion":"x"}`)
	wantStatus(t, "unknown case", code, 404, b)
	code, b, _ = in.Do("POST", "/api/v1/orders", "viewer-secret", `{"case_id":"env-W1","kind":"rectify","opinion":"x"}`)
	wantStatus(t, "a viewer opens", code, 403, b)

	// Opened by the named supervisor, with an Idempotency-Key: a retry answers the same.
	body := `{"alerts":["` + alertID + `"],"kind":"rectify","opinion":"请于3个工作日内办结并书面反馈。","reply_days":3}`
	key := map[string]string{"Idempotency-Key": "open-1"}
	code, o, _ := doH(t, in, "POST", "/api/v1/orders", "named-supervisor-secret", body, key)
	wantStatus(t, "open", code, 201, o)
	id := o["id"].(string)
	if id != "DB-2026-000001" || o["number"] != "督〔2026〕000001号" || o["opened_by"] != "张督查" || o["state"] != "open" ||
		o["department"] != "env" || fmt.Sprint(o["case_ids"]) != "[env-W1]" || dateOf(o["reply_due"]) != "2026-03-23" {
		t.Fatalf("opened: %v", o)
	}
	code, again, h := doH(t, in, "POST", "/api/v1/orders", "named-supervisor-secret", body, key)
	if code != 201 || again["id"] != id || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry with the same key: %d %v %v", code, again["id"], h)
	}

	// Reads: the printable notice; listings by department.
	code, hdr, page := in.GetRaw("/api/v1/orders/"+id+".html", "viewer-secret")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "督〔2026〕000001号") ||
		!strings.Contains(string(page), "区生态环境局") {
		t.Errorf("notice: %d %s", code, page)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self' 'sha256-") || !strings.Contains(csp, "'unsafe-hashes'") {
		t.Errorf("the notice's CSP does not allow its own styles by hash: %q", csp)
	}
	_, l, _ := in.Do("GET", "/api/v1/orders?state=open", "env-screen-secret", "")
	if os, _ := l["orders"].([]any); len(os) != 1 {
		t.Errorf("env's open orders: %v", l)
	}
	code, b, _ = in.Do("GET", "/api/v1/orders?department=transport", "env-liaison-secret", "")
	wantStatus(t, "a liaison reads another department", code, 403, b)
	code, b, _ = in.Do("GET", "/api/v1/orders/"+id, "trn-liaison-secret", "")
	wantStatus(t, "transport's liaison reads env's order", code, 403, b)
	code, b, _ = in.Do("GET", "/api/v1/orders/DB-2026-999999", "viewer-secret", "")
	wantStatus(t, "a missing order", code, 404, b)

	// The reply: only env's liaison or collector; once per round.
	reply := `{"cause":"专家评审延误","measures":"已督促承办人加快办理","completed":false,"responsible":[{"handler":"wang.wu","responsibility":"direct"}]}`
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "trn-liaison-secret", reply)
	wantStatus(t, "transport replies", code, 403, b)
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "supervisor-secret", reply)
	wantStatus(t, "a supervisor replies", code, 403, b)
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", `{"measures":"x"}`)
	wantField(t, "reply without cause", code, b, "cause")
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", `{"cause":"c","measures":"m","responsible":[{"handler":"wang.wu","responsibility":"most"}]}`)
	wantField(t, "bad responsibility", code, b, "responsible[0].responsibility")
	code, r1, _ := in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", reply)
	wantStatus(t, "reply", code, 200, r1)
	if r1["state"] != "replied" || len(r1["replies"].([]any)) != 1 || r1["replies"].([]any)[0].(map[string]any)["by"] != "环保局联络员" {
		t.Errorf("replied: %v", r1)
	}
	code, r2, _ := in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", reply)
	if code != 200 || r2["revision"] != r1["revision"] {
		t.Errorf("the same reply again: %d %v", code, r2)
	}
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", `{"cause":"另一说法","measures":"m"}`)
	wantStatus(t, "another reply to a replied order", code, 409, b)

	// Review: accept on open later is 409; return needs a note; round 2.
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/return", "supervisor-secret", `{}`)
	wantField(t, "return without note", code, b, "note")
	clk.Set(time.Date(2026, 3, 19, 10, 0, 0, 0, cst))
	code, o, _ = in.Do("POST", "/api/v1/orders/"+id+"/return", "supervisor-secret", `{"note":"整改措施不具体"}`)
	wantStatus(t, "return", code, 200, o)
	if o["state"] != "open" || o["round"] != 2.0 || dateOf(o["reply_due"]) != "2026-03-24" {
		t.Errorf("returned: %v", o)
	}
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/accept", "supervisor-secret", `{}`)
	wantStatus(t, "accept an open order", code, 409, b)
	if code, b, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-collector-secret",
		`{"cause":"专家评审延误","measures":"已于3月19日作出决定","completed":true,"responsible":[{"handler":"wang.wu","responsibility":"direct"},{"handler":"li.si","responsibility":"leadership"}]}`); code != 200 {
		t.Fatalf("collector's reply in round 2: %d %v", code, b)
	}
	code, o, _ = in.Do("POST", "/api/v1/orders/"+id+"/accept", "named-supervisor-secret", `{"note":"同意"}`)
	wantStatus(t, "accept", code, 200, o)
	if o["state"] != "closed" || o["review"].(map[string]any)["decision"] != "accepted" {
		t.Errorf("accepted: %v", o)
	}
	hist := []string{}
	for _, e := range o["history"].([]any) {
		hist = append(hist, e.(map[string]any)["action"].(string))
	}
	if strings.Join(hist, ",") != "opened,replied,returned,replied,accepted" {
		t.Errorf("history %v", hist)
	}

	// Who sees names: not an all-department viewer; the department and supervisors do.
	_, v, _ := in.Do("GET", "/api/v1/orders/"+id, "viewer-secret", "")
	_, e, _ := in.Do("GET", "/api/v1/orders/"+id, "env-screen-secret", "")
	if _, ok := v["review"].(map[string]any)["responsible"]; ok {
		t.Errorf("an all-department viewer sees responsible: %v", v["review"])
	}
	if _, ok := e["review"].(map[string]any)["responsible"]; !ok {
		t.Errorf("env's viewer does not see responsible: %v", e["review"])
	}

	// The confirmed fault, in accountability; the audit log; the report.
	eventually.True(t, "a confirmed fault of env and wang.wu", func() bool {
		_, acc, _ := in.Do("GET", "/api/v1/accountability?year=2026", "supervisor-secret", "")
		ok := false
		for _, h := range acc["handlers"].([]any) {
			hm := h.(map[string]any)
			if hm["handler"] == "wang.wu" && hm["confirmed"] == 1.0 {
				ok = true
			}
		}
		for _, d := range acc["departments"].([]any) {
			dm := d.(map[string]any)
			ok = ok && (dm["department"] != "env" || dm["confirmed"] == 1.0)
		}
		return ok
	})
	_, au, _ := in.Do("GET", "/api/v1/audit?limit=100", "supervisor-secret", "")
	actions := map[string]int{}
	for _, en := range au["entries"].([]any) {
		actions[en.(map[string]any)["action"].(string)]++
	}
	if actions["order_open"] != 1 || actions["order_reply"] != 2 || actions["order_return"] != 1 || actions["order_accept"] != 1 {
		t.Errorf("audit: %v", actions)
	}
	_, rep, _ := in.Do("GET", "/api/v1/orders/report/2026-Q1", "supervisor-secret", "")
	for _, d := range rep["departments"].([]any) {
		if dm := d.(map[string]any); dm["department"] == "env" && (dm["opened"] != 1.0 || dm["closed"] != 1.0 || dm["confirmed_faults"] != 1.0) {
			t.Errorf("report row: %v", dm)
		}
	}
	code, hdr, csv := in.GetRaw("/api/v1/orders/report/2026-Q1.csv", "supervisor-secret")
	if code != 200 || !strings.HasPrefix(string(csv), "\ufeff") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Errorf("report CSV: %d %q", code, csv)
	}
	code, b, _ = in.Do("GET", "/api/v1/orders/report/2026-Q5", "supervisor-secret", "")
	wantField(t, "quarter 5", code, b, "quarter")

	// A second order on the case, withdrawn; withdrawn again 409.
	code, o, _ = in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"case_id":"env-W1","kind":"explain","opinion":"请说明情况"}`)
	wantStatus(t, "open on the case", code, 201, o)
	id2 := o["id"].(string)
	if id2 != "DB-2026-000002" || !strings.Contains(fmt.Sprint(o["alerts"]), alertID) {
		t.Errorf("second order: %v", o)
	}
	code, o, _ = in.Do("POST", "/api/v1/orders/"+id2+"/withdraw", "supervisor-secret", `{"note":"误开"}`)
	if code != 200 || o["state"] != "withdrawn" {
		t.Errorf("withdraw: %d %v", code, o)
	}
	code, b, _ = in.Do("POST", "/api/v1/orders/"+id2+"/withdraw", "supervisor-secret", `{"note":"误开"}`)
	wantStatus(t, "withdraw twice", code, 409, b)
	_, l, _ = in.Do("GET", "/api/v1/orders?case_id=env-W1", "viewer-secret", "")
	eventually.True(t, "the case lists its two orders", func() bool {
		_, l, _ = in.Do("GET", "/api/v1/orders?case_id=env-W1", "viewer-secret", "")
		os, _ := l["orders"].([]any)
		return len(os) == 2
	})
}

// An order whose reply deadline passes fires order_overdue once, then order_escalated once,
// on the simulated clock, across a restart; both reach the live feed with the order's own
// messages, cannot be resolved by hand, show in the overview and the metrics, and a late
// reply resolves them.
func TestOrderOverdueThenEscalatedOnce(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	store := rdbtest.At(t, url, prefix)
	clk := clock.Manual(time.Date(2026, 3, 16, 9, 0, 0, 0, cst))
	in := startOrders(t, url, prefix, clk, ordersConfig)
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", caseEvents("env-E1", "2026-03-16")); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	eventually.True(t, "the case applied", func() bool {
		code, _, _ := in.Do("GET", "/api/v1/cases/env-E1", "viewer-secret", "")
		return code == 200
	})
	f := openFeed(t, in, "env-screen-secret", map[string]any{"kinds": []string{"promise_overdue"}})
	code, o, _ := in.Do("POST", "/api/v1/orders", "supervisor-secret", `{"case_id":"env-E1","kind":"rectify","opinion":"请说明","reply_days":2}`)
	wantStatus(t, "open", code, 201, o)
	id := o["id"].(string)
	if dateOf(o["reply_due"]) != "2026-03-18" {
		t.Fatalf("reply_due %v", o["reply_due"])
	}
	overdueID, escID := id+"~order_overdue:1", id+"~order_escalated:1"

	clk.Set(time.Date(2026, 3, 18, 23, 59, 59, 0, cst))
	time.Sleep(300 * time.Millisecond) // plumbing: give a wrong early firing its chance
	if code, _, _ := in.Do("GET", "/api/v1/alerts/"+overdueID, "viewer-secret", ""); code != 404 {
		t.Fatalf("order_overdue before the deadline: %d", code)
	}
	clk.Set(time.Date(2026, 3, 19, 0, 0, 0, 0, cst))
	eventually.True(t, "order_overdue", func() bool {
		code, _, _ := in.Do("GET", "/api/v1/alerts/"+overdueID, "viewer-secret", "")
		return code == 200
	})
	_, al, _ := in.Do("GET", "/api/v1/alerts/"+overdueID, "viewer-secret", "")
	if al["order_id"] != id || al["case_id"] != nil || al["handler"] != nil || al["level"] != "red" || dateOf(al["due"]) != "2026-03-18" {
		t.Errorf("order_overdue: %v", al)
	}
	code, b, _ := in.Do("POST", "/api/v1/alerts/"+overdueID+"/resolve", "supervisor-secret", `{"note":"已催办"}`)
	wantStatus(t, "resolve an order alert", code, 409, b)
	code, b, _ = in.Do("POST", "/api/v1/alerts/"+overdueID+"/ack", "supervisor-secret", `{"note":"已电话催办"}`)
	if code != 200 || b["state"] != "acknowledged" {
		t.Errorf("ack: %d %v", code, b)
	}
	eventually.True(t, "overview: one order open and overdue", func() bool {
		_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
		return ov["orders_open"] == 1.0 && ov["orders_overdue"] == 1.0
	})
	code, _, metrics := in.GetRaw("/metrics", "")
	if code != 200 || !strings.Contains(string(metrics), `duban_orders_overdue{department="env"} 1`) ||
		!strings.Contains(string(metrics), `duban_orders{department="env",state="open"} 1`) {
		t.Errorf("metrics: %d\n%s", code, metrics)
	}

	// A restart, then the escalation: 5 working days after 03-18 is 03-25.
	if code := in.Shutdown(); code != 0 {
		t.Fatalf("shutdown: %d", code)
	}
	clk.Set(time.Date(2026, 3, 26, 0, 0, 0, 0, cst))
	in = startOrders(t, url, prefix, clk, ordersConfig)
	eventually.True(t, "order_escalated", func() bool {
		code, _, _ := in.Do("GET", "/api/v1/alerts/"+escID, "viewer-secret", "")
		return code == 200
	})
	_, al, _ = in.Do("GET", "/api/v1/alerts/"+escID, "viewer-secret", "")
	if dateOf(al["due"]) != "2026-03-25" {
		t.Errorf("order_escalated due %v", al["due"])
	}
	// A second replica, a later time: nothing fires again.
	other := startOrders(t, url, prefix, clk, ordersConfig)
	clk.Set(time.Date(2026, 4, 20, 0, 0, 0, 0, cst))
	time.Sleep(500 * time.Millisecond)
	fired := checkStreamOnce(t, store, 0)
	if _, ok := fired[overdueID]; !ok {
		t.Errorf("order_overdue not on the stream: %v", fired)
	}
	if _, ok := fired[escID]; !ok {
		t.Errorf("order_escalated not on the stream: %v", fired)
	}

	// The late reply resolves both as replied.
	code, o, _ = other.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", `{"cause":"遗漏","measures":"已补办"}`)
	if code != 200 || !o["replies"].([]any)[0].(map[string]any)["late"].(bool) {
		t.Fatalf("late reply: %d %v", code, o)
	}
	for _, aid := range []string{overdueID, escID} {
		_, al, _ := other.Do("GET", "/api/v1/alerts/"+aid, "viewer-secret", "")
		if al["state"] != "resolved" || al["resolution"] != "replied" {
			t.Errorf("%s after the reply: %v", aid, al)
		}
	}
	// The feed (kinds filter: promise_overdue only) still got the order's own messages.
	f.wait(t, "order messages on /ws", 10*time.Second, func(ms []wsMsg) bool {
		n := 0
		for _, m := range ms {
			if m.Type == "order" && m.Order["id"] == id {
				n++
			}
		}
		return n >= 2
	})
	ov := 0
	for _, m := range f.alerts() {
		if m.Type == "alert" && m.Alert["order_id"] == id {
			ov++
		}
	}
	if ov != 0 {
		t.Errorf("the kinds filter let %d order alerts through", ov)
	}
	_ = rdb.OrderPrefix
}

// The loop on the three-master Redis Cluster: automatic opening for a red alert (the
// decision in the case's slot, the order in its own), an order spanning two cases in other
// slots (each case's side written by its own script), the reply clock firing through the
// timer engine, the reply, and every alert on the stream once.
func TestOrdersOnCluster(t *testing.T) {
	t.Parallel()
	addrs := testredis.StartCluster(t)
	url := strings.Join(addrs, ",")
	store := rdbtest.At(t, url, "orders:")
	clk := clock.Manual(time.Date(2026, 3, 16, 9, 0, 0, 0, cst))
	cfg := ordersConfig + "supervision: { auto_open: [promise_overdue] }\n"
	in := startOrders(t, url, "orders:", clk, cfg)
	for _, c := range []string{"env-C1", "env-C2", "env-C3"} {
		if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", caseEvents(c, "2026-03-03")); code != 202 {
			t.Fatalf("post: %d %v", code, b)
		}
	}
	eventually.True(t, "three cases applied", func() bool {
		_, l, _ := in.Do("GET", "/api/v1/cases", "viewer-secret", "")
		cs, _ := l["cases"].([]any)
		return len(cs) == 3
	})
	clk.Set(time.Date(2026, 3, 18, 0, 0, 0, 0, cst)) // promised deadline 03-17 passes: three red alerts
	var auto []any
	eventually.True(t, "one automatic order per case", func() bool {
		_, l, _ := in.Do("GET", "/api/v1/orders", "supervisor-secret", "")
		auto, _ = l["orders"].([]any)
		return len(auto) == 3
	})
	cases := map[string]bool{}
	for _, o := range auto {
		om := o.(map[string]any)
		if om["opened_by"] != "system" || om["auto"] != true || len(om["alerts"].([]any)) != 1 {
			t.Errorf("automatic order: %v", om)
		}
		cases[om["case_ids"].([]any)[0].(string)] = true
	}
	if len(cases) != 3 {
		t.Errorf("automatic orders' cases: %v", cases)
	}
	// An order on the alerts of two cases, by hand.
	a1 := alertsOf(t, in, "supervisor-secret", "case_id=env-C1&kind=promise_overdue")[0]["id"].(string)
	a2 := alertsOf(t, in, "supervisor-secret", "case_id=env-C2&kind=promise_overdue")[0]["id"].(string)
	clk.Set(time.Date(2026, 3, 18, 9, 0, 0, 0, cst))
	code, o, _ := in.Do("POST", "/api/v1/orders", "supervisor-secret",
		fmt.Sprintf(`{"alerts":[%q,%q],"kind":"explain","opinion":"请一并说明","reply_days":1}`, a1, a2))
	wantStatus(t, "open on two cases", code, 201, o)
	id := o["id"].(string)
	eventually.True(t, "both cases list the order", func() bool {
		for _, c := range []string{"env-C1", "env-C2"} {
			_, l, _ := in.Do("GET", "/api/v1/orders?case_id="+c, "viewer-secret", "")
			found := false
			for _, x := range l["orders"].([]any) {
				found = found || x.(map[string]any)["id"] == id
			}
			if !found {
				return false
			}
		}
		return true
	})
	// Its reply deadline (03-19) and the automatic orders' (5 days: 03-25) pass.
	clk.Set(time.Date(2026, 3, 26, 0, 0, 0, 0, cst))
	eventually.True(t, "four orders overdue", func() bool {
		_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
		return ov["orders_overdue"] == 4.0
	})
	code, o, _ = in.Do("POST", "/api/v1/orders/"+id+"/reply", "env-liaison-secret", `{"cause":"c","measures":"m"}`)
	if code != 200 || o["state"] != "replied" {
		t.Fatalf("reply: %d %v", code, o)
	}
	eventually.True(t, "three orders overdue after the reply", func() bool {
		_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
		return ov["orders_overdue"] == 3.0 && ov["orders_open"] == 4.0
	})
	// 3 promise_overdue + 3 decision_due + order_overdue of 4 orders + order_escalated of the
	// one whose escalation (03-19 + 5 = 03-26) is due at 03-27 00:00: not yet.
	fired := checkStreamOnce(t, store, 0)
	n := 0
	for aid := range fired {
		if strings.Contains(aid, "~order_overdue:1") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("order_overdue fired for %d orders, want 4: %v", n, fired)
	}
}

// The demo's supervision loop (simulate.Responder) against a real service on the simulated
// clock: each order meets the fate its id draws — a reply on time then acceptance, a late
// reply, none at all, or a return and a second answer.
func TestDemoResponder(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	store := rdbtest.At(t, url, prefix)
	clk := clock.Manual(time.Date(2026, 3, 17, 10, 0, 0, 0, cst))
	in := startOrders(t, url, prefix, clk, ordersConfig)
	ids := seedOrders(t, store, clk, 24)
	fates := map[simulate.Fate]int{}
	for _, id := range ids {
		fates[simulate.FateOf(id)]++
	}
	for _, f := range []simulate.Fate{simulate.OnTime, simulate.Late, simulate.Never, simulate.Revised} {
		if fates[f] == 0 {
			t.Fatalf("24 orders draw no fate %d: %v", f, fates)
		}
	}
	r := simulate.NewResponder(simulate.ResponderOptions{URL: in.Base, Supervisor: "supervisor-secret",
		Departments: map[string]string{"env": "env-liaison-secret"}, Clock: clk})
	step := func(at time.Time) {
		clk.Set(at)
		if err := r.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	state := func(id string) map[string]any {
		_, o, _ := in.Do("GET", "/api/v1/orders/"+id, "supervisor-secret", "")
		return o
	}
	step(time.Date(2026, 3, 17, 19, 30, 0, 0, cst)) // two thirds into the day's limit
	step(time.Date(2026, 3, 17, 23, 50, 0, 0, cst)) // four hours after: reviews
	for _, id := range ids {
		o := state(id)
		want := map[simulate.Fate]string{simulate.OnTime: "closed", simulate.Late: "open", simulate.Never: "open", simulate.Revised: "open"}[simulate.FateOf(id)]
		if o["state"] != want {
			t.Errorf("%s (fate %d) before midnight: %v, want %s", id, simulate.FateOf(id), o["state"], want)
		}
	}
	step(time.Date(2026, 3, 19, 7, 0, 0, 0, cst)) // a day after the deadline: late replies
	step(time.Date(2026, 3, 19, 11, 30, 0, 0, cst))
	step(time.Date(2026, 3, 20, 10, 0, 0, 0, cst)) // the returned rounds (3 days) answered…
	step(time.Date(2026, 3, 20, 15, 0, 0, 0, cst)) // …and accepted
	for _, id := range ids {
		o := state(id)
		switch simulate.FateOf(id) {
		case simulate.Late:
			reps, _ := o["replies"].([]any)
			if o["state"] != "closed" || len(reps) != 1 || reps[0].(map[string]any)["late"] != true {
				t.Errorf("%s late: %v %v", id, o["state"], reps)
			}
		case simulate.Never:
			if o["state"] != "open" || o["overdue"] != true {
				t.Errorf("%s never: %v overdue %v", id, o["state"], o["overdue"])
			}
		case simulate.Revised:
			if o["state"] != "closed" || o["round"] != 2.0 {
				t.Errorf("%s revised: %v round %v", id, o["state"], o["round"])
			}
		}
	}
}
