package cxengage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

// Sandbox credentials, roles and tenant. They are published (printed by
// `onboard sandbox`), not secrets. The platform role ids are what a job maps
// its roleId to when it is rehearsed with --sandbox.
const (
	SandboxUsername = "sandbox-admin@example.com"
	SandboxPassword = "sandbox-password"

	// SandboxRoleAgent is the sandbox's platform role for agents (the id in
	// the vendor's sample request).
	SandboxRoleAgent = "d68381b0-c8fa-11e5-b38c-5347eb4882ad"
	// SandboxRoleSupervisor is the sandbox's platform role for supervisors.
	SandboxRoleSupervisor = "d6838c14-c8fa-11e5-b38c-5347eb4882ad"
	// SandboxRoleReporting is a further platform role, for additionalRoleIds.
	SandboxRoleReporting = "d6838e9e-c8fa-11e5-b38c-5347eb4882ad"

	// SandboxTenantID is the sandbox's one tenant.
	SandboxTenantID = "7d1e0c40-4b1a-11e6-8a5f-5347eb4882ad"
	// SandboxTenantRoleAgent and SandboxTenantRoleSupervisor are that
	// tenant's roles, for options.tenant_role_id.
	SandboxTenantRoleAgent      = "8a2f3b10-4b1a-11e6-8a5f-5347eb4882ad"
	SandboxTenantRoleSupervisor = "8a2f3d68-4b1a-11e6-8a5f-5347eb4882ad"

	// sandboxAdminID is the id of the sandbox's own account (createdBy).
	sandboxAdminID = "22b27350-fad0-11e5-aed6-5347eb4882ad"
)

// SandboxRoles are the platform roles the sandbox knows.
var SandboxRoles = []string{SandboxRoleAgent, SandboxRoleSupervisor, SandboxRoleReporting}

// SandboxTenantRoles are the roles of the sandbox's tenant.
var SandboxTenantRoles = []string{SandboxTenantRoleAgent, SandboxTenantRoleSupervisor}

// The sandbox checks personalTelephone with e164Form, the documented form.

// sandboxEmail is the vendor-side e-mail check.
var sandboxEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Sandbox fakes the CxEngage platform API's user and tenant-user routes. It
// enforces what the docs say: Basic auth, JSON bodies, email and roleId
// required, known role ids, E.164 phone numbers, one platform user per
// e-mail (a duplicate is a 400 "already exists"), and a tenant member added
// once (a second add is a 409 Conflict). Its errors vary in shape as the
// vendor's do: one problem is an object with an attribute, several are an
// array, routing and auth failures are a string.
type Sandbox struct {
	kit *sandboxkit.Kit
	ids sandboxkit.IDs
	now func() time.Time

	// duplicate and lookupAbsent are the variants played (SandboxVariants).
	duplicate    string
	lookupAbsent string

	mu          sync.Mutex
	users       []api.User
	byEmail     map[string]int                // lower-cased e-mail to index in users
	members     map[string][]api.TenantMember // tenant id to its members
	memberIndex map[string]map[string]bool    // tenant id to lower-cased member e-mails
	tenantCalls int
	tenantAdds  int
	invitations int
}

// NewSandbox returns an empty sandbox platform with one tenant.
//
// opts.Variants picks the answers the docs leave open (see
// Description.SandboxVariants); an unknown name or value panics, as the
// caller checks them against the description first.
func NewSandbox(opts providers.SandboxOptions) *Sandbox {
	description.MustVariants(opts.Variants)
	return &Sandbox{
		kit: sandboxkit.New(opts), now: time.Now,
		duplicate:    description.VariantValue(opts.Variants, VariantDuplicate),
		lookupAbsent: description.VariantValue(opts.Variants, VariantLookupAbsent),
		byEmail:      map[string]int{},
		members:      map[string][]api.TenantMember{},
		memberIndex:  map[string]map[string]bool{SandboxTenantID: {}},
	}
}

// Credentials returns the job `auth:` that the sandbox accepts.
func (s *Sandbox) Credentials() map[string]string {
	return map[string]string{"username": SandboxUsername, "password": SandboxPassword}
}

// Options returns nil: the tenant step stays off unless the job turns it on
// (with SandboxTenantID and a SandboxTenantRoles id).
func (s *Sandbox) Options() providers.Options { return nil }

// Stats reports what the sandbox did.
func (s *Sandbox) Stats() providers.SandboxStats { return s.kit.Stats() }

// Users returns a copy of the platform users created so far, in creation
// order.
func (s *Sandbox) Users() []api.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

// TenantMembers returns a copy of the users added to tenantID, in order.
func (s *Sandbox) TenantMembers(tenantID string) []api.TenantMember {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members[tenantID])
}

// TenantRequests counts requests to add a user to a tenant, refused ones
// included: the tenant step's attempts.
func (s *Sandbox) TenantRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenantCalls
}

// TenantAdditions counts users added to a tenant, whatever their status.
func (s *Sandbox) TenantAdditions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenantAdds
}

// Invitations counts invitation e-mails the vendor would have sent: tenant
// additions with status "invited".
func (s *Sandbox) Invitations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invitations
}

// sbError is one problem as the vendor writes it.
type sbError struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Attribute string `json:"attribute,omitempty"`
}

// fail answers with one problem as an object.
func fail(w http.ResponseWriter, status int, attribute, msg string) {
	sandboxkit.WriteJSON(w, status, "", map[string]any{"error": sbError{Code: status, Message: msg, Attribute: attribute}})
}

// failText answers with the error as a bare string.
func failText(w http.ResponseWriter, status int, msg string) {
	sandboxkit.WriteJSON(w, status, "", map[string]any{"error": msg})
}

// failAll answers with the problems: one as an object, several as an array.
func failAll(w http.ResponseWriter, status int, problems []sbError) {
	if len(problems) == 1 {
		sandboxkit.WriteJSON(w, status, "", map[string]any{"error": problems[0]})
		return
	}
	sandboxkit.WriteJSON(w, status, "", map[string]any{"error": problems})
}

// isCreate tells the kit's faults (Enter) which requests create a user.
func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Trim(r.URL.Path, "/") == "v1/users"
}

// ServeHTTP routes the fake API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w = s.kit.Enter(w, r, isCreate); w == nil {
		return // answered by a fault
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if parts[0] != "v1" {
		failText(w, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}
	if s.kit.AuthRefused() || !sandboxkit.CheckBasic(r, SandboxUsername, SandboxPassword) {
		w.Header().Set("WWW-Authenticate", `Basic realm="cxengage"`)
		failText(w, http.StatusUnauthorized, "Invalid username or password")
		return
	}
	method := func(m string, h func()) {
		if r.Method != m {
			failText(w, http.StatusMethodNotAllowed, "Method not allowed: "+r.Method+" "+r.URL.Path)
			return
		}
		h()
	}
	switch {
	case len(parts) == 2 && parts[1] == "users":
		switch r.Method {
		case http.MethodPost:
			s.create(w, r)
		case http.MethodGet:
			s.list(w, r)
		default:
			failText(w, http.StatusMethodNotAllowed, "Method not allowed: "+r.Method+" "+r.URL.Path)
		}
	case len(parts) == 3 && parts[1] == "tenants":
		method(http.MethodGet, func() { s.tenant(w, parts[2]) })
	case len(parts) == 4 && parts[1] == "tenants" && parts[3] == "users":
		method(http.MethodPost, func() { s.addMember(w, r, parts[2]) })
	default:
		failText(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	}
}

// readJSON checks the content type and decodes the body strictly; it
// answers the failure itself and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		failText(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		failText(w, http.StatusBadRequest, "Unreadable request body")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "", "Invalid request body: "+err.Error())
		return false
	}
	return true
}

func (s *Sandbox) create(w http.ResponseWriter, r *http.Request) {
	if status := s.kit.BeforeCreate(); status != 0 {
		s.kit.SetRetryAfter(w)
		if status == http.StatusTooManyRequests {
			failText(w, status, "Too many requests, slow down")
		} else {
			failText(w, status, "Service temporarily unavailable")
		}
		return
	}
	var in api.CreateUser
	if !readJSON(w, r, &in) {
		return
	}
	if problems := validateUser(&in); len(problems) > 0 {
		failAll(w, http.StatusBadRequest, problems)
		return
	}

	s.mu.Lock()
	key := strings.ToLower(in.Email)
	_, dup := s.byEmail[key]
	if dup && !s.kit.AllowDuplicates() {
		s.mu.Unlock()
		s.failDuplicate(w, in.Email)
		return
	}
	n := s.ids.Next()
	now := s.now().UTC()
	u := api.User{
		ID: sandboxUUID(n), Email: in.Email, RoleID: in.RoleID, FirstName: in.FirstName, LastName: in.LastName,
		ExternalID: in.ExternalID, Status: in.Status, AdditionalRoleIDs: in.AdditionalRoleIDs,
		AliasPlatformUserID: strconv.FormatUint(500+n, 10),
		Created:             now.Format(time.RFC3339), CreatedBy: sandboxAdminID,
		Updated: now.Format(time.RFC3339), UpdatedBy: sandboxAdminID,
		ResetPasswordExpiryDate: now.Add(72 * time.Hour).Format(time.RFC3339),
	}
	if u.Status == "" {
		u.Status = "enabled"
	}
	if in.PersonalTelephone != "" {
		tel := in.PersonalTelephone
		u.PersonalTelephone = &tel
	}
	if u.AdditionalRoleIDs == nil {
		u.AdditionalRoleIDs = []string{}
	}
	s.byEmail[key] = len(s.users)
	s.users = append(s.users, u)
	s.mu.Unlock()
	s.kit.Created(dup)

	if s.kit.Drop(w) {
		return
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "", api.UserResult{Result: u})
}

// sandboxUUID makes the n-th user's id, deterministic and shaped like the
// vendor's time-based UUIDs.
func sandboxUUID(n uint64) string {
	return fmt.Sprintf("%08x-33c3-11e6-af8f-5347eb4882ad", uint32(0xb4aa0000+n))
}

// validateUser applies the documented body rules and returns every problem.
func validateUser(u *api.CreateUser) []sbError {
	var out []sbError
	bad := func(attr, msg string) {
		out = append(out, sbError{Code: http.StatusBadRequest, Message: msg, Attribute: attr})
	}
	switch {
	case u.Email == "":
		bad("email", "email is required")
	case !sandboxEmail.MatchString(u.Email):
		bad("email", "email must be a valid email address")
	}
	switch {
	case u.RoleID == "":
		bad("roleId", "roleId is required")
	case !uuid.MatchString(u.RoleID):
		bad("roleId", "roleId must be a valid UUID")
	case !slices.Contains(SandboxRoles, strings.ToLower(u.RoleID)):
		bad("roleId", fmt.Sprintf("Role '%s' is not a platform role", u.RoleID))
	}
	for i, id := range u.AdditionalRoleIDs {
		if !uuid.MatchString(id) || !slices.Contains(SandboxRoles, strings.ToLower(id)) {
			bad("additionalRoleIds", fmt.Sprintf("additionalRoleIds[%d] '%s' is not a platform role", i, id))
		}
	}
	if u.PersonalTelephone != "" && !e164Form.MatchString(u.PersonalTelephone) {
		bad("personalTelephone", "personalTelephone must be in E.164 format, for example +14162221122")
	}
	if u.Status != "" && !slices.Contains(SandboxStatuses, u.Status) {
		bad("status", "status must be one of "+strings.Join(SandboxStatuses, ", "))
	}
	return out
}

func (s *Sandbox) list(w http.ResponseWriter, r *http.Request) {
	// Like a search, the filter matches parts of addresses, in any case:
	// the worst the real filter could do, so the client must compare.
	filter := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	out := api.UserList{Result: []api.User{}}
	for _, u := range s.users {
		if strings.Contains(strings.ToLower(u.Email), filter) {
			out.Result = append(out.Result, u)
		}
	}
	s.mu.Unlock()
	if len(out.Result) == 0 && s.lookupAbsent == LookupAbsent404 {
		fail(w, http.StatusNotFound, "", "User not found")
		return
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "", out)
}

func (s *Sandbox) tenant(w http.ResponseWriter, id string) {
	if !strings.EqualFold(id, SandboxTenantID) {
		fail(w, http.StatusNotFound, "tenantId", "Tenant not found")
		return
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "", api.TenantResult{Result: api.Tenant{ID: SandboxTenantID, Name: "Sandbox Tenant", Active: true}})
}

func (s *Sandbox) addMember(w http.ResponseWriter, r *http.Request, tenantID string) {
	tenantID = strings.ToLower(tenantID)
	s.mu.Lock()
	s.tenantCalls++
	_, known := s.memberIndex[tenantID]
	s.mu.Unlock()
	if !known {
		fail(w, http.StatusNotFound, "tenantId", "Tenant not found")
		return
	}
	var in api.TenantUser
	if !readJSON(w, r, &in) {
		return
	}
	var problems []sbError
	bad := func(attr, msg string) {
		problems = append(problems, sbError{Code: http.StatusBadRequest, Message: msg, Attribute: attr})
	}
	if !slices.Contains(SandboxTenantRoles, strings.ToLower(in.RoleID)) {
		bad("roleId", fmt.Sprintf("Role '%s' is not a role of this tenant", in.RoleID))
	}
	if in.Status != TenantInvited && in.Status != TenantAccepted {
		bad("status", "status must be invited or accepted")
	}
	key := strings.ToLower(in.Email)
	s.mu.Lock()
	i, exists := s.byEmail[key]
	if !exists {
		bad("email", fmt.Sprintf("No platform user with email '%s'", in.Email))
	}
	if len(problems) > 0 {
		s.mu.Unlock()
		failAll(w, http.StatusBadRequest, problems)
		return
	}
	if s.memberIndex[tenantID][key] {
		s.mu.Unlock()
		fail(w, http.StatusConflict, "email", "User is already a member of this tenant")
		return
	}
	m := api.TenantMember{TenantID: tenantID, UserID: s.users[i].ID, Email: s.users[i].Email, RoleID: in.RoleID, Status: in.Status,
		Added: s.now().UTC().Format(time.RFC3339)}
	s.memberIndex[tenantID][key] = true
	s.members[tenantID] = append(s.members[tenantID], m)
	s.tenantAdds++
	if in.Status == TenantInvited {
		s.invitations++
	}
	s.mu.Unlock()
	sandboxkit.WriteJSON(w, http.StatusOK, "", api.TenantMemberResult{Result: m})
}
