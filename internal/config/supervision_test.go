package config

import (
	"errors"
	"reflect"
	"testing"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/supervision"
)

func TestSupervisionDefaults(t *testing.T) {
	for name, yaml := range map[string]string{"absent": "", "null": "supervision:\n", "empty": "supervision: {}\n"} {
		cfg, err := Load(writeConfig(t, yaml), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := supervision.DefaultSettings(); !reflect.DeepEqual(cfg.Supervision, want) ||
			want.ReplyDays != 5 || want.ReturnDays != 3 || want.EscalateDays != 5 || want.AutoOpen != nil {
			t.Errorf("%s: %+v", name, cfg.Supervision)
		}
	}
}

func TestSupervision(t *testing.T) {
	cfg, err := Load(writeConfig(t, `supervision:
  reply_days: 0
  return_days: 60
  escalate_days: 1
  auto_open: [statutory_overdue, acceptance_overdue, procedure_violation]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := supervision.Settings{ReplyDays: 0, ReturnDays: 60, EscalateDays: 1,
		AutoOpen: []monitor.AlertKind{monitor.StatutoryOverdue, monitor.AcceptanceOverdue, monitor.ProcedureViolate}}
	if !reflect.DeepEqual(cfg.Supervision, want) {
		t.Errorf("got %+v", cfg.Supervision)
	}
}

func TestSupervisionErrors(t *testing.T) {
	for _, c := range []struct{ yaml, key string }{
		{"supervision: {reply_days: -1}", "supervision.reply_days"},
		{"supervision: {reply_days: 61}", "supervision.reply_days"},
		{"supervision: {return_days: -1}", "supervision.return_days"},
		{"supervision: {escalate_days: 0}", "supervision.escalate_days"},
		{"supervision: {escalate_days: 61}", "supervision.escalate_days"},
		{"supervision: {reply_days: five}", "supervision.reply_days"},
		{"supervision: {auto_open: [statutory_overdue, decision_due]}", "supervision.auto_open[1]"},
		{"supervision: {auto_open: [order_overdue]}", "supervision.auto_open[0]"},
		{"supervision: {auto_open: [fault_threshold]}", "supervision.auto_open[0]"},
		{"supervision: {auto_open: [calendar_missing]}", "supervision.auto_open[0]"},
		{"supervision: {auto_open: [promise_overdue, promise_overdue]}", "supervision.auto_open[1]"},
		{"supervision: {auto_open: statutory_overdue}", "supervision.auto_open"},
		{"supervision: {reply_day: 5}", "supervision.reply_day"},
	} {
		_, err := Load(writeConfig(t, c.yaml+"\n"), nil)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != c.key {
			t.Errorf("%s: %v, want an error naming %s", c.yaml, err, c.key)
		}
	}
}
