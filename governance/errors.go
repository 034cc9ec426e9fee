package governance

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the one adapter that turns errors into
// responses. Each kind maps to exactly one HTTP status.
type Kind int

const (
	// KindInternal is the zero value: anything not classified is internal and
	// its message is never shown to a user.
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindForbidden
	KindUnauthenticated
	KindUnavailable
	KindTooManyRequests
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindUnavailable:
		return "unavailable"
	case KindTooManyRequests:
		return "too_many_requests"
	default:
		return "internal"
	}
}

// Error is a classified error. Code is a stable, machine-readable identifier
// (snake_case, e.g. "tenant_not_found"); Message is safe to show to the user
// and says what to fix. Err, when set, is the underlying cause: it is logged,
// never shown.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error

	// What Message was built from, so Localize can render it in another
	// language: the English format is the message id.
	format string
	args   []any
	parts  []msg // set by problems.err: each problem translated on its own
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a classified error with a formatted user-safe message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// Wrap classifies cause; the message is what the user sees, cause is logged.
func Wrap(kind Kind, code, message string, cause error) *Error {
	// The message is not a format: escaping its verbs makes it one, so the
	// catalogue treats both constructors alike.
	return &Error{Kind: kind, Code: code, Message: message, Err: cause, format: strings.ReplaceAll(message, "%", "%%")}
}

// KindOf returns the kind of the first classified error in err's chain, or
// KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err's chain holds a classified error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Public returns the code and user-safe message for err. Internal errors get a
// generic message so nothing about the system leaks.
func Public(err error) (code, message string) {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Code, e.Message
	}
	return "internal", internalMessage
}

// internalMessage is what a user sees of every internal error.
const internalMessage = "Something went wrong on our side. The error has been logged; try again later."
