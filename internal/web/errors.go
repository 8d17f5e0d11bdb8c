package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
)

// Code classifies a client-facing error; Status maps it to HTTP in one table.
type Code string

// The error codes.
const (
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	NotFound     Code = "not_found"
	// MethodNotAllowed (405): the caller sets the Allow header.
	MethodNotAllowed Code = "method_not_allowed"
	Conflict         Code = "conflict"
	TooLarge         Code = "too_large"
	// Timeout (408): the request's body did not arrive in time.
	Timeout     Code = "timeout"
	RateLimited Code = "rate_limited"
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

var statusOf = map[Code]int{
	Invalid:          http.StatusBadRequest,
	Unauthorized:     http.StatusUnauthorized,
	Forbidden:        http.StatusForbidden,
	NotFound:         http.StatusNotFound,
	MethodNotAllowed: http.StatusMethodNotAllowed,
	Conflict:         http.StatusConflict,
	TooLarge:         http.StatusRequestEntityTooLarge,
	Timeout:          http.StatusRequestTimeout,
	RateLimited:      http.StatusTooManyRequests,
	Unavailable:      http.StatusServiceUnavailable,
	Internal:         http.StatusInternalServerError,
}

// Error is the one error type clients see: {"error": "…", "field": "…"}.
type Error struct {
	Code    Code   `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"`
	// RetryAfter, in whole seconds, is sent as Retry-After (rate limits).
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Status is the HTTP status of the error.
func (e *Error) Status() int {
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Errorf builds an Error about a field ("" when about the whole request).
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// WriteError answers with err: an *Error as itself; an error that says the store is away
// (an Unavailable() method answering true, as rdb's) as 503 with Retry-After, not
// logged here since the store logs each outage once; anything else as a 500 whose detail
// goes to the request's logger (Logger) only.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var u unavailable
	switch {
	case errors.As(err, &e):
	case errors.As(err, &u) && u.Unavailable():
		e = Unavailablef(u, "the store is unavailable; nothing was changed; retry after the time in Retry-After")
	default:
		Logger(r.Context()).Error("request_failed", "component", "http", "path", r.URL.Path, "err", err)
		e = &Error{Code: Internal, Message: "internal error"}
	}
	if e.Code == Unavailable && e.RetryAfter <= 0 {
		cp := *e // every 503 says when to come back
		cp.RetryAfter = DefaultRetryAfter
		e = &cp
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	WriteJSON(w, e.Status(), e)
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// unavailable is an error of a store that could not be reached (rdb.UnavailableError).
type unavailable interface {
	error
	Unavailable() bool
}

// Unavailablef is the 503 of a request that needed the store while it is away, with the
// Retry-After the store's error suggests (RetryAfterSeconds), or DefaultRetryAfter.
func Unavailablef(cause error, format string, args ...any) *Error {
	e := Errorf(Unavailable, "", format, args...)
	e.RetryAfter = DefaultRetryAfter
	var ra interface{ RetryAfterSeconds() int }
	if errors.As(cause, &ra) && ra.RetryAfterSeconds() > 0 {
		e.RetryAfter = ra.RetryAfterSeconds()
	}
	return e
}

// IsUnavailable reports whether err says the store is away.
func IsUnavailable(err error) bool {
	var u unavailable
	return errors.As(err, &u) && u.Unavailable()
}

// DefaultRetryAfter is the Retry-After, in seconds, of a 503 whose cause suggests none.
const DefaultRetryAfter = 2

type loggerKey struct{}

// WithLogger returns ctx carrying log, the service's logger, for WriteError and handlers
// that have none of their own.
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

// Logger returns the logger of ctx (WithLogger), or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
