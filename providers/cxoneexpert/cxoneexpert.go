// Package cxoneexpert creates users on NICE CXone Expert (formerly
// MindTouch) through POST {site}/@api/deki/users, an XML API, and fakes that
// API in a sandbox.
//
// Two credentials are accepted: a server API token, signed afresh for every
// request (X-Deki-Token, see signToken), or HTTP Basic with an admin account.
// The new user's password travels as the accountpassword query parameter;
// no error, preview or String method ever shows a URL or that value.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?], or says nothing) is
// decided in one place each:
//   - the success status: 200 is documented, 201 is accepted too (isSuccess);
//   - what a username may contain beyond "not empty": no '/', no control
//     characters, no leading or trailing spaces (usernamePattern);
//   - the e-mail rule: an address net/mail reads back unchanged whose domain
//     has a dot (emailProblem);
//   - which characters the twice-encoded lookup escapes: all but the RFC 3986
//     unreserved ones, each pass (escapeTwice);
//   - the error body's title is dropped when it only repeats the HTTP status
//     text (vendorMessage);
//   - the token's user setting is "=<username>" or a numeric id, checked
//     before any request (checkTokenUser);
//   - a lookup answer counts as the user when its username equals the asked
//     one ignoring case, as Expert usernames are unique ignoring case
//     (sameUser);
//   - a duplicate (409) is reported as exists without the vendor id (Create
//     does not spend a lookup on it);
//   - the site's password policy and role names are site configuration, so
//     neither is checked offline.
//
// The sandbox's own choices where the vendor is silent are in sandbox.go,
// one place each: its roles (sandboxRoles, matched case included) and
// password policy (SandboxPasswordMinLength); the token window (tokenWindow,
// ±5 minutes); refused credentials answer 401 and missing admin rights 403
// (ServeHTTP, post); a wrong Content-Type answers 415 (post); unknown
// elements and content after </user> are refused (parseUserDoc); a lookup
// path encoded only once is refused (get).
package cxoneexpert

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// Name is the provider's name in job files.
const Name = "cxoneexpert"

// statuses are the documented account states.
var statuses = []string{"active", "inactive"}

// usernamePattern is the offline username rule [?]: the docs only say a
// username is unique. A '/' would make the user's home page (User:<name>) a
// sub-page, control characters cannot be typed at a login prompt, and
// surrounding spaces are almost always a spreadsheet accident.
var usernamePattern = regexp.MustCompile(`^[^\s/\p{Cc}](?:[^/\p{Cc}]*[^\s/\p{Cc}])?$`)

const usernameHelp = "free of '/' and control characters, without leading or trailing spaces"

// emailProblem is the e-mail rule [?], shared by Validate and the sandbox:
// the one all providers use (providers.EmailProblem).
func emailProblem(e string) string { return providers.EmailProblem(e) }

// Provider is the NICE CXone Expert provider.
type Provider struct{}

// New returns the provider.
func New() Provider { return Provider{} }

// Auth scheme names, as Description.MatchAuth returns them.
const (
	schemeToken = "token"
	schemeBasic = "basic"
)

// defaultTokenUser is the token's user when the job names none.
const defaultTokenUser = "=admin"

var description = &providers.Description{
	Name:            Name,
	Title:           "NICE CXone Expert (formerly MindTouch)",
	API:             "POST {endpoint}" + api.UsersPath + " (XML)",
	DefaultEndpoint: "https://example.mindtouch.us",
	KeyField:        "username",
	Fields: []providers.Field{
		{Name: "username", Type: providers.String, Required: true, Pattern: usernamePattern, PatternHelp: usernameHelp,
			Help: "login name; unique on the site, ignoring case"},
		{Name: "email", Type: providers.String, Help: "e-mail address"},
		{Name: "fullname", Type: providers.String, Help: "display name"},
		{Name: "status", Type: providers.String, Enum: statuses, Help: "account state (the site's default is active)"},
		{Name: "role", Type: providers.String, Help: "site role, e.g. Viewer, Contributor, Author, Editor, Admin (role names are site configuration)"},
		{Name: "password", Type: providers.String, Secret: true,
			Help: "initial password, sent as the accountpassword query parameter; must meet the site's password policy (use generate: password)"},
	},
	Auth: []providers.AuthScheme{
		{
			Name: schemeToken,
			Help: "server API token: every request carries X-Deki-Token signed with HMAC-SHA256 (valid about 5 minutes, so each request is signed afresh)",
			Settings: []providers.Setting{
				{Name: "key", Required: true, Help: "the server API token's key"},
				{Name: "secret", Required: true, Secret: true, Help: "the server API token's secret"},
				{Name: "user", Default: defaultTokenUser, Help: "user the requests act as: =<admin username> or a numeric user id"},
			},
		},
		{
			Name: schemeBasic,
			Help: "HTTP Basic with an admin account",
			Settings: []providers.Setting{
				{Name: "username", Required: true, Help: "an admin's username"},
				{Name: "password", Required: true, Secret: true, Help: "that admin's password"},
			},
		},
	},
	Notes: []string{
		"Creating users needs an admin, a server API token, or the account owner; anything else is 403.",
		"The password is sent as the accountpassword query parameter; URLs are never logged or reported.",
		"A username that already exists (409) is reported as exists; its id is then left empty.",
		"Lookups read GET /@api/deki/users/={username}, the username URI-encoded twice.",
		"Role names and the password policy are site configuration: they are checked by the site, not offline.",
	},
	InitJob: initJob,
	InitCSV: initCSV,
}

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate checks what the field specs cannot express.
func (Provider) Validate(rec providers.Record, _ providers.Options) []providers.FieldError {
	var errs []providers.FieldError
	if e := rec.String("email"); e != "" {
		if msg := emailProblem(e); msg != "" {
			errs = append(errs, providers.FieldError{Field: "email", Msg: msg})
		}
	}
	if r := rec.String("role"); r != strings.TrimSpace(r) {
		errs = append(errs, providers.FieldError{Field: "role", Msg: fmt.Sprintf("%q has leading or trailing spaces", r)})
	}
	return errs
}

// Preview renders the request Create would send. The password is never
// taken from rec: when one is set, the query shows the mask.
func (Provider) Preview(rec providers.Record, _ providers.Options) (string, error) {
	var b bytes.Buffer
	b.WriteString("POST " + api.UsersPath)
	if rec.String("password") != "" {
		b.WriteString("?" + api.PasswordParam + "=" + providers.Mask)
	}
	b.WriteString("\nContent-Type: application/xml\n\n")
	out, err := xml.MarshalIndent(toWire(rec), "", "  ")
	if err != nil {
		return "", err
	}
	b.Write(out)
	b.WriteByte('\n')
	return b.String(), nil
}

// NewClient returns a client for cfg. It does not touch the network.
func (Provider) NewClient(cfg providers.Config) (providers.Client, error) {
	return newClient(cfg)
}

// NewSandbox returns a fake Expert users API.
func (Provider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return NewSandbox(opts)
}

// toWire builds the create body: only mapped fields, never an id attribute
// (that would turn the create into an update), never the password.
func toWire(rec providers.Record) api.NewUser {
	u := api.NewUser{
		Username: rec.String("username"),
		Email:    rec.String("email"),
		Fullname: rec.String("fullname"),
		Status:   rec.String("status"),
	}
	if r := rec.String("role"); r != "" {
		u.Permissions = &api.UserPermissions{Role: r}
	}
	return u
}

const initJob = `# onboard job for NICE CXone Expert (formerly MindTouch): creates one Expert
# user per CSV row (POST /@api/deki/users, XML).
# Fill in the endpoint, export the credentials, then:
#   onboard check --job job.yaml          (offline: every problem, first payloads)
#   onboard run --job job.yaml --sandbox  (rehearse against the built-in fake)
#   onboard run --job job.yaml            (for real)
provider: cxoneexpert
endpoint: https://example.mindtouch.us     # base URL of the Expert site
auth:                       # provider-specific; ${NAME} reads the environment
  # A server API token's key and secret; every request is signed afresh, as
  # a signature is valid about 5 minutes.
  key: ${EXPERT_KEY}
  secret: ${EXPERT_SECRET}
  user: =admin              # act as this user: =<admin username> or a numeric id
  # Or HTTP Basic with an admin account, instead of key/secret/user:
  # username: ${EXPERT_USERNAME}
  # password: ${EXPERT_PASSWORD}
input: users.csv            # relative to the job file
key: Username               # the CSV column that identifies a person
rate: 5                     # requests per second
concurrency: 4
fields:                     # vendor field: where its value comes from
  username: { column: Username }
  email: { column: Work Email, lower: true }
  fullname: { template: "{First Name} {Last Name}" }
  status: { column: Status, lower: true }   # active or inactive; or { value: active }
  # Role names are site configuration: list every role your site has (the
  # sandbox knows Viewer, Contributor, Author, Editor and Admin). A role not
  # listed fails its row (no default:, so a typo never becomes Contributor);
  # an empty cell sends no role: the site applies its default (Contributor
  # on the sandbox).
  role: { column: Role, map: { Viewer: Viewer, Reader: Viewer, Contributor: Contributor, Author: Author, Writer: Author, Editor: Editor, Admin: Admin } }
  password: { generate: password }          # sent as ?accountpassword=, never shown
`

const initCSV = `Username,First Name,Last Name,Work Email,Status,Role
ada.lovelace,Ada,Lovelace,ada.lovelace@example.com,active,Editor
jose.garcia,José,García,jose.garcia@example.com,active,Writer
`
