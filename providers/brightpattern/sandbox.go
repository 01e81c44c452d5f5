package brightpattern

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

// Sandbox credentials and tenant. They are published (printed by `onboard
// sandbox`), not secrets.
const (
	SandboxClientID     = "sandbox-api"
	SandboxClientSecret = "sandbox-api-secret"
	// SandboxTenantHost is a scope the sandbox always accepts. It also
	// accepts the host name it is reached on (127.0.0.1 under httptest,
	// localhost or the job's own host under `onboard sandbox`), which is what
	// the client sends when the job sets no scope.
	SandboxTenantHost = "example.brightpattern.com"
)

// SandboxTeams and SandboxRoles are the sandbox tenant's teams and roles.
var (
	SandboxTeams = []string{"Customer Service", "Sales", "Support", "Back Office"}
	SandboxRoles = []string{"Agent", "Supervisor", "Administrator"}
)

// SandboxPasswordPolicy describes the sandbox tenant's password policy; the
// rule itself is sandboxPasswordProblem.
const SandboxPasswordPolicy = "at least 8 characters, with at least one letter and one digit"

// Config sets what a sandbox tenant holds. Zero fields take the defaults.
type Config struct {
	// TokenTTL is the lifetime of issued tokens (default one hour; whole
	// seconds, at least one).
	TokenTTL time.Duration
	// TenantHost is a scope accepted besides the request's host name
	// (default SandboxTenantHost).
	TenantHost string
	// Teams and Roles default to SandboxTeams and SandboxRoles.
	Teams []string
	Roles []string
}

// Sandbox fakes the Bright Pattern Configuration API v2 user routes. It
// enforces what the docs say: client-credential tokens for a form-encoded
// request with the tenant host as scope, Bearer tokens on every call (401
// when missing, unknown or expired), JSON bodies (415 otherwise), the
// required fields, an existing team ("user team not found"), existing roles,
// digit-only extensions, skill levels 0..100, the tenant's password policy,
// a duplicate login id (case-insensitive) answered as the duplicate variant
// says (409 by default, or a 400 or a 500 "Duplicate key error"), and 200
// with the body OK. Phones and e-mail are not checked: no format is
// documented.
type Sandbox struct {
	kit *sandboxkit.Kit
	cfg Config
	now func() time.Time
	dup string // the duplicate variant: "409", "400" or "500"

	mu           sync.Mutex
	tokens       map[string]time.Time // token to expiry
	users        []api.User
	byLogin      map[string]int // lower-cased login id to index in users
	extensions   map[string]bool
	nextExt      int
	unauthorized int
}

// NewSandbox returns an empty sandbox tenant with the default Config.
func NewSandbox(opts providers.SandboxOptions) *Sandbox {
	return NewSandboxWith(opts, Config{})
}

// NewSandboxWith returns an empty sandbox tenant set up by cfg.
func NewSandboxWith(opts providers.SandboxOptions, cfg Config) *Sandbox {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.TokenTTL < time.Second {
		cfg.TokenTTL = time.Second
	}
	if cfg.TenantHost == "" {
		cfg.TenantHost = SandboxTenantHost
	}
	if cfg.Teams == nil {
		cfg.Teams = SandboxTeams
	}
	if cfg.Roles == nil {
		cfg.Roles = SandboxRoles
	}
	return &Sandbox{
		kit: sandboxkit.New(opts), cfg: cfg, now: time.Now, dup: description.VariantValue(opts.Variants, VariantDuplicate),
		tokens: map[string]time.Time{}, byLogin: map[string]int{}, extensions: map[string]bool{}, nextExt: 1000,
	}
}

// Credentials returns the job `auth:` that the sandbox accepts. The scope is
// left to the client's default (the host it reaches the sandbox on).
func (s *Sandbox) Credentials() map[string]string {
	return map[string]string{"client_id": SandboxClientID, "client_secret": SandboxClientSecret}
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

// RevokeTokens invalidates every token issued so far, as an administrator
// resetting the API secret's sessions would: the next API call gets a 401.
func (s *Sandbox) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Unauthorized counts API calls answered 401 (token endpoint excluded).
func (s *Sandbox) Unauthorized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unauthorized
}

// isCreate tells the kit's faults (Enter) which requests create a user.
func isCreate(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Path == api.UserPath }

// ServeHTTP routes the fake API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w = s.kit.Enter(w, r, isCreate); w == nil {
		return // answered by a fault
	}
	if r.URL.Path == api.TokenPath {
		s.token(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/configapi/v2/") {
		text(w, http.StatusNotFound, "Not Found")
		return
	}
	if !s.authorized(r) {
		s.mu.Lock()
		s.unauthorized++
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer realm="configapi", error="invalid_token"`)
		text(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	userPrefix := api.UserPath + "/"
	switch {
	case r.URL.Path == api.TeamsPath && r.Method == http.MethodGet:
		s.listTeams(w)
	case r.URL.Path == api.UserPath && r.Method == http.MethodPost:
		s.create(w, r)
	case strings.HasPrefix(r.URL.EscapedPath(), userPrefix) && r.Method == http.MethodGet:
		login, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), userPrefix))
		if err != nil || login == "" {
			text(w, http.StatusBadRequest, "Bad login id")
			return
		}
		s.getUser(w, login)
	case r.URL.Path == api.TeamsPath || r.URL.Path == api.UserPath || strings.HasPrefix(r.URL.Path, userPrefix):
		text(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	default:
		text(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	s.kit.TokenRequest()
	if r.Method != http.MethodPost {
		text(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != api.GrantClientCredentials:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	case f.Get("client_id") == "" || f.Get("client_secret") == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "client_id and client_secret are required")
		return
	case s.kit.AuthRefused() || !sandboxkit.Equal(f.Get("client_id"), SandboxClientID) || !sandboxkit.Equal(f.Get("client_secret"), SandboxClientSecret):
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	case !s.scopeOK(f.Get("scope"), r.Host):
		oauthError(w, http.StatusBadRequest, "invalid_scope", "scope must be the tenant host")
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	ttl := s.cfg.TokenTTL.Truncate(time.Second)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(ttl)
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	sandboxkit.WriteJSON(w, http.StatusOK, "application/json", api.Token{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: api.Seconds(ttl / time.Second),
	})
}

// scopeOK accepts the configured tenant host or the host name the sandbox
// was reached on (with or without its port), case-insensitively.
func (s *Sandbox) scopeOK(scope, reqHost string) bool {
	if scope == "" {
		return false
	}
	hostname := reqHost
	if h, _, err := net.SplitHostPort(reqHost); err == nil {
		hostname = h
	}
	for _, ok := range []string{s.cfg.TenantHost, reqHost, hostname} {
		if ok != "" && strings.EqualFold(scope, ok) {
			return true
		}
	}
	return false
}

func (s *Sandbox) authorized(r *http.Request) bool {
	if s.kit.AuthRefused() {
		return false
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if ok && !s.now().Before(exp) {
		delete(s.tokens, tok)
		return false
	}
	return ok
}

func (s *Sandbox) listTeams(w http.ResponseWriter) {
	out := make([]api.Team, len(s.cfg.Teams))
	for i, n := range s.cfg.Teams {
		out[i] = api.Team{ID: fmt.Sprintf("team-%04d", i+1), Name: n}
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "application/json", out)
}

func (s *Sandbox) getUser(w http.ResponseWriter, login string) {
	s.mu.Lock()
	i, ok := s.byLogin[strings.ToLower(login)]
	var u api.User
	if ok {
		u = s.users[i]
	}
	s.mu.Unlock()
	if !ok {
		text(w, http.StatusNotFound, "user not found")
		return
	}
	sandboxkit.WriteJSON(w, http.StatusOK, "application/json", u)
}

func (s *Sandbox) create(w http.ResponseWriter, r *http.Request) {
	if status := s.kit.BeforeCreate(); status != 0 {
		s.kit.SetRetryAfter(w)
		text(w, status, http.StatusText(status))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		text(w, http.StatusUnsupportedMediaType, "Unsupported Media Type: expected application/json")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		text(w, http.StatusBadRequest, "Unreadable request body")
		return
	}
	var in api.CreateUser
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		text(w, http.StatusBadRequest, "Invalid request body: "+jsonProblem(err))
		return
	}
	if status, msg := s.validate(&in); status != 0 {
		text(w, status, msg)
		return
	}

	s.mu.Lock()
	key := strings.ToLower(in.LoginID)
	_, dup := s.byLogin[key]
	if dup && !s.kit.AllowDuplicates() {
		s.mu.Unlock()
		s.duplicate(w, in.LoginID)
		return
	}
	ext := in.Extension
	if ext == "" {
		for s.extensions[strconv.Itoa(s.nextExt)] {
			s.nextExt++
		}
		ext = strconv.Itoa(s.nextExt)
	}
	s.extensions[ext] = true
	u := api.User{
		LoginID: in.LoginID, FirstName: in.FirstName, LastName: in.LastName, Team: in.Team, Extension: ext,
		WorkPhone: in.WorkPhone, MobilePhone: in.MobilePhone, Email: in.Email,
		Disabled: in.Disabled != nil && *in.Disabled, ChangePassword: in.ChangePassword != nil && *in.ChangePassword,
		Skills: in.Skills, Roles: in.Roles,
	}
	s.byLogin[key] = len(s.users)
	s.users = append(s.users, u)
	s.mu.Unlock()
	s.kit.Created(dup)

	if s.kit.Drop(w) {
		return
	}
	text(w, http.StatusOK, "OK")
}

// duplicate answers a create of an existing login as the duplicate variant
// says.
func (s *Sandbox) duplicate(w http.ResponseWriter, login string) {
	switch s.dup {
	case "400":
		text(w, http.StatusBadRequest, fmt.Sprintf("Login ID '%s' is already in use by another user", login))
	case "500":
		text(w, http.StatusInternalServerError, "Duplicate key error")
	default:
		text(w, http.StatusConflict, fmt.Sprintf("User with login id '%s' already exists", login))
	}
}

// validate applies the documented body rules. It returns the status and the
// vendor-style text to answer with, or 0.
func (s *Sandbox) validate(u *api.CreateUser) (int, string) {
	for _, f := range []struct{ name, v string }{{"loginId", u.LoginID}, {"firstName", u.FirstName}, {"lastName", u.LastName}, {"team", u.Team}} {
		if strings.TrimSpace(f.v) == "" {
			return http.StatusBadRequest, "Required field is missing: " + f.name
		}
	}
	if !containsString(s.cfg.Teams, u.Team) {
		return http.StatusNotFound, "user team not found"
	}
	if u.Extension != "" && !digits.MatchString(u.Extension) {
		return http.StatusBadRequest, "Invalid extension: must be a number"
	}
	names := make([]string, 0, len(u.Skills))
	for k := range u.Skills {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if lvl := u.Skills[k]; lvl < 0 || lvl > 100 {
			return http.StatusBadRequest, fmt.Sprintf("Invalid level %d of skill '%s': must be 0 to 100", lvl, k)
		}
	}
	for _, role := range u.Roles {
		if !containsString(s.cfg.Roles, role) {
			return http.StatusNotFound, fmt.Sprintf("user role not found: %s", role)
		}
	}
	if u.Password != "" {
		if msg := sandboxPasswordProblem(u.Password); msg != "" {
			return http.StatusBadRequest, msg
		}
	}
	return 0, ""
}

// sandboxPasswordProblem is the sandbox tenant's password policy (see
// SandboxPasswordPolicy). Real tenants set their own [?].
func sandboxPasswordProblem(pw string) string {
	var letter, digit bool
	for _, r := range pw {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	if len([]rune(pw)) < 8 || !letter || !digit {
		return "Password does not meet the password policy: " + SandboxPasswordPolicy
	}
	return ""
}

func jsonProblem(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
		return fmt.Sprintf("field %s must be %s", te.Field, jsonKind(te.Type.Kind().String()))
	}
	return err.Error()
}

func jsonKind(kind string) string {
	switch kind {
	case "ptr", "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "map":
		return "an object"
	case "int":
		return "a number"
	}
	return "a " + kind
}

func text(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	sandboxkit.WriteJSON(w, status, "application/json", api.OAuthError{Code: code, Description: desc})
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
