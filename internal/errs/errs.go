// Package errs defines the one error type that crosses recommend's layers: a
// machine-readable code and a message safe to show to the caller. The HTTP
// layer maps codes to statuses in one place; everything else just returns
// errors made here, or plain errors for the unexpected.
package errs

import (
	"errors"
	"fmt"
)

// Codes, each mapped to one HTTP status by the HTTP layer.
const (
	Invalid       = "invalid_request"     // 400: the caller's input is wrong
	Unauthorized  = "unauthorized"        // 401: no credentials
	Forbidden     = "forbidden"           // 403: wrong credentials
	NotFound      = "not_found"           // 404: no such paper, model or route
	Conflict      = "conflict"            // 409: the state forbids it
	TooLarge      = "request_too_large"   // 413: body or batch too large
	RateLimited   = "rate_limited"        // 429: slow down
	Upstream      = "upstream_error"      // 502: the embeddings upstream failed
	Unavailable   = "service_unavailable" // 503: not ready, or overloaded
	Internal      = "internal_error"      // 500: a bug or a broken disk
	NotFoundRoute = "route_not_found"     // 404 for an unknown path
)

// Error is an application error: Code says what kind, Message what happened
// in words the caller can act on, Param which input field is wrong (if any).
type Error struct {
	Code    string
	Message string
	Param   string
	// Err is the underlying cause, kept for logs and errors.Is; it is not
	// shown to callers.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one input field.
func Field(param, format string, args ...any) *Error {
	return &Error{Code: Invalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message that keeps err as
// its cause.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Code returns the code of the first *Error in err's chain, Internal for any
// other non-nil error, and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the caller-facing message of err: the message of the first
// *Error in its chain, or a generic text for anything else, so that internal
// details never leak to callers.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Param returns the input field that err is about, if any.
func Param(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Param
	}
	return ""
}
