package alertmanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts/alertmanager"
	"github.com/duban-gov/duban/internal/testalertmanager"
	"github.com/duban-gov/duban/internal/testzone"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var cst = time.FixedZone("CST", 8*3600)

func record(caseID, dept string, kind monitor.AlertKind) alerting.Record {
	at := time.Date(2026, 3, 18, 0, 0, 0, 0, cst)
	return alerting.Record{ID: alerting.CaseAlertID(caseID, string(kind)+":2026-03-17"), Kind: kind, Level: kind.Level(),
		State: alerting.Firing, CaseID: caseID, Department: dept, Matter: "ENV-EIA-001",
		Due: &deadline.Deadline{Date: workday.NewDate(2026, 3, 17), At: at}, Instant: at,
		FiredAt: at.Add(120 * time.Millisecond), Message: "办件 " + caseID + " 超过承诺时限（10个工作日）",
		Updated: at, Revision: 1}
}

func fire(t *testing.T, s *rdb.Store, recs ...alerting.Record) {
	t.Helper()
	for _, r := range recs {
		doc, _ := json.Marshal(&r)
		if _, err := s.AppendAlerts(context.Background(), [][]byte{doc}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func end(r alerting.Record, s alerting.State, at time.Time) alerting.Record {
	r.State, r.Updated, r.Revision = s, at, r.Revision+1
	if s == alerting.Resolved {
		r.Resolution = alerting.Closed
	}
	return r
}

// run starts a forwarder until the returned stop (or the test's end).
func run(t *testing.T, o alertmanager.Options) (stop func()) {
	t.Helper()
	if o.Poll == 0 {
		o.Poll, o.Lease = 20*time.Millisecond, time.Second
	}
	o.RetryFirst, o.RetryMax = 5*time.Millisecond, 50*time.Millisecond
	f, err := alertmanager.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if fn() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func find(list []testalertmanager.Alert, id string) *testalertmanager.Alert {
	for i := range list {
		if list[i].Labels["alert_id"] == id {
			return &list[i]
		}
	}
	return nil
}

// Against a real Alertmanager: alerts arrive with their labels and annotations, open ones are
// resent (their endsAt moves on), ended ones end, and a new forwarder goes on from the
// position the last one reached.
func TestRealAlertmanager(t *testing.T) {
	t.Parallel()
	am := testalertmanager.Start(t)
	s := rdbtest.Store(t)
	red := record("env-2026-000777", "env", monitor.PromiseOverdue)
	yellow := record("trn-2026-000001", "transport", monitor.DecisionDue)
	fire(t, s, red, yellow)
	stop := run(t, alertmanager.Options{Store: s, URL: am + "/", Resend: 300 * time.Millisecond})

	var got *testalertmanager.Alert
	eventually(t, "both alerts in Alertmanager", func() bool {
		list := testalertmanager.Alerts(t, am)
		got = find(list, red.ID)
		return got != nil && find(list, yellow.ID) != nil
	})
	wantLabels := map[string]string{"alertname": "promise_overdue", "severity": "critical", "level": "red",
		"system": "duban", "department": "env", "matter": "ENV-EIA-001", "case_id": "env-2026-000777", "alert_id": red.ID}
	hasLabels(t, got, wantLabels)
	hasLabels(t, find(testalertmanager.Alerts(t, am), yellow.ID), map[string]string{"alertname": "decision_due",
		"severity": "warning", "level": "yellow", "system": "duban", "department": "transport",
		"matter": "ENV-EIA-001", "case_id": "trn-2026-000001", "alert_id": yellow.ID})
	if got.Annotations["summary"] != red.Message || got.Annotations["case_url"] != "/api/v1/cases/env-2026-000777" ||
		got.Annotations["state"] != "firing" || got.Annotations["due"] != "2026-03-17" {
		t.Errorf("annotations %v", got.Annotations)
	}
	if !got.StartsAt.Equal(red.FiredAt) || got.Status.State != "active" {
		t.Errorf("startsAt %v (want %v), status %q", got.StartsAt, red.FiredAt, got.Status.State)
	}
	firstEnd := got.EndsAt
	eventually(t, "a resend to move endsAt on", func() bool {
		a := find(testalertmanager.Alerts(t, am), red.ID)
		return a != nil && a.EndsAt.After(firstEnd)
	})

	// Acknowledged: still the same alert (same labels), still active.
	ack := red
	ack.State, ack.Revision = alerting.Acknowledged, 2
	// Resolved a day later (business time), well before the wall clock's now.
	fire(t, s, ack, end(ack, alerting.Resolved, red.FiredAt.Add(24*time.Hour)))
	eventually(t, "the resolved alert to end", func() bool {
		list := testalertmanager.Alerts(t, am)
		return find(list, red.ID) == nil && find(list, yellow.ID) != nil
	})

	// A new forwarder (a restart) goes on from the stored position.
	stop()
	run(t, alertmanager.Options{Store: s, URL: am, Resend: time.Minute})
	fire(t, s, end(yellow, alerting.Exempted, yellow.FiredAt.Add(time.Hour)))
	eventually(t, "the exempted alert to end", func() bool {
		return find(testalertmanager.Alerts(t, am), yellow.ID) == nil
	})
	// The end is forgotten once committed, just after Alertmanager accepted it.
	eventually(t, "no alert kept open", func() bool {
		docs, _, err := s.OpenAlertmanagerAlerts(context.Background(), 0, 100)
		return err == nil && len(docs) == 0
	})
}

// hasLabels checks that a has exactly the labels want.
func hasLabels(t *testing.T, a *testalertmanager.Alert, want map[string]string) {
	t.Helper()
	if a == nil {
		t.Errorf("no alert with labels %v", want)
		return
	}
	if len(a.Labels) != len(want) {
		t.Errorf("labels %v, want %v", a.Labels, want)
	}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
}

// faultThreshold is a handler's fault_threshold alert as the relay makes it: its id and
// message name the handler.
func faultThreshold(dept, handler string) alerting.Record {
	at := time.Date(2026, 3, 20, 9, 0, 0, 0, cst)
	return alerting.Record{ID: alerting.FaultThresholdID(2026, dept, handler), Kind: monitor.FaultThreshold,
		Level: monitor.FaultThreshold.Level(), State: alerting.Firing, Department: dept, Handler: handler,
		Year: 2026, Instant: at, FiredAt: at, Faults: 3, Updated: at, Revision: 1,
		Message: "承办人 " + handler + "（" + dept + "）2026年度过错已达3次，不得定为称职"}
}

// By default no handler's name reaches Alertmanager — not in a label, an annotation, the
// generator URL or anything else Alertmanager keeps, as its API returns it. A fault_threshold
// alert goes under a pseudonym: one per handler, the same after a restart (one alert in
// Alertmanager, not two). With send_handler_names the name is sent.
func TestHandlerNamesToRealAlertmanager(t *testing.T) {
	t.Parallel()
	am := testalertmanager.Start(t)
	s := rdbtest.Store(t)
	zhang, li := faultThreshold("env", "zhang.san"), faultThreshold("env", "li.si")
	caseAlert := record("env-2026-000777", "env", monitor.PromiseOverdue)
	caseAlert.Handler = "zhang.san"
	fire(t, s, zhang, li, caseAlert)
	stop := run(t, alertmanager.Options{Store: s, URL: am, Resend: 200 * time.Millisecond})

	var fts []testalertmanager.Alert
	eventually(t, "the three alerts in Alertmanager", func() bool {
		fts = fts[:0]
		list := testalertmanager.Alerts(t, am)
		for _, a := range list {
			if a.Labels["alertname"] == "fault_threshold" {
				fts = append(fts, a)
			}
		}
		return len(list) == 3
	})
	for _, name := range []string{"zhang.san", "li.si"} {
		if raw := testalertmanager.Raw(t, am); strings.Contains(string(raw), name) {
			t.Errorf("Alertmanager holds the handler's name %q:\n%s", name, raw)
		}
	}
	if len(fts) != 2 || fts[0].Labels["alert_id"] == fts[1].Labels["alert_id"] {
		t.Fatalf("want two fault_threshold alerts, apart: %+v", fts)
	}
	pseudonym := regexp.MustCompile(`^~fault_threshold~2026~env~h[0-9a-f]{16}$`)
	for _, a := range fts {
		hasLabels(t, &a, map[string]string{"alertname": "fault_threshold", "severity": "critical", "level": "red",
			"system": "duban", "department": "env", "alert_id": a.Labels["alert_id"]})
		if !pseudonym.MatchString(a.Labels["alert_id"]) {
			t.Errorf("alert_id %q is not the id with a pseudonym", a.Labels["alert_id"])
		}
		if s := a.Annotations["summary"]; !strings.Contains(s, "2026年度过错已达3次") || !strings.Contains(s, "姓名不外发") {
			t.Errorf("summary %q", s)
		}
		if a.GeneratorURL != "" {
			t.Errorf("generatorURL %q", a.GeneratorURL)
		}
	}

	// A restart resends the open alerts under the same pseudonyms: the same alert's endsAt
	// moves on, and there are still three alerts.
	stop()
	before := find(testalertmanager.Alerts(t, am), fts[0].Labels["alert_id"])
	stop = run(t, alertmanager.Options{Store: s, URL: am, Resend: 200 * time.Millisecond})
	eventually(t, "the restarted forwarder to resend the same alert", func() bool {
		a := find(testalertmanager.Alerts(t, am), before.Labels["alert_id"])
		return a != nil && a.EndsAt.After(before.EndsAt)
	})
	if list := testalertmanager.Alerts(t, am); len(list) != 3 {
		t.Errorf("after a restart, %d alerts (want the same 3): %+v", len(list), list)
	}
	stop()

	// Opted in (another deployment): the name is in the id, the summary and an annotation.
	am2, s2 := testalertmanager.Start(t), rdbtest.Store(t)
	fire(t, s2, zhang)
	run(t, alertmanager.Options{Store: s2, URL: am2, SendHandlerNames: true})
	var named *testalertmanager.Alert
	eventually(t, "the named alert in Alertmanager", func() bool {
		named = find(testalertmanager.Alerts(t, am2), zhang.ID)
		return named != nil
	})
	if named.Labels["alert_id"] != "~fault_threshold~2026~env~zhang.san" || named.Annotations["summary"] != zhang.Message ||
		named.Annotations["handler"] != "zhang.san" || named.Labels["severity"] != "critical" || named.Labels["system"] != "duban" {
		t.Errorf("opted in: %+v", named)
	}
}

// fakeAM records what it is sent; answer decides the status of each POST.
type fakeAM struct {
	mu     sync.Mutex
	posts  [][]alertmanager.Alert
	status []int
	answer func(n int, batch []alertmanager.Alert) int
	srv    *httptest.Server
}

func newFake(t *testing.T, answer func(n int, batch []alertmanager.Alert) int) *fakeAM {
	f := &fakeAM{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var batch []alertmanager.Alert
		if r.URL.Path != "/api/v2/alerts" || json.Unmarshal(body, &batch) != nil {
			t.Errorf("POST %s: %s", r.URL.Path, body)
		}
		f.mu.Lock()
		st := f.answer(len(f.posts), batch)
		f.posts, f.status = append(f.posts, batch), append(f.status, st)
		f.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// accepted lists the alert ids of the POSTs answered 2xx.
func (f *fakeAM) accepted() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]bool{}
	for i, b := range f.posts {
		if f.status[i]/100 == 2 {
			for _, a := range b {
				out[a.Labels["alert_id"]] = true
			}
		}
	}
	return out
}

// While Alertmanager fails, alerts wait and are retried; one it refuses as invalid is
// skipped rather than holding up the others.
func TestAlertmanagerDownThenRefusing(t *testing.T) {
	t.Parallel()
	s := rdbtest.Store(t)
	bad := record("env-2026-000013", "env", monitor.FeeViolation)
	fake := newFake(t, func(n int, batch []alertmanager.Alert) int {
		switch {
		case n < 3:
			return http.StatusServiceUnavailable
		case containsID(batch, bad.ID):
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	reg := prometheus.NewRegistry()
	fire(t, s, record("env-2026-000011", "env", monitor.PromiseOverdue), bad,
		record("env-2026-000012", "env", monitor.DecisionDue))
	run(t, alertmanager.Options{Store: s, URL: fake.srv.URL, Registerer: reg})
	eventually(t, "the valid alerts accepted", func() bool {
		acc := fake.accepted()
		return acc[alerting.CaseAlertID("env-2026-000011", "promise_overdue:2026-03-17")] &&
			acc[alerting.CaseAlertID("env-2026-000012", "decision_due:2026-03-17")]
	})
	eventually(t, "the position to move past the batch", func() bool {
		pos, _ := s.AlertmanagerPosition(context.Background())
		return pos != ""
	})
	if fake.accepted()[bad.ID] {
		t.Error("the refused alert was accepted")
	}
	if n := posts(t, reg, "failure"); n != 3 {
		t.Errorf("failed posts counted: %v, want 3", n)
	}
	if n := posts(t, reg, "rejected"); n < 2 {
		t.Errorf("refused posts counted: %v, want the batch and the alert alone", n)
	}
}

// posts reads one outcome's count of duban_alertmanager_posts_total.
func posts(t *testing.T, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "duban_alertmanager_posts_total" && m.GetLabel()[0].GetValue() == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func containsID(batch []alertmanager.Alert, id string) bool {
	for _, a := range batch {
		if a.Labels["alert_id"] == id {
			return true
		}
	}
	return false
}

func TestFromRecord(t *testing.T) {
	r := record("env-2026-000777", "env", monitor.PromiseOverdue)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	a := alertmanager.FromRecord(&r, now, 4*time.Minute, alertmanager.Handlers{})
	if !a.StartsAt.Equal(r.FiredAt) || !a.EndsAt.Equal(now.Add(4*time.Minute)) {
		t.Errorf("firing: %v..%v", a.StartsAt, a.EndsAt)
	}
	ack := r
	ack.State = alerting.Acknowledged
	b := alertmanager.FromRecord(&ack, now, 4*time.Minute, alertmanager.Handlers{})
	for k, v := range a.Labels {
		if b.Labels[k] != v {
			t.Errorf("acknowledging changed label %s: %q → %q", k, v, b.Labels[k])
		}
	}
	res := end(r, alerting.Resolved, r.FiredAt.Add(time.Hour))
	if c := alertmanager.FromRecord(&res, now, time.Minute, alertmanager.Handlers{}); !c.EndsAt.Equal(res.Updated) {
		t.Errorf("resolved: endsAt %v, want %v", c.EndsAt, res.Updated)
	}
	// On a business clock ahead of the wall clock, an ended alert still ends now at the latest.
	future := record("env-2027-000001", "env", monitor.PromiseOverdue)
	future.FiredAt = now.Add(48 * time.Hour)
	fe := end(future, alerting.Exempted, now.Add(72*time.Hour))
	if c := alertmanager.FromRecord(&fe, now, time.Minute, alertmanager.Handlers{}); !c.StartsAt.Equal(now) || !c.EndsAt.Equal(now) {
		t.Errorf("ahead of the wall clock: %v..%v, want both %v", c.StartsAt, c.EndsAt, now)
	}
	sys := alerting.Record{ID: "~calendar_missing~2027", Kind: monitor.CalendarMissing, Level: monitor.Yellow,
		State: alerting.Firing, Year: 2027, Message: "2027年工作日历未加载", FiredAt: now}
	if c := alertmanager.FromRecord(&sys, now, time.Minute, alertmanager.Handlers{}); len(c.Labels) != 5 ||
		c.Labels["severity"] != "warning" || c.Labels["level"] != "yellow" || c.Annotations["case_url"] != "" {
		t.Errorf("system alert: %v %v", c.Labels, c.Annotations)
	}
}

// A supervision order's alert names its order, not a case; fault_threshold_confirmed's
// handler stays out of what is sent unless names are.
func TestFromRecordOrderAlerts(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ov := alerting.Record{ID: "DB-2026-000001~order_overdue:1", Kind: monitor.OrderOverdue, Level: monitor.Red,
		State: alerting.Firing, Department: "env", OrderID: "DB-2026-000001", CaseIDs: []string{"env-1"},
		Message: "督办单逾期未反馈", FiredAt: now}
	a := alertmanager.FromRecord(&ov, now, time.Minute, alertmanager.Handlers{})
	if a.Labels["order_id"] != "DB-2026-000001" || a.Labels["alertname"] != "order_overdue" || a.Labels["severity"] != "critical" ||
		a.Labels["case_id"] != "" || a.Annotations["order_url"] != "/api/v1/orders/DB-2026-000001" {
		t.Errorf("order alert: %v %v", a.Labels, a.Annotations)
	}
	ft := alerting.Record{ID: "~fault_threshold_confirmed~2026~env~wang.wu", Kind: monitor.FaultThresholdConfirmed,
		Level: monitor.Red, State: alerting.Firing, Department: "env", Handler: "wang.wu", Year: 2026,
		Message: "承办人 wang.wu 2026年经督办确认负直接责任的过错已达3次", FiredAt: now}
	b := alertmanager.FromRecord(&ft, now, time.Minute, alertmanager.Handlers{})
	doc := fmt.Sprint(b.Labels, b.Annotations)
	if strings.Contains(doc, "wang.wu") || !strings.HasPrefix(b.Labels["alert_id"], "~fault_threshold_confirmed~2026~env~") {
		t.Errorf("fault_threshold_confirmed sent with the name: %s", doc)
	}
}

// What is POSTed for a handler's alerts: by default no name anywhere in the JSON, and a
// pseudonym that depends on the handler and the deployment's key only; opted in, the name.
func TestFromRecordHandlerNames(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	key := []byte("0123456789abcdef0123456789abcdef")
	post := func(r alerting.Record, h alertmanager.Handlers) (alertmanager.Alert, string) {
		a := alertmanager.FromRecord(&r, now, time.Minute, h)
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return a, string(raw)
	}
	zhang := faultThreshold("env", "zhang.san")
	caseAlert := record("env-2026-000777", "env", monitor.PromiseOverdue)
	caseAlert.Handler = "zhang.san"
	for _, r := range []alerting.Record{zhang, caseAlert} {
		if _, raw := post(r, alertmanager.Handlers{Key: key}); strings.Contains(raw, "zhang.san") {
			t.Errorf("%s sent with the handler's name: %s", r.Kind, raw)
		}
	}
	a, _ := post(zhang, alertmanager.Handlers{Key: key})
	if again, _ := post(zhang, alertmanager.Handlers{Key: key}); again.Labels["alert_id"] != a.Labels["alert_id"] {
		t.Errorf("pseudonym not stable: %q, %q", a.Labels["alert_id"], again.Labels["alert_id"])
	}
	if li, _ := post(faultThreshold("env", "li.si"), alertmanager.Handlers{Key: key}); li.Labels["alert_id"] == a.Labels["alert_id"] {
		t.Error("two handlers share a pseudonym")
	}
	if other, _ := post(zhang, alertmanager.Handlers{Key: []byte("another deployment's key........")}); other.Labels["alert_id"] == a.Labels["alert_id"] {
		t.Error("the pseudonym does not depend on the key")
	}
	if a.Labels["severity"] != "critical" || a.Labels["level"] != "red" || a.Labels["system"] != "duban" ||
		a.Annotations["summary"] != "env 一名承办人2026年度过错已达3次，不得定为称职（姓名不外发，请在督办系统中查看）" {
		t.Errorf("fault_threshold: %v %v", a.Labels, a.Annotations)
	}
	named, _ := post(zhang, alertmanager.Handlers{Send: true})
	if named.Labels["alert_id"] != zhang.ID || named.Annotations["summary"] != zhang.Message ||
		named.Annotations["description"] != zhang.Message || named.Annotations["handler"] != "zhang.san" {
		t.Errorf("opted in: %v %v", named.Labels, named.Annotations)
	}
	if c, _ := post(caseAlert, alertmanager.Handlers{Send: true}); c.Labels["alert_id"] != caseAlert.ID || c.Annotations["handler"] != "zhang.san" {
		t.Errorf("opted in, case alert: %v %v", c.Labels, c.Annotations)
	}
}

// What is posted is written in the configured zone: the fired_at annotation people read,
// startsAt and endsAt, even for a record stored in UTC (by an earlier version).
func TestPostedTimesAreInTheConfiguredZone(t *testing.T) {
	t.Parallel()
	urumqi, err := time.LoadLocation("Asia/Urumqi")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s := rdbtest.Store(t)
	r := record("env-2026-000021", "env", monitor.PromiseOverdue)
	r.InZone(time.UTC)
	ended := end(r, alerting.Resolved, r.FiredAt.Add(time.Hour))
	fire(t, s, r, ended)
	run(t, alertmanager.Options{Store: s, URL: srv.URL, Loc: urumqi})
	eventually(t, "a post", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(bodies) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	for i, b := range bodies {
		testzone.JSON(t, fmt.Sprintf("post %d", i), b, urumqi, 3)
	}
}
