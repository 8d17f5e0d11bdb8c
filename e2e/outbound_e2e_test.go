package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/duban-gov/duban/alerts/webhook"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testalertmanager"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/service/servicetest"
)

// A real alert, fired by the service from reported events, reaches a webhook subscriber
// signed; a supervisor's acknowledgement reaches it as a change of the same alert.
func TestWebhookEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "duty-phone-gateway-secret"
	var mu sync.Mutex
	var got []webhook.Payload
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhook.Verify(body, secret, r.Header.Get("X-Duban-Signature")) {
			t.Errorf("bad signature on %s", body)
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload: %v", err)
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	defer rcv.Close()
	received := func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		out := make([]map[string]any, len(got))
		for i, p := range got {
			_ = json.Unmarshal(p.Alert, &out[i])
		}
		return out
	}

	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "")
	body := `{"url": "` + rcv.URL + `/hook", "departments": ["env"], "levels": ["red"], "secret": "` + secret + `"}`
	if code, b, _ := in.Do("POST", "/api/v1/subscriptions", "viewer-secret", body); code != http.StatusForbidden {
		t.Errorf("subscribe as a viewer: %d %v", code, b)
	}
	if code, b, _ := in.Do("POST", "/api/v1/subscriptions", "supervisor-secret", strings.Replace(body, `"env"`, `"police"`, 1)); code != 400 || b["field"] != "departments" {
		t.Errorf("subscribe to an unknown department: %d %v", code, b)
	}
	code, sub, _ := in.Do("POST", "/api/v1/subscriptions", "supervisor-secret", body)
	if code != http.StatusCreated {
		t.Fatalf("subscribe: %d %v", code, sub)
	}
	id, _ := sub["id"].(string)

	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", overdueCase); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var alertID string
	eventually.True(t, "the promise_overdue alert at the subscriber", func() bool {
		for _, a := range received() {
			if a["kind"] == "promise_overdue" && a["state"] == "firing" && a["case_id"] == "env-2026-000777" {
				alertID, _ = a["id"].(string)
			}
		}
		return alertID != ""
	})
	for _, a := range received() {
		if a["level"] != "red" || a["department"] != "env" {
			t.Errorf("delivered past the filters: %v", a)
		}
	}
	if code, b, _ := in.Do("POST", "/api/v1/alerts/"+alertID+"/ack", "supervisor-secret", `{"note":"已电话督办"}`); code != 200 {
		t.Fatalf("ack: %d %v", code, b)
	}
	eventually.True(t, "the acknowledgement at the subscriber", func() bool {
		for _, a := range received() {
			if a["id"] == alertID && a["state"] == "acknowledged" {
				return true
			}
		}
		return false
	})
	mu.Lock()
	seen := map[string]bool{}
	for i, p := range got {
		if p.Subscription != id || !strings.HasPrefix(p.DeliveryID, id+":") || seen[p.DeliveryID] {
			t.Errorf("delivery %d: %s for %s", i, p.DeliveryID, p.Subscription)
		}
		seen[p.DeliveryID] = true
	}
	n := len(got)
	mu.Unlock()

	code, list, _ := in.Do("GET", "/api/v1/subscriptions", "supervisor-secret", "")
	raw, _ := json.Marshal(list)
	if code != 200 || strings.Contains(string(raw), secret) {
		t.Fatalf("list: %d %s", code, raw)
	}
	eventually.True(t, "the delivery state", func() bool {
		_, s, _ := in.Do("GET", "/api/v1/subscriptions/"+id, "supervisor-secret", "")
		d, _ := s["delivery"].(map[string]any)
		return d != nil && d["delivered"] == float64(n) && d["backlog"] == 0.0 && d["last_success"] != nil
	})
	if code, _, _ := in.Do("DELETE", "/api/v1/subscriptions/"+id, "supervisor-secret", ""); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	_, audit, _ := in.Do("GET", "/api/v1/audit", "supervisor-secret", "")
	if a, _ := json.Marshal(audit); !strings.Contains(string(a), "subscription_create") || !strings.Contains(string(a), "subscription_delete") {
		t.Errorf("audit log: %s", a)
	}
}

// With alertmanager.url set, the service forwards a real alert to a real Alertmanager and
// ends it there when the case's decision resolves it.
func TestAlertmanagerEndToEnd(t *testing.T) {
	t.Parallel()
	am := testalertmanager.Start(t)
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "alertmanager: { url: \""+am+"\" }\n")
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", overdueCase); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var a *testalertmanager.Alert
	eventually.True(t, "the alert in Alertmanager", func() bool {
		for _, x := range testalertmanager.Alerts(t, am) {
			if x.Labels["alertname"] == "promise_overdue" && x.Labels["case_id"] == "env-2026-000777" {
				a = &x
			}
		}
		return a != nil
	})
	if a.Labels["severity"] != "critical" || a.Labels["level"] != "red" || a.Labels["system"] != "duban" ||
		a.Labels["department"] != "env" || a.Labels["matter"] != "ENV-EIA-001" ||
		!strings.HasPrefix(a.Labels["alert_id"], "env-2026-000777~") ||
		a.Annotations["case_url"] != "/api/v1/cases/env-2026-000777" || !strings.Contains(a.Annotations["summary"], "env-2026-000777") {
		t.Errorf("alert in Alertmanager: %+v", a)
	}
	// The case is decided: the time alert resolves itself, and ends in Alertmanager.
	decided := `{"event_id":"o3","case_id":"env-2026-000777","department":"env","type":"decided","result":"approved","at":"2026-03-20T08:30:00+08:00"}`
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", decided); code != 202 {
		t.Fatalf("post decided: %d %v", code, b)
	}
	eventually.True(t, "the alert to end in Alertmanager", func() bool {
		for _, x := range testalertmanager.Alerts(t, am) {
			if x.Labels["alert_id"] == a.Labels["alert_id"] {
				return false
			}
		}
		return true
	})
}

// overdueCases returns the events of n env cases handled by handler, each overdue (red) as
// soon as it is applied on a clock at 2026-03-20: n faults of the handler in 2026.
func overdueCases(prefix, handler string, n int) string {
	var evs []string
	for i := range n {
		id := fmt.Sprintf("env-2026-%s%03d", prefix, i)
		evs = append(evs,
			fmt.Sprintf(`{"event_id":"%s-1","case_id":%q,"department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00","handler":%q}`, id, id, handler),
			fmt.Sprintf(`{"event_id":"%s-2","case_id":%q,"department":"env","type":"accepted","at":"2026-03-03T10:00:00+08:00"}`, id, id))
	}
	return "[" + strings.Join(evs, ",") + "]"
}

// A handler's name is personal data and leaves duban only when configured. With the default
// configuration, a handler reaching the fault threshold shows in Alertmanager — as its API
// returns what it holds — under a pseudonym, and neither that alert nor the case alerts
// that name the handler carry the name anywhere. Alerts carry the severity vocabulary of the
// Prometheus rules (red critical, yellow warning), their level, and system="duban". With
// alertmanager.send_handler_names the name is sent.
func TestAlertmanagerHandlerNamesEndToEnd(t *testing.T) {
	t.Parallel()
	am := testalertmanager.Start(t)
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-03-20T09:00:00+08:00", "alertmanager: { url: \""+am+"\" }\n")
	if code, b, _ := in.Do("POST", "/api/v1/events", "env-collector-secret", overdueCases("a", "zhang.san", 3)); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var ft, yellow *testalertmanager.Alert
	eventually.True(t, "fault_threshold and a yellow alert in Alertmanager", func() bool {
		for _, x := range testalertmanager.Alerts(t, am) {
			switch {
			case x.Labels["alertname"] == "fault_threshold":
				ft = &x
			case x.Labels["level"] == "yellow":
				yellow = &x
			}
		}
		return ft != nil && yellow != nil
	})
	if raw := testalertmanager.Raw(t, am); strings.Contains(string(raw), "zhang.san") {
		t.Errorf("Alertmanager holds the handler's name:\n%s", raw)
	}
	if ft.Labels["severity"] != "critical" || ft.Labels["level"] != "red" || ft.Labels["system"] != "duban" ||
		ft.Labels["department"] != "env" || !strings.HasPrefix(ft.Labels["alert_id"], "~fault_threshold~2026~env~h") {
		t.Errorf("fault_threshold in Alertmanager: %+v", ft)
	}
	if yellow.Labels["severity"] != "warning" || yellow.Labels["system"] != "duban" {
		t.Errorf("yellow alert in Alertmanager: %+v", yellow)
	}

	// Opted in: another deployment (its own prefix) sends the name.
	url1, prefix1 := testredis.New(t)
	named := servicetest.StartServe(t, url1, prefix1, "2026-03-20T09:00:00+08:00",
		"alertmanager: { url: \""+am+"\", send_handler_names: true }\n")
	if code, b, _ := named.Do("POST", "/api/v1/events", "env-collector-secret", overdueCases("b", "li.si", 3)); code != 202 {
		t.Fatalf("post: %d %v", code, b)
	}
	var li *testalertmanager.Alert
	eventually.True(t, "the named fault_threshold in Alertmanager", func() bool {
		for _, x := range testalertmanager.Alerts(t, am) {
			if x.Labels["alert_id"] == "~fault_threshold~2026~env~li.si" {
				li = &x
			}
		}
		return li != nil
	})
	if !strings.Contains(li.Annotations["summary"], "li.si") || li.Annotations["handler"] != "li.si" || li.Labels["severity"] != "critical" {
		t.Errorf("opted-in fault_threshold: %+v", li)
	}
}
