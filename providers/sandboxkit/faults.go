package sandboxkit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// CaptivePortal is the page the HTML fault answers creates with: what a
// hotel network, a corporate proxy's login or a misrouted load balancer
// sends back with a 200 in place of the vendor's answer.
const CaptivePortal = `<!DOCTYPE html>
<html><head><title>Sign in to continue</title></head>
<body><h1>Welcome to the network</h1>
<p>Please accept the terms of use to continue.</p>
<form method="post" action="/portal/accept"><button>Accept and continue</button></form>
</body></html>
`

// Enter is the first call of a sandbox's ServeHTTP, in place of Request: it
// counts the request, applies the latency, and plays the faults that need no
// knowledge of the vendor. isCreate tells a create request from the others
// (nil: none is).
//
//   - Redirect: every request is answered with that 3xx and a Location of
//     RedirectTo followed by the request's path and query, never acted on.
//   - Limit: a create finding the hidden token bucket empty is answered 429
//     (Retry-After unless NoRetryAfter), in plain text as a gateway in front
//     of the API would, and not acted on.
//   - HTML: that fraction of creates is answered 200 with CaptivePortal as
//     text/html, and not acted on.
//   - NoID: that fraction of creates is acted on as usual, but a 2xx answer
//     reaches the client as `{}` (application/json) without the new user's
//     id; other answers pass unchanged.
//
// It returns nil when it answered the request itself: the handler returns
// at once. Otherwise it returns the writer the handler must answer through
// (w itself, or a wrapper for NoID that still supports Drop's hijack).
func (k *Kit) Enter(w http.ResponseWriter, r *http.Request, isCreate func(*http.Request) bool) http.ResponseWriter {
	k.Request(r)
	o := &k.opts
	if o.Redirect >= 300 && o.Redirect <= 399 {
		k.mu.Lock()
		k.stats.Redirected++
		k.mu.Unlock()
		w.Header().Set("Location", strings.TrimRight(o.RedirectTo, "/")+r.URL.RequestURI())
		plain(w, o.Redirect, http.StatusText(o.Redirect))
		return nil
	}
	if isCreate == nil || !isCreate(r) {
		return w
	}
	k.mu.Lock()
	now := k.now()
	if o.Limit > 0 && !k.takeLocked() {
		k.countCreateLocked(now)
		k.stats.Throttled++
		k.mu.Unlock()
		k.SetRetryAfter(w)
		plain(w, http.StatusTooManyRequests, "Too Many Requests: rate limit exceeded")
		return nil
	}
	if o.HTML > 0 && k.rng.Float64() < o.HTML {
		k.countCreateLocked(now)
		k.stats.HTML++
		k.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(CaptivePortal)))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, CaptivePortal)
		return nil
	}
	noID := o.NoID > 0 && k.rng.Float64() < o.NoID
	k.mu.Unlock()
	if noID {
		return &noIDWriter{ResponseWriter: w, kit: k}
	}
	return w
}

// Wrap is Enter as a middleware: the returned handler plays the faults and
// passes the rest to h. h must not call Request (Enter counted the request).
func (k *Kit) Wrap(h http.Handler, isCreate func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if w = k.Enter(w, r, isCreate); w != nil {
			h.ServeHTTP(w, r)
		}
	})
}

// takeLocked takes a token from the hidden limit's bucket, refilled at
// Limit per second up to burst(Limit). k.mu is held.
func (k *Kit) takeLocked() bool {
	now := k.now()
	if !k.filled.IsZero() {
		k.tokens = min(burst(k.opts.Limit), k.tokens+now.Sub(k.filled).Seconds()*k.opts.Limit)
	}
	k.filled = now
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}

// noIDWriter replaces a 2xx answer's body with `{}`.
type noIDWriter struct {
	http.ResponseWriter
	kit     *Kit
	wrote   bool
	swallow bool
}

func (n *noIDWriter) WriteHeader(code int) {
	if n.wrote {
		return
	}
	n.wrote = true
	if code < 200 || code > 299 {
		n.ResponseWriter.WriteHeader(code)
		return
	}
	h := n.ResponseWriter.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", "2")
	n.ResponseWriter.WriteHeader(code)
	_, _ = io.WriteString(n.ResponseWriter, "{}")
	n.swallow = true
	n.kit.mu.Lock()
	n.kit.stats.NoID++
	n.kit.mu.Unlock()
}

func (n *noIDWriter) Write(p []byte) (int, error) {
	if !n.wrote {
		n.WriteHeader(http.StatusOK)
	}
	if n.swallow {
		return len(p), nil
	}
	return n.ResponseWriter.Write(p)
}

// Hijack lets Drop close the connection through the wrapper.
func (n *noIDWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := n.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	return hj.Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (n *noIDWriter) Unwrap() http.ResponseWriter { return n.ResponseWriter }

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
