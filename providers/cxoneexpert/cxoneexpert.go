// Package cxoneexpert creates users on NICE CXone Expert (formerly
// MindTouch) through POST {site}/@api/deki/users, an XML API, and fakes that
// API in a sandbox. docs/providers/cxoneexpert.md says what is documented,
// what comes from public code and what is still a guess.
//
// Two credentials are accepted: a server API token, signed afresh for every
// request (X-Deki-Token, see signToken; options.token_format picks the
// vendor's form or the legacy one), or HTTP Basic with an admin account.
// The new user's password travels as the accountpassword query parameter;
// no error, preview or String method ever shows a URL or that value.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?], or says nothing) is
// decided in one place each:
//   - what proves a creation: a 2xx whose body is the documented
//     <user id="..."> with a non-empty id and the username sent (Create);
//     any other 2xx is an unknown outcome;
//   - a duplicate: 409 is documented; a 400 whose words say the name is
//     taken may mean it too (mayBeDuplicate); both are confirmed by Lookup
//     (providers.ConfirmDuplicate);
//   - the field rules: only what the docs say (the status enum) and what
//     XML can carry (xmlProblem); a username's other characters, the
//     e-mail's form, role names and the password policy are the site's;
//   - which characters the twice-encoded lookup escapes: all but the RFC 3986
//     unreserved ones, each pass (escapeTwice);
//   - the error body's title is dropped when it only repeats the HTTP status
//     text (vendorMessage);
//   - the token's user setting is "=<username>" or a numeric id, checked
//     before any request (checkTokenUser);
//   - a lookup answer is the user when its username equals the asked one
//     ignoring case, as Expert usernames are unique ignoring case; another
//     user in the answer is an error, not "absent" (sameUser).
//
// The sandbox's own choices where the vendor is silent are in sandbox.go,
// one place each: its roles (sandboxRoles, matched case included) and
// password policy (SandboxPasswordMinLength); the token window (tokenWindow,
// ±5 minutes); refused credentials answer 401 and missing admin rights 403
// (ServeHTTP, post); a wrong Content-Type answers 415 (post); unknown
// elements and content after </user> are refused (parseUserDoc); a lookup
// path encoded only once is refused (get); the e-mail check (checkUserDoc).
// Its variants (variants.go) play the answers the docs leave open.
package cxoneexpert

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// Name is the provider's name in job files.
const Name = "cxoneexpert"

// statuses are the documented account states: <status>{active|inactive}</status>
// (seeds/cxone-expert-users-post.txt, "Message Format") [doc].
var statuses = []string{"active", "inactive"}

// xmlProblem is the one character rule of the text fields: the body is XML
// [doc], and XML 1.0 cannot carry control characters other than tab, line
// feed and carriage return, nor invalid UTF-8 (XML 1.0 §2.2, "Char").
// encoding/xml would silently write U+FFFD instead, so the vendor would get
// a name other than the one in the file. It returns "" for a good value.
func xmlProblem(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("has an invalid UTF-8 byte at position %d", i+1)
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20 || r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF:
			return fmt.Sprintf("has the control character %U at position %d, which XML cannot carry", r, i+1)
		}
	}
	return ""
}

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

// OptTokenFormat is the option that picks the token's form (TokenFormats).
const OptTokenFormat = "token_format"

var description = &providers.Description{
	Name:            Name,
	Title:           "NICE CXone Expert (formerly MindTouch)",
	API:             "POST {endpoint}" + api.UsersPath + " (XML)",
	DefaultEndpoint: "https://example.mindtouch.us",
	KeyField:        "username",
	Fields: []providers.Field{
		// The rules are the seed's (seeds/cxone-expert-users-post.txt) [doc]
		// and XML's (xmlProblem, in Validate); nothing else is refused
		// offline.
		// username: the key; "not possible to create two users having the
		// same username" [doc]. No character rule is documented.
		{Name: "username", Type: providers.String, Required: true,
			Help: "login name; unique on the site, ignoring case"},
		// email, fullname: {text} [doc]; the site checks the address.
		{Name: "email", Type: providers.String, Help: "e-mail address (checked by the site)"},
		{Name: "fullname", Type: providers.String, Help: "display name"},
		// status: {active|inactive} [doc].
		{Name: "status", Type: providers.String, Enum: statuses, Help: "account state (the site's default is active)"},
		// role: {text}; role names are site configuration [doc].
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
	Options: []providers.Setting{
		{Name: OptTokenFormat, Default: TokenDefault,
			Help: "form of the server API token: default (tkn_{key}_{epoch}_{user}_{hash}, the vendor's examples) or legacy ({key}_{epoch}_{user}_{hash}, HMAC over {key}{epoch}{user}, as older clients sign it)"},
	},
	Notes: []string{
		"Creating users needs an admin, a server API token, or the account owner; anything else is 403.",
		"The password is sent as the accountpassword query parameter; URLs are never logged or reported.",
		"Created is reported only for the documented <user id=\"...\"> answer; any other 2xx is an unknown outcome, looked up before anything is re-sent.",
		"A username that already exists (409, or a 400 saying so) is confirmed by looking it up: found is exists with its id, not found a failure with the vendor's words.",
		"Lookups read GET /@api/deki/users/={username}, the username URI-encoded twice.",
		"Role names and the password policy are site configuration: they are checked by the site, not offline.",
	},
	SandboxVariants: []providers.Variant{
		{Name: VariantDuplicate, Values: DuplicateVariants,
			Help: "the answer to a create of a username that exists: 409 Conflict (documented) or a 400 whose message says so"},
		{Name: VariantTokenFormat, Values: TokenFormats,
			Help: "the server API token form the site accepts: default (tkn_..., the vendor's examples) or legacy (older clients); the sandbox's options then name it"},
	},
	InitJob: initJob,
	InitCSV: initCSV,
}

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate checks what the field specs cannot express: that every text
// field can travel in XML (xmlProblem). The password goes in the query
// string, not the XML, and the site's policy judges it.
func (Provider) Validate(rec providers.Record, _ providers.Options) []providers.FieldError {
	var errs []providers.FieldError
	for _, f := range []string{"username", "email", "fullname", "role"} {
		if msg := xmlProblem(rec.String(f)); msg != "" {
			errs = append(errs, providers.FieldError{Field: f, Msg: msg})
		}
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
# options:
#   token_format: legacy    # only if the site refuses the token (older sign form)
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
