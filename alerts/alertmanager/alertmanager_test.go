package alertmanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/alerts/alertmanager"
	"github.com/duban-gov/duban/internal/testalertmanager"
	"github.com/duban-gov/duban/internal/testzone"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
	"github.com/duban-gov/duban/monitor/rdb"
	"github.com/duban-gov/duban/monitor/rdb/rdbtest"
	"github.com/duban-gov/duban/monitor/workday"
)

var cst = time.FixedZone("CST", 8*3600)

func record(caseID, dept string, kind monitor.AlertKind) alerts.Record {
	at := time.Date(2026, 3, 18, 0, 0, 0, 0, cst)
	return alerts.Record{ID: alerts.CaseAlertID(caseID, string(kind)+":2026-03-17"), Kind: kind, Level: kind.Level(),
		State: alerts.Firing, CaseID: caseID, Department: dept, Matter: "ENV-EIA-001",
		Due: &deadline.Deadline{Date: workday.NewDate(2026, 3, 17), At: at}, Instant: at,
		FiredAt: at.Add(120 * time.Millisecond), Message: "办件 " + caseID + " 超过承诺时限（10个工作日）",
		Updated: at, Revision: 1}
}

func fire(t *testing.T, s *rdb.Store, recs ...alerts.Record) {
	t.Helper()
	for _, r := range recs {
		doc, _ := json.Marshal(&r)
		if _, err := s.AppendAlertForTest(context.Background(), doc, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func end(r alerts.Record, s alerts.State, at time.Time) alerts.Record {
	r.State, r.Updated, r.Revision = s, at, r.Revision+1
	if s == alerts.Resolved {
		r.Resolution = alerts.Closed
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
	wantLabels := map[string]string{"alertname": "promise_overdue", "severity": "red", "department": "env",
		"matter": "ENV-EIA-001", "case_id": "env-2026-000777", "alert_id": red.ID}
	if len(got.Labels) != len(wantLabels) {
		t.Errorf("labels %v, want %v", got.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, got.Labels[k], v)
		}
	}
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
	ack.State, ack.Revision = alerts.Acknowledged, 2
	// Resolved a day later (business time), well before the wall clock's now.
	fire(t, s, ack, end(ack, alerts.Resolved, red.FiredAt.Add(24*time.Hour)))
	eventually(t, "the resolved alert to end", func() bool {
		list := testalertmanager.Alerts(t, am)
		return find(list, red.ID) == nil && find(list, yellow.ID) != nil
	})

	// A new forwarder (a restart) goes on from the stored position.
	stop()
	run(t, alertmanager.Options{Store: s, URL: am, Resend: time.Minute})
	fire(t, s, end(yellow, alerts.Exempted, yellow.FiredAt.Add(time.Hour)))
	eventually(t, "the exempted alert to end", func() bool {
		return find(testalertmanager.Alerts(t, am), yellow.ID) == nil
	})
	// The end is forgotten once committed, just after Alertmanager accepted it.
	eventually(t, "no alert kept open", func() bool {
		docs, _, err := s.OpenAlertmanagerAlerts(context.Background(), 0, 100)
		return err == nil && len(docs) == 0
	})
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
		return acc[alerts.CaseAlertID("env-2026-000011", "promise_overdue:2026-03-17")] &&
			acc[alerts.CaseAlertID("env-2026-000012", "decision_due:2026-03-17")]
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
	a := alertmanager.FromRecord(&r, now, 4*time.Minute)
	if !a.StartsAt.Equal(r.FiredAt) || !a.EndsAt.Equal(now.Add(4*time.Minute)) {
		t.Errorf("firing: %v..%v", a.StartsAt, a.EndsAt)
	}
	ack := r
	ack.State = alerts.Acknowledged
	b := alertmanager.FromRecord(&ack, now, 4*time.Minute)
	for k, v := range a.Labels {
		if b.Labels[k] != v {
			t.Errorf("acknowledging changed label %s: %q → %q", k, v, b.Labels[k])
		}
	}
	res := end(r, alerts.Resolved, r.FiredAt.Add(time.Hour))
	if c := alertmanager.FromRecord(&res, now, time.Minute); !c.EndsAt.Equal(res.Updated) {
		t.Errorf("resolved: endsAt %v, want %v", c.EndsAt, res.Updated)
	}
	// On a business clock ahead of the wall clock, an ended alert still ends now at the latest.
	future := record("env-2027-000001", "env", monitor.PromiseOverdue)
	future.FiredAt = now.Add(48 * time.Hour)
	fe := end(future, alerts.Exempted, now.Add(72*time.Hour))
	if c := alertmanager.FromRecord(&fe, now, time.Minute); !c.StartsAt.Equal(now) || !c.EndsAt.Equal(now) {
		t.Errorf("ahead of the wall clock: %v..%v, want both %v", c.StartsAt, c.EndsAt, now)
	}
	sys := alerts.Record{ID: "~calendar_missing~2027", Kind: monitor.CalendarMissing, Level: monitor.Yellow,
		State: alerts.Firing, Year: 2027, Message: "2027年工作日历未加载", FiredAt: now}
	if c := alertmanager.FromRecord(&sys, now, time.Minute); len(c.Labels) != 3 || c.Annotations["case_url"] != "" {
		t.Errorf("system alert: %v %v", c.Labels, c.Annotations)
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
	ended := end(r, alerts.Resolved, r.FiredAt.Add(time.Hour))
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
