package wsload

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ds := make([]time.Duration, 200)
	for i := range ds {
		ds[len(ds)-1-i] = time.Duration(i+1) * time.Millisecond
	}
	s := Summarize(ds)
	if s.N != 200 || s.P50 != 100*time.Millisecond || s.P99 != 198*time.Millisecond || s.Max != 200*time.Millisecond || s.Min != time.Millisecond {
		t.Fatalf("%+v", s)
	}
	if (Summarize(nil) != Summary{}) {
		t.Fatal("empty")
	}
}

func TestAlertCase(t *testing.T) {
	for _, tc := range []struct {
		msg, want string
		ok        bool
	}{
		{`{"type":"alert","cursor":"1-0","alert":{"id":"x","kind":"promise_overdue","case_id":"env-1","level":"red"}}`, "env-1", true},
		{`{"type":"alert","cursor":"1-0","alert":{"id":"x","kind":"late_report","case_id":"env-1"}}`, "", false},
		{`{"type":"overview","overview":{"open":1}}`, "", false},
		{`{"type":"alert","cursor":"1-0","alert":{"kind":"promise_overdue"}}`, "", false},
	} {
		got, ok := AlertCase([]byte(tc.msg))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %q %v", tc.msg, got, ok)
		}
	}
}
