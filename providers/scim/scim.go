// Package scim creates users at any SCIM 2.0 service provider (RFC 7643
// resources, RFC 7644 protocol): POST {endpoint}/Users with a bearer token or
// HTTP Basic, and fakes such a service in a strict sandbox.
//
// What proves an outcome is decided in one place each: a create is created
// only when a 201 (or 200) carries the new user's id (isCreated); a 409, or
// a 400 whose scimType is uniqueness, may mean "exists" and is confirmed by
// a lookup (mayExist); a redirect is never followed (redirectError).
package scim

import (
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/scim/api"
)

// Name is the provider's name in job files.
const Name = "scim"

// The enterprise extension's field names (RFC 7643 §4.3). Mapping any of
// them adds the extension's URN to schemas.
var enterpriseFields = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}

// Provider is the SCIM 2.0 provider.
type Provider struct{}

// New returns the provider.
func New() Provider { return Provider{} }

// OptContentType is the job option that sets the create's Content-Type.
const OptContentType = "content_type"

// Variant names and values the sandbox plays (SandboxOptions.Variants).
const (
	// VariantDuplicate is how a duplicate userName is answered.
	VariantDuplicate = "duplicate"
	// Duplicate409 is RFC 7644 §3.3: 409 with scimType uniqueness.
	Duplicate409 = "409-uniqueness"
	// Duplicate409Bare is a 409 without a scimType.
	Duplicate409Bare = "409-bare"
	// Duplicate400 is a 400 with scimType uniqueness.
	Duplicate400 = "400-uniqueness"

	// VariantErrorStatus is how an error body writes its status.
	VariantErrorStatus = "error-status"
	// StatusString is the RFC's "status": "409".
	StatusString = "string"
	// StatusNumber is "status": 409, as some services write it.
	StatusNumber = "number"
)

var description = &providers.Description{
	Name:            Name,
	Title:           "SCIM 2.0 (RFC 7643/7644)",
	API:             "POST {endpoint}" + api.UsersPath,
	DefaultEndpoint: "https://scim.example.com/scim/v2",
	KeyField:        "userName",
	Fields: []providers.Field{
		// RFC 7643 §4.1: userName is REQUIRED, non-empty, unique and
		// case-insensitive. Nothing else of its form is required.
		{Name: "userName", Type: providers.String, Required: true, Help: "unique identifier the user signs in with (often the work e-mail); compared case-insensitively"},
		{Name: "externalId", Type: providers.String, Help: "the HR system's identifier of the person"},
		{Name: "displayName", Type: providers.String, Help: "name shown to people"},
		{Name: "nickName", Type: providers.String, Help: "casual name"},
		{Name: "title", Type: providers.String, Help: "job title"},
		{Name: "userType", Type: providers.String, Help: "relation to the organisation, e.g. Employee or Contractor (the service's own values)"},
		{Name: "active", Type: providers.Bool, Help: "account enabled (true/false)"},
		{Name: "password", Type: providers.String, Secret: true, Help: "initial password, write-only; only for services that set passwords (use generate: password)"},
		{Name: "preferredLanguage", Type: providers.String, Help: "e.g. en-US (an Accept-Language value)"},
		{Name: "locale", Type: providers.String, Help: "e.g. en-US, for formatting dates and numbers"},
		{Name: "timezone", Type: providers.String, Help: "IANA time zone, e.g. America/Los_Angeles"},
		{Name: "name.givenName", Type: providers.String, Help: "first name"},
		{Name: "name.familyName", Type: providers.String, Help: "last name"},
		{Name: "name.middleName", Type: providers.String, Help: "middle name"},
		{Name: "name.formatted", Type: providers.String, Help: "full name as displayed"},
		{Name: "email", Type: providers.String, Help: "work e-mail, sent as emails: [{value, type: work, primary: true}]"},
		{Name: "phone", Type: providers.String, Help: "work phone, sent in phoneNumbers with type work (phone: US sends E.164)"},
		{Name: "mobile", Type: providers.String, Help: "mobile phone, sent in phoneNumbers with type mobile"},
		{Name: "employeeNumber", Type: providers.String, Help: "enterprise extension: employee number"},
		{Name: "costCenter", Type: providers.String, Help: "enterprise extension: cost center"},
		{Name: "organization", Type: providers.String, Help: "enterprise extension: organization"},
		{Name: "division", Type: providers.String, Help: "enterprise extension: division"},
		{Name: "department", Type: providers.String, Help: "enterprise extension: department"},
		{Name: "manager", Type: providers.String, Help: "enterprise extension: the manager's SCIM id (not their e-mail)"},
	},
	Auth: []providers.AuthScheme{
		{
			Name: "bearer",
			Help: "Authorization: Bearer with an API token of the service (most services)",
			Settings: []providers.Setting{
				{Name: "token", Required: true, Secret: true, Help: "the SCIM API token"},
			},
		},
		{
			Name: "basic",
			Help: "HTTP Basic (services that take a user and password for SCIM)",
			Settings: []providers.Setting{
				{Name: "username", Required: true, Help: "the SCIM client's user name"},
				{Name: "password", Required: true, Secret: true, Help: "its password"},
			},
		},
	},
	Options: []providers.Setting{
		{Name: OptContentType, Default: api.MediaType, Help: "Content-Type of creates: " + api.MediaType + " (RFC 7644) or application/json for a service that refuses the SCIM type"},
	},
	Notes: []string{
		"endpoint is the SCIM base URL, the part before /Users (often ending in /scim/v2); docs/providers/scim.md lists the shapes of known services.",
		"Created only when the answer is 201 (or 200) with the new user's id; any other 2xx is an unknown outcome, looked up before anything is re-sent.",
		"A 409, or a 400 with scimType uniqueness, is confirmed with GET /Users?filter=userName eq \"...\": found is exists, else the row fails with the service's detail.",
		"Redirects are never followed: a 3xx names its Location and stops the run (fix the endpoint).",
	},
	SandboxVariants: []providers.Variant{
		{Name: VariantDuplicate, Values: []string{Duplicate409, Duplicate409Bare, Duplicate400}, Help: "how a duplicate userName is answered"},
		{Name: VariantErrorStatus, Values: []string{StatusString, StatusNumber}, Help: "whether an error body's status is a string (RFC) or a number"},
	},
	InitJob: initJob,
	InitCSV: initCSV,
}

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate checks what the field specs cannot express. RFC 7643 asks little
// of the values: e-mail and phone syntax are SHOULDs (§4.1.2), so only the
// rule every provider shares for e-mail addresses is applied, and phones,
// locales and time zones are left to the service.
func (Provider) Validate(rec providers.Record, _ providers.Options) []providers.FieldError {
	var errs []providers.FieldError
	if e := rec.String("email"); e != "" {
		if msg := providers.EmailProblem(e); msg != "" {
			errs = append(errs, providers.FieldError{Field: "email", Msg: msg})
		}
	}
	return errs
}

// Preview renders the request Create would send.
func (Provider) Preview(rec providers.Record, _ providers.Options) (string, error) {
	return providers.JSONPreview("POST {endpoint}"+api.UsersPath+"  (Content-Type: "+api.MediaType+")", toWire(rec))
}

// NewClient returns a client for cfg.
func (Provider) NewClient(cfg providers.Config) (providers.Client, error) {
	return newClient(cfg)
}

// NewSandbox returns a strict fake SCIM service.
func (Provider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return NewSandbox(opts)
}

// toWire builds the SCIM User for rec. Empty optional values are left out;
// the enterprise URN is listed only when one of its fields is present.
func toWire(rec providers.Record) api.User {
	// A value of only spaces is empty (the mapping trims, unless a job says
	// trim: false); anything else is sent as the job made it.
	s := func(name string) string {
		if v := rec.String(name); strings.TrimSpace(v) != "" {
			return v
		}
		return ""
	}
	u := api.User{
		Schemas:           []string{api.UserSchema},
		UserName:          rec.String("userName"),
		ExternalID:        s("externalId"),
		DisplayName:       s("displayName"),
		NickName:          s("nickName"),
		Title:             s("title"),
		UserType:          s("userType"),
		PreferredLanguage: s("preferredLanguage"),
		Locale:            s("locale"),
		Timezone:          s("timezone"),
		Password:          rec.String("password"),
	}
	if b, ok := rec.Bool("active"); ok {
		u.Active = &b
	}
	n := api.Name{Formatted: s("name.formatted"), FamilyName: s("name.familyName"), GivenName: s("name.givenName"), MiddleName: s("name.middleName")}
	if n != (api.Name{}) {
		u.Name = &n
	}
	if e := s("email"); e != "" {
		u.Emails = []api.Multi{{Value: e, Type: "work", Primary: true}}
	}
	// One primary at most per attribute (RFC 7643 §2.4): the work phone if
	// there is one, else the mobile.
	if p := s("phone"); p != "" {
		u.PhoneNumbers = append(u.PhoneNumbers, api.Multi{Value: p, Type: "work", Primary: true})
	}
	if m := s("mobile"); m != "" {
		u.PhoneNumbers = append(u.PhoneNumbers, api.Multi{Value: m, Type: "mobile", Primary: len(u.PhoneNumbers) == 0})
	}
	ent := api.Enterprise{EmployeeNumber: s("employeeNumber"), CostCenter: s("costCenter"), Organization: s("organization"), Division: s("division"), Department: s("department")}
	if m := s("manager"); m != "" {
		ent.Manager = &api.Manager{Value: m}
	}
	if ent != (api.Enterprise{}) {
		u.Enterprise = &ent
		u.Schemas = append(u.Schemas, api.EnterpriseSchema)
	}
	return u
}

const initJob = `# onboard job for SCIM 2.0: creates one SCIM User per CSV row at a service that
# takes users over SCIM (RFC 7643/7644). Fill in the endpoint, export the token, then:
#   onboard check --job job.yaml          (offline: every problem, first payloads)
#   onboard run --job job.yaml --sandbox  (rehearse against the built-in strict SCIM fake)
#   onboard run --job job.yaml            (for real)
provider: scim
# The SCIM base URL: the part before /Users, e.g. https://api.mypurecloud.com/api/v2/scim/v2
# (Genesys Cloud) or https://api.zoom.us/scim2 (Zoom); docs/providers/scim.md lists more.
endpoint: https://scim.example.com/scim/v2
auth:                       # a bearer token; or username: and password: for HTTP Basic
  token: ${SCIM_TOKEN}      # ${NAME} reads the environment
input: users.csv            # relative to this file; --input overrides
key: Work Email             # the column that identifies a person
rate: 5                     # requests per second, all workers together
concurrency: 4              # requests in flight at once
fields:                     # SCIM attribute: where its value comes from
  userName: { column: Work Email, lower: true }
  externalId: Employee ID
  name.givenName: First Name
  name.familyName: Last Name
  displayName: { template: "{First Name} {Last Name}" }
  title: Job Title
  email: { column: Work Email, lower: true }   # emails: [{value, type: work, primary: true}]
  phone: { column: Work Phone, phone: US }     # sent as E.164; a blank cell is left out
  mobile: { column: Mobile, phone: US }
  active: { value: true }
  # enterprise extension; mapping any of these adds its URN to schemas
  employeeNumber: Employee ID
  department: Department
  costCenter: Cost Center
  # manager: Manager SCIM Id                   # the manager's SCIM id, not an e-mail
  # password: { generate: password }           # only if the service sets passwords
`

const initCSV = `Employee ID,First Name,Last Name,Work Email,Job Title,Department,Cost Center,Work Phone,Mobile
E1001,Ada,Lovelace,ada.lovelace@example.com,Analyst,Research,CC-100,(415) 892-1931,
E1002,Alan,Turing,alan.turing@example.com,Engineer,Research,CC-100,,+1 415 555 0142
`
