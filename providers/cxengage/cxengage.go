// Package cxengage creates users through the CxEngage (Enghouse) platform
// API (POST {endpoint}/v1/users, HTTP Basic), optionally adds each new user
// to a tenant (POST /v1/tenants/{tenantId}/users), and fakes that API in a
// sandbox.
//
// Unconfirmed vendor behaviour (vendors.md marks it [?]) is decided in one
// place each:
//   - a duplicate: no 409 is documented; a 400 (or 409) whose message says
//     "already exists" about the e-mail is taken to mean it (isDuplicate);
//   - the success status: 200 and 201 both mean created (isSuccess);
//   - the values of `status`: documented as a boolean but sent as "enabled";
//     it is a string, one of UserStatuses ("enabled", "disabled");
//   - the lookup filter: whether ?email= matches exactly, partially or
//     case-sensitively, and whether the list is paged, is unknown; every
//     item of the answer is compared with sameEmail;
//   - the error shape: an object, a string or an array (api.Errors);
//   - the tenant check: Prepare reads GET /v1/tenants/{tenantId} when the
//     tenant step is on, assuming the same credentials may (checkTenant);
//   - bulk creation is documented but never shown: one user per call.
//
// The tenant step (options tenant_id, tenant_role_id, tenant_status) is off
// by default. It never sends an invitation by accident or twice: it runs
// only inside the Create call whose POST /v1/users answered success, never
// after "exists", a lookup or a retry, and a failed tenant step is a
// permanent row error that says the platform user WAS created (see
// client.addToTenant).
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

// UserStatuses are the accepted values of the `status` field [?]: the docs
// type it boolean, their sample sends "enabled".
var UserStatuses = []string{"enabled", "disabled"}

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
		{Name: "email", Type: providers.String, Required: true, Help: "login e-mail of the user; identifies the user"},
		{Name: "roleId", Type: providers.String, Required: true, Pattern: uuid, PatternHelp: uuidHelp, Help: "id of the user's platform role"},
		{Name: "firstName", Type: providers.String, Help: "first name"},
		{Name: "lastName", Type: providers.String, Help: "last name"},
		{Name: "externalId", Type: providers.String, Help: "the user's id in another system (HR, Salesforce)"},
		{Name: "status", Type: providers.String, Enum: UserStatuses, Help: "platform account status (the docs' sample sends enabled)"},
		{Name: "personalTelephone", Type: providers.String, Help: "personal phone number, sent in E.164 (+14162221122); national numbers are converted with options.default_region"},
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
		"A 400 saying the user already exists is reported as exists (unconfirmed: no duplicate answer is documented).",
		"The tenant step runs only right after a create that succeeded, never after exists or a retry, so no invitation is sent twice; a failed tenant step is reported on the row, saying the platform user was created.",
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

// toE164 reads raw as a phone number, in region when it has no +country
// code, and returns it in E.164.
func toE164(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	international := strings.HasPrefix(raw, "+")
	if !international {
		if region == "" {
			return "", fmt.Errorf("%q has no +country code; write it as +<country><number> or set options.default_region (e.g. GB) to read national numbers", raw)
		}
		r, err := parseRegion(region)
		if err != nil {
			return "", err
		}
		region = r
	}
	num, err := phonenumbers.Parse(raw, region)
	if errors.Is(err, phonenumbers.ErrNotANumber) {
		return "", fmt.Errorf("%q is not a phone number", raw)
	}
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %v", raw, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		if international {
			return "", fmt.Errorf("%q is not a valid phone number", raw)
		}
		return "", fmt.Errorf("%q is not a valid phone number in region %s", raw, region)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("%q has an extension, which E.164 cannot hold", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
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
