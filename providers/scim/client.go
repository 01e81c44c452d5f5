package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/scim/api"
)

// maxLookupPages bounds the pages a lookup reads. A service that honours
// the filter answers one page of at most one user; one that ignores it
// (answering everybody) is read this far before the lookup gives up with an
// error rather than report "absent" on a guess.
const maxLookupPages = 10

// defaultPageSize is the count asked for when the service states no
// filter.maxResults.
const defaultPageSize = 100

type client struct {
	base   string
	auth   string // the Authorization header value
	hc     *http.Client
	agent  string
	create *providers.Template // POST /Users, auth included
	// secrets are the strings a service might echo back in an error.
	secrets []string
	// pageSize is the count a lookup asks for: the service's
	// filter.maxResults when Prepare read one, capped.
	pageSize atomic.Int64
}

func newClient(cfg providers.Config) (*client, error) {
	scheme, err := description.MatchAuth(cfg.Auth)
	if err != nil {
		return nil, err
	}
	token, user, pass := cfg.Auth["token"], cfg.Auth["username"], cfg.Auth["password"]
	if token != "" && (user != "" || pass != "") {
		return nil, fmt.Errorf("%s: auth: give either token (Bearer) or username and password (Basic), not both", Name)
	}
	u, err := providers.BaseURL(Name, cfg.Endpoint, api.UsersPath, description.DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	base := u.String()
	hc := cfg.HTTPClient
	if hc == nil {
		hc = providers.DefaultHTTPClient()
	}
	ctype := cfg.Options.Get(OptContentType, api.MediaType)
	if ctype != api.MediaType && ctype != "application/json" {
		return nil, fmt.Errorf("%s: options: %s must be %s or application/json, not %q", Name, OptContentType, api.MediaType, ctype)
	}
	c := &client{base: base, hc: noRedirects(hc), agent: cfg.UserAgent}
	switch scheme.Name {
	case "bearer":
		c.auth = "Bearer " + token
		c.secrets = []string{token, c.auth}
	default:
		c.auth = providers.BasicAuth(user, pass)
		c.secrets = []string{pass, c.auth, strings.TrimPrefix(c.auth, "Basic ")}
	}
	c.pageSize.Store(defaultPageSize)
	c.create, err = providers.NewTemplate(http.MethodPost, base+api.UsersPath, ctype, cfg.UserAgent, http.Header{
		"Authorization": {c.auth},
		"Accept":        {api.MediaType}, // see newRequest
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// noRedirects returns a copy of hc that never follows a redirect: a 301 or
// 302 would turn the create into a GET of the user list (and a 200 read as
// "created"), a 307 would re-send the body, password included, elsewhere.
// The 3xx itself comes back as the answer and redirectError reports it.
// (The shared HTTP client may do this too; doing it here keeps the
// guarantee whatever client the caller passes.)
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Secrets returns the credentials and the Authorization value, for
// redaction (providers.SecretHolder).
func (c *client) Secrets() []string {
	var out []string
	for _, s := range c.secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *client) newRequest(ctx context.Context, method, pathAndQuery string) (*http.Request, error) {
	req, err := providers.NewRequest(ctx, method, c.base+pathAndQuery, nil, "", c.agent)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", api.MediaType) // RFC 7644 §8.1; Zoom asks for exactly this
	return req, nil
}

// Prepare reads the ServiceProviderConfig: the endpoint is a SCIM service,
// the credentials are accepted, and how many results a filter may return.
// A service without that endpoint (404; Slack documents it under two names)
// is accepted when a one-user page of /Users answers a ListResponse.
func (c *client) Prepare(ctx context.Context) error {
	resp, data, err := c.get(ctx, "prepare", api.ServiceProviderConfigPath)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotFound {
		return c.probeUsers(ctx)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.notSCIM(scimError("prepare", resp, data), api.ServiceProviderConfigPath)
	}
	var spc api.ServiceProviderConfig
	if err := json.Unmarshal(data, &spc); err != nil || spc.Filter == nil && spc.Patch == nil && !contains(spc.Schemas, api.ServiceProviderConfigSchema) {
		return &providers.Error{Vendor: Name, Op: "prepare", Kind: providers.KindRejected, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("GET %s%s did not answer a SCIM ServiceProviderConfig (%s); is the endpoint the SCIM base URL (the part before /Users)?",
				c.base, api.ServiceProviderConfigPath, providers.Snippet(data))}
	}
	if spc.Filter != nil && spc.Filter.MaxResults > 0 {
		c.pageSize.Store(int64(min(spc.Filter.MaxResults, defaultPageSize)))
	}
	return nil
}

// probeUsers asks for one user: a ListResponse proves a SCIM service and
// accepted credentials.
func (c *client) probeUsers(ctx context.Context) error {
	if err := providers.Pace(ctx); err != nil {
		return err
	}
	path := api.UsersPath + "?startIndex=1&count=1"
	resp, data, err := c.get(ctx, "prepare", path)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.notSCIM(scimError("prepare", resp, data), path)
	}
	var list api.ListResponse
	if err := json.Unmarshal(data, &list); err != nil || list.TotalResults == nil {
		return &providers.Error{Vendor: Name, Op: "prepare", Kind: providers.KindRejected, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("GET %s%s answered 404 and GET %s%s no SCIM ListResponse (%s); is the endpoint the SCIM base URL (the part before /Users)?",
				c.base, api.ServiceProviderConfigPath, c.base, path, providers.Snippet(data))}
	}
	return nil
}

// get sends a GET of pathAndQuery; a redirect is an error.
func (c *client) get(ctx context.Context, op, pathAndQuery string) (*http.Response, []byte, error) {
	req, err := c.newRequest(ctx, http.MethodGet, pathAndQuery)
	if err != nil {
		return nil, nil, err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, op, req)
	if err != nil {
		return nil, nil, err
	}
	if e := redirectError(op, resp); e != nil {
		return nil, nil, e
	}
	return resp, data, nil
}

// notSCIM adds to a refusal of a setup request which URL was asked, unless
// the credentials or a busy service explain it.
func (c *client) notSCIM(e *providers.Error, path string) *providers.Error {
	if e.Kind != providers.KindAuth && e.Kind != providers.KindRetry {
		e.Message = fmt.Sprintf("GET %s%s: %s; is the endpoint the SCIM base URL (the part before /Users)?", c.base, path, e.Message)
	}
	return e
}

// Create sends one user.
func (c *client) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	body, err := json.Marshal(toWire(rec))
	if err != nil {
		return providers.Result{}, err
	}
	resp, data, err := providers.Send(ctx, c.hc, Name, "create", c.create, body)
	if err != nil {
		return providers.Result{}, err
	}
	if e := redirectError("create", resp); e != nil {
		return providers.Result{}, e
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if id, ok := isCreated(resp.StatusCode, data); ok {
			return providers.Result{Status: providers.StatusCreated, VendorID: id, HTTPStatus: resp.StatusCode}, nil
		}
		return providers.Result{}, &providers.Error{Vendor: Name, Op: "create", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("answered %d without the created user's id; outcome unknown", resp.StatusCode)}
	}
	answer := parseError(data)
	e := errorOf("create", resp, answer, data)
	if !mayExist(resp.StatusCode, answer) {
		return providers.Result{}, e
	}
	// The answer says the user may already exist: only a lookup proves it
	// (a 409 can also mean another attribute, such as externalId, clashed).
	return providers.ConfirmDuplicate(ctx, func(ctx context.Context) (providers.Result, bool, error) { return c.Lookup(ctx, rec) }, e)
}

// isCreated decides what proves a creation: 201 Created (RFC 7644 §3.3),
// or 200 as some services answer, with a body carrying the new user's id.
func isCreated(status int, data []byte) (string, bool) {
	if status != http.StatusCreated && status != http.StatusOK {
		return "", false
	}
	id, ok := providers.JSONStringField(data, "id")
	return id, ok && strings.TrimSpace(id) != ""
}

// mayExist decides which answers may mean "this userName is taken": any
// 409 (RFC 7644 §3.3 says 409 with scimType uniqueness; some services leave
// the scimType out) and a 400 whose scimType is uniqueness.
func mayExist(status int, e api.Error) bool {
	return status == http.StatusConflict || status == http.StatusBadRequest && strings.EqualFold(e.ScimType, "uniqueness")
}

// Lookup finds the user whose userName equals rec's, case-insensitively
// (RFC 7643 §4.1.1), with an eq filter (RFC 7644 §3.4.2.2).
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	userName := rec.String("userName")
	q := "filter=" + queryEscape(Filter(userName))
	count := int(c.pageSize.Load())
	start := 1
	for page := 0; page < maxLookupPages; page++ {
		if page > 0 {
			if err := providers.Pace(ctx); err != nil {
				return providers.Result{}, false, err
			}
		}
		pq := q
		if page > 0 {
			pq += "&startIndex=" + strconv.Itoa(start) + "&count=" + strconv.Itoa(count)
		}
		resp, data, err := c.get(ctx, "lookup", api.UsersPath+"?"+pq)
		if err != nil {
			return providers.Result{}, false, err
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return providers.Result{}, false, scimError("lookup", resp, data)
		}
		var list api.ListResponse
		if err := json.Unmarshal(data, &list); err != nil || list.TotalResults == nil {
			// Not the documented answer: the user may or may not exist.
			return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode,
				Message: "answered without a SCIM ListResponse (" + providers.Snippet(data) + ")"}
		}
		for _, u := range list.Resources {
			if strings.EqualFold(u.UserName, userName) {
				if u.ID == "" {
					return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode,
						Message: "the user was found without an id"}
				}
				return providers.Result{Status: providers.StatusExists, VendorID: u.ID, HTTPStatus: resp.StatusCode}, true, nil
			}
		}
		// RFC 7644 §3.4.2.4: startIndex is 1-based.
		first := list.StartIndex
		if first < 1 {
			first = start
		}
		next := first + len(list.Resources)
		if len(list.Resources) == 0 || next > *list.TotalResults {
			return providers.Result{}, false, nil
		}
		start = next
	}
	return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindUnknown,
		Message: fmt.Sprintf("the filter userName eq matched more than %d pages of users without this one; does the service ignore filters?", maxLookupPages)}
}

// Filter returns the filter that finds userName: the value in double
// quotes (a JSON string, RFC 7644 §3.4.2.2) with \ and " escaped. Nothing
// else is escaped: json.Marshal would write < as \u003c, which not every
// service's filter parser reads.
func Filter(userName string) string {
	return `userName eq "` + filterEscaper.Replace(userName) + `"`
}

var filterEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// queryEscape encodes s for a query, with %20 for spaces: "+" is a space
// only in form encoding, and not every service reads it so.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// redirectError reports a 3xx: the endpoint is wrong, not the row, and the
// redirect is never followed (the request would reach another place, with
// the password and the Authorization header).
func redirectError(op string, resp *http.Response) *providers.Error {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil
	}
	loc := "no Location"
	if l := resp.Header.Get("Location"); l != "" {
		loc = "Location " + redactURL(l)
	}
	return &providers.Error{Vendor: Name, Op: op, Kind: providers.KindEndpoint, HTTPStatus: resp.StatusCode,
		Message: fmt.Sprintf("redirected (%s); redirects are never followed: fix the endpoint", loc)}
}

// redactURL shows where a Location points without what may be secret in
// it: credentials, query and fragment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := out.String()
	if u.RawQuery != "" || u.Fragment != "" {
		s += "?…"
	}
	return s
}

func parseError(data []byte) api.Error {
	var e api.Error
	_ = json.Unmarshal(data, &e)
	return e
}

// scimError builds the error for a non-2xx answer: the service's detail
// (and scimType) when the body is a SCIM error, else a snippet of it.
func scimError(op string, resp *http.Response, data []byte) *providers.Error {
	return errorOf(op, resp, parseError(data), data)
}

// errorOf is scimError for a body already parsed as p.
func errorOf(op string, resp *http.Response, p api.Error, data []byte) *providers.Error {
	msg := strings.TrimSpace(p.Detail)
	if p.ScimType != "" {
		if msg == "" {
			msg = "scimType " + p.ScimType
		} else {
			msg += " (scimType " + p.ScimType + ")"
		}
	}
	if msg == "" {
		msg = providers.Snippet(data)
	}
	return providers.StatusError(Name, op, resp, msg, "")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
