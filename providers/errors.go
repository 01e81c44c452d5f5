package providers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind says what a failed call means for the row, and so what the pipeline
// may do next. Each provider decides the kind of its vendor's answers in one
// place (rclone's shouldRetry); the pipeline only reads it.
type Kind int

const (
	// KindRejected: the vendor refused this row (a 4xx other than 401, 403,
	// 408 and 429, or a 5xx that says the request was read). Permanent.
	KindRejected Kind = iota
	// KindAuth: the vendor refused the credentials (401/403). Repeated, the
	// run stops.
	KindAuth
	// KindRetry: the vendor did not act on the request (429, 503, 408, or
	// the connection failed before the request was written). Safe to re-send
	// after RetryAfter or a backoff.
	KindRetry
	// KindUnknown: the vendor may have acted (timeout or connection lost
	// after the request was written, 502/504). Never re-send blindly: look
	// the user up first.
	KindUnknown
	// KindEndpoint: the endpoint is wrong, not the row (the vendor answered
	// with a redirect, which is never followed). Never retried; the run
	// stops, since every other row would meet the same answer.
	KindEndpoint
)

func (k Kind) String() string {
	switch k {
	case KindRejected:
		return "rejected"
	case KindAuth:
		return "auth"
	case KindRetry:
		return "retry"
	case KindUnknown:
		return "unknown"
	case KindEndpoint:
		return "endpoint"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a failed vendor call. Message carries the vendor's own words and
// TraceID its request id, so a person can quote both to vendor support. It
// never holds a secret: transport errors are stripped of their URL.
type Error struct {
	Vendor     string
	Op         string // create, lookup, token, teams...
	Kind       Kind
	HTTPStatus int
	Message    string
	TraceID    string
	// RetryAfter is the vendor's Retry-After, 0 when absent.
	RetryAfter time.Duration
	// Err is the underlying transport error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Vendor)
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.TraceID != "" {
		b.WriteString(" (trace id ")
		b.WriteString(e.TraceID)
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err: an *Error's own kind, KindUnknown for
// anything else (an unexpected error might have followed a sent request).
func KindOf(err error) Kind {
	if e, ok := AsError(err); ok {
		return e.Kind
	}
	return KindUnknown
}

// StatusKind is the default meaning of an HTTP status; providers override it
// where their vendor differs (a 400 that means "exists", say).
func StatusKind(status int) Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusRequestTimeout:
		return KindRetry
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return KindUnknown
	}
	return KindRejected
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
