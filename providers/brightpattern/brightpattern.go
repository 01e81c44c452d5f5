// Package brightpattern creates users through the Bright Pattern
// Configuration API v2 (POST {endpoint}/configapi/v2/user, OAuth2 client
// credentials) and fakes that API in a sandbox. docs/providers/brightpattern.md
// says what is documented, what comes from public client code, and what is
// still a guess.
//
// One OAuth token is shared by every worker of a run (token.go): fetched in
// Prepare, refreshed shortly before it expires and once after a 401, never
// per row. Prepare also reads the tenant's teams, and Create fails a row whose
// team is not among them without calling the API.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?]) is decided in one
// place each:
//   - expires_in arrives as a string; a number is accepted too
//     (api.Seconds), and a missing one counts as defaultTokenTTL (token.go).
//   - when to refresh: refreshMargin (token.go), 10% of the lifetime, at most
//     a minute early.
//   - the scope when the job gives none: the endpoint's host name without
//     port (defaultScope, client.go).
//   - the shape of GET /configapi/v2/team: api.ParseTeams.
//   - team names match exactly, case included: teamSet.check (teams.go).
//   - what proves a create: 200 with the body OK (isCreated, client.go);
//     any other 2xx is an unknown outcome.
//   - which answers may mean "already exists" (409, a 400 naming the login
//     as taken, a 500 "Duplicate key error"): mayBeDuplicate (client.go);
//     each is confirmed by a lookup.
//   - error bodies are free text, carried raw: vendorMessage (client.go).
//   - the user answer of GET /configapi/v2/user/<loginId> and whether it
//     holds an id: api.User and api.User.VendorID; 404 when absent.
//   - the password policy is per tenant and not readable: it is not checked
//     offline; the sandbox's policy is sandboxPasswordProblem (sandbox.go).
//   - none documents 429 or Retry-After: the default providers.StatusKind
//     applies.
//
// Offline validation refuses only what the vendor documents (each rule
// names its source): no format is documented for phones, e-mail or the
// login id, so none is checked; the vendor answers for them.
package brightpattern

import (
	"regexp"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
)

// Name is the provider's name in job files.
const Name = "brightpattern"

// OptionCheckTeams is the job option (`options: { check_teams: false }`)
// that turns off reading the team list in Prepare and the offline team check
// in Create, for tenants where GET /configapi/v2/team is not available to the
// API user.
const OptionCheckTeams = "check_teams"

// digits is the extension rule: the seed types extension as a number
// ("extension | number | The user's extension number").
var digits = regexp.MustCompile(`^[0-9]+$`)

// Provider is the Bright Pattern provider.
type Provider struct{}

// New returns the provider.
func New() Provider { return Provider{} }

var description = &providers.Description{
	Name:            Name,
	Title:           "Bright Pattern Contact Center",
	API:             "POST {endpoint}" + api.UserPath,
	DefaultEndpoint: "https://example.brightpattern.com",
	KeyField:        "loginId",
	// Required fields, types and the extension and skill rules are the
	// seed's (brightpattern-create-user.txt); the team must exist
	// (vendors.md [doc], checked in Create against GET /configapi/v2/team).
	Fields: []providers.Field{
		{Name: "loginId", Type: providers.String, Required: true, Help: "the user's login (username), e.g. sheila.thomas"},
		{Name: "firstName", Type: providers.String, Required: true, Help: "first name"},
		{Name: "lastName", Type: providers.String, Required: true, Help: "last name"},
		{Name: "team", Type: providers.String, Required: true, Help: "name of an existing team (checked against the tenant before sending)"},
		{Name: "password", Type: providers.String, Secret: true, Help: "initial password; must meet the tenant's password policy (use generate: password)"},
		{Name: "changePassword", Type: providers.Bool, Help: "the user must change the password at first login"},
		{Name: "extension", Type: providers.String, Pattern: digits, PatternHelp: "digits only", Help: "phone extension; auto-assigned when left out"},
		// No phone format is documented (the seed shows "4151234567";
		// vendors.md: accept what an HR system writes): none is checked.
		{Name: "workPhone", Type: providers.String, Help: "work phone number, as the HR system writes it"},
		{Name: "mobilePhone", Type: providers.String, Help: "mobile phone number, as the HR system writes it"},
		// The seed documents no e-mail format check: none is applied.
		{Name: "email", Type: providers.String, Help: "e-mail address"},
		{Name: "disabled", Type: providers.Bool, Help: "create the user disabled"},
		// Levels 0..100: the seed calls them "percentage values".
		{Name: "skills", Type: providers.SkillMap, Min: 0, Max: 100, Help: "skills and levels, e.g. Spanish:100;English:80"},
		{Name: "roles", Type: providers.StringList, Help: "names of the tenant's roles, e.g. Agent, Supervisor"},
	},
	Auth: []providers.AuthScheme{{
		Name: "oauth2",
		Help: "OAuth2 client credentials of an API user (Contact Center Administrator > Users & Teams: a user with API access and an API secret)",
		Settings: []providers.Setting{
			{Name: "client_id", Required: true, Help: "login id of the API user"},
			{Name: "client_secret", Required: true, Secret: true, Help: "that user's API secret"},
			{Name: "scope", Help: "the tenant host, e.g. example.brightpattern.com; defaults to the endpoint's host name"},
		},
	}},
	Options: []providers.Setting{
		{Name: OptionCheckTeams, Default: "true", Help: "read the tenant's teams in Prepare and fail rows with an unknown team without sending them"},
	},
	Notes: []string{
		"One token is shared by all workers: fetched once, refreshed before expires_in runs out and once after a 401.",
		"Rows whose team is not one of the tenant's teams (exact name, case included) fail without being sent.",
		"Success is 200 with the body OK and no id: the vendor id column stays empty. Any other 2xx is an unknown outcome: the user is looked up before anything is sent again.",
		"A 409, a 400 saying the login exists or a 500 \"Duplicate key error\" is confirmed with GET /configapi/v2/user/<loginId>: found is exists, else the vendor's words are the failure.",
		"The password policy is the tenant's; generated passwords have upper, lower, digits and symbols.",
	},
	SandboxVariants: []providers.Variant{{
		Name:   VariantDuplicate,
		Values: []string{"409", "400", "500"},
		Help:   "how a duplicate login is answered: 409 Conflict, 400 naming the login as existing, or 500 \"Duplicate key error\" (the vendor documents none)",
	}},
	InitJob: initJob,
	InitCSV: initCSV,
}

// VariantDuplicate names the sandbox variant that picks the duplicate
// answer (SandboxOptions.Variants).
const VariantDuplicate = "duplicate"

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate adds nothing to the field specs: the team check needs the
// tenant and happens in Create, and login ids, names, phones and e-mail have
// no documented format, so nothing else is refused offline (the vendor
// answers for them). It never touches the network.
func (Provider) Validate(providers.Record, providers.Options) []providers.FieldError {
	return nil
}

// Preview renders the request Create would send.
func (Provider) Preview(rec providers.Record, _ providers.Options) (string, error) {
	return providers.JSONPreview("POST "+api.UserPath, toWire(rec))
}

// NewClient returns a client for cfg. It does not touch the network.
func (Provider) NewClient(cfg providers.Config) (providers.Client, error) {
	return newClient(cfg)
}

// NewSandbox returns a fake Bright Pattern Configuration API.
func (Provider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return NewSandbox(opts)
}

func toWire(rec providers.Record) api.CreateUser {
	u := api.CreateUser{
		LoginID:     rec.String("loginId"),
		Password:    rec.String("password"),
		FirstName:   rec.String("firstName"),
		LastName:    rec.String("lastName"),
		Team:        rec.String("team"),
		Extension:   rec.String("extension"),
		WorkPhone:   rec.String("workPhone"),
		MobilePhone: rec.String("mobilePhone"),
		Email:       rec.String("email"),
		Roles:       rec.Strings("roles"),
	}
	if m := skillsOf(rec); len(m) > 0 {
		u.Skills = m
	}
	if b, ok := rec.Bool("disabled"); ok {
		u.Disabled = &b
	}
	if b, ok := rec.Bool("changePassword"); ok {
		u.ChangePassword = &b
	}
	return u
}

// skillsOf returns the value of the skills field (a SkillMap), or nil.
func skillsOf(rec providers.Record) map[string]int {
	m, _ := rec["skills"].(map[string]int)
	return m
}

const initJob = `# onboard job for Bright Pattern: creates one Bright Pattern user per CSV row.
# Fill in the endpoint, export the API user's credentials, then:
#   onboard check --job job.yaml          (offline: every problem, first payloads)
#   onboard run --job job.yaml --sandbox  (rehearse against the built-in fake)
#   onboard run --job job.yaml            (for real)
provider: brightpattern
# Base URL of your tenant: https://<tenant-host>, without /configapi.
endpoint: https://example.brightpattern.com
auth:                       # OAuth2 client credentials; ${NAME} reads the environment
  client_id: ${BP_CLIENT_ID}          # login id of a user with API access
  client_secret: ${BP_CLIENT_SECRET}  # that user's API secret
  # scope: example.brightpattern.com  # the tenant host; defaults to the endpoint's host
input: users.csv            # relative to this file; --input overrides
key: Login                  # the column that identifies a person
rate: 5                     # requests per second, all workers together
concurrency: 4              # requests in flight at once (they share one token)
fields:                     # Bright Pattern field: where its value comes from
  loginId: { column: Login, lower: true }
  firstName: First Name
  lastName: Last Name
  # The team must already exist in the tenant (exact name); rows naming another
  # team fail before anything is sent. To translate HR departments instead:
  #   team: { column: Department, map: { Sales: Sales, Support: Customer Service } }
  team: Team
  email: Work Email
  extension: Extension      # digits only; leave the field out to have one auto-assigned
  mobilePhone: Mobile
  skills: Skills            # Name:Level;Name:Level, levels 0..100
  roles: { column: Roles, split: ";" }   # role names of the tenant, e.g. Agent;Supervisor
  password: { generate: password }       # written only to credentials.csv
  changePassword: { value: true }
`

const initCSV = `Login,First Name,Last Name,Team,Work Email,Extension,Mobile,Skills,Roles
sheila.thomas,Sheila,Thomas,Customer Service,sheila.thomas@example.com,1072,+1 650 123 4567,Spanish:100;English:100,Agent
jose.garcia,José,García,Sales,jose.garcia@example.com,1073,+34 612 345 678,Spanish:100;English:80,Agent;Supervisor
`
