package cognigy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

// Sandbox credentials and tenant. They are published (printed by `onboard
// sandbox`), not secrets. The sandbox accepts any well-formed organisation id
// so that a job written for a real tenant can be rehearsed unchanged.
const (
	SandboxUsername     = "sandbox-admin@example.com"
	SandboxPassword     = "sandbox-password"
	SandboxOrganisation = "5f1e2d3c4b5a697887766554"
)

// SandboxPolicy is the password policy of the sandbox's organisation.
var SandboxPolicy = api.PasswordPolicy{MinLength: 8, MaxLength: 128, MinLowerCase: 1, MinUpperCase: 1, MinDigits: 1, MinSpecialChars: 1}

// Sandbox fakes the Cognigy management API's user routes. It enforces what
// the docs say: Basic auth on /management/, JSON bodies, the required
// fields, the 24-character organisation id, the role enum, boolean types,
// the organisation's password policy, and a duplicate id (compared without
// case) answered as the duplicate variant says: 409 by default, or 400 with
// a MongoDB duplicate key error.
type Sandbox struct {
	kit *sandboxkit.Kit
	ids sandboxkit.IDs
	now func() time.Time
	dup string // the duplicate variant: "409" or "400"

	mu    sync.Mutex
	users []api.User
	byID  map[string]int    // lower-cased id to index in users
	pwds  map[string]string // lower-cased id to the password set last
}

// NewSandbox returns an empty sandbox tenant.
func NewSandbox(opts providers.SandboxOptions) *Sandbox {
	return &Sandbox{kit: sandboxkit.New(opts), now: time.Now, dup: description.VariantValue(opts.Variants, VariantDuplicate), byID: map[string]int{}, pwds: map[string]string{}}
}

// Credentials returns the job `auth:` that the sandbox accepts.
func (s *Sandbox) Credentials() map[string]string {
	return map[string]string{"username": SandboxUsername, "password": SandboxPassword}
}

// Options returns nil: the sandbox needs no job options.
func (s *Sandbox) Options() providers.Options { return nil }

// Stats reports what the sandbox did.
func (s *Sandbox) Stats() providers.SandboxStats { return s.kit.Stats() }

// Users returns a copy of the users created so far, in creation order.
func (s *Sandbox) Users() []api.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.User(nil), s.users...)
}

// CheckPassword reports whether password is the one set for user id, so
// tests can prove that the password a user got is the one handed over.
func (s *Sandbox) CheckPassword(id, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	pw, ok := s.pwds[strings.ToLower(id)]
	return ok && sandboxkit.Equal(pw, password)
}

// isCreate tells the kit's faults (Enter) which requests create a user.
func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == api.UsersPath
}

// ServeHTTP routes the fake API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w = s.kit.Enter(w, r, isCreate); w == nil {
		return // answered by a fault
	}
	trace := fmt.Sprintf("sandbox-%06d", s.ids.Next())
	if !strings.HasPrefix(r.URL.Path, "/management/") {
		problem(w, http.StatusNotFound, "Not Found", "no route "+r.URL.Path, trace)
		return
	}
	if s.kit.AuthRefused() || !sandboxkit.CheckBasic(r, SandboxUsername, SandboxPassword) {
		w.Header().Set("WWW-Authenticate", `Basic realm="cognigy"`)
		problem(w, http.StatusUnauthorized, "Unauthorized", "invalid credentials", trace)
		return
	}
	switch {
	case r.URL.Path == api.UsersPath && r.Method == http.MethodPost:
		s.create(w, r, trace)
	case r.URL.Path == api.UsersPath && r.Method == http.MethodGet:
		s.list(w, r)
	case r.URL.Path == api.OrganisationsPath && r.Method == http.MethodGet:
		sandboxkit.WriteJSON(w, http.StatusOK, "application/json", api.OrganisationList{Total: 1, Items: []api.Organisation{
			{ID: SandboxOrganisation, Name: "Sandbox", PasswordPolicy: SandboxPolicy, QuotaMaxUsers: 0},
		}})
	default:
		problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", r.Method+" "+r.URL.Path, trace)
	}
}

func (s *Sandbox) create(w http.ResponseWriter, r *http.Request, trace string) {
	if status := s.kit.BeforeCreate(); status != 0 {
		s.kit.SetRetryAfter(w)
		problem(w, status, http.StatusText(status), "try again later", trace)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "Content-Type must be application/json", trace)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		problem(w, http.StatusBadRequest, "Bad Request", "unreadable body", trace)
		return
	}
	var in api.CreateUser
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "Bad Request", "body is not a valid user: "+jsonMsg(err), trace)
		return
	}
	if msg := validateUser(&in); msg != "" {
		problem(w, http.StatusBadRequest, "Bad Request", msg, trace)
		return
	}

	s.mu.Lock()
	key := strings.ToLower(in.ID)
	_, dup := s.byID[key]
	if dup && !s.kit.AllowDuplicates() {
		s.mu.Unlock()
		if s.dup == "400" {
			problem(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf(`E11000 duplicate key error collection: users index: id_1 dup key: { id: "%s" }`, in.ID), trace)
			return
		}
		problem(w, http.StatusConflict, "Conflict", fmt.Sprintf("a user with id '%s' already exists", in.ID), trace)
		return
	}
	now := s.now().Unix()
	u := api.User{
		ID: in.ID, Name: in.Name, Organisation: in.Organisation, CXoneEmail: in.CXoneEmail, CXoneID: in.CXoneID,
		Roles: in.Roles, AcceptedTOS: in.AcceptedTOS != nil && *in.AcceptedTOS, Disabled: in.Disabled != nil && *in.Disabled,
		MongoID: fmt.Sprintf("%08x%016x", uint32(now), s.ids.Next()), CreatedAt: now, LastChanged: now,
		CreatedBy: "5a0000000000000000000001", LastChangedBy: "5a0000000000000000000001",
	}
	if u.Roles == nil {
		u.Roles = []string{}
	}
	s.byID[key] = len(s.users)
	s.pwds[key] = in.Password
	s.users = append(s.users, u)
	s.mu.Unlock()
	s.kit.Created(dup)

	if s.kit.Drop(w) {
		return
	}
	// The documented response echoes the request, password included; a
	// faithful fake does too, so tests prove the client never repeats it.
	out := struct {
		api.User
		Password string `json:"password"`
	}{u, in.Password}
	sandboxkit.WriteJSON(w, http.StatusOK, "application/json", out)
}

func (s *Sandbox) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter := strings.ToLower(q.Get("filter"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	skip, _ := strconv.Atoi(q.Get("skip"))
	s.mu.Lock()
	var match []api.User
	for _, u := range s.users {
		// Like the vendor's, the filter matches parts of ids and names.
		if filter == "" || strings.Contains(strings.ToLower(u.ID), filter) || strings.Contains(strings.ToLower(u.Name), filter) {
			match = append(match, u)
		}
	}
	s.mu.Unlock()
	out := api.UserList{Total: len(match), Items: []api.User{}}
	if skip < len(match) {
		out.Items = match[skip:min(len(match), skip+limit)]
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "application/json", out)
}

// validateUser applies the documented body rules, in the wording of the
// vendor's schema validator.
func validateUser(u *api.CreateUser) string {
	for _, f := range []struct{ name, v string }{{"id", u.ID}, {"name", u.Name}, {"password", u.Password}, {"organisation", u.Organisation}} {
		if f.v == "" {
			return "body must have required property '" + f.name + "'"
		}
	}
	if !objectID.MatchString(u.Organisation) {
		return "body/organisation must be a string of length 24 matching ^[a-z0-9]{24}$"
	}
	for i, r := range u.Roles {
		if !contains(Roles, r) {
			return fmt.Sprintf("body/roles/%d must be equal to one of the allowed values", i)
		}
	}
	return checkPolicy(u.Password, SandboxPolicy)
}

func checkPolicy(pw string, p api.PasswordPolicy) string {
	var lower, upper, digit, special int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower++
		case unicode.IsUpper(r):
			upper++
		case unicode.IsDigit(r):
			digit++
		default:
			special++
		}
	}
	n := len([]rune(pw))
	switch {
	case n < p.MinLength || (p.MaxLength > 0 && n > p.MaxLength):
		return fmt.Sprintf("password does not match the password policy: length must be %d to %d", p.MinLength, p.MaxLength)
	case lower < p.MinLowerCase || upper < p.MinUpperCase || digit < p.MinDigits || special < p.MinSpecialChars:
		return fmt.Sprintf("password does not match the password policy: needs at least %d lower-case, %d upper-case, %d digits and %d special characters",
			p.MinLowerCase, p.MinUpperCase, p.MinDigits, p.MinSpecialChars)
	}
	return ""
}

func jsonMsg(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok && te.Field != "" {
		return "body/" + te.Field + " must be " + jsonType(te.Type.Kind().String())
	}
	return err.Error()
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func jsonType(kind string) string {
	switch kind {
	case "ptr", "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return kind
}

func problem(w http.ResponseWriter, status int, title, detail, trace string) {
	sandboxkit.WriteJSON(w, status, "application/problem+json", api.Problem{
		Type: "about:blank", Title: title, Status: status, Detail: detail, TraceID: trace,
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
