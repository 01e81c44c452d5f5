package scim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/sandboxkit"
	"github.com/onboardhq/onboard/providers/scim/api"
)

// Sandbox credentials. They are published (printed by `onboard sandbox`),
// not secrets. The sandbox accepts the token as Bearer and the user and
// password as Basic.
const (
	SandboxToken    = "sandbox-scim-token"
	SandboxUsername = "sandbox-scim-client"
	SandboxPassword = "sandbox-scim-password"
)

// SandboxMinPassword is the sandbox tenant's password policy: the RFC
// leaves passwords to each service, and services refuse short ones with
// 400 invalidValue.
const SandboxMinPassword = 8

// SandboxMaxResults is the sandbox's filter.maxResults.
const SandboxMaxResults = 200

// user is one stored User.
type user struct {
	id       string
	attrs    map[string]any // under schema names, without password and readOnly attributes
	password string
	created  time.Time
	version  string
	location string
}

// Sandbox is a strict SCIM 2.0 service provider for Users (RFC 7643,
// RFC 7644): Bearer or Basic auth, application/scim+json, the User schema
// and its enterprise extension with their types (unknown attributes are
// refused), userName required and unique case-insensitively, filters,
// ListResponse paging, meta with Location and ETag, the password never
// returned, and RFC 7644 §3.12 error bodies.
//
// It is its own small server rather than github.com/elimity-com/scim: that
// library ignores unknown attributes, answers fixed error details, and
// leaves no place for fault injection; see docs/providers/scim.md.
type Sandbox struct {
	kit *sandboxkit.Kit
	ids sandboxkit.IDs
	now func() time.Time

	duplicate   string // variant: how a duplicate is answered
	errorStatus string // variant: status as a string or a number

	mu       sync.Mutex
	users    []*user
	byName   map[string][]int // lower-cased userName to indexes in users
	byID     map[string]int
	rejected []string // details of refused creates, for tests
}

// NewSandbox returns an empty sandbox tenant. Unknown variant values play
// the default.
func NewSandbox(opts providers.SandboxOptions) *Sandbox {
	s := &Sandbox{
		kit: sandboxkit.New(opts), now: time.Now,
		byName: map[string][]int{}, byID: map[string]int{},
		duplicate: Duplicate409, errorStatus: StatusString,
	}
	switch v := opts.Variants[VariantDuplicate]; v {
	case Duplicate409Bare, Duplicate400:
		s.duplicate = v
	}
	if opts.Variants[VariantErrorStatus] == StatusNumber {
		s.errorStatus = StatusNumber
	}
	return s
}

// Credentials returns the job `auth:` the sandbox accepts (it also takes
// SandboxUsername and SandboxPassword as Basic).
func (s *Sandbox) Credentials() map[string]string {
	return map[string]string{"token": SandboxToken}
}

// Options returns nil: the sandbox needs no job options.
func (s *Sandbox) Options() providers.Options { return nil }

// Stats reports what the sandbox did.
func (s *Sandbox) Stats() providers.SandboxStats { return s.kit.Stats() }

// Users returns the users created so far, in creation order, as the
// service returns them (no password).
func (s *Sandbox) Users() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, len(s.users))
	for i, u := range s.users {
		out[i] = s.representation(u)
	}
	return out
}

// CheckPassword reports whether password is the one set for userName.
func (s *Sandbox) CheckPassword(userName, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.byName[strings.ToLower(userName)] {
		if u := s.users[i]; u.password != "" && sandboxkit.Equal(u.password, password) {
			return true
		}
	}
	return false
}

// Rejected returns the details of the creates the sandbox refused with a
// 4xx (duplicates included), so tests can prove no invalid request was sent.
func (s *Sandbox) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// isCreate tells the kit's faults (Enter) which requests create a user.
func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.TrimPrefix(r.URL.Path, "/scim/v2") == api.UsersPath
}

// ServeHTTP routes the fake service. It answers at the root and under
// /scim/v2, so either can be the endpoint.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w = s.kit.Enter(w, r, isCreate); w == nil {
		return // answered by a fault (redirect, limit, HTML page)
	}
	prefix := ""
	path := r.URL.Path
	if strings.HasPrefix(path, "/scim/v2/") {
		prefix, path = "/scim/v2", strings.TrimPrefix(path, "/scim/v2")
	}
	if s.kit.AuthRefused() || !authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim", Basic realm="scim"`)
		s.writeError(w, &scimErr{http.StatusUnauthorized, "", "Authorization failure: the token or the user and password are not valid"})
		return
	}
	if !acceptable(r.Header.Get("Accept")) {
		s.writeError(w, &scimErr{http.StatusNotAcceptable, "", "Accept must allow " + api.MediaType + " or application/json"})
		return
	}
	switch {
	case path == api.ServiceProviderConfigPath && r.Method == http.MethodGet:
		s.serviceProviderConfig(w, r, prefix)
	case path == api.UsersPath && r.Method == http.MethodPost:
		s.create(w, r, prefix)
	case path == api.UsersPath && r.Method == http.MethodGet:
		s.list(w, r)
	case strings.HasPrefix(path, api.UsersPath+"/") && r.Method == http.MethodGet:
		s.get(w, strings.TrimPrefix(path, api.UsersPath+"/"))
	case path == api.UsersPath || strings.HasPrefix(path, api.UsersPath+"/") || path == api.ServiceProviderConfigPath:
		s.writeError(w, &scimErr{http.StatusNotImplemented, "", r.Method + " " + path + " is not supported by this service provider"})
	default:
		s.writeError(w, &scimErr{http.StatusNotFound, "", "no resource endpoint " + path})
	}
}

func authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return sandboxkit.Equal(tok, SandboxToken)
	}
	return sandboxkit.CheckBasic(r, SandboxUsername, SandboxPassword)
}

// acceptable applies RFC 7644 §8.1/§3.8: application/scim+json, with
// application/json also served.
func acceptable(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case api.MediaType, "application/json", "application/*", "*/*":
			return true
		}
	}
	return false
}

func (s *Sandbox) create(w http.ResponseWriter, r *http.Request, prefix string) {
	if status := s.kit.BeforeCreate(); status != 0 {
		s.kit.SetRetryAfter(w)
		s.writeError(w, &scimErr{status, "", http.StatusText(status) + ": try again later"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != api.MediaType && mt != "application/json" {
		s.reject(w, &scimErr{http.StatusUnsupportedMediaType, "", "Content-Type must be " + api.MediaType})
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.reject(w, badSyntax("unreadable body"))
		return
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
		s.reject(w, badSyntax("the body is not a JSON object"))
		return
	}
	attrs, password, e := checkUser(body)
	if e != nil {
		s.reject(w, e)
		return
	}
	userName := attrs["userName"].(string)
	key := strings.ToLower(userName)

	s.mu.Lock()
	_, dup := s.byName[key]
	if dup && !s.kit.AllowDuplicates() {
		e := s.duplicateError(userName)
		s.rejected = append(s.rejected, e.detail)
		s.mu.Unlock()
		s.writeError(w, e)
		return
	}
	n := s.ids.Next()
	now := s.now().UTC().Truncate(time.Second)
	u := &user{id: fmt.Sprintf("2819c223-7f76-453a-919d-%012x", n), attrs: attrs, password: password, created: now}
	u.location = baseURL(r, prefix) + api.UsersPath + "/" + u.id
	sum := sha256.Sum256([]byte(u.id + now.String()))
	u.version = `W/"` + hex.EncodeToString(sum[:8]) + `"`
	s.byID[u.id] = len(s.users)
	s.byName[key] = append(s.byName[key], len(s.users))
	s.users = append(s.users, u)
	rep := s.representation(u)
	s.mu.Unlock()
	s.kit.Created(dup)

	if s.kit.Drop(w) {
		return
	}
	w.Header().Set("Location", u.location)
	w.Header().Set("ETag", u.version)
	sandboxkit.WriteJSON(w, http.StatusCreated, api.MediaType, rep)
}

// duplicateError is the answer to a taken userName, in the variant played.
func (s *Sandbox) duplicateError(userName string) *scimErr {
	detail := fmt.Sprintf("userName '%s' is already in use", userName)
	switch s.duplicate {
	case Duplicate409Bare:
		return &scimErr{http.StatusConflict, "", detail}
	case Duplicate400:
		return &scimErr{http.StatusBadRequest, "uniqueness", detail}
	}
	return &scimErr{http.StatusConflict, "uniqueness", detail}
}

func (s *Sandbox) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	i, ok := s.byID[id]
	var rep map[string]any
	var version string
	if ok {
		rep, version = s.representation(s.users[i]), s.users[i].version
	}
	s.mu.Unlock()
	if !ok {
		s.writeError(w, &scimErr{http.StatusNotFound, "", "Resource " + id + " not found"})
		return
	}
	w.Header().Set("ETag", version)
	sandboxkit.WriteJSON(w, http.StatusOK, api.MediaType, rep)
}

func (s *Sandbox) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, count := 1, SandboxMaxResults
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, badValue("startIndex %q is not an integer", v))
			return
		}
		start = max(n, 1) // RFC 7644 §3.4.2.4: less than 1 is 1
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, badValue("count %q is not an integer", v))
			return
		}
		count = min(max(n, 0), SandboxMaxResults)
	}
	match := func(map[string]any) bool { return true }
	if f := q.Get("filter"); f != "" {
		m, err := parseFilter(f)
		if err != nil {
			s.writeError(w, &scimErr{http.StatusBadRequest, "invalidFilter", "invalid filter: " + err.Error()})
			return
		}
		match = m
	}
	s.mu.Lock()
	var all []map[string]any
	for _, u := range s.users {
		if rep := s.representation(u); match(rep) {
			all = append(all, rep)
		}
	}
	s.mu.Unlock()
	page := []map[string]any{}
	if start-1 < len(all) {
		page = all[start-1 : min(len(all), start-1+count)]
	}
	sandboxkit.WriteJSON(w, http.StatusOK, api.MediaType, map[string]any{
		"schemas":      []string{api.ListResponseSchema},
		"totalResults": len(all),
		"itemsPerPage": len(page),
		"startIndex":   start,
		"Resources":    page,
	})
}

func (s *Sandbox) serviceProviderConfig(w http.ResponseWriter, r *http.Request, prefix string) {
	sandboxkit.WriteJSON(w, http.StatusOK, api.MediaType, api.ServiceProviderConfig{
		Schemas:          []string{api.ServiceProviderConfigSchema},
		DocumentationURI: "https://github.com/onboardhq/onboard/blob/main/docs/providers/scim.md",
		Patch:            &api.Supported{},
		Bulk:             &api.BulkConfig{},
		Filter:           &api.FilterConfig{Supported: true, MaxResults: SandboxMaxResults},
		ChangePassword:   &api.Supported{},
		Sort:             &api.Supported{},
		ETag:             &api.Supported{Supported: true},
		AuthenticationSchemes: []api.AuthenticationScheme{
			{Type: "oauthbearertoken", Name: "OAuth Bearer Token", Description: "Authentication with a bearer token", Primary: true},
			{Type: "httpbasic", Name: "HTTP Basic", Description: "Authentication with a user and password"},
		},
		Meta: map[string]string{"resourceType": "ServiceProviderConfig", "location": baseURL(r, prefix) + api.ServiceProviderConfigPath},
	})
}

// representation is the User as returned: stored attributes, schemas, id
// and meta; never the password (returned "never", RFC 7643 §4.1.1). Call
// with s.mu held.
func (s *Sandbox) representation(u *user) map[string]any {
	out := make(map[string]any, len(u.attrs)+3)
	for k, v := range u.attrs {
		out[k] = v
	}
	schemas := []string{api.UserSchema}
	if _, ok := u.attrs[api.EnterpriseSchema]; ok {
		schemas = append(schemas, api.EnterpriseSchema)
	}
	out["schemas"] = schemas
	out["id"] = u.id
	ts := u.created.Format(time.RFC3339)
	out["meta"] = map[string]any{"resourceType": "User", "created": ts, "lastModified": ts, "location": u.location, "version": u.version}
	return out
}

func baseURL(r *http.Request, prefix string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + prefix
}

// reject answers a refused create and remembers its detail.
func (s *Sandbox) reject(w http.ResponseWriter, e *scimErr) {
	s.mu.Lock()
	s.rejected = append(s.rejected, e.detail)
	s.mu.Unlock()
	s.writeError(w, e)
}

// writeError writes an RFC 7644 §3.12 error body.
func (s *Sandbox) writeError(w http.ResponseWriter, e *scimErr) {
	body := map[string]any{"schemas": []string{api.ErrorSchema}, "detail": e.detail}
	if s.errorStatus == StatusNumber {
		body["status"] = e.status
	} else {
		body["status"] = strconv.Itoa(e.status)
	}
	if e.scimType != "" {
		body["scimType"] = e.scimType
	}
	sandboxkit.WriteJSON(w, e.status, api.MediaType, body)
}
