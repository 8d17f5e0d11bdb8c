package httpin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBodyFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        func(t testing.TB) string
		want        []string // statuses
		stored      map[string]int
	}{
		{
			name: "single object", contentType: "application/json",
			body:   func(t testing.TB) string { return jsonOf(t, ev("c-1", "e1")) },
			want:   []string{"accepted"},
			stored: map[string]int{"c-1": 1},
		},
		{
			name: "array", contentType: "application/json",
			body: func(t testing.TB) string {
				return jsonOf(t, []any{ev("c-1", "e1"), ev("c-1", "e2", "type", "accepted", "matter", nil), ev("c-2", "e1")})
			},
			want:   []string{"accepted", "accepted", "accepted"},
			stored: map[string]int{"c-1": 2, "c-2": 1},
		},
		{
			name: "NDJSON with a broken line in the middle", contentType: "application/x-ndjson",
			body: func(t testing.TB) string {
				return ndjson(t, ev("c-1", "e1"), "", `{"event_id": "e2", "case_id": "c-1",`, ev("c-2", "e1"))
			},
			want:   []string{"accepted", "rejected", "accepted"},
			stored: map[string]int{"c-1": 1, "c-2": 1},
		},
		{
			name: "NDJSON with CRLF and a charset", contentType: "application/x-ndjson; charset=utf-8",
			body: func(t testing.TB) string {
				return jsonOf(t, ev("c-1", "e1")) + "\r\n\r\n" + jsonOf(t, ev("c-1", "e2", "type", "accepted")) + "\r\n"
			},
			want:   []string{"accepted", "accepted"},
			stored: map[string]int{"c-1": 2},
		},
		{
			name: "NDJSON sniffed without a content type",
			body: func(t testing.TB) string { return ndjson(t, ev("c-1", "e1"), ev("c-2", "e1")) },
			want: []string{"accepted", "accepted"}, stored: map[string]int{"c-1": 1, "c-2": 1},
		},
		{
			name: "array with a BOM and no content type",
			body: func(t testing.TB) string { return "\ufeff" + jsonOf(t, []any{ev("c-1", "e1")}) },
			want: []string{"accepted"}, stored: map[string]int{"c-1": 1},
		},
		{
			name: "array elements that are not objects", contentType: "application/json",
			body: func(t testing.TB) string { return `[42, null, "x", ` + jsonOf(t, ev("c-1", "e1")) + `]` },
			want: []string{"rejected", "rejected", "rejected", "accepted"}, stored: map[string]int{"c-1": 1},
		},
		{
			name: "empty array", contentType: "application/json",
			body: func(testing.TB) string { return "[]" },
			want: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			a := e.post(t, envToken, tc.contentType, tc.body(t)).answer(t)
			if got := statuses(a); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("statuses %v, want %v: %+v", got, tc.want, a.Results)
			}
			for id, n := range tc.stored {
				if evs := e.events(t, id); len(evs) != n {
					t.Errorf("case %s: %d events stored, want %d", id, len(evs), n)
				}
			}
			if got := e.stored.Load(); got != int64(a.Accepted) {
				t.Errorf("OnStored got %d events, want %d", got, a.Accepted)
			}
			if want := min(int64(a.Accepted), 1); e.calls.Load() != want {
				t.Errorf("OnStored called %d times, want %d", e.calls.Load(), want)
			}
		})
	}
}

func TestNDJSONBrokenLineNamed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.post(t, envToken, "application/x-ndjson",
		ndjson(t, ev("c-1", "e1"), "", "not json", "[1]", ev("c-1", "e2", "at", nil))).answer(t)
	want := []struct {
		status, field, msg string
	}{
		{"accepted", "", ""},
		{"rejected", "", "line 3 is not valid JSON"},
		{"rejected", "", "line 4: must be a JSON object"},
		{"rejected", "at", "is required"},
	}
	if len(a.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(a.Results), len(want), a.Results)
	}
	for i, w := range want {
		r := a.Results[i]
		if r.Status != w.status {
			t.Errorf("result %d: status %s, want %s", i, r.Status, w.status)
		}
		if w.msg == "" {
			if len(r.Errors) != 0 {
				t.Errorf("result %d: errors %v, want none", i, r.Errors)
			}
			continue
		}
		if len(r.Errors) != 1 || r.Errors[0].Field != w.field || !strings.HasPrefix(r.Errors[0].Message, w.msg) {
			t.Errorf("result %d: errors %+v, want field %q starting %q", i, r.Errors, w.field, w.msg)
		}
	}
	if a.Results[3].EventID != "e2" {
		t.Errorf("event_id of a rejected event: %q, want e2", a.Results[3].EventID)
	}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first := ev("c-1", "e1")
	a := e.post(t, envToken, "application/json", jsonOf(t, []any{first, first, ev("c-1", "e2", "type", "accepted")})).answer(t)
	if got := fmt.Sprint(statuses(a)); got != "[accepted duplicate accepted]" {
		t.Fatalf("first request: %s", got)
	}
	// A retry of the whole batch, as after a lost answer: nothing is stored twice.
	a = e.post(t, envToken, "application/json", jsonOf(t, []any{first, ev("c-1", "e2", "type", "accepted")})).answer(t)
	if got := fmt.Sprint(statuses(a)); got != "[duplicate duplicate]" {
		t.Fatalf("retry: %s", got)
	}
	if a.Duplicates != 2 || a.Accepted != 0 {
		t.Errorf("retry counts: %+v", a)
	}
	evs := e.events(t, "c-1")
	if len(evs) != 2 {
		t.Fatalf("%d events stored, want 2", len(evs))
	}
	if !evs[0].ReceivedAt.Equal(t0) {
		t.Errorf("received_at %v, want the business clock's %v", evs[0].ReceivedAt, t0)
	}
	if e.calls.Load() != 1 || e.stored.Load() != 2 {
		t.Errorf("OnStored: %d calls, %d events; want 1 call of 2 (a request storing nothing calls nothing)", e.calls.Load(), e.stored.Load())
	}
}

func TestBatchKeepsGoodEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	future := t0.Add(10 * time.Minute).Format(time.RFC3339)
	soon := t0.Add(4 * time.Minute).Format(time.RFC3339)
	tests := []struct {
		name  string
		event map[string]any
		field string // "" for a good event
	}{
		{"good", ev("b-1", "e1"), ""},
		{"missing at", ev("b-2", "e1", "at", nil), "at"},
		{"days of the wrong type", ev("b-1", "e2", "type", "extended", "days", "ten", "approver", "li.si"), "days"},
		{"unknown type", ev("b-3", "e1", "type", "approve"), "type"},
		{"unknown matter", ev("b-4", "e1", "matter", "ENV-XXX-999"), "matter"},
		{"at 10 minutes in the future", ev("b-5", "e1", "at", future), "at"},
		{"at 4 minutes in the future", ev("b-6", "e1", "at", soon), ""},
		{"extended without approver", ev("b-1", "e3", "type", "extended", "days", 5), "approver"},
		{"suspended for other without a note", ev("b-1", "e4", "type", "suspended", "reason", "other"), "note"},
		{"good after the bad ones", ev("b-1", "e5", "type", "accepted"), ""},
	}
	batch := make([]any, len(tests))
	for i, tc := range tests {
		batch[i] = tc.event
	}
	a := e.post(t, envToken, "application/json", jsonOf(t, batch)).answer(t)
	if a.Accepted != 3 || a.Rejected != 7 || a.Duplicates != 0 {
		t.Errorf("counts %d/%d/%d, want 3 accepted, 7 rejected", a.Accepted, a.Rejected, a.Duplicates)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Results[i]
			if r.Index != i || r.EventID != tc.event["event_id"] {
				t.Errorf("index %d event_id %q, want %d %q", r.Index, r.EventID, i, tc.event["event_id"])
			}
			if tc.field == "" {
				if r.Status != "accepted" || len(r.Errors) != 0 {
					t.Errorf("got %+v, want accepted without errors", r)
				}
				return
			}
			if r.Status != "rejected" || len(r.Errors) != 1 || r.Errors[0].Field != tc.field || r.Errors[0].Message == "" {
				t.Errorf("got %+v, want rejected naming only %s", r, tc.field)
			}
		})
	}
	if evs := e.events(t, "b-1"); len(evs) != 2 {
		t.Errorf("case b-1: %d events stored, want the 2 good ones", len(evs))
	}
	for _, id := range []string{"b-2", "b-3", "b-4", "b-5"} {
		if evs := e.events(t, id); len(evs) != 0 {
			t.Errorf("case %s: rejected events stored: %v", id, evs)
		}
	}
}

func TestSingleInvalidEventIs202(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.post(t, envToken, "application/json", `{"event_id": 7, "case_id": "c-1"}`).answer(t)
	if a.Rejected != 1 || len(a.Results) != 1 || a.Results[0].EventID != "" {
		t.Fatalf("got %+v, want one rejection with an empty event_id", a)
	}
	fields := map[string]bool{}
	for _, fe := range a.Results[0].Errors {
		fields[fe.Field] = true
	}
	for _, f := range []string{"event_id", "department", "type", "at"} {
		if !fields[f] {
			t.Errorf("no error names %s: %+v", f, a.Results[0].Errors)
		}
	}
	if e.calls.Load() != 0 {
		t.Errorf("OnStored called for a request that stored nothing")
	}
}

func TestCaseOfAnotherDepartment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.post(t, envToken, "", jsonOf(t, ev("shared-1", "e1"))).answer(t)
	// The transport collector reports for its own department, on a case env owns.
	a := e.post(t, transportToken, "application/json", jsonOf(t, []any{
		ev("shared-1", "t1", "department", "transport", "type", "accepted", "matter", nil),
		ev("t-1", "e1", "department", "transport", "matter", "TRN-ROAD-001"),
	})).answer(t)
	if got := fmt.Sprint(statuses(a)); got != "[rejected accepted]" {
		t.Fatalf("statuses %s", got)
	}
	errs := a.Results[0].Errors
	if len(errs) != 1 || errs[0].Field != "department" || errs[0].Message != "case shared-1 belongs to department env" {
		t.Errorf("errors %+v", errs)
	}
	if evs := e.events(t, "shared-1"); len(evs) != 1 {
		t.Errorf("case shared-1 holds %d events, want 1", len(evs))
	}
}

func TestSupervisorBackfillsAnyDepartment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.post(t, supervisorToken, "application/json", jsonOf(t, []any{
		ev("s-1", "e1"),
		ev("s-2", "e1", "department", "transport", "matter", "TRN-ROAD-001"),
	})).answer(t)
	if a.Accepted != 2 {
		t.Fatalf("got %+v", a)
	}
}
