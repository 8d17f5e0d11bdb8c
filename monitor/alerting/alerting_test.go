package alerting

import (
	"errors"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
)

var (
	loc = time.FixedZone("CST", 8*3600)
	t0  = time.Date(2026, 3, 18, 0, 0, 0, 0, loc)
	c   = Case{CaseID: "env-1", Department: "env", Matter: "ENV-EIA-001"}
)

func alert(kind monitor.AlertKind, key string, active bool, instant time.Time) deadline.Alert {
	return deadline.Alert{Key: key, Kind: kind, Level: kind.Level(), Instant: instant, Active: active, Handler: "zhang.san", Message: "m"}
}

func byKey(rs []Record) map[string]Record {
	m := map[string]Record{}
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

func TestMergeFiresOnceAndFollowsTheCase(t *testing.T) {
	po := alert(monitor.PromiseOverdue, "promise_overdue:2026-03-17", true, t0)
	all, changed := Merge(c, nil, []deadline.Alert{po}, t0)
	if len(all) != 1 || len(changed) != 1 || all[0].State != Firing || all[0].ID != "env-1~promise_overdue:2026-03-17" {
		t.Fatalf("first merge: %+v", all)
	}
	// The same alert again: nothing changes, nothing fires twice.
	all2, changed2 := Merge(c, byKey(all), []deadline.Alert{po}, t0.Add(time.Hour))
	if len(changed2) != 0 || all2[0].Revision != 1 {
		t.Fatalf("re-merge changed %+v", changed2)
	}
	// The case leaves the stage: resolved, closed, still counting.
	po.Active = false
	all3, changed3 := Merge(c, byKey(all2), []deadline.Alert{po}, t0.Add(2*time.Hour))
	if len(changed3) != 1 || all3[0].State != Resolved || all3[0].Resolution != Closed || !all3[0].Counts() {
		t.Fatalf("closing: %+v", all3)
	}
	// The deadline moved: the key is gone, the record is superseded and counts nowhere.
	all4, changed4 := Merge(c, byKey(all3), nil, t0.Add(3*time.Hour))
	if len(changed4) != 1 || all4[0].Resolution != Superseded || all4[0].Counts() {
		t.Fatalf("superseding: %+v", all4)
	}
	// It comes back (the extension was retracted): the same record reopens.
	po.Active = true
	all5, _ := Merge(c, byKey(all4), []deadline.Alert{po}, t0.Add(4*time.Hour))
	if len(all5) != 1 || all5[0].State != Firing || all5[0].Revision != 4 || len(all5[0].History) != 4 {
		t.Fatalf("reopening: %+v", all5)
	}
}

func TestMergeRespectsSupervisors(t *testing.T) {
	pv := alert(monitor.ProcedureViolate, "procedure_violation:e3", true, t0)
	all, _ := Merge(c, nil, []deadline.Alert{pv}, t0)
	r := all[0]
	if _, err := Apply(&r, Resolve, "sup", "", t0); !errors.Is(err, ErrNoteRequired) {
		t.Fatalf("resolve without a note: %v", err)
	}
	if ok, err := Apply(&r, Ack, "sup", "", t0); !ok || err != nil || r.State != Acknowledged {
		t.Fatalf("ack: %v %v %s", ok, err, r.State)
	}
	if ok, _ := Apply(&r, Ack, "sup", "", t0); ok {
		t.Fatal("a second ack changed the record")
	}
	if ok, err := Apply(&r, Resolve, "sup", "已更正", t0); !ok || err != nil || r.Resolution != Corrected {
		t.Fatalf("resolve: %v %v", ok, err)
	}
	if _, err := Apply(&r, Resolve, "sup", "again", t0); !errors.Is(err, ErrState) {
		t.Fatalf("resolving a resolved alert: %v", err)
	}
	// A corrected event alert stays resolved although the event still implies it.
	all2, changed := Merge(c, map[string]Record{r.Key: r}, []deadline.Alert{pv}, t0.Add(time.Hour))
	if len(changed) != 0 || all2[0].State != Resolved || CaseLevel(all2) != monitor.Green {
		t.Fatalf("after correction: %+v", all2)
	}
	if ok, err := Apply(&all2[0], Exempt, "sup", "复核", t0); !ok || err != nil || all2[0].Counts() {
		t.Fatalf("exempt: %v %v", ok, err)
	}
}

func TestCaseLevelIgnoresLateReport(t *testing.T) {
	all, _ := Merge(c, nil, []deadline.Alert{alert(monitor.LateReport, "late_report:e1", true, t0)}, t0)
	if lv := CaseLevel(all); lv != monitor.Green {
		t.Errorf("late_report makes the case %s", lv)
	}
	all, _ = Merge(c, nil, []deadline.Alert{alert(monitor.DecisionDue, "decision_due:2026-03-17", true, t0)}, t0)
	if lv := CaseLevel(all); lv != monitor.Yellow {
		t.Errorf("decision_due gives %s", lv)
	}
}

func TestFaultsCountPromiseAndStatutoryAsOne(t *testing.T) {
	early := time.Date(2025, 12, 31, 0, 0, 0, 0, loc)
	all, _ := Merge(c, nil, []deadline.Alert{
		alert(monitor.PromiseOverdue, "promise_overdue:2025-12-30", true, early.Add(24*time.Hour)),
		alert(monitor.StatutoryOverdue, "statutory_overdue:2026-01-20", true, t0),
		alert(monitor.FeeViolation, "fee_violation:e5", true, t0),
		alert(monitor.DecisionDue, "decision_due:2025-12-28", true, early),
	}, t0)
	f := Faults(all, loc)
	if len(f) != 2 {
		t.Fatalf("faults %v, want 2 (the decision overdue pair as one, the fee)", f)
	}
	if f[decisionOverdue].Year != 2026 {
		t.Errorf("the pair is charged in %d, the year of the earlier instant", f[decisionOverdue].Year)
	}
	d := DiffFaults(nil, f)
	if len(d) != 2 || d[0].Delta != 1 {
		t.Errorf("diff from nothing: %+v", d)
	}
	if len(DiffFaults(f, f)) != 0 {
		t.Error("no change gives deltas")
	}
	if d := DiffFaults(f, nil); len(d) != 2 || d[0].Delta != -1 {
		t.Errorf("diff to nothing: %+v", d)
	}
}

func TestIDs(t *testing.T) {
	id := CaseAlertID("env/2026:1", "promise_overdue:2026-03-17")
	cs, key, sys, ok := SplitID(id)
	if !ok || sys || cs != "env/2026:1" || key != "promise_overdue:2026-03-17" {
		t.Errorf("split %q: %q %q %v %v", id, cs, key, sys, ok)
	}
	if _, _, sys, ok := SplitID(CalendarMissingID(2027)); !sys || !ok {
		t.Error("calendar_missing is a system alert")
	}
	for _, bad := range []string{"", "~", "nokey", "case~"} {
		if _, _, _, ok := SplitID(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// InZone moves every time of a record into the zone without changing an instant, and
// without touching the deadline or history it shares with the record it was copied from.
func TestRecordInZone(t *testing.T) {
	utc := t0.UTC()
	r := Record{Due: &deadline.Deadline{At: utc}, Instant: utc, FiredAt: utc.Add(time.Second)}
	r.move(Firing, "", utc.Add(time.Second), "", "")
	r.move(Acknowledged, "", utc.Add(time.Minute), "wang.wu", "noted")
	orig := r
	urumqi := time.FixedZone("XJT", 6*3600)
	r.InZone(urumqi)
	times := []time.Time{r.Due.At, r.Instant, r.FiredAt, r.Updated, r.History[0].At, r.History[1].At}
	was := []time.Time{utc, utc, utc.Add(time.Second), utc.Add(time.Minute), utc.Add(time.Second), utc.Add(time.Minute)}
	for i, tm := range times {
		if _, off := tm.Zone(); off != 6*3600 || !tm.Equal(was[i]) {
			t.Errorf("time %d: %v, want %v in +06:00", i, tm, was[i])
		}
	}
	if orig.Due.At.Location() != time.UTC || orig.History[1].At.Location() != time.UTC {
		t.Errorf("the original record changed: due %v, history %v", orig.Due.At, orig.History[1].At)
	}
	var zero Record
	zero.InZone(urumqi)
	if !zero.FiredAt.IsZero() || zero.Due != nil || zero.History != nil {
		t.Errorf("zero record: %+v", zero)
	}
}
