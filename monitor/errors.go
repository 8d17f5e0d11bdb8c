package monitor

import "strings"

// FieldError says what is wrong with one field of an event, a catalogue entry or a request.
// Field is the input's own field name (`at`, `days`, `matters[2].statutory_days`).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors is a list of field errors that is itself an error.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}
