package monitor

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of event fields (the Event schema of docs/openapi.yaml).
const (
	// MaxIDLen is the longest event_id, case_id, ref, department or matter code, in bytes
	// (IDs are ASCII, so also in characters).
	MaxIDLen = 128
	// MaxNameLen is the longest handler or approver, in characters (runes).
	MaxNameLen = 128
	// MaxNoteLen is the longest note, in characters (runes).
	MaxNoteLen = 2000
	// MaxFutureSkew is how far past "now" an event's `at` may lie: department clocks drift.
	MaxFutureSkew = 5 * time.Minute
	// MinExtendedDays and MaxExtendedDays bound the `days` of an `extended` event.
	MinExtendedDays = 1
	MaxExtendedDays = 60
)

// EarliestEventAt is the earliest `at` an event may carry. The contract sets no lower bound;
// an `at` before 2000 is a department system's zero value or epoch (1970-01-01), never a real
// approval step, and would otherwise raise a flood of overdue alerts in years long gone.
var EarliestEventAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// idMessage is the one wording of the ID rule.
const idMessage = "must be 1 to 128 characters of ASCII letters, digits and - _ . : /"

// ValidID reports whether s is a valid ID: 1 to 128 characters, each an ASCII letter or
// digit or one of "-_.:/". event_id, case_id, ref and the catalogue's department and matter
// codes follow this rule. Letters are ASCII only, so IDs are safe in Redis keys, metrics
// labels and log lines without escaping (a '/' still needs %2F inside a URL path segment).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}

// dotSegmentMessage is the wording of the rule against "." and ".." segments.
const dotSegmentMessage = `must not have "." or ".." between slashes: such an ID cannot stand in a URL path (browsers and proxies resolve it)`

// DotSegment reports whether s, split at '/', has a segment that is "." or "..": an ID
// like "..", "a/./b" or "env/../x" would be resolved away in a URL path, so a case stored
// under it could not be fetched by a browser. New IDs must not have one; a stored one is
// still read through an escaped path (%2E%2E).
func DotSegment(s string) bool {
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// ValidateEvent checks e against every rule of the push API (docs/api.md) that needs no case
// state, and returns one FieldError per offending field, in the contract's field order
// (nil when e is valid). Fields that are present are checked wherever they appear (a
// `reason` on a `resumed` event must still be a known reason), except that a type-specific
// requirement applies only to its type. cat may be nil, which skips the catalogue checks
// (department and matter exist, the matter belongs to the department). now is the business
// clock's instant; its zone is used in the message of a future `at`.
//
// The rule that a case belongs to one department needs the stored case and is the store's.
func ValidateEvent(e *Event, cat *Catalog, now time.Time) FieldErrors {
	var errs FieldErrors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	checkID := func(field, v string, required bool) bool {
		if v == "" {
			if required {
				add(field, "is required")
			}
			return false
		}
		if !ValidID(v) {
			add(field, idMessage)
			return false
		}
		if field != "ref" && DotSegment(v) { // a ref may name an event stored before the rule
			add(field, dotSegmentMessage)
			return false
		}
		return true
	}

	checkID("event_id", e.EventID, true)
	checkID("case_id", e.CaseID, true)

	deptKnown := false
	if checkID("department", e.Department, true) && cat != nil {
		if _, ok := cat.Department(e.Department); ok {
			deptKnown = true
		} else {
			add("department", "unknown department %q: not in the catalogue", e.Department)
		}
	}

	if e.Matter == "" {
		if e.Type == Submitted {
			add("matter", "is required on submitted events")
		}
	} else if checkID("matter", e.Matter, false) && cat != nil {
		if m, ok := cat.Matter(e.Matter); !ok {
			add("matter", "unknown matter %q: not in the catalogue", e.Matter)
		} else if deptKnown && m.Department != e.Department {
			add("matter", "matter %s belongs to department %s, not %s", e.Matter, m.Department, e.Department)
		}
	}

	switch {
	case e.Type == "":
		add("type", "is required")
	case !e.Type.Valid():
		add("type", "unknown event type %s: must be one of %s", quoteShort(string(e.Type)), joinTypes())
	}

	switch {
	case e.At.IsZero():
		add("at", "is required")
	case e.At.Before(EarliestEventAt):
		add("at", "must not be before %s", EarliestEventAt.Format(time.RFC3339))
	case e.At.After(now.Add(MaxFutureSkew)):
		add("at", "must be at most 5 minutes in the future (now %s)", now.Format(time.RFC3339))
	}

	if e.Seq < 0 {
		add("seq", "must be a non-negative integer")
	}

	if e.Handler == "" {
		if e.Type == Step {
			add("handler", "is required on step events (it names the new handler)")
		}
	} else if msg := checkName(e.Handler); msg != "" {
		add("handler", "%s", msg)
	}

	switch {
	case e.Days == 0 && e.Type == Extended:
		add("days", "is required on extended events: an integer from 1 to 60")
	case e.Days != 0 && (e.Days < MinExtendedDays || e.Days > MaxExtendedDays):
		add("days", "must be an integer from 1 to 60")
	}

	if e.Approver == "" {
		if e.Type == Extended {
			add("approver", "is required on extended events (the agency head who granted it)")
		}
	} else if msg := checkName(e.Approver); msg != "" {
		add("approver", "%s", msg)
	}

	switch {
	case e.Reason == "" && e.Type == Suspended:
		add("reason", "is required on suspended events: one of %s", strings.Join(SuspensionReasons, ", "))
	case e.Reason != "" && !ValidReason(e.Reason):
		add("reason", "unknown suspension reason %s: must be one of %s", quoteShort(e.Reason), strings.Join(SuspensionReasons, ", "))
	}

	switch {
	case e.Note == "" && e.Type == NotAccepted:
		add("note", "is required on not_accepted events (the reason given to the applicant)")
	case e.Note == "" && e.Type == Suspended && e.Reason == ReasonOther:
		add("note", "is required when reason is other")
	case e.Note != "":
		if msg := checkNote(e.Note); msg != "" {
			add("note", "%s", msg)
		}
	}

	if e.AmountYuan == "" {
		if e.Type == FeeCharged {
			add("amount_yuan", `is required on fee_charged events: a decimal string of yuan such as "120.00"`)
		}
	} else if _, err := ParseAmountFen(e.AmountYuan); err != nil {
		add("amount_yuan", "%s", err.Error())
	}

	switch {
	case e.Result == "" && e.Type == Decided:
		add("result", "is required on decided events: approved or denied")
	case e.Result != "" && e.Result != ResultApproved && e.Result != ResultDenied:
		add("result", "must be approved or denied, not %s", quoteShort(e.Result))
	}

	if e.Ref == "" {
		if e.Type == Retracted {
			add("ref", "is required on retracted events: the event_id to disregard")
		}
	} else if checkID("ref", e.Ref, false) && e.Ref == e.EventID {
		add("ref", "must name another event of the case, not the retraction itself")
	}

	return errs
}

// checkName returns what is wrong with a handler or approver, or "".
func checkName(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxNameLen:
		return fmt.Sprintf("must be at most %d characters", MaxNameLen)
	case strings.TrimSpace(s) == "":
		return "must not be blank"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// checkNote returns what is wrong with a note, or "". Line breaks and tabs are fine.
func checkNote(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxNoteLen:
		return fmt.Sprintf("must be at most %d characters", MaxNoteLen)
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) >= 0:
		return "must not contain control characters other than line breaks and tabs"
	}
	return ""
}

// quoteShort quotes a value for an error message, cut to 40 characters so that a message
// never echoes a whole oversized input.
func quoteShort(s string) string {
	const max = 40
	n := 0
	for i := range s {
		if n == max {
			return fmt.Sprintf("%q…", s[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", s)
}

func joinTypes() string {
	names := make([]string, len(EventTypes))
	for i, t := range EventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
