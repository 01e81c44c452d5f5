// Package cxengage creates users through the CxEngage (Enghouse) platform
// API (POST {endpoint}/v1/users, HTTP Basic), optionally adds each new user
// to a tenant (POST /v1/tenants/{tenantId}/users), and fakes that API in a
// sandbox. docs/providers/cxengage.md says what is documented, what comes
// from public code and what is still a guess.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?]) is decided in one
// place each:
//   - a duplicate: no answer is documented; a 400, 409 or 422 whose words
//     hold one of the phrases the vendor's UI reads as a duplicate may mean
//     it (mayBeDuplicate), and Lookup confirms it (providers.ConfirmDuplicate);
//   - what proves a creation: any 2xx with the documented
//     {"result": {"id": ...}} (client.Create); anything else is an unknown
//     outcome;
//   - the values of `status`: documented as a boolean, described as an
//     invitation state, sent as "enabled" in the sample: any text is passed
//     on and the vendor decides;
//   - the lookup: 404 or an empty list means absent, and whether ?email=
//     matches exactly, partially or case-sensitively is unknown, so every
//     item of the answer is compared with sameEmail (client.Lookup);
//   - the error shape: an object, a string or an array, with an attribute
//     that is a string or an object (api.Errors);
//   - the tenant check: Prepare reads GET /v1/tenants/{tenantId} when the
//     tenant step is on, assuming the same credentials may (checkTenant);
//   - API key and secret go as HTTP Basic; a refusal says what to try
//     (apiKeyHint);
//   - bulk creation is documented but never shown: one user per call.
//
// The tenant step (options tenant_id, tenant_role_id, tenant_status) is off
// by default. It never sends an invitation by accident or twice: it runs
// only inside the Create call whose POST /v1/users proved it created the
// user, never after "exists", a lookup, an unproven answer or a retry, and
// a failed tenant step is a permanent row error that says the platform user
// WAS created (see client.addToTenant).
package cxengage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage/api"
)

// Name is the provider's name in job files.
const Name = "cxengage"

// SandboxStatuses are the values of `status` the sandbox accepts: the
// sample's "enabled", its counterpart "disabled" [?], and the invitation
// states the docs' description names (pending, invited, accepted). Offline
// validation accepts any text: the docs do not say which values the API
// takes.
var SandboxStatuses = []string{"enabled", "disabled", "pending", "invited", "accepted"}

// Tenant statuses for the tenant step: "invited" e-mails the user an
// invitation, "accepted" adds the user silently.
const (
	TenantAccepted = "accepted"
	TenantInvited  = "invited"
)

// The job options.
const (
	OptDefaultRegion = "default_region"
	OptTenantID      = "tenant_id"
	OptTenantRoleID  = "tenant_role_id"
	OptTenantStatus  = "tenant_status"
)

// uuid is the form of CxEngage ids (time-based UUIDs in practice; the
// version is not checked).
var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const uuidHelp = "a UUID such as d68381b0-c8fa-11e5-b38c-5347eb4882ad"

// Provider is the CxEngage provider.
type Provider struct{}

// New returns the provider.
func New() Provider { return Provider{} }

var description = &providers.Description{
	Name:            Name,
	Title:           "CxEngage (Enghouse)",
	API:             "POST {endpoint}" + api.UsersPath,
	DefaultEndpoint: "https://api.cxengage.net",
	KeyField:        "email",
	Fields: []providers.Field{
		// Each rule below is the seed's (seeds/cxengage-create-user.txt,
		// "Request parameters") [doc]; nothing the docs do not say is
		// refused offline.
		// email: required, "the user's email address" [doc]; its form is
		// checked in Validate.
		{Name: "email", Type: providers.String, Required: true, Help: "login e-mail of the user; identifies the user"},
		// roleId: required, typed UUID [doc].
		{Name: "roleId", Type: providers.String, Required: true, Pattern: uuid, PatternHelp: uuidHelp, Help: "id of the user's platform role"},
		// firstName, lastName, externalId: optional strings, no rule [doc].
		{Name: "firstName", Type: providers.String, Help: "first name"},
		{Name: "lastName", Type: providers.String, Help: "last name"},
		{Name: "externalId", Type: providers.String, Help: "the user's id in another system (HR, Salesforce)"},
		// status: typed boolean, described as an invitation state, sent as
		// "enabled" in the sample [doc]: no enum is documented, so none.
		{Name: "status", Type: providers.String, Help: "platform account status; the docs' sample sends enabled (which values the API takes is undocumented)"},
		// personalTelephone: "must be E.164" [doc]; converted and checked in
		// Validate.
		{Name: "personalTelephone", Type: providers.String, Help: "personal phone number, sent in E.164 (+14162221122); national numbers are converted with options.default_region"},
		// additionalRoleIds: "an array of unique identifier[s]" [doc].
		{Name: "additionalRoleIds", Type: providers.StringList, Pattern: uuid, PatternHelp: uuidHelp, Help: "ids of further platform roles"},
	},
	Auth: []providers.AuthScheme{
		{
			Name: "basic",
			Help: "HTTP Basic with a CxEngage user that has MANAGE_ALL_USERS",
			Settings: []providers.Setting{
				{Name: "username", Required: true, Help: "login e-mail of that user"},
				{Name: "password", Required: true, Secret: true, Help: "that user's password"},
			},
		},
		{
			Name: "apikey",
			Help: "HTTP Basic with an API key and its secret (sent as user name and password)",
			Settings: []providers.Setting{
				{Name: "api_key", Required: true, Help: "the API key's id"},
				{Name: "api_secret", Required: true, Secret: true, Help: "the API key's secret"},
			},
		},
	},
	Options: []providers.Setting{
		{Name: OptDefaultRegion, Help: "ISO 3166 alpha-2 region (GB, US, DE...) for phone numbers written without +country code"},
		{Name: OptTenantID, Help: "a tenant's UUID: add every user this run creates to that tenant (off when unset)"},
		{Name: OptTenantRoleID, Help: "the tenant role's UUID for that step; required with tenant_id"},
		{Name: OptTenantStatus, Default: TenantAccepted, Help: "accepted (no e-mail) or invited (CxEngage e-mails an invitation)"},
	},
	Notes: []string{
		"Regions: North America https://api.cxengage.net, Europe https://eu-west-1-prod-api.cxengage.net.",
		"Phone numbers are sent in E.164; national ones need options.default_region.",
		"An answer that may mean the user already exists (a 400 saying \"already exist\", \"same value\", \"already registered\" or \"duplicate found\") is confirmed by looking the user up: found is exists, not found a failure with the vendor's words.",
		"Created is reported only for the documented answer with the new user's id; any other 2xx is an unknown outcome, looked up before anything is re-sent.",
		"api_key/api_secret are sent as HTTP Basic (unconfirmed; the token exchange public code uses is not supported).",
		"The tenant step runs only right after a create that succeeded, never after exists or a retry, so no invitation is sent twice; a failed tenant step is reported on the row, saying the platform user was created.",
	},
	SandboxVariants: []providers.Variant{
		{Name: VariantDuplicate, Values: DuplicateVariants,
			Help: "the answer to a create of an existing e-mail: a 400 whose attribute is a string or an object, a bare string, or a message with one of the phrases the vendor's UI reads as a duplicate"},
		{Name: VariantLookupAbsent, Values: LookupAbsentVariants,
			Help: "the answer to GET /v1/users?email= when nobody matches: 404 (what the vendor's UI expects) or 200 with an empty list"},
	},
	InitJob: initJob,
	InitCSV: initCSV,
}

// Describe returns the provider's description.
func (Provider) Describe() *providers.Description { return description }

// Validate checks the e-mail's form and converts personalTelephone to
// E.164 in place, reading national numbers in options.default_region.
func (Provider) Validate(rec providers.Record, opts providers.Options) []providers.FieldError {
	var errs []providers.FieldError
	// The one e-mail rule every provider shares (providers.EmailProblem):
	// the field is "the user's email address" [doc], and the vendor's own
	// user form refuses what is not one (shark764/cxengage-configuration-ui,
	// Form/Users/Create/validation.js) [code].
	if e := rec.String("email"); e != "" && !validEmail(e) {
		errs = append(errs, providers.FieldError{Field: "email", Msg: fmt.Sprintf("%q is not an e-mail address", e)})
	}
	switch raw := rec.String("personalTelephone"); {
	case raw == "":
	case strings.TrimSpace(raw) == "":
		delete(rec, "personalTelephone") // blank: not sent
	default:
		e164, err := toE164(raw, opts.Get(OptDefaultRegion, ""))
		if err != nil {
			errs = append(errs, providers.FieldError{Field: "personalTelephone", Msg: err.Error()})
		} else {
			rec["personalTelephone"] = e164
		}
	}
	return errs
}

// validEmail is the shared e-mail rule (providers.EmailProblem).
func validEmail(s string) bool { return providers.EmailProblem(s) == "" }

// e164Form is the documented form of personalTelephone: "All telephone
// numbers must be E.164 format — for example, +14162221122" [doc]: a +, a
// country code that does not start with 0, at most 15 digits in all.
var e164Form = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// toE164 reads raw as a phone number and returns it in E.164. The docs ask
// only for the E.164 form, so that is all it refuses: a number written with
// +country code is sent in that form whether or not the phone metadata
// knows its range (the vendor decides). A national number has to be
// converted, which is only done when the number is valid in region: a
// wrong guess would send somebody else's number.
func toE164(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "+") {
		return internationalToE164(raw)
	}
	if region == "" {
		return "", fmt.Errorf("%q has no +country code; write it as +<country><number> or set options.default_region (e.g. GB) to read national numbers", raw)
	}
	region, err := parseRegion(region)
	if err != nil {
		return "", err
	}
	num, err := phonenumbers.Parse(raw, region)
	if errors.Is(err, phonenumbers.ErrNotANumber) {
		return "", fmt.Errorf("%q is not a phone number", raw)
	}
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %v", raw, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%q is not a valid phone number in region %s, so it cannot be converted to E.164; write it with its +country code", raw, region)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("%q has an extension, which E.164 cannot hold", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// internationalToE164 writes a number given with +country code in E.164:
// through the phone metadata when it can read it (which drops a trunk
// "(0)" and finds an extension), else by removing the usual separators.
// Only a result that is not of the E.164 form is refused.
func internationalToE164(raw string) (string, error) {
	out := ""
	if num, err := phonenumbers.Parse(raw, ""); err == nil {
		if num.GetExtension() != "" {
			return "", fmt.Errorf("%q has an extension, which E.164 cannot hold", raw)
		}
		out = phonenumbers.Format(num, phonenumbers.E164)
	} else {
		out = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '-', '.', '(', ')', '/', '\u00a0':
				return -1
			}
			return r
		}, raw)
	}
	if !e164Form.MatchString(out) {
		return "", fmt.Errorf("%q is not a phone number in E.164 form (+ then at most 15 digits, e.g. +14162221122)", raw)
	}
	return out, nil
}

// parseRegion checks a default_region value and returns it upper-cased.
func parseRegion(v string) (string, error) {
	r := strings.ToUpper(strings.TrimSpace(v))
	if !phonenumbers.GetSupportedRegions()[r] {
		return "", fmt.Errorf("options.%s %q is not a region code (ISO 3166 alpha-2, e.g. GB, US, DE)", OptDefaultRegion, v)
	}
	return r, nil
}

// settings are the job options, checked.
type settings struct {
	region       string
	tenantID     string
	tenantRoleID string
	tenantStatus string // TenantAccepted or TenantInvited; "" when the step is off
}

func (s settings) tenantStep() bool { return s.tenantID != "" }

// parseOptions checks every option and rejects unknown ones (a typo in
// tenant_id must not silently turn the tenant step off).
func parseOptions(o providers.Options) (settings, error) {
	var s settings
	known := make([]string, 0, len(description.Options))
	for _, set := range description.Options {
		known = append(known, set.Name)
	}
	var unknown []string
	for k := range o {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return s, fmt.Errorf("%s: unknown option %s (known: %s)", Name, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	get := func(k string) string { return strings.TrimSpace(o[k]) }
	if v := get(OptDefaultRegion); v != "" {
		r, err := parseRegion(v)
		if err != nil {
			return s, fmt.Errorf("%s: %w", Name, err)
		}
		s.region = r
	}
	tid, rid, status := get(OptTenantID), get(OptTenantRoleID), strings.ToLower(get(OptTenantStatus))
	if tid == "" {
		if rid != "" || status != "" {
			return s, fmt.Errorf("%s: options.%s and options.%s need options.%s (the tenant to add users to); set it or remove them",
				Name, OptTenantRoleID, OptTenantStatus, OptTenantID)
		}
		return s, nil
	}
	if !uuid.MatchString(tid) {
		return s, fmt.Errorf("%s: options.%s %q is not %s", Name, OptTenantID, tid, uuidHelp)
	}
	if rid == "" {
		return s, fmt.Errorf("%s: options.%s is set, so options.%s (the users' role in that tenant) is required", Name, OptTenantID, OptTenantRoleID)
	}
	if !uuid.MatchString(rid) {
		return s, fmt.Errorf("%s: options.%s %q is not %s", Name, OptTenantRoleID, rid, uuidHelp)
	}
	switch status {
	case "":
		status = TenantAccepted
	case TenantAccepted, TenantInvited:
	default:
		return s, fmt.Errorf("%s: options.%s %q is not %s (no e-mail) or %s (CxEngage e-mails an invitation)",
			Name, OptTenantStatus, o[OptTenantStatus], TenantAccepted, TenantInvited)
	}
	s.tenantID, s.tenantRoleID, s.tenantStatus = tid, rid, status
	return s, nil
}

// Preview renders the request Create would send, and the tenant call that
// follows a successful create when the tenant step is on.
func (Provider) Preview(rec providers.Record, opts providers.Options) (string, error) {
	s, err := parseOptions(opts)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	b.WriteString("POST " + api.UsersPath + "\n")
	if err := enc.Encode(toWire(rec)); err != nil {
		return "", err
	}
	if s.tenantStep() {
		fmt.Fprintf(&b, "then, only if that created the user:\nPOST %s\n", api.TenantUsersPath(s.tenantID))
		if err := enc.Encode(tenantWire(rec, s)); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// NewClient returns a client for cfg. It checks the options, so that a bad
// value stops the run before any user is created.
func (Provider) NewClient(cfg providers.Config) (providers.Client, error) {
	return newClient(cfg)
}

// NewSandbox returns a fake CxEngage platform API.
func (Provider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return NewSandbox(opts)
}

func toWire(rec providers.Record) api.CreateUser {
	return api.CreateUser{
		Email:             rec.String("email"),
		RoleID:            rec.String("roleId"),
		FirstName:         rec.String("firstName"),
		LastName:          rec.String("lastName"),
		ExternalID:        rec.String("externalId"),
		Status:            rec.String("status"),
		PersonalTelephone: rec.String("personalTelephone"),
		AdditionalRoleIDs: rec.Strings("additionalRoleIds"),
	}
}

func tenantWire(rec providers.Record, s settings) api.TenantUser {
	return api.TenantUser{Email: rec.String("email"), RoleID: s.tenantRoleID, Status: s.tenantStatus}
}
