package providers

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"strconv"
)

// ConfirmDuplicate settles an answer that may mean "this user already
// exists" (dup: the vendor's answer as an *Error, its words in Message)
// with a lookup of the same user, so that neither a duplicate is counted
// as a failure nor a refusal that merely mentions "exists" (another user's
// e-mail, say) as an existing user:
//
//   - found: a Result with Status exists, the vendor id the lookup read, and
//     dup's HTTP status;
//   - not found: dup made permanent (KindRejected), its message saying that
//     the lookup found nobody, so this is not a duplicate;
//   - the lookup failed: KindRetry (the create was refused, so sending it
//     again is safe), with the lookup's Retry-After; KindAuth or
//     KindEndpoint when that is why the lookup failed. Its message gives the
//     vendor's words first and then why the lookup failed.
//
// The lookup is a second request for the row, so it waits for the run's
// pacer (Pace) first. A provider calls it from Create for each answer its
// vendor is known to use for a duplicate; a plain validation error is not
// one and is returned as it is.
func ConfirmDuplicate(ctx context.Context, lookup func(context.Context) (Result, bool, error), dup *Error) (Result, error) {
	if err := Pace(ctx); err != nil {
		return Result{}, &Error{Vendor: dup.Vendor, Op: dup.Op, Kind: KindRetry, HTTPStatus: dup.HTTPStatus, Message: dup.Message + " (cancelled before the lookup that would confirm the user exists)", Err: err}
	}
	res, found, err := lookup(ctx)
	if err != nil {
		le, ok := AsError(err)
		if !ok {
			le = &Error{Kind: KindUnknown, Message: err.Error()}
		}
		kind := KindRetry
		if le.Kind == KindAuth || le.Kind == KindEndpoint {
			kind = le.Kind
		}
		return Result{}, &Error{
			Vendor: dup.Vendor, Op: dup.Op, Kind: kind, HTTPStatus: dup.HTTPStatus, TraceID: dup.TraceID, RetryAfter: le.RetryAfter,
			Message: joinMsg(dup.Message, "(this may mean the user exists; the lookup to confirm it failed: "+lookupText(le)+")"),
			Err:     err,
		}
	}
	if found {
		return Result{Status: StatusExists, VendorID: res.VendorID, HTTPStatus: dup.HTTPStatus}, nil
	}
	e := *dup
	e.Kind, e.RetryAfter = KindRejected, 0
	e.Message = joinMsg(dup.Message, "(the vendor's answer may mean the user exists, but a lookup found nobody: not a duplicate)")
	return Result{}, &e
}

func lookupText(e *Error) string {
	if e.HTTPStatus != 0 {
		return strconv.Itoa(e.HTTPStatus) + " " + e.Message
	}
	if e.Message != "" {
		return e.Message
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return "unknown error"
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// UnprovenCreate is the *Error for a create answered with a 2xx that is not
// the vendor's documented success shape (a captive portal's HTML page, an
// empty object, garbage): the user may or may not exist, so it is of kind
// KindUnknown and the pipeline looks the user up before anything is sent
// again, exactly as after a lost answer. The body is not quoted: it may echo
// the request, password included.
func UnprovenCreate(vendor string, resp *http.Response, want string) *Error {
	return &Error{Vendor: vendor, Op: "create", Kind: KindUnknown, HTTPStatus: resp.StatusCode,
		Message: "answered " + strconv.Itoa(resp.StatusCode) + " but not with the created user" + AnswerType(resp, nil) + "; outcome unknown (the success answer is " + want + ")"}
}

// UnreadableLookup is the *Error for a lookup answered with a 2xx that does
// not read as the vendor's answer: never "absent" (that would send a create
// for a user who may exist), but of kind KindUnknown.
func UnreadableLookup(vendor string, resp *http.Response, want string) *Error {
	return &Error{Vendor: vendor, Op: "lookup", Kind: KindUnknown, HTTPStatus: resp.StatusCode,
		Message: "answered " + strconv.Itoa(resp.StatusCode) + " but not with " + want + AnswerType(resp, nil) + "; whether the user exists is unknown"}
}

// AnswerType says what came instead of the vendor's answer, by its
// Content-Type (" (got text/html)"), or that the body was empty, for a
// message about a 2xx that is not the vendor's answer. The body itself is
// never quoted: a page that is not the vendor's may echo the request,
// password included.
func AnswerType(resp *http.Response, body []byte) string {
	if body != nil && len(bytes.TrimSpace(body)) == 0 {
		return " (got an empty body)"
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ct == "" {
		return ""
	}
	return " (got " + ct + ")"
}
