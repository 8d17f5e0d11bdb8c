package eventjson

import (
	"slices"
	"testing"
	"time"

	"github.com/duban-gov/duban/monitor"
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// exampleCatalog is a small catalogue built in code, as other packages' tests build theirs.
func exampleCatalog(tb testing.TB) *monitor.Catalog {
	tb.Helper()
	c := monitor.NewCatalog(
		[]monitor.Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}},
		[]monitor.Matter{
			monitor.NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10),
			monitor.NewMatter("TR-ROAD-001", "道路运输经营许可", "transport", 0, 0),
		})
	if errs := c.Validate(); errs != nil {
		tb.Fatalf("test catalogue: %v", errs)
	}
	return c
}

// TestParseEventBatch checks that the events of a batch are judged one by one: a bad event
// next to good ones is rejected alone, with its own fields named.
func TestParseEventBatch(t *testing.T) {
	cat := exampleCatalog(t)
	batch := []struct {
		raw  string
		want []string
	}{
		{`{"event_id":"e1","case_id":"c1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"}`, nil},
		{`{"event_id":"e2","case_id":"c1","department":"env","type":"extended","at":"2026-03-02T09:10:00+08:00","days":"10"}`, []string{"days", "approver"}},
		{`{"event_id":"e3","case_id":"c1","department":"env","type":"accepted","at":"2026-03-02T01:20:00Z","seq":2}`, nil},
		{`[1,2]`, []string{""}},
		{`{"event_id":"e4","case_id":"c1","department":"env","type":"accepted","at":"2026-03-02 09:30:00"}`, []string{"at"}},
		{`{"event_id":"e5","case_id":"c1","department":"env","type":"fee_charged","at":"2026-03-02T09:40:00.5+08:00","amount_yuan":"80.5"}`, nil},
		{`{"event_id":"e6","case_id":"c1","department":"police","type":"decided","at":"2026-03-02T09:50:00+08:00"}`, []string{"department", "result"}},
		{`{"event_id":"e7","case_id":"c1","department":"env","type":"decided","at":"2026-03-02T09:55:00+08:00","result":"approved"}`, nil},
	}
	accepted := 0
	for i, b := range batch {
		e, errs := Parse([]byte(b.raw), cat, testNow)
		if got := errs.Fields(); !slices.Equal(got, b.want) {
			t.Errorf("event %d: fields = %q, want %q (%v)", i, got, b.want, errs)
		}
		if errs == nil {
			accepted++
			if e.EventID == "" {
				t.Errorf("event %d: accepted but not decoded", i)
			}
		}
	}
	if accepted != 4 {
		t.Errorf("accepted %d events, want 4", accepted)
	}
}

func TestParseEventReportsAFieldOnce(t *testing.T) {
	// `at` and `days` fail to decode; ValidateEvent would add "is required" for each.
	raw := `{"event_id":"e1","case_id":"c1","department":"env","type":"extended","at":"yesterday","days":1.5,"approver":"li.si"}`
	_, errs := Parse([]byte(raw), exampleCatalog(t), testNow)
	want := monitor.FieldErrors{{Field: "at", Message: msgAt}, {Field: "days", Message: msgDays}}
	if !slices.Equal(errs, want) {
		t.Errorf("errors = %v, want %v", errs, want)
	}
}
