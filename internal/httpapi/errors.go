package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/errs"
)

// statuses maps error codes to HTTP statuses: the one place where that
// mapping lives.
var statuses = map[string]int{
	errs.Invalid:       http.StatusBadRequest,
	errs.Unauthorized:  http.StatusUnauthorized,
	errs.Forbidden:     http.StatusForbidden,
	errs.NotFound:      http.StatusNotFound,
	errs.NotFoundRoute: http.StatusNotFound,
	errs.Conflict:      http.StatusConflict,
	errs.TooLarge:      http.StatusRequestEntityTooLarge,
	errs.RateLimited:   http.StatusTooManyRequests,
	errs.Upstream:      http.StatusBadGateway,
	errs.Unavailable:   http.StatusServiceUnavailable,
	errs.Internal:      http.StatusInternalServerError,
}

// errorTypes gives each code the error type an OpenAI client expects.
var errorTypes = map[string]string{
	errs.Invalid:       "invalid_request_error",
	errs.NotFound:      "invalid_request_error",
	errs.NotFoundRoute: "invalid_request_error",
	errs.TooLarge:      "invalid_request_error",
	errs.Conflict:      "invalid_request_error",
	errs.Unauthorized:  "authentication_error",
	errs.Forbidden:     "permission_error",
	errs.RateLimited:   "rate_limit_error",
	errs.Upstream:      "api_error",
	errs.Unavailable:   "api_error",
	errs.Internal:      "api_error",
}

// echoCodes translates echo's own errors (unknown route, wrong method, body
// too large, ...) into error codes.
var echoCodes = map[int]string{
	http.StatusBadRequest:            errs.Invalid,
	http.StatusUnauthorized:          errs.Unauthorized,
	http.StatusForbidden:             errs.Forbidden,
	http.StatusNotFound:              errs.NotFoundRoute,
	http.StatusMethodNotAllowed:      errs.Invalid,
	http.StatusRequestEntityTooLarge: errs.TooLarge,
	http.StatusUnsupportedMediaType:  errs.Invalid,
	http.StatusTooManyRequests:       errs.RateLimited,
	http.StatusServiceUnavailable:    errs.Unavailable,
}

// ErrorResponse is the one shape of every error the API returns, as
// OpenAI's API does: {"error":{"message":...,"type":...,"param":...,"code":...}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the content of an ErrorResponse.
type ErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// errorHandler writes err in the one error shape and logs server-side
// failures. It is echo's HTTPErrorHandler.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		code, msg, param := errs.Code(err), errs.Message(err), errs.Param(err)
		status := statuses[code]
		var he *echo.HTTPError
		if errors.As(err, &he) {
			code = echoCodes[he.Code]
			if code == "" {
				code = errs.Internal
			}
			status = he.Code
			msg = http.StatusText(he.Code)
			switch he.Code {
			case http.StatusNotFound:
				msg = "no such route: " + c.Request().Method + " " + c.Request().URL.Path
			case http.StatusMethodNotAllowed:
				msg = "method " + c.Request().Method + " is not allowed on " + c.Request().URL.Path
				code = "method_not_allowed"
			case http.StatusRequestEntityTooLarge:
				msg = "the request body is too large"
			}
			if s, ok := he.Message.(string); ok && he.Code != http.StatusNotFound && he.Code != http.StatusMethodNotAllowed && s != http.StatusText(he.Code) {
				msg = s
			}
		}
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
		}
		typ := errorTypes[code]
		if typ == "" {
			typ = "invalid_request_error"
			if status >= 500 {
				typ = "api_error"
			}
		}
		body := ErrorResponse{Error: ErrorBody{Message: msg, Type: typ, Code: code}}
		if param != "" {
			body.Error.Param = &param
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, body)
	}
}
