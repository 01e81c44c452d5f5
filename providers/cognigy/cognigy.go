// Package cognigy creates users through the Cognigy.AI management API
// (POST {base}/management/v2.0/users, HTTP Basic) and fakes that API in a
// sandbox. docs/providers/cognigy.md says what is documented, what comes
// from public client code, and what is still a guess.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?]) is decided in one
// place each:
//   - the success status: 200 and 201 both accepted (isCreated);
//   - what proves a create: the echoed user with its _id and the id sent
//     (isCreated); any other 2xx is an unknown outcome;
//   - a duplicate: 409, or a 400 whose text says it exists
//     (mayBeDuplicate), each confirmed by a lookup;
//   - `id` being the login e-mail, compared without case when it is an
//     address (sameID); not enforced offline.
//
// Offline validation refuses only what the vendor documents: the required
// fields, the 24-character organisation id, the role enum and the boolean
// types, all expressed by the field specs (each names its source).
package cognigy

import (
	"regexp"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy/api"
)

// Name is the provider's name in job files.
const Name = "cognigy"

// Roles is the documented role enum (the seed's roles enum<string>[] and
// vendors.md [doc]).
var Roles = []string{
	"admin", "apiKeys", "base_role", "basicSupportUser", "fullSupportUser",
	"liveAgentAdmin", "liveAgentAgent", "liveAgentSupervisor", "odata",
	"projectAssigner", "projectManager", "userManager", "userDetailsViewer",
	"voiceGatewayUser", "opsCenterUser",
}

// objectID is the documented form of Cognigy ids (MongoDB ObjectIds):
// the seed says "Required string length: 24" for organisation, vendors.md
// [doc] ^[a-z0-9]{24}$.
var objectID = regexp.MustCompile(`^[a-z0-9]{24}$`)

// Provider is the Cognigy.AI provider.
type Provider struct{}

// New returns the provider.
func New() Provider { return Provider{} }

var description = &providers.Description{
	Name:            Name,
	Title:           "Cognigy.AI",
	API:             "POST {endpoint}" + api.UsersPath,
	DefaultEndpoint: "https://api-trial.cognigy.ai/new",
	KeyField:        "id",
	// Required fields and types: the seed (cognigy-create-user.txt and
	// cognigy-create-user-with-cxone-fields.txt). No format is documented
	// for id, name or the CXone fields, so none is checked.
	Fields: []providers.Field{
		{Name: "id", Type: providers.String, Required: true, Help: "login of the user, normally the work e-mail"},
		{Name: "name", Type: providers.String, Required: true, Help: "display name"},
		{Name: "password", Type: providers.String, Required: true, Secret: true, Help: "initial password; must meet the organisation's password policy (use generate: password)"},
		{Name: "organisation", Type: providers.String, Required: true, Pattern: objectID, PatternHelp: "24 lower-case letters or digits (the organisation's id)", Help: "id of the organisation the user joins"},
		{Name: "roles", Type: providers.StringList, Enum: Roles, Help: "organisation-wide roles"},
		{Name: "acceptedTOS", Type: providers.Bool, Help: "terms of service already accepted"},
		{Name: "disabled", Type: providers.Bool, Help: "create the user disabled"},
		{Name: "cxoneEmail", Type: providers.String, Help: "NiCE CXone e-mail; only for NiCE CXone users"},
		{Name: "cxoneId", Type: providers.String, Help: "NiCE CXone user id; only for NiCE CXone users"},
	},
	Auth: []providers.AuthScheme{{
		Name: "basic",
		Help: "HTTP Basic with a Cognigy user allowed to manage users (API keys do not work on /management/ routes)",
		Settings: []providers.Setting{
			{Name: "username", Required: true, Help: "login e-mail of an admin or userManager"},
			{Name: "password", Required: true, Secret: true, Help: "that user's password"},
		},
	}},
	Notes: []string{
		"Base URLs: trial https://api-trial.cognigy.ai/new, EU https://api-app.cognigy.ai/new, US https://api-app-us.cognigy.ai/new.",
		"Created means the answer echoes the user with its _id; any other 2xx is an unknown outcome, looked up before anything is sent again.",
		"A 409, or a 400 saying already exists or duplicate, is confirmed with GET /management/v2.0/users?filter=<id>: found is exists (with its _id), else the vendor's words are the failure.",
		"Password rules are the organisation's passwordPolicy; generated passwords have upper, lower, digits and symbols.",
	},
	SandboxVariants: []providers.Variant{{
		Name:   VariantDuplicate,
		Values: []string{"409", "400"},
		Help:   "how a duplicate id is answered: 409 Conflict, or 400 with a MongoDB duplicate key error (the vendor documents neither)",
	}},
	InitJob: initJob,
	InitCSV: initCSV,
}

// VariantDuplicate names the sandbox variant that picks the duplicate
// answer (SandboxOptions.Variants).
const VariantDuplicate = "duplicate"

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate adds nothing to the field specs: the vendor documents no
// format for id, name, cxoneEmail or cxoneId, so nothing else is refused
// offline (the vendor answers for them).
func (Provider) Validate(providers.Record, providers.Options) []providers.FieldError {
	return nil
}

// Preview renders the request Create would send.
func (Provider) Preview(rec providers.Record, _ providers.Options) (string, error) {
	return providers.JSONPreview("POST "+api.UsersPath, toWire(rec))
}

// NewClient returns a client for cfg.
func (Provider) NewClient(cfg providers.Config) (providers.Client, error) {
	return newClient(cfg)
}

// NewSandbox returns a fake Cognigy management API.
func (Provider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return NewSandbox(opts)
}

func toWire(rec providers.Record) api.CreateUser {
	u := api.CreateUser{
		ID:           rec.String("id"),
		Name:         rec.String("name"),
		Password:     rec.String("password"),
		Organisation: rec.String("organisation"),
		CXoneEmail:   rec.String("cxoneEmail"),
		CXoneID:      rec.String("cxoneId"),
		Roles:        rec.Strings("roles"),
	}
	if b, ok := rec.Bool("acceptedTOS"); ok {
		u.AcceptedTOS = &b
	}
	if b, ok := rec.Bool("disabled"); ok {
		u.Disabled = &b
	}
	return u
}

const initJob = `# onboard job for Cognigy.AI: creates one Cognigy user per CSV row.
# Fill in the endpoint and the organisation, export the credentials, then:
#   onboard check --job job.yaml          (offline: every problem, first payloads)
#   onboard run --job job.yaml --sandbox  (rehearse against the built-in fake)
#   onboard run --job job.yaml            (for real)
provider: cognigy
# Base URL of your Cognigy installation: trial https://api-trial.cognigy.ai/new,
# EU https://api-app.cognigy.ai/new, US https://api-app-us.cognigy.ai/new.
endpoint: https://api-trial.cognigy.ai/new
auth:                       # HTTP Basic; ${NAME} reads the environment
  username: ${COGNIGY_USERNAME}
  password: ${COGNIGY_PASSWORD}
input: users.csv            # relative to this file; --input overrides
key: Work Email             # the column that identifies a person
rate: 5                     # requests per second, all workers together
concurrency: 4              # requests in flight at once
fields:                     # Cognigy field: where its value comes from
  id: { column: Work Email, lower: true }
  name: { template: "{First Name} {Last Name}" }
  password: { generate: password }          # written only to credentials.csv
  organisation: { value: 5f1e2d3c4b5a697887766554 }   # your organisation's id
  roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent } }   # no default, so a department not in the map fails its row instead of becoming a role
  acceptedTOS: { value: true }
`

const initCSV = `First Name,Last Name,Work Email,Department
Ada,Lovelace,ada.lovelace@example.com,Sales
Alan,Turing,alan.turing@example.com,Support
`
