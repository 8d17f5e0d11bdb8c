package deadline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/monitor"
)

func TestTimeline(t *testing.T) {
	short := func(m *monitor.Matter) {
		m.PromisedDays, m.StatutoryDays, m.AcceptanceDays, m.DeliveryDays = 3, 5, 2, 1
	}
	cases := []struct {
		name   string
		matter func(*monitor.Matter)
		events []ev
		now    string
		want   []string // "date clock kind [count]"
		notes  map[int]string
	}{
		{
			// Acceptance from Thu 03-05: 06, 09 → 03-09 (ended by the acceptance on 03-06).
			// Decision from Fri 03-06: the stop from Tue 10:00 to Thu 09:00 removes 11
			// and 12; the extension on 03-12 (before both deadlines) adds 2 to each:
			// promised 5 → 09,10,13,16,17; statutory 7 → 18, 19.
			name: "suspension and extension", matter: short, now: "2026-03-12 12:00",
			events: []ev{{typ: tSub, at: "2026-03-05 09:00"}, {typ: tAcc, at: "2026-03-06 10:00"},
				{typ: tSusp, at: "2026-03-10 10:00", reason: "hearing"}, {typ: tRes, at: "2026-03-12 09:00"},
				{typ: tExt, at: "2026-03-12 11:00", days: 2, approver: "li.si"}},
			want: []string{
				"2026-03-05 acceptance start", "2026-03-06 acceptance counted 1", "2026-03-09 acceptance deadline",
				"2026-03-06 decision start", "2026-03-07 decision off", "2026-03-08 decision off",
				"2026-03-09 decision counted 1", "2026-03-10 decision counted 2",
				"2026-03-11 decision stopped", "2026-03-12 decision stopped", "2026-03-12 decision extension",
				"2026-03-13 decision counted 3", "2026-03-14 decision off", "2026-03-15 decision off",
				"2026-03-16 decision counted 4", "2026-03-17 decision counted 5", "2026-03-17 decision deadline",
				"2026-03-18 decision counted 6", "2026-03-19 decision counted 7", "2026-03-19 decision deadline",
			},
			notes: map[int]string{
				4:  "周末，不计入",
				8:  "暂停（听证），不计入",
				10: "延期2个工作日（批准人 li.si），计入法定时限和承诺时限",
				16: "承诺时限届满（5个工作日），至 2026-03-18 00:00",
				19: "法定时限届满（7个工作日），至 2026-03-20 00:00",
			},
		},
		{
			// From Wed 2026-12-30: 31, then 2027 (not loaded: 01-01 off by the fallback
			// rule, 02 and 03 a weekend), 04.
			name:   "into an unloaded year",
			matter: func(m *monitor.Matter) { m.PromisedDays, m.StatutoryDays, m.AcceptanceDays = 2, 2, 1 },
			now:    "2026-12-30 12:00",
			events: []ev{{typ: tSub, at: "2026-12-30 09:00"}, {typ: tAcc, at: "2026-12-30 10:00"}},
			want: []string{
				"2026-12-30 acceptance start", "2026-12-31 acceptance deadline",
				"2026-12-30 decision start", "2026-12-31 decision counted 1",
				"2027-01-01 decision provisional", "2027-01-01 decision off", "2027-01-02 decision off",
				"2027-01-03 decision off", "2027-01-04 decision counted 2",
				"2027-01-04 decision deadline", "2027-01-04 decision deadline",
			},
			notes: map[int]string{5: "法定节假日，不计入"},
		},
		{
			// Sat 2026-02-14 is a make-up working day; the 春节 break follows.
			name:   "supplement round and make-up day",
			matter: func(m *monitor.Matter) { m.AcceptanceDays = 2 },
			now:    "2026-02-13 12:00",
			events: []ev{{typ: tSub, at: "2026-02-11 09:00"}, {typ: tSuppReq, at: "2026-02-12 10:00"},
				{typ: tSuppRcv, at: "2026-02-13 10:00"}},
			want: []string{
				"2026-02-11 acceptance start", "2026-02-12 acceptance counted 1",
				"2026-02-12 acceptance supplement_wait", "2026-02-13 acceptance deadline",
				"2026-02-13 acceptance start", "2026-02-14 acceptance counted 1",
				"2026-02-15 acceptance off", "2026-02-16 acceptance off", "2026-02-17 acceptance off",
				"2026-02-18 acceptance off", "2026-02-19 acceptance off", "2026-02-20 acceptance off",
				"2026-02-21 acceptance off", "2026-02-22 acceptance off", "2026-02-23 acceptance off",
				"2026-02-24 acceptance counted 2", "2026-02-24 acceptance deadline",
			},
			notes: map[int]string{
				3: "受理期限（2个工作日）至 2026-02-14 00:00；已因补正告知终止",
				5: "第1个工作日（调休上班）", 6: "周末，不计入", 7: "法定节假日，不计入",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := stdMatter()
			tc.matter(&m)
			got := Timeline(input(t, m, tc.events, tc.now))
			var lines []string
			for _, e := range got {
				s := fmt.Sprintf("%s %s %s", e.Date, e.Clock, e.Kind)
				if e.Kind == TLCounted {
					s += fmt.Sprintf(" %d", e.Count)
				}
				lines = append(lines, s)
				if e.Note == "" {
					t.Errorf("entry %s has no note", s)
				}
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			for i, note := range tc.notes {
				if got[i].Note != note {
					t.Errorf("entry %d (%s) note %q, want %q", i, lines[i], got[i].Note, note)
				}
			}
		})
	}
}

func TestMessages(t *testing.T) {
	cases := []struct {
		name   string
		matter func(*monitor.Matter)
		events []ev
		now    string
		key    string
		want   string
	}{
		{"promise overdue (the alert example of docs/api.md)", nil, []ev{sub, acc}, "2026-03-18 10:00",
			"promise_overdue:2026-03-17", "办件 env-2026-000123 超过承诺时限（10个工作日）"},
		{"decision due", nil, []ev{sub, acc}, "2026-03-16 10:00",
			"decision_due:2026-03-17", "办件 env-2026-000123 将于 2026-03-17 到期（承诺时限），剩余2个工作日"},
		{"statutory overdue", nil, []ev{sub, acc}, "2026-04-01 10:00",
			"statutory_overdue:2026-03-31", "办件 env-2026-000123 超过法定时限（20个工作日）"},
		{"acceptance overdue", nil, []ev{sub}, "2026-03-10 10:00",
			"acceptance_overdue:2026-03-09", "办件 env-2026-000123 受理超期（5个工作日），视为受理"},
		{"second supplement", nil, []ev{sub, {typ: tSuppReq, at: "2026-03-03 10:00"}, {typ: tSuppReq, at: "2026-03-04 10:00"}},
			"2026-03-05 10:00", "procedure_violation:e3", "办件 env-2026-000123 程序违规：一次性告知违规：第二次补正通知"},
		{"fee", func(m *monitor.Matter) { fen := int64(10000); m.FeeMaxFen = &fen },
			[]ev{sub, acc, {typ: tFee, at: "2026-03-04 10:00", amount: "120.5"}}, "2026-03-05 10:00",
			"fee_violation:e3", "办件 env-2026-000123 累计收费120.50元，超过上限100.00元"},
		{"late report", nil, []ev{sub, {typ: tAcc, at: "2026-03-03 10:00", received: "2026-03-04 16:30"}}, "2026-03-05 10:00",
			"late_report:e2", "办件 env-2026-000123 事件 e2（受理）迟报：发生后30小时才报送"},
		{"suspension cap", func(m *monitor.Matter) { m.MaxSuspensionDays = map[string]int{"expert_review": 2} },
			[]ev{sub, acc, {typ: tSusp, at: "2026-03-04 10:00", reason: "expert_review"}}, "2026-03-10 10:00",
			"suspension_overdue:expert_review:2026-03-06", "办件 env-2026-000123 暂停（专家评审）超过上限（累计2个工作日），恢复计时"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := stdMatter()
			if tc.matter != nil {
				tc.matter(&m)
			}
			r := Compute(input(t, m, tc.events, tc.now))
			for _, a := range r.Alerts {
				if a.Key == tc.key {
					if a.Message != tc.want {
						t.Errorf("message %q, want %q", a.Message, tc.want)
					}
					return
				}
			}
			t.Errorf("no alert %s in %v", tc.key, summary(r))
		})
	}
}

func TestParseFen(t *testing.T) {
	cases := []struct {
		in   string
		fen  int64
		isOK bool
	}{
		{"120.00", 12000, true}, {"120", 12000, true}, {"120.5", 12050, true}, {"0.01", 1, true},
		{"0", 0, true}, {"", 0, false}, {".5", 0, false}, {"1.", 0, false}, {"1.005", 0, false},
		{"-1", 0, false}, {"+1", 0, false}, {"1,000", 0, false}, {" 1", 0, false}, {"1e3", 0, false},
		{"12345678901234", 1234567890123400, true}, {"99999999999999999999", 0, false},
	}
	for _, tc := range cases {
		fen, ok := parseFen(tc.in)
		if fen != tc.fen || ok != tc.isOK {
			t.Errorf("parseFen(%q) = %d, %t; want %d, %t", tc.in, fen, ok, tc.fen, tc.isOK)
		}
	}
}
