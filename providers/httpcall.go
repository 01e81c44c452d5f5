package providers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// MaxBody bounds how much of a vendor response is read; a user record or an
// error message is far smaller.
const MaxBody = 1 << 20

// DefaultHTTPClient returns the client used when a Config has none: a
// per-request timeout so a hung vendor cannot hang a worker, a pool large
// enough for the worker count, and redirects never followed (see
// HTTPClient).
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxIdleConns = 64
	return &http.Client{Transport: t, Timeout: 60 * time.Second, CheckRedirect: noRedirect}
}

// HTTPClient returns the client a provider's NewClient must send with:
// cfg.HTTPClient (a test's srv.Client(), say) or DefaultHTTPClient, as a
// shallow copy that never follows a redirect. Following one turns a POST into
// a GET of some list (whose 200 would read as "created"), re-posts a body
// holding a generated password to another host, or forwards the
// Authorization header; a 3xx is instead answered by Do as an *Error of kind
// KindEndpoint. The caller's client is not modified.
func HTTPClient(cfg Config) *http.Client {
	if cfg.HTTPClient == nil {
		return DefaultHTTPClient()
	}
	c := *cfg.HTTPClient
	c.CheckRedirect = noRedirect
	return &c
}

// noRedirect makes a client return a 3xx answer as it is.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Do sends req and reads the whole (bounded) body. A transport failure comes
// back as an *Error of kind KindRetry when the request was never written
// (safe to re-send) and KindUnknown when it was (the vendor may have acted).
// A redirect (any 3xx) is never followed: it comes back as an *Error of kind
// KindEndpoint naming where it pointed (see RedirectError).
// The error text never contains the request URL, which may hold a secret
// (CXone Expert takes the password as a query parameter).
func Do(ctx context.Context, hc *http.Client, vendor, op string, req *http.Request) (*http.Response, []byte, error) {
	return do(ctx, hc, vendor, op, req.WithContext)
}

// Send is Do for a request of a template: the request is built with the
// traced context, saving Do's copy of it.
func Send(ctx context.Context, hc *http.Client, vendor, op string, t *Template, body []byte) (*http.Response, []byte, error) {
	return do(ctx, hc, vendor, op, func(ctx context.Context) *http.Request { return t.New(ctx, body) })
}

// do counts the request, traces whether it was written, and sends the
// request build makes with the traced context.
func do(ctx context.Context, hc *http.Client, vendor, op string, build func(context.Context) *http.Request) (*http.Response, []byte, error) {
	countRequest(ctx)
	if hc.Timeout > 0 && hc.Jar == nil {
		// The request goes straight to the transport (see roundTrip);
		// hc.Timeout bounds it as Do would, the body read included.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hc.Timeout)
		defer cancel()
	}
	var wrote atomic.Bool
	req := build(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}))
	resp, err := roundTrip(hc, req)
	if err != nil {
		return nil, nil, transportError(vendor, op, err, wrote.Load())
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		// The status line arrived, so the vendor read the request; the
		// outcome is still unknown without the body.
		return nil, nil, transportError(vendor, op, err, true)
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return nil, nil, RedirectError(vendor, op, resp)
	}
	return resp, body, nil
}

// roundTrip sends req with hc's transport, never following a redirect. A
// client without a cookie jar skips Client.Do: what Do adds is for
// redirects and cookies (a copy of the request and of its headers, a
// cancel timer: a kilobyte and a microsecond a request, as much as the rest
// of onboard's work on a row), and do applies hc.Timeout itself. A client
// with a jar goes through Do, made not to follow redirects.
func roundTrip(hc *http.Client, req *http.Request) (*http.Response, error) {
	if hc.Jar != nil {
		if hc.CheckRedirect == nil {
			// A client not made by HTTPClient would follow a redirect
			// before the answer could be refused: the target would get
			// the request.
			c := *hc
			c.CheckRedirect = noRedirect
			hc = &c
		}
		return hc.Do(req)
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, errors.New("the transport returned no answer and no error")
	}
	if resp.Body == nil {
		resp.Body = http.NoBody // as Do guarantees
	}
	return resp, nil
}

// RedirectError is the *Error for a 3xx answer: kind KindEndpoint, since the
// endpoint is wrong, not the row, and every row would meet the same answer.
// The Location is named without its query and credentials, which may hold a
// secret; a relative one is resolved against the request.
func RedirectError(vendor, op string, resp *http.Response) *Error {
	to := "an unnamed location (no Location header)"
	if loc := resp.Header.Get("Location"); loc != "" {
		to = "an unreadable location"
		if u, err := url.Parse(loc); err == nil {
			if resp.Request != nil && resp.Request.URL != nil {
				u = resp.Request.URL.ResolveReference(u)
			}
			u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
			to = u.String()
		}
	}
	return &Error{
		Vendor:     vendor,
		Op:         op,
		Kind:       KindEndpoint,
		HTTPStatus: resp.StatusCode,
		Message: "redirected to " + to + ": the endpoint is wrong (http→https? a proxy? a moved tenant?); " +
			"fix endpoint: in the job file. Redirects are never followed",
	}
}

// readBody reads at most MaxBody bytes of the answer, in one allocation
// when the length is announced.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= MaxBody {
		buf := make([]byte, n)
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, MaxBody))
}

func transportError(vendor, op string, err error, written bool) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the URL: it may carry a secret query parameter
	}
	kind := KindUnknown
	if !written {
		kind = KindRetry
	}
	msg := "connection failed: " + err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		msg = "cancelled"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		msg = "timed out waiting for the vendor"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		msg = "connection closed by the vendor without an answer"
	}
	if written {
		msg += " (the request was sent; outcome unknown)"
	}
	return &Error{Vendor: vendor, Op: op, Kind: kind, Message: msg, Err: errors.New(err.Error())}
}

// StatusError builds the *Error for a non-success answer with the default
// kind for its status. msg and trace are the vendor's words, parsed by the
// provider from its own error format.
func StatusError(vendor, op string, resp *http.Response, msg, trace string) *Error {
	e := &Error{
		Vendor:     vendor,
		Op:         op,
		Kind:       StatusKind(resp.StatusCode),
		HTTPStatus: resp.StatusCode,
		Message:    msg,
		TraceID:    trace,
	}
	if e.Kind == KindRetry || e.Kind == KindUnknown {
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// Snippet returns body as a one-line message of bounded length, for vendors
// whose error format is free text.
func Snippet(body []byte) string {
	const max = 300
	s := []rune(string(body))
	out := make([]rune, 0, min(len(s), max))
	space := false
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' || r == ' ' {
			if !space && len(out) > 0 {
				out = append(out, ' ')
			}
			space = true
			continue
		}
		space = false
		out = append(out, r)
		if len(out) >= max {
			out = append(out, '…')
			break
		}
	}
	return string(out)
}
