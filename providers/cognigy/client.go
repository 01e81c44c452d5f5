package cognigy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy/api"
)

type client struct {
	base   string
	user   string
	pass   string
	hc     *http.Client
	agent  string
	create *providers.Template // POST /users, auth included
}

func newClient(cfg providers.Config) (*client, error) {
	if _, err := description.MatchAuth(cfg.Auth); err != nil {
		return nil, err
	}
	base, err := cleanBase(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	hc := providers.HTTPClient(cfg) // never follows a redirect
	c := &client{base: base, user: cfg.Auth["username"], pass: cfg.Auth["password"], hc: hc, agent: cfg.UserAgent}
	c.create, err = providers.NewTemplate(http.MethodPost, base+api.UsersPath, "application/json", cfg.UserAgent, http.Header{
		"Authorization": {providers.BasicAuth(c.user, c.pass)},
		"Accept":        {"application/json"}, // see newRequest
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func cleanBase(endpoint string) (string, error) {
	u, err := providers.BaseURL(Name, endpoint, "/management/v2.0", description.DefaultEndpoint)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Prepare has nothing to fetch: Basic auth needs no token.
func (c *client) Prepare(context.Context) error { return nil }

func (c *client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	req, err := providers.NewRequest(ctx, method, c.base+path, body, "application/json", c.agent)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.pass)
	// The docs disagree on the default (hal+json or json): ask for json.
	req.Header.Set("Accept", "application/json")
	return req, nil
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
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		id, ok := isCreated(resp.StatusCode, data, rec.String("id"))
		if !ok {
			return providers.Result{}, providers.UnprovenCreate(Name, resp, "the user with its _id")
		}
		return providers.Result{Status: providers.StatusCreated, VendorID: id, HTTPStatus: resp.StatusCode}, nil
	}
	p := parseProblem(data)
	e := problemError("create", resp, p, data)
	if mayBeDuplicate(resp.StatusCode, p, data) {
		return providers.ConfirmDuplicate(ctx, func(ctx context.Context) (providers.Result, bool, error) { return c.Lookup(ctx, rec) }, e)
	}
	return providers.Result{}, e
}

// Lookup finds the user by its id. The list filter matches partially, so
// the items are compared one by one (sameID), page after page. A 2xx that
// is not a user list is an error, never "absent".
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	id := rec.String("id")
	const limit = 100
	for skip := 0; skip < 10*limit; skip += limit {
		if skip > 0 {
			if err := providers.Pace(ctx); err != nil {
				return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, Message: "cancelled", Err: err}
			}
		}
		q := url.Values{"filter": {id}, "limit": {strconv.Itoa(limit)}, "skip": {strconv.Itoa(skip)}}
		req, err := c.newRequest(ctx, http.MethodGet, api.UsersPath+"?"+q.Encode(), nil)
		if err != nil {
			return providers.Result{}, false, err
		}
		resp, data, err := providers.Do(ctx, c.hc, Name, "lookup", req)
		if err != nil {
			return providers.Result{}, false, err
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return providers.Result{}, false, problemError("lookup", resp, parseProblem(data), data)
		}
		var list struct {
			Items *[]api.User `json:"items"`
			Total int         `json:"total"`
		}
		if err := json.Unmarshal(data, &list); err != nil || list.Items == nil {
			return providers.Result{}, false, providers.UnreadableLookup(Name, resp, "a user list")
		}
		items := *list.Items
		for _, u := range items {
			if sameID(u.ID, id) {
				return providers.Result{Status: providers.StatusExists, VendorID: u.MongoID, HTTPStatus: resp.StatusCode}, true, nil
			}
		}
		if len(items) < limit || skip+len(items) >= list.Total {
			break
		}
	}
	return providers.Result{}, false, nil
}

// isCreated decides what proves a create and returns the new user's _id:
// 200 or 201 (the docs do not say which [?]) with the documented answer, the
// user echoed with its _id ("Returns the created user" plus _id,
// cognigy-create-user.txt), whose id is the one sent. Only these members
// are read: decoding the whole echo costs more than the rest of a row.
func isCreated(status int, data []byte, sent string) (string, bool) {
	if status != http.StatusOK && status != http.StatusCreated {
		return "", false
	}
	mongoID, ok, id, idOK := providers.JSONStringFields2(data, "_id", "id")
	if !ok || mongoID == "" {
		return "", false
	}
	if !idOK || !sameID(id, sent) {
		return "", false
	}
	return mongoID, true
}

// sameID compares user ids: without case when the id is an e-mail address
// (vendors.md: id is most likely the login e-mail [?]; addresses are matched
// without case, as the sandbox finds duplicates), exactly otherwise.
func sameID(a, b string) bool {
	if strings.Contains(a, "@") && strings.Contains(b, "@") {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// mayBeDuplicate decides whether an answer may mean "this user already
// exists", to be confirmed by a lookup: 409 Conflict, or a 400 whose text
// says so (vendors.md: "Duplicate user: 409 or 400 [?]"). A 400 that does
// not say so is a validation error.
func mayBeDuplicate(status int, p api.Problem, data []byte) bool {
	switch status {
	case http.StatusConflict:
		return true
	case http.StatusBadRequest:
		t := strings.ToLower(p.Title + " " + p.Detail)
		if p.Title == "" && p.Detail == "" {
			t = strings.ToLower(string(data))
		}
		return strings.Contains(t, "already exist") || strings.Contains(t, "duplicate")
	}
	return false
}

func parseProblem(data []byte) api.Problem {
	var p api.Problem
	_ = json.Unmarshal(data, &p)
	return p
}

func problemError(op string, resp *http.Response, p api.Problem, data []byte) *providers.Error {
	msg := strings.TrimSpace(strings.Join(nonEmpty(p.Title, p.Detail), ": "))
	if msg == "" {
		msg = providers.Snippet(data)
	}
	trace := p.TraceID
	if trace == "" {
		trace = resp.Header.Get("X-Trace-Id")
	}
	return providers.StatusError(Name, op, resp, msg, trace)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

// Secrets returns what the vendor might echo back that must never reach a
// report (providers.SecretHolder): the password, and the Authorization
// header value with and without its Basic scheme.
func (c *client) Secrets() []string {
	auth := providers.BasicAuth(c.user, c.pass)
	return nonEmpty(c.pass, auth, strings.TrimPrefix(auth, "Basic "))
}

var _ providers.SecretHolder = (*client)(nil)
