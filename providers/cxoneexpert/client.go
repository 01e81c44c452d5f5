package cxoneexpert

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

type client struct {
	base  *url.URL // the site, without a trailing slash
	auth  authenticator
	hc    *http.Client
	agent string
	// now is the clock that dates token signatures; tests replace it.
	now func() time.Time
}

func newClient(cfg providers.Config) (*client, error) {
	auth, err := newAuth(cfg.Auth)
	if err != nil {
		return nil, err
	}
	base, err := cleanBase(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	hc := providers.HTTPClient(cfg) // never follows a redirect
	return &client{base: base, auth: auth, hc: hc, agent: cfg.UserAgent, now: time.Now}, nil
}

// String shows where the client goes and how it authenticates, never a
// secret: a stray %v of a client is safe.
func (c *client) String() string {
	return Name + " client for " + c.base.String() + " (" + c.auth.String() + ")"
}

// GoString is String, so that %#v is safe too.
func (c *client) GoString() string { return c.String() }

// cleanBase reads the site URL. A pasted API root (…/@api/deki) is accepted
// and trimmed to the site.
func cleanBase(endpoint string) (*url.URL, error) {
	return providers.BaseURL(Name, endpoint, "/@api/deki", description.DefaultEndpoint)
}

// Prepare has nothing to fetch: both schemes sign each request themselves.
func (c *client) Prepare(context.Context) error { return nil }

// newRequest builds a signed request for escapedPath under the site, with
// query as its query string. The URL is assembled, never parsed from text, so
// no error built here can quote it: its query may hold the password.
func (c *client) newRequest(ctx context.Context, method, escapedPath string, query url.Values, body []byte) (*http.Request, error) {
	raw := c.base.EscapedPath() + escapedPath
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot build the %s request path", Name, method)
	}
	u := &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: p, RawPath: raw}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot build the %s request", Name, method)
	}
	req.URL = u
	c.auth.authorize(req, c.now())
	req.Header.Set("Accept", "application/xml")
	if body != nil {
		// The vendor refuses anything else.
		req.Header.Set("Content-Type", "application/xml")
	}
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	return req, nil
}

// Create sends one user. The body never has an id attribute, so the vendor
// creates rather than updates.
func (c *client) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	out, err := xml.Marshal(toWire(rec))
	if err != nil {
		return providers.Result{}, fmt.Errorf("%s: cannot encode the user: %w", Name, err)
	}
	body := append([]byte(xml.Header), out...)
	var q url.Values
	if pw := rec.String("password"); pw != "" {
		q = url.Values{api.PasswordParam: {pw}}
	}
	req, err := c.newRequest(ctx, http.MethodPost, api.UsersPath, q, body)
	if err != nil {
		return providers.Result{}, err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "create", req)
	if err != nil {
		return providers.Result{}, err
	}
	if isSuccess(resp.StatusCode) {
		var u api.User
		if err := xml.Unmarshal(data, &u); err != nil {
			// Created, but the answer is unreadable: say created rather
			// than fail a row that worked.
			return providers.Result{Status: providers.StatusCreated, HTTPStatus: resp.StatusCode}, nil
		}
		return providers.Result{Status: providers.StatusCreated, VendorID: u.ID, HTTPStatus: resp.StatusCode}, nil
	}
	if resp.StatusCode == http.StatusConflict {
		// "Username conflicts with an existing username" [doc].
		return providers.Result{Status: providers.StatusExists, HTTPStatus: resp.StatusCode}, nil
	}
	return providers.Result{}, statusError("create", resp, data)
}

// Lookup reads the user by name: GET /@api/deki/users/={name}, the name
// URI-encoded twice. 404 means absent.
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	name := rec.String("username")
	if name == "" {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRejected, Message: "no username to look up"}
	}
	req, err := c.newRequest(ctx, http.MethodGet, api.UsersPath+"/="+escapeTwice(name), nil, nil)
	if err != nil {
		return providers.Result{}, false, err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "lookup", req)
	if err != nil {
		return providers.Result{}, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return providers.Result{}, false, nil
	default:
		return providers.Result{}, false, statusError("lookup", resp, data)
	}
	var u api.User
	if err := xml.Unmarshal(data, &u); err != nil || u.ID == "" {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode,
			Message: "unreadable user: " + providers.Snippet(data)}
	}
	if !sameUser(u.Username, name) {
		return providers.Result{}, false, nil
	}
	return providers.Result{Status: providers.StatusExists, VendorID: u.ID, HTTPStatus: resp.StatusCode}, true, nil
}

// isSuccess decides which statuses mean created: 200 is documented, 201
// would be a plausible variant [?].
func isSuccess(status int) bool { return status == http.StatusOK || status == http.StatusCreated }

// sameUser decides whether a lookup answer is the user asked for: Expert
// usernames are unique ignoring case [?], so a case variant is taken.
func sameUser(got, want string) bool { return strings.EqualFold(got, want) }

// escapeTwice URI-encodes name twice, as the vendor asks for usernames in
// paths [doc]. Each pass escapes every byte but the RFC 3986 unreserved
// characters [?: the vendor does not say which], so a '/', '%' or '+' in a
// name survives proxies and both decodings.
func escapeTwice(name string) string { return escapeComponent(escapeComponent(name)) }

func escapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// statusError builds the *Error for a non-success answer, with the
// vendor's words.
func statusError(op string, resp *http.Response, data []byte) *providers.Error {
	return providers.StatusError(Name, op, resp, vendorMessage(resp.StatusCode, data), "")
}

// vendorMessage reads the vendor's error body: XML
// <error><status/><title/><message/></error> [code] becomes "title:
// message", the title dropped when it only repeats the HTTP status text [?];
// anything else falls back to a one-line snippet of the body.
func vendorMessage(status int, data []byte) string {
	var e api.Error
	if err := xml.Unmarshal(data, &e); err == nil {
		title, msg := strings.TrimSpace(e.Title), strings.TrimSpace(e.Message)
		if strings.EqualFold(title, http.StatusText(status)) || title == msg {
			title = ""
		}
		if s := strings.Join(nonEmpty(title, msg), ": "); s != "" {
			return providers.Snippet([]byte(s))
		}
	}
	return providers.Snippet(data)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
