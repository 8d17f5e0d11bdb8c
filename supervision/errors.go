package supervision

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldError is bad input to an action, naming the request's own field (`opinion`,
// `reply_days`, `alerts[1]`, `responsible[0].handler`): an HTTP 400.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError is an action that does not fit the order's state (replying to a closed
// order, accepting an open one): an HTTP 409. State is the order's state when it was refused.
type ConflictError struct {
	Action  ActionType `json:"action"`
	State   State      `json:"state"`
	Message string     `json:"message"`
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s on a %s order: %s", e.Action, e.State, e.Message)
}

func conflict(a ActionType, s State, format string, args ...any) *ConflictError {
	return &ConflictError{Action: a, State: s, Message: fmt.Sprintf(format, args...)}
}

// Text limits, in characters (runes).
const (
	// MaxTextLen bounds an opinion, a cause and measures: a page or two of a notice.
	MaxTextLen = 4000
	// MaxNoteLen bounds a reviewer's note, as for alert notes.
	MaxNoteLen = 2000
	// MaxNameLen bounds a handler's name or a principal, as for events' handlers.
	MaxNameLen = 128
	// MaxReplyDays bounds an order's own reply limit.
	MaxReplyDays = 60
)

// checkText returns what is wrong with a free text, or "": required texts must not be
// blank; line breaks and tabs are fine, other control characters are not.
func checkText(s string, required bool, limit int) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case required && strings.TrimSpace(s) == "":
		return "is required"
	case utf8.RuneCountInString(s) > limit:
		return fmt.Sprintf("must be at most %d characters", limit)
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) >= 0:
		return "must not contain control characters other than line breaks and tabs"
	}
	return ""
}

// checkName returns what is wrong with a handler's name, or "".
func checkName(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.TrimSpace(s) == "":
		return "is required"
	case utf8.RuneCountInString(s) > MaxNameLen:
		return fmt.Sprintf("must be at most %d characters", MaxNameLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}
