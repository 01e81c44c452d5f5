package cxengage

import (
	"bytes"
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
	base   string
	scheme string // "basic" or "apikey", as Description.MatchAuth names it
	user   string
	pass   string
	hc     *http.Client
	agent  string
	opts   settings
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
	return &client{base: base, scheme: scheme.Name, user: user, pass: pass, hc: providers.HTTPClient(cfg), agent: cfg.UserAgent, opts: s}, nil
}

// Secrets returns what the vendor might echo back that must never reach a
// report: the password or API secret, and the Authorization value built
// from it (providers.SecretHolder).
func (c *client) Secrets() []string {
	return []string{c.pass, providers.BasicAuth(c.user, c.pass)}
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
	e := c.vendorError("tenant check", resp, data)
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

// Create sends one user and, when the tenant step is on and this very call
// proved that it created the user, adds it to the tenant.
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
	if resp.StatusCode/100 != 2 {
		errs := parseErrors(data)
		if mayBeDuplicate(resp.StatusCode, errs, data) {
			// Exists (confirmed): never the tenant step, as the user may
			// already be in the tenant, and invited.
			return providers.ConfirmDuplicate(ctx, func(ctx context.Context) (providers.Result, bool, error) { return c.Lookup(ctx, rec) }, c.vendorError("create", resp, data))
		}
		return providers.Result{}, c.vendorError("create", resp, data)
	}
	// What proves the creation: the documented answer,
	// {"result": {"id": ..., ...}} (seeds/cxengage-create-user.txt, "Sample
	// response"; vendors.md: "the new id is result.id") [doc], with a
	// non-empty id and, when the answer names an e-mail, the one sent. Any
	// other 2xx (a captive portal's HTML, an empty {}, garbage) may or may
	// not have reached the vendor: the outcome is unknown, and the pipeline
	// looks the user up before anything is re-sent.
	u, ok := api.ParseCreated(data)
	if !ok || u.Email != "" && !sameEmail(u.Email, rec.String("email")) {
		return providers.Result{}, c.unproven(resp, data)
	}
	res := providers.Result{Status: providers.StatusCreated, VendorID: u.ID, HTTPStatus: resp.StatusCode}
	if c.opts.tenantStep() {
		if err := c.addToTenant(ctx, rec, res.VendorID); err != nil {
			return providers.Result{}, err
		}
	}
	return res, nil
}

// unproven is the error for a 2xx that is not the documented answer.
func (c *client) unproven(resp *http.Response, data []byte) *providers.Error {
	msg := fmt.Sprintf(`answered %d but not with the created user%s; outcome unknown (the success answer is {"result": {"id": ...}})`, resp.StatusCode, providers.AnswerType(resp, data))
	if c.opts.tenantStep() {
		msg += fmt.Sprintf("; the tenant step was not run: if the user turns out to exist, add it to tenant %s by hand", c.opts.tenantID)
	}
	return &providers.Error{Vendor: Name, Op: "create", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode, Message: msg}
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
		return c.tenantFailure(userID, c.vendorError("tenant", resp, data))
	}
	// The answer's shape is not documented [?]; the API speaks JSON, so a
	// 2xx that is not JSON (a captive portal's page) proves nothing.
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		return c.tenantFailure(userID, &providers.Error{Vendor: Name, Op: "tenant", Kind: providers.KindUnknown, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("answered %d but not with JSON%s", resp.StatusCode, providers.AnswerType(resp, data))})
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
		what = fmt.Sprintf("the outcome of the call adding it to tenant %s is unknown, so it may or may not be in the tenant (look before adding it)", c.opts.tenantID)
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

// Lookup finds the user by e-mail: GET /v1/users?email= [code]. Nobody
// matching is a 404 (the vendor's UI treats any non-200 as "not on the
// platform", vendors.md [?]) or a 200 with an empty list; any other status
// is an error, and so is a 2xx that is not {"result": [...]}, never
// "absent". Whether the filter matches exactly is not documented [?], so
// every item is compared with sameEmail.
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
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return providers.Result{}, false, nil
	case resp.StatusCode/100 != 2:
		return providers.Result{}, false, c.vendorError("lookup", resp, data)
	}
	list, err := api.ParseUserList(data)
	if err != nil {
		return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf(`answered %d but not with a user list {"result": [...]}%s, so whether the user exists is unknown`, resp.StatusCode, providers.AnswerType(resp, data))}
	}
	for _, u := range list {
		if !sameEmail(u.Email, email) {
			continue
		}
		if strings.TrimSpace(u.ID) == "" {
			return providers.Result{}, false, &providers.Error{Vendor: Name, Op: "lookup", Kind: providers.KindRetry, HTTPStatus: resp.StatusCode,
				Message: "answered with the user but without its id"}
		}
		return providers.Result{Status: providers.StatusExists, VendorID: u.ID, HTTPStatus: resp.StatusCode}, true, nil
	}
	return providers.Result{}, false, nil
}

// sameEmail compares two addresses whole, ignoring case (the sandbox, like
// the vendor's own duplicate check [?], ignores case).
func sameEmail(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// duplicatePhrases are the words by which the vendor's configuration UI
// recognises a duplicate in any CxEngage answer
// (shark764/cxengage-configuration-ui, src/utils/sdk.js) [code]; matched
// ignoring case.
var duplicatePhrases = []string{"same value", "already exist", "already registered", "duplicate found"}

// mayBeDuplicate decides whether an answer to POST /v1/users may mean "this
// user already exists". No duplicate answer is documented [?]: any 409, or
// a 400 (most likely) or 422 whose words (message, attribute string or object,
// nested errors; the raw body when it is not the usual JSON) hold one of
// duplicatePhrases. It is only a question: providers.ConfirmDuplicate asks Lookup. A
// plain validation 400 has none of the phrases and is not a duplicate.
func mayBeDuplicate(status int, errs api.Errors, body []byte) bool {
	switch status {
	case http.StatusConflict:
		return true // a conflict on a create, whatever its words
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
	default:
		return false
	}
	words := errs.Words()
	if len(words) == 0 {
		words = []string{string(body)}
	}
	for _, w := range words {
		w = strings.ToLower(w)
		for _, p := range duplicatePhrases {
			if strings.Contains(w, p) {
				return true
			}
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
// own words (or a snippet of the body when it is not the usual JSON). A
// redirect is the endpoint's fault, never followed (KindEndpoint); refused
// API key credentials say what to try.
func (c *client) vendorError(op string, resp *http.Response, data []byte) *providers.Error {
	if resp.StatusCode/100 == 3 {
		return &providers.Error{Vendor: Name, Op: op, Kind: providers.KindEndpoint, HTTPStatus: resp.StatusCode,
			Message: "answered with a redirect to " + redactedLocation(resp) + ", which is never followed: fix the endpoint (the region's API URL, https)"}
	}
	msg := parseErrors(data).Message()
	if msg == "" {
		msg = providers.Snippet(data)
	}
	e := providers.StatusError(Name, op, resp, msg, "")
	if e.Kind == providers.KindAuth && c.scheme == "apikey" {
		e.Message += apiKeyHint
	}
	return e
}

// apiKeyHint is added to a refusal of api_key/api_secret. Basic with a key
// and secret is what vendors.md records [doc]; public client code instead
// exchanges credentials at POST /v1/tokens for an "Authorization: Token"
// header [code: shark764/cxengage-javascript-sdk], which onboard does not
// do, as nobody has confirmed it for API keys.
const apiKeyHint = " (onboard sent api_key and api_secret as HTTP Basic. Check that the key is active and its role has MANAGE_ALL_USERS; " +
	"or use auth username/password of such a user. If your tenant only accepts keys through a token (POST /v1/tokens, Authorization: Token ...), " +
	"that is not supported yet: tell the onboard maintainers)"

// redactedLocation is the redirect's target without any credentials in it.
func redactedLocation(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "an unnamed location"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "an unreadable location"
	}
	u.RawQuery, u.Fragment = "", "" // a query may carry a token
	return u.Redacted()
}
