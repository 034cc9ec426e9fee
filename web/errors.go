package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/telemetry"
)

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it, so one adapter decides what the client sees and what gets logged.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorBody is the JSON every error response carries.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the stable, user-safe description of an error.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// StatusOf maps an error kind to its one HTTP status.
func StatusOf(k governance.Kind) int {
	switch k {
	case governance.KindInvalid:
		return http.StatusBadRequest
	case governance.KindUnauthenticated:
		return http.StatusUnauthorized
	case governance.KindForbidden:
		return http.StatusForbidden
	case governance.KindNotFound:
		return http.StatusNotFound
	case governance.KindConflict:
		return http.StatusConflict
	case governance.KindTooManyRequests:
		return http.StatusTooManyRequests
	case governance.KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorAdapter turns a HandlerFunc into an http.Handler.
type errorAdapter struct {
	log *slog.Logger
	fn  HandlerFunc
}

func (a errorAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.fn(w, r); err != nil {
		var aborted *abortedError
		if errors.As(err, &aborted) {
			a.log.ErrorContext(r.Context(), "response aborted", "method", r.Method, "route", r.Pattern, "err", aborted.err)
			// The status is sent: cut the connection, so the client sees a
			// truncated transfer and not a complete-looking download.
			panic(http.ErrAbortHandler)
		}
		writeError(w, r, a.log, err)
	}
}

// abortedError is a failure after a streamed response began.
type abortedError struct{ err error }

func (e *abortedError) Error() string { return "response aborted: " + e.err.Error() }
func (e *abortedError) Unwrap() error { return e.err }

// streamAborted marks err as happening after the response began.
func streamAborted(err error) error { return &abortedError{err: err} }

// writeError answers with the error's status, code and safe message, in the
// language the client prefers (Accept-Language; the code never changes).
// Server faults are logged here, once, with their cause; client faults are
// not logged as errors.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := governance.KindOf(err)
	status := StatusOf(kind)
	lang := governance.PreferredLanguage(r.Header.Get("Accept-Language"))
	code, msg := governance.Localize(err, lang)
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "kind", kind.String(), "err", err)
	} else {
		log.DebugContext(r.Context(), "request refused", "method", r.Method, "route", r.Pattern, "code", code)
	}
	if kind == governance.KindUnavailable || kind == governance.KindTooManyRequests {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, RequestID: telemetry.RequestID(r.Context())}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
