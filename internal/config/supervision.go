package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/supervision"
)

// supervision validates the `supervision` section: the limits in working days and the
// kinds of `auto_open`, each a red kind of a case, none twice.
func (l *loader) supervision(fc *fileConfig) *Error {
	s := fc.Supervision
	for _, c := range []struct {
		key      string
		v, least int
	}{
		{"supervision.reply_days", s.ReplyDays, 0},
		{"supervision.return_days", s.ReturnDays, 0},
		{"supervision.escalate_days", s.EscalateDays, 1},
	} {
		if c.v < c.least || c.v > supervision.MaxDays {
			return &Error{Key: c.key, Message: fmt.Sprintf("must be %d to %d working days, not %d", c.least, supervision.MaxDays, c.v)}
		}
	}
	out := supervision.Settings{ReplyDays: s.ReplyDays, ReturnDays: s.ReturnDays, EscalateDays: s.EscalateDays}
	for i, k := range s.AutoOpen {
		key := fmt.Sprintf("supervision.auto_open[%d]", i)
		kind := monitor.AlertKind(k)
		if !slices.Contains(supervision.AutoOpenable, kind) {
			return &Error{Key: key, Message: fmt.Sprintf("%q is not a red alert kind of a case (one of %s)", k, autoOpenKinds())}
		}
		if slices.Contains(out.AutoOpen, kind) {
			return &Error{Key: key, Message: fmt.Sprintf("%s is listed twice", k)}
		}
		out.AutoOpen = append(out.AutoOpen, kind)
	}
	l.cfg.Supervision = out
	return nil
}

func autoOpenKinds() string {
	names := make([]string, len(supervision.AutoOpenable))
	for i, k := range supervision.AutoOpenable {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
