package brightpattern

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
)

type client struct {
	base       string
	clientID   string
	secret     string
	scope      string
	hc         *http.Client
	agent      string
	checkTeams bool

	tokens *tokenSource
	teams  teamCache
}

func newClient(cfg providers.Config) (*client, error) {
	if _, err := description.MatchAuth(cfg.Auth); err != nil {
		return nil, err
	}
	base, host, err := cleanBase(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	check, err := strconv.ParseBool(cfg.Options.Get(OptionCheckTeams, "true"))
	if err != nil {
		return nil, fmt.Errorf("%s: option %s: %q is not true or false", Name, OptionCheckTeams, cfg.Options[OptionCheckTeams])
	}
	hc := providers.HTTPClient(cfg) // never follows a redirect
	c := &client{
		base:       base,
		clientID:   strings.TrimSpace(cfg.Auth["client_id"]),
		secret:     cfg.Auth["client_secret"],
		scope:      strings.TrimSpace(cfg.Auth["scope"]),
		hc:         hc,
		agent:      cfg.UserAgent,
		checkTeams: check,
		teams:      teamCache{sem: make(chan struct{}, 1)},
	}
	if c.scope == "" {
		c.scope = defaultScope(host)
	}
	c.tokens = newTokenSource(c.fetchToken)
	return c, nil
}

// cleanBase returns the base URL without a trailing slash (and without a
// /configapi/v2 a user may have pasted) and the URL's host name.
func cleanBase(endpoint string) (base, host string, err error) {
	u, err := providers.BaseURL(Name, endpoint, "/configapi/v2", description.DefaultEndpoint)
	if err != nil {
		return "", "", err
	}
	return u.String(), u.Hostname(), nil
}

// defaultScope is the scope sent when the job gives none: the documented
// scope is the tenant host, taken to be the endpoint's host name without a
// port [?].
func defaultScope(host string) string { return strings.ToLower(host) }

// Prepare fetches the shared token and reads the tenant's teams.
func (c *client) Prepare(ctx context.Context) error {
	if _, err := c.tokens.get(ctx); err != nil {
		return err
	}
	if !c.checkTeams {
		return nil
	}
	_, err := c.teamSet(ctx)
	return err
}

// fetchToken asks for a new token. Only tokenSource calls it.
func (c *client) fetchToken(ctx context.Context) (api.Token, error) {
	form := url.Values{
		"grant_type":    {api.GrantClientCredentials},
		"client_id":     {c.clientID},
		"client_secret": {c.secret},
		"scope":         {c.scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+api.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return api.Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	c.setAgent(req)
	resp, data, err := providers.Do(ctx, c.hc, Name, "token", req)
	if err != nil {
		// Asking for a token changes nothing at the vendor: always safe to
		// ask again.
		if e, ok := providers.AsError(err); ok && e.Kind == providers.KindUnknown {
			e.Kind = providers.KindRetry
		}
		return api.Token{}, err
	}
	if resp.StatusCode != http.StatusOK {
		var oe api.OAuthError
		_ = json.Unmarshal(data, &oe)
		msg := strings.Join(nonEmpty(oe.Code, oe.Description), ": ")
		if msg == "" {
			msg = providers.Snippet(data)
		}
		refused := resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
		if refused {
			msg = strings.TrimSpace(msg + " (check auth: client_id, client_secret and scope " + strconv.Quote(c.scope) + ")")
		}
		e := providers.StatusError(Name, "token", resp, c.redact(msg), "")
		switch {
		case refused:
			// invalid_client, invalid_scope, unauthorized_client: the
			// credentials or the scope are wrong; no row can succeed.
			e.Kind = providers.KindAuth
		case e.Kind == providers.KindUnknown:
			e.Kind = providers.KindRetry
		}
		return api.Token{}, e
	}
	var t api.Token
	if err := json.Unmarshal(data, &t); err != nil || t.AccessToken == "" {
		msg := "token answer has no access_token"
		if err != nil {
			msg = "unreadable token answer: " + err.Error()
		}
		return api.Token{}, &providers.Error{Vendor: Name, Op: "token", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode, Message: c.redact(msg)}
	}
	return t, nil
}

// send sends one API request with the shared token. A 401 means the token
// was refused (revoked, or expired early): the token is replaced once and
// the request sent again; the vendor did not act on a request it refused.
func (c *client) send(ctx context.Context, op, method, path string, body []byte) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return nil, nil, err
		}
		var rd *bytes.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		var req *http.Request
		if rd != nil {
			req, err = http.NewRequestWithContext(ctx, method, c.base+path, rd)
		} else {
			req, err = http.NewRequestWithContext(ctx, method, c.base+path, nil)
		}
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Accept", "application/json")
		}
		c.setAgent(req)
		resp, data, err := providers.Do(ctx, c.hc, Name, op, req)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			if _, err := c.tokens.renew(ctx, tok); err != nil {
				return nil, nil, err
			}
			continue
		}
		return resp, data, nil
	}
}

func (c *client) setAgent(req *http.Request) {
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
}

// Create sends one user. A row whose team the tenant lacks fails here,
// without a request.
func (c *client) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	if c.checkTeams {
		teams, err := c.teamSet(ctx)
		if err != nil {
			return providers.Result{}, err
		}
		if err := teams.check(rec.String("team")); err != nil {
			return providers.Result{}, err
		}
	}
	body, err := json.Marshal(toWire(rec))
	if err != nil {
		return providers.Result{}, err
	}
	resp, data, err := c.send(ctx, "create", http.MethodPost, api.UserPath, body)
	if err != nil {
		return providers.Result{}, err
	}
	switch {
	case isCreated(resp.StatusCode, data):
		// There is no id to read: the documented answer is the text OK.
		return providers.Result{Status: providers.StatusCreated, HTTPStatus: resp.StatusCode}, nil
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return providers.Result{}, providers.UnprovenCreate(Name, resp, "200 with the text OK")
	}
	e := c.statusError("create", resp, data, rec.String("password"))
	if mayBeDuplicate(resp.StatusCode, e.Message) {
		return providers.ConfirmDuplicate(ctx, func(ctx context.Context) (providers.Result, bool, error) { return c.Lookup(ctx, rec) }, e)
	}
	return providers.Result{}, e
}

// Lookup reads the user by its exact login id: 404 means absent; 200 counts
// as found only when its body is a user with that login id (vendors.md
// [doc]: "check that the body's loginId is the one asked for"), compared
// without case as the tenant finds logins. Any other 2xx answer is an
// error, never "absent".
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	login := rec.String("loginId")
	if login == "" {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRejected, Message: "no loginId to look up"}
	}
	resp, data, err := c.send(ctx, "lookup", http.MethodGet, api.UserPath+"/"+url.PathEscape(login), nil)
	if err != nil {
		return providers.Result{}, false, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return providers.Result{}, false, nil
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		var u api.User
		if err := json.Unmarshal(data, &u); err != nil || u.LoginID == "" {
			return providers.Result{}, false, providers.UnreadableLookup(Name, resp, "a user")
		}
		if !strings.EqualFold(u.LoginID, login) {
			e := providers.UnreadableLookup(Name, resp, "the user asked for")
			e.Message += fmt.Sprintf(" (asked for loginId %q, the answer is about %q)", login, u.LoginID)
			return providers.Result{}, false, e
		}
		return providers.Result{Status: providers.StatusExists, VendorID: u.VendorID(), HTTPStatus: resp.StatusCode}, true, nil
	}
	return providers.Result{}, false, c.statusError("lookup", resp, data, "")
}

// isCreated decides what proves a create: 200 with the body OK, the only
// success the vendor documents (brightpattern-create-user.txt: "200 OK |
// Success - user created"; vendors.md [doc]: "200 with body OK, possibly not
// JSON"). Surrounding space, JSON quotes and case are forgiven. The answer
// carries no id, so the text is the whole proof: a captive portal, a proxy's
// page or an empty object is not it.
func isCreated(status int, body []byte) bool {
	if status != http.StatusOK {
		return false
	}
	b := bytes.TrimSpace(body)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = bytes.TrimSpace(b[1 : len(b)-1])
	}
	return bytes.EqualFold(b, []byte("OK"))
}

// mayBeDuplicate decides which answers may mean "this login already
// exists", to be confirmed by a lookup (vendors.md [?]: the create page lists
// only 200, 400 and 405; sibling configuration calls answer a duplicate key
// with 500 "Duplicate key error"; 409 or a 400 naming the login are as
// plausible). A 400 that does not say so is a validation error, not a
// duplicate.
func mayBeDuplicate(status int, msg string) bool {
	switch status {
	case http.StatusConflict:
		return true
	case http.StatusBadRequest, http.StatusInternalServerError:
		return saysExists(msg)
	}
	return false
}

// saysExists reports whether a vendor message says something is already
// there.
func saysExists(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range []string{"already exist", "duplicate", "already in use", "already taken", "already registered"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

// statusError builds the error for a non-success answer, with the vendor's
// own text.
func (c *client) statusError(op string, resp *http.Response, data []byte, extraSecret string) *providers.Error {
	msg := c.redact(vendorMessage(data), extraSecret)
	if resp.StatusCode == http.StatusUnsupportedMediaType && msg == "" {
		msg = "the vendor refused the Content-Type application/json"
	}
	return providers.StatusError(Name, op, resp, msg, resp.Header.Get("X-Request-Id"))
}

// vendorMessage reads an error body. Its format is not documented [?]: the
// raw text is kept, on one line; a JSON body with a message-like field is
// shortened to that field.
func vendorMessage(data []byte) string {
	var m map[string]any
	if json.Unmarshal(data, &m) == nil {
		for _, k := range []string{"message", "error_description", "error", "detail"} {
			if s, ok := m[k].(string); ok && s != "" {
				return providers.Snippet([]byte(s))
			}
		}
	}
	return providers.Snippet(data)
}

// redact removes the client secret (and any other secret given) from a
// message: a vendor that echoes the request must not leak it into reports.
func (c *client) redact(msg string, more ...string) string {
	for _, s := range append([]string{c.secret}, more...) {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, providers.Mask)
		}
	}
	return msg
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

// Secrets returns what the vendor might echo back that must never reach a
// report (providers.SecretHolder): the client secret, and the token in use
// with and without its Bearer scheme.
func (c *client) Secrets() []string {
	out := nonEmpty(c.secret)
	c.tokens.mu.Lock()
	tok := c.tokens.token
	c.tokens.mu.Unlock()
	if tok != "" {
		out = append(out, tok, "Bearer "+tok)
	}
	return out
}

var _ providers.SecretHolder = (*client)(nil)
