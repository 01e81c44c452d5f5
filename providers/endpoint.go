package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// BaseURL checks a job's endpoint and returns the vendor base URL every
// request path is appended to: http(s), a host, no credentials, query or
// fragment, no trailing slash, and without apiRoot when a user pasted the
// API's root (e.g. "/configapi/v2") instead of the base. The message never
// quotes a URL that holds credentials.
func BaseURL(vendor, endpoint, apiRoot, example string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Opaque != "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		// Not quoted: a malformed URL cannot be redacted and might hold a
		// password.
		return nil, fmt.Errorf("%s: endpoint is not an http(s) URL such as %s", vendor, example)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: endpoint %s must be the base URL, without credentials, query or fragment", vendor, u.Redacted())
	}
	p := strings.TrimRight(u.Path, "/")
	if apiRoot != "" {
		p = strings.TrimSuffix(p, apiRoot)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(p, "/")}, nil
}

// NewRequest builds a request with an optional body; Content-Type is set
// when there is a body, User-Agent when agent is not empty. Auth and Accept
// are the caller's.
func NewRequest(ctx context.Context, method, url string, body []byte, contentType, agent string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if agent != "" {
		req.Header.Set("User-Agent", agent)
	}
	return req, nil
}

// JSONPreview renders a request line and an indented JSON body, for
// Provider.Preview.
func JSONPreview(requestLine string, body any) (string, error) {
	var b bytes.Buffer
	b.WriteString(requestLine + "\n")
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(body); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Template is one request line and the headers every request of it
// carries, built once per client: the workers send thousands of creates to
// the same URL, and parsing it and canonicalising the headers each time
// costs more than the rest of building a request. The header may hold a
// credential (Basic auth), so a Template is never printed or logged.
type Template struct {
	url    url.URL
	header http.Header
	// proto is a request of the template without a body, which New
	// copies: one allocation a request instead of a request, a URL and a
	// header map thrown away.
	proto *http.Request
}

// NewTemplate parses rawURL once. header is copied; Content-Type and
// User-Agent are set as NewRequest sets them.
func NewTemplate(method, rawURL, contentType, agent string, header http.Header) (*Template, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if agent != "" {
		h.Set("User-Agent", agent)
	}
	t := &Template{url: *u, header: h}
	t.proto, err = http.NewRequestWithContext(context.Background(), method, "", nil)
	if err != nil {
		return nil, err
	}
	t.proto.URL = &t.url
	t.proto.Host = t.url.Host
	t.proto.Header = t.header
	return t, nil
}

// BasicAuth returns the value of an Authorization header for Basic auth,
// as http.Request.SetBasicAuth would set it.
func BasicAuth(user, pass string) string {
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// New returns a request of the template with body (nil for none).
//
// Its Header and URL are the template's own, shared by every request of
// the template, not copies: cloning them cost a microsecond a row, and
// neither net/http's client nor its transport writes to a request's
// headers or URL. The caller must not modify them either (the race detector would catch it in the
// tests); a request that needs a header of its own is built by NewRequest.
func (t *Template) New(ctx context.Context, body []byte) *http.Request {
	// The body is set as NewRequest sets a *bytes.Reader's.
	req := t.proto.WithContext(ctx)
	if body == nil {
		return req
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return req
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return req
}
