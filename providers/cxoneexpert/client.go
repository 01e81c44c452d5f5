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
	format, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, err
	}
	auth, err := newAuth(cfg.Auth, format)
	if err != nil {
		return nil, err
	}
	base, err := cleanBase(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	return &client{base: base, auth: auth, hc: providers.HTTPClient(cfg), agent: cfg.UserAgent, now: time.Now}, nil
}

// parseOptions checks the job options and returns the token format. An
// unknown option is an error: a typo must not silently pick the default.
func parseOptions(o providers.Options) (string, error) {
	for k := range o {
		if k != OptTokenFormat {
			return "", fmt.Errorf("%s: unknown option %s (known: %s)", Name, k, OptTokenFormat)
		}
	}
	v := strings.ToLower(strings.TrimSpace(o[OptTokenFormat]))
	switch v {
	case "":
		return TokenDefault, nil
	case TokenDefault, TokenLegacy:
		return v, nil
	}
	return "", fmt.Errorf("%s: options.%s %q is not %s", Name, OptTokenFormat, o[OptTokenFormat], strings.Join(TokenFormats, " or "))
}

// Secrets returns what the vendor might echo back that must never reach a
// report: the token's secret, or the Basic password and Authorization value
// (providers.SecretHolder). Signed tokens are not listed: each is valid
// for minutes and shows no secret.
func (c *client) Secrets() []string { return c.auth.secrets() }

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
	if resp.StatusCode/100 != 2 {
		e := c.statusError("create", resp, data)
		if mayBeDuplicate(resp.StatusCode, data) {
			return providers.ConfirmDuplicate(ctx, func(ctx context.Context) (providers.Result, bool, error) { return c.Lookup(ctx, rec) }, e)
		}
		return providers.Result{}, e
	}
	// What proves the creation: the documented answer, <user id="{int}"
	// href="{uri}"> with the user's fields (seeds/cxone-expert-users-post.txt,
	// "Output" and the sample responses; vendors.md: "the new user's id is
	// the id attribute") [doc], with a non-empty id and the username sent.
	// Any other 2xx (a captive portal's HTML, an empty body, garbage) may or
	// may not have reached the site: the outcome is unknown, and the
	// pipeline looks the user up before anything is re-sent.
	var u api.User
	if err := xml.Unmarshal(data, &u); err != nil || strings.TrimSpace(u.ID) == "" || !sameUser(u.Username, rec.String("username")) {
		return providers.Result{}, &providers.Error{Vendor: Name, Op: "create", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf(`answered %d but not with the created user%s; outcome unknown (the success answer is <user id="..."> with the username sent)`, resp.StatusCode, providers.AnswerType(resp, data))}
	}
	return providers.Result{Status: providers.StatusCreated, VendorID: u.ID, HTTPStatus: resp.StatusCode}, nil
}

// duplicateWords are what a 400 says when it may mean "this username is
// taken": the documented 409's own words ("Username conflicts with an
// existing username") [doc] and the usual phrasings [?]; matched ignoring
// case.
var duplicateWords = []string{"conflicts with an existing", "already exist", "already in use", "already taken", "duplicate"}

// mayBeDuplicate decides whether an answer to a create may mean "this user
// already exists": a 409, documented as "Username conflicts with an
// existing username" [doc], or a 400 whose body has duplicateWords
// (vendors.md: "409 / 400 text") [?]. It is only a question: providers.ConfirmDuplicate
// asks Lookup. A plain validation 400 is not a duplicate.
func mayBeDuplicate(status int, body []byte) bool {
	switch status {
	case http.StatusConflict:
		return true
	case http.StatusBadRequest:
		text := strings.ToLower(string(body))
		for _, w := range duplicateWords {
			if strings.Contains(text, w) {
				return true
			}
		}
	}
	return false
}

// Lookup reads the user by name: GET /@api/deki/users/={name}, the name
// URI-encoded twice; 404 means absent [doc]. Any other status is an error,
// and so is a 2xx that is not a <user> with an id, or that is another user:
// the path asks for exactly this name, so another answer is not "absent".
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
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return providers.Result{}, false, nil
	case resp.StatusCode/100 != 2:
		return providers.Result{}, false, c.statusError("lookup", resp, data)
	}
	var u api.User
	if err := xml.Unmarshal(data, &u); err != nil || strings.TrimSpace(u.ID) == "" {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("answered %d but not with a <user> with an id%s, so whether the user exists is unknown", resp.StatusCode, providers.AnswerType(resp, data))}
	}
	if !sameUser(u.Username, name) {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("asked for user %q, answered with user %q (id %s)", name, u.Username, u.ID)}
	}
	return providers.Result{Status: providers.StatusExists, VendorID: u.ID, HTTPStatus: resp.StatusCode}, true, nil
}

// sameUser decides whether a user in an answer is the one asked for: the
// whole username, ignoring case, as the site treats usernames (the sandbox
// does; a 409 for a name differing only in case) [?].
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
// vendor's words. A redirect is the endpoint's fault, never followed
// (KindEndpoint); refused credentials say what to try.
func (c *client) statusError(op string, resp *http.Response, data []byte) *providers.Error {
	if resp.StatusCode/100 == 3 {
		return &providers.Error{Vendor: Name, Op: op, Kind: providers.KindEndpoint, HTTPStatus: resp.StatusCode,
			Message: "answered with a redirect to " + redactedLocation(resp) + ", which is never followed: fix the endpoint (the site's URL, https)"}
	}
	e := providers.StatusError(Name, op, resp, vendorMessage(resp.StatusCode, data), "")
	if e.Kind == providers.KindAuth {
		e.Message += c.auth.refusedHint()
	}
	return e
}

// redactedLocation is the redirect's target without its query (which may
// echo the accountpassword) or credentials.
func redactedLocation(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "an unnamed location"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "an unreadable location"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
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
