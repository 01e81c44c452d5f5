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
