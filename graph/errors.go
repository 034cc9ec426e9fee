package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Error is a non-2xx answer from Graph (or from the token endpoint): the
// status, Graph's error code and message, and the request id Microsoft
// support asks for.
type Error struct {
	Method     string
	Path       string // without query: queries may carry names
	Status     int
	Code       string // Graph's error.code, e.g. "Request_ResourceNotFound"
	Message    string // Graph's error.message
	RequestID  string // innerError.request-id (or the request-id header)
	Date       string // innerError.date
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("graph: %s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		s += " (request-id " + e.RequestID + ")"
	}
	return s
}

// Throttled reports whether Graph refused the call for rate (429, or 503
// with Retry-After): it was not carried out and may be sent again.
func (e *Error) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable && e.RetryAfter > 0
}

// Transient reports whether the same call may succeed later: throttling,
// server faults and timeouts.
func (e *Error) Transient() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// IsNotFound reports whether err is Graph's 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is Graph's 409.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// envelope is Graph's error body.
type envelope struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
			Date      string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

// parseError builds an *Error from a failed response's status, headers and
// body. A body that is not Graph's envelope still yields the status.
func parseError(method, path string, status int, h http.Header, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status, RequestID: h.Get("request-id"),
		RetryAfter: retryAfter(h, time.Now())}
	var env envelope
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		if env.Error.InnerError.RequestID != "" {
			e.RequestID = env.Error.InnerError.RequestID
		}
		e.Date = env.Error.InnerError.Date
	} else {
		e.Code = http.StatusText(status)
		e.Message = truncate(string(body), 200)
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Classify turns a Graph failure into the error users see: Graph's own
// message is logged (it may name objects), never shown.
func Classify(err error, what string) error {
	var e *Error
	if !errors.As(err, &e) {
		if errors.Is(err, errNoCredential) {
			return governance.Wrap(governance.KindUnavailable, "graph_not_configured",
				"Steward has no Microsoft Graph credentials for this tenant: an administrator must add them in the admin center", err)
		}
		return governance.Wrap(governance.KindUnavailable, "graph_unavailable",
			"Microsoft Graph could not be reached; try again in a few minutes", fmt.Errorf("%s: %w", what, err))
	}
	switch {
	case e.Status == http.StatusNotFound:
		return governance.Wrap(governance.KindNotFound, "graph_not_found", "Microsoft Graph has no such object", err)
	case e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized:
		return governance.Wrap(governance.KindUnavailable, "graph_permission_missing",
			"Steward's app registration lacks a Microsoft Graph permission this needs: an administrator must grant admin consent", err)
	case e.Throttled():
		return governance.Wrap(governance.KindTooManyRequests, "graph_throttled", "Microsoft Graph is busy; try again in a minute", err)
	case e.Transient():
		return governance.Wrap(governance.KindUnavailable, "graph_unavailable", "Microsoft Graph could not be reached; try again in a few minutes", err)
	}
	return governance.Wrap(governance.KindInternal, "graph_error", "Microsoft Graph refused the request", err)
}
