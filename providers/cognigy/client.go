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
	if isSuccess(resp.StatusCode) {
		// Only the id is wanted from the echoed user. An answer without a
		// readable id still means created: say so rather than fail a row
		// that worked.
		id, _ := providers.JSONStringField(data, "_id")
		return providers.Result{Status: providers.StatusCreated, VendorID: id, HTTPStatus: resp.StatusCode}, nil
	}
	p := parseProblem(data)
	if isDuplicate(resp.StatusCode, p) {
		return providers.Result{Status: providers.StatusExists, HTTPStatus: resp.StatusCode}, nil
	}
	return providers.Result{}, problemError("create", resp, p, data)
}

// Lookup finds the user by exact id. The list filter matches partially, so
// the items are compared one by one, page after page.
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	id := rec.String("id")
	const limit = 100
	for skip := 0; skip < 10*limit; skip += limit {
		q := url.Values{"filter": {id}, "limit": {strconv.Itoa(limit)}, "skip": {strconv.Itoa(skip)}}
		req, err := c.newRequest(ctx, http.MethodGet, api.UsersPath+"?"+q.Encode(), nil)
		if err != nil {
			return providers.Result{}, false, err
		}
		resp, data, err := providers.Do(ctx, c.hc, Name, "lookup", req)
		if err != nil {
			return providers.Result{}, false, err
		}
		if resp.StatusCode != http.StatusOK {
			return providers.Result{}, false, problemError("lookup", resp, parseProblem(data), data)
		}
		var list api.UserList
		if err := json.Unmarshal(data, &list); err != nil {
			return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode, Message: "unreadable user list: " + err.Error()}
		}
		for _, u := range list.Items {
			if u.ID == id {
				return providers.Result{Status: providers.StatusExists, VendorID: u.MongoID, HTTPStatus: resp.StatusCode}, true, nil
			}
		}
		if len(list.Items) < limit || skip+len(list.Items) >= list.Total {
			break
		}
	}
	return providers.Result{}, false, nil
}

// isSuccess decides which statuses mean created: the docs do not say
// whether Cognigy answers 200 or 201 [?], so both are.
func isSuccess(status int) bool { return status == http.StatusOK || status == http.StatusCreated }

// isDuplicate decides whether an answer means "this user already exists":
// 409 Conflict, or a 400 whose text says so (the vendor's duplicate answer
// is unconfirmed [?]).
func isDuplicate(status int, p api.Problem) bool {
	if status == http.StatusConflict {
		return true
	}
	if status == http.StatusBadRequest {
		t := strings.ToLower(p.Title + " " + p.Detail)
		return strings.Contains(t, "already exists") || strings.Contains(t, "duplicate")
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
