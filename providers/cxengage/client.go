package cxengage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage/api"
)

type client struct {
	base  string
	user  string
	pass  string
	hc    *http.Client
	agent string
	opts  settings
}

func newClient(cfg providers.Config) (*client, error) {
	scheme, err := description.MatchAuth(cfg.Auth)
	if err != nil {
		return nil, err
	}
	user, pass := cfg.Auth["username"], cfg.Auth["password"]
	if scheme.Name == "apikey" {
		user, pass = cfg.Auth["api_key"], cfg.Auth["api_secret"]
	}
	base, err := cleanBase(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	s, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, err
	}
	hc := providers.HTTPClient(cfg) // never follows a redirect
	return &client{base: base, user: user, pass: pass, hc: hc, agent: cfg.UserAgent, opts: s}, nil
}

// cleanBase checks the endpoint and drops a trailing slash and a trailing
// /v1 (the paths carry it).
func cleanBase(endpoint string) (string, error) {
	u, err := providers.BaseURL(Name, endpoint, "/v1", "https://api.cxengage.net (North America) or https://eu-west-1-prod-api.cxengage.net (Europe)")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Prepare checks the tenant when the tenant step is on, so that a wrong
// tenant id or credentials without access to it stop the run before any
// platform user is created. Without the tenant step there is nothing to
// fetch: Basic auth needs no token.
func (c *client) Prepare(ctx context.Context) error {
	if !c.opts.tenantStep() {
		return nil
	}
	return c.checkTenant(ctx)
}

// checkTenant reads GET /v1/tenants/{tenantId}. That the same credentials
// may read it is an assumption [?]: a 401/403 here stops the run with a
// message that says so.
func (c *client) checkTenant(ctx context.Context) error {
	req, err := c.newRequest(ctx, http.MethodGet, api.TenantPath(c.opts.tenantID), nil)
	if err != nil {
		return err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "tenant check", req)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := vendorError("tenant check", resp, data)
	e.Message = fmt.Sprintf("cannot read options.%s %s (needed for the tenant step; no user was created): %s", OptTenantID, c.opts.tenantID, e.Message)
	return e
}

func (c *client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	req, err := providers.NewRequest(ctx, method, c.base+path, body, "application/json", c.agent)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Create sends one user and, when the tenant step is on and the user was
// created by this very call, adds it to the tenant.
func (c *client) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	body, err := json.Marshal(toWire(rec))
	if err != nil {
		return providers.Result{}, err
	}
	req, err := c.newRequest(ctx, http.MethodPost, api.UsersPath, body)
	if err != nil {
		return providers.Result{}, err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "create", req)
	if err != nil {
		return providers.Result{}, err
	}
	if !isSuccess(resp.StatusCode) {
		if isDuplicate(resp.StatusCode, parseErrors(data)) {
			// Exists: never the tenant step (the user may already be in
			// the tenant, and invited).
			return providers.Result{Status: providers.StatusExists, HTTPStatus: resp.StatusCode}, nil
		}
		return providers.Result{}, vendorError("create", resp, data)
	}
	// Created. An unreadable answer leaves the id empty rather than fail a
	// row that worked.
	var out api.UserRefResult
	_ = json.Unmarshal(data, &out)
	res := providers.Result{Status: providers.StatusCreated, VendorID: out.Result.ID, HTTPStatus: resp.StatusCode}
	if c.opts.tenantStep() {
		if err := c.addToTenant(ctx, rec, res.VendorID); err != nil {
			return providers.Result{}, err
		}
	}
	return res, nil
}

// addToTenant is the tenant step. What keeps an invitation from being sent
// by accident or twice:
//
//   - it is called only by Create, right after POST /v1/users answered
//     success in the same call: the user did not exist a moment before, so
//     nobody can have added or invited it yet. After "exists", after a
//     lookup (an unknown outcome) and on a re-sent create (which answers
//     "exists") it never runs;
//   - it is never retried, here or by the pipeline: every failure, even a
//     429 or a lost connection, becomes a KindRejected error whose message
//     says that the platform user WAS created. A rerun then sees the user
//     as exists and skips the step; a person adds the user to the tenant;
//   - "invited" is sent only when the job's options.tenant_status says so.
//
// It uses Create's context: the pipeline gives requests already on the wire
// a grace period after Ctrl-C, and this call is part of the same request.
func (c *client) addToTenant(ctx context.Context, rec providers.Record, userID string) error {
	// The tenant call is a second request for this row: it takes its turn
	// from the run's pacer like any other.
	if err := providers.Pace(ctx); err != nil {
		return c.tenantFailure(userID, err)
	}
	body, err := json.Marshal(tenantWire(rec, c.opts))
	if err != nil {
		return c.tenantFailure(userID, err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, api.TenantUsersPath(c.opts.tenantID), body)
	if err != nil {
		return c.tenantFailure(userID, err)
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "tenant", req)
	if err != nil {
		return c.tenantFailure(userID, err)
	}
	if resp.StatusCode/100 != 2 {
		return c.tenantFailure(userID, vendorError("tenant", resp, data))
	}
	return nil
}

// tenantFailure turns a failed tenant step into a permanent row error that
// says the platform user was created.
func (c *client) tenantFailure(userID string, cause error) *providers.Error {
	out := providers.Error{Vendor: Name, Op: "tenant", Message: cause.Error(), Err: cause}
	if e, ok := providers.AsError(cause); ok {
		out = *e
		out.Err = cause
	}
	unknown := out.Kind == providers.KindUnknown
	out.Kind = providers.KindRejected
	out.RetryAfter = 0
	id := userID
	if id == "" {
		id = "unknown"
	}
	what := fmt.Sprintf("adding it to tenant %s failed", c.opts.tenantID)
	if unknown {
		what = fmt.Sprintf("the call adding it to tenant %s got no answer, so it may or may not be in the tenant (look before adding it)", c.opts.tenantID)
	}
	reason := out.Message
	if reason == "" {
		reason = "no details"
	}
	out.Message = fmt.Sprintf("the platform user WAS created (id %s), but %s: %s. "+
		"A rerun reports this user as exists and does not repeat the tenant step (no second invitation): add the user to the tenant in CxEngage by hand",
		id, what, reason)
	return &out
}

// Lookup finds the user by e-mail. Whether the ?email= filter matches
// exactly is not documented [?], so every item is compared with sameEmail.
func (c *client) Lookup(ctx context.Context, rec providers.Record) (providers.Result, bool, error) {
	email := rec.String("email")
	q := url.Values{"email": {email}}
	req, err := c.newRequest(ctx, http.MethodGet, api.UsersPath+"?"+q.Encode(), nil)
	if err != nil {
		return providers.Result{}, false, err
	}
	resp, data, err := providers.Do(ctx, c.hc, Name, "lookup", req)
	if err != nil {
		return providers.Result{}, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return providers.Result{}, false, vendorError("lookup", resp, data)
	}
	var list api.UserRefList
	if err := json.Unmarshal(data, &list); err != nil {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode, Message: "unreadable user list: " + err.Error()}
	}
	for _, u := range list.Result {
		if sameEmail(u.Email, email) {
			return providers.Result{Status: providers.StatusExists, VendorID: u.ID, HTTPStatus: resp.StatusCode}, true, nil
		}
	}
	return providers.Result{}, false, nil
}

// sameEmail compares two addresses whole, ignoring case.
func sameEmail(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// isSuccess decides which statuses mean created: the docs show no status
// [?], so 200 and 201 both do.
func isSuccess(status int) bool { return status == http.StatusOK || status == http.StatusCreated }

// isDuplicate decides whether an answer to POST /v1/users means "this user
// already exists". No duplicate answer is documented [?]: a 400 (or a 409)
// with a problem that says "already exists", about the e-mail or about no
// attribute, and that names none of the other fields sent (an externalId
// already taken is a rejection, not this user).
func isDuplicate(status int, errs api.Errors) bool {
	if status != http.StatusBadRequest && status != http.StatusConflict {
		return false
	}
	for _, d := range errs {
		msg := strings.ToLower(string(d.Message))
		attr := strings.ToLower(strings.TrimSpace(string(d.Attribute)))
		if !strings.Contains(msg, "already exists") || (attr != "" && attr != "email") {
			continue
		}
		other := false
		for _, f := range description.Fields {
			if f.Name != "email" && strings.Contains(msg, strings.ToLower(f.Name)) {
				other = true
			}
		}
		if !other {
			return true
		}
	}
	return false
}

// parseErrors reads an {"error": ...} body; anything else gives nil.
func parseErrors(data []byte) api.Errors {
	var b api.ErrorBody
	if err := json.Unmarshal(data, &b); err != nil {
		return nil
	}
	return b.Error
}

// vendorError builds the *Error for a non-success answer, with the vendor's
// own words (or a snippet of the body when it is not the usual JSON).
func vendorError(op string, resp *http.Response, data []byte) *providers.Error {
	msg := parseErrors(data).Message()
	if msg == "" {
		msg = providers.Snippet(data)
	}
	return providers.StatusError(Name, op, resp, msg, "")
}
