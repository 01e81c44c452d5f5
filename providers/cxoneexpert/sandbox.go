package cxoneexpert

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

// Sandbox credentials. They are published (printed by `onboard sandbox`),
// not secrets. The token's user is the site's admin, who can also sign in
// with HTTP Basic.
const (
	SandboxKey           = "5b1f0c9e7a3d4e28b6c1f0a9d8e7c6b5"
	SandboxSecret        = "sandbox-secret"
	SandboxTokenUser     = "=admin"
	SandboxAdminUsername = "admin"
	SandboxAdminPassword = "sandbox-password"
)

// SandboxPasswordMinLength is the sandbox site's password policy [?]: the
// real policy is site configuration and undocumented.
const SandboxPasswordMinLength = 8

// tokenWindow is how far a token's epoch may be from the sandbox clock,
// either way: the vendor says a token is valid "about 5 minutes" [?].
const tokenWindow = 5 * time.Minute

// sandboxRoles are the sandbox site's roles; a create without a role gets
// defaultRole, as in the vendor's documented example.
var sandboxRoles = []string{"Viewer", "Contributor", "Author", "Editor", "Admin"}

const defaultRole = "Contributor"

// SandboxRoles returns the role names the sandbox site knows. Like the
// vendor's, they are compared exactly (case included) [?].
func SandboxRoles() []string { return append([]string(nil), sandboxRoles...) }

// RequestInfo is what the sandbox saw of one request's credentials. The
// password parameter's value is never recorded, only its presence.
type RequestInfo struct {
	Method string
	// Path is the escaped path as received, without the query.
	Path string
	// Scheme is "token", "basic" or "" when the request had no credentials.
	Scheme string
	// TokenKey, TokenUser and TokenEpoch are read from an X-Deki-Token.
	TokenKey   string
	TokenUser  string
	TokenEpoch int64
	// Verified says the credentials were accepted; Refused says why not.
	Verified bool
	Refused  string
	// PasswordParam says the accountpassword parameter was present.
	PasswordParam bool
}

type sandboxUser struct {
	user   api.User
	hash   [sha256.Size]byte // of the password, when hasPw
	hasPw  bool
	seeded bool // the site's own admin, not created through the API
}

// Sandbox fakes the Expert users API. It enforces what the docs say: a
// signed X-Deki-Token (known key, epoch within tokenWindow, existing user,
// exact lower-case HMAC) or Basic credentials of a user with a password,
// admin rights to create by Basic (a server token suffices on its own),
// Content-Type application/xml, a well-formed <user> document without
// unknown elements, a username, the status enum, the site's roles, 409 for a
// username taken (ignoring case), 404 for an update of a user id that does
// not exist, and lookups by a twice-encoded username. Refused credentials
// are 401 and missing rights 403 [?]; a wrong Content-Type is 415 [?].
type Sandbox struct {
	kit *sandboxkit.Kit

	// duplicate and tokenFormat are the variants played (variants.go).
	duplicate   string
	tokenFormat string

	mu       sync.Mutex
	now      func() time.Time
	users    []*sandboxUser
	requests []RequestInfo
}

// NewSandbox returns a sandbox site that holds only its admin (id 1).
func NewSandbox(opts providers.SandboxOptions) *Sandbox {
	description.MustVariants(opts.Variants)
	s := &Sandbox{kit: sandboxkit.New(opts), now: time.Now,
		duplicate:   description.VariantValue(opts.Variants, VariantDuplicate),
		tokenFormat: description.VariantValue(opts.Variants, VariantTokenFormat)}
	admin := &sandboxUser{seeded: true, hasPw: true, hash: sha256.Sum256([]byte(SandboxAdminPassword))}
	admin.user = api.User{ID: "1", Nick: SandboxAdminUsername, Username: SandboxAdminUsername, Email: "admin@example.com",
		Fullname: "Site Administrator", Status: "active", Permissions: &api.UserPermissionsOut{Role: api.RoleRef{Name: "Admin"}}}
	s.users = append(s.users, admin)
	return s
}

// Credentials returns the job `auth:` that the sandbox accepts: its server
// API token.
func (s *Sandbox) Credentials() map[string]string {
	return map[string]string{"key": SandboxKey, "secret": SandboxSecret, "user": SandboxTokenUser}
}

// BasicCredentials returns the other `auth:` the sandbox accepts: HTTP Basic
// as its admin.
func (s *Sandbox) BasicCredentials() map[string]string {
	return map[string]string{"username": SandboxAdminUsername, "password": SandboxAdminPassword}
}

// Options returns the job options that fit the sandbox: token_format when
// it plays the legacy token form, else none.
func (s *Sandbox) Options() providers.Options {
	if s.tokenFormat == TokenLegacy {
		return providers.Options{OptTokenFormat: TokenLegacy}
	}
	return nil
}

// Stats reports what the sandbox did.
func (s *Sandbox) Stats() providers.SandboxStats { return s.kit.Stats() }

// Users returns the users created through the API so far, in creation
// order, as the API would answer them.
func (s *Sandbox) Users() []api.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []api.User
	for _, u := range s.users {
		if !u.seeded {
			out = append(out, u.user)
		}
	}
	return out
}

// CheckPassword reports whether username (ignoring case) has password, so a
// test can see that accountpassword was applied without the sandbox ever
// handing a password out.
func (s *Sandbox) CheckPassword(username, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byName(username, nil)
	if u == nil || !u.hasPw {
		return false
	}
	h := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(h[:], u.hash[:]) == 1
}

// maxRequestLog bounds the request log that Requests returns.
const maxRequestLog = 10000

// Requests returns what the sandbox saw of every request's credentials, in
// arrival order (the newest maxRequestLog/2 or more).
func (s *Sandbox) Requests() []RequestInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestInfo(nil), s.requests...)
}

func (s *Sandbox) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// isCreate tells the kit's faults (Enter) which requests create a user.
func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.EscapedPath() == api.UsersPath
}

// ServeHTTP routes the fake API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w = s.kit.Enter(w, r, isCreate); w == nil {
		return // answered by a fault
	}
	path := r.URL.EscapedPath()
	if path != api.UsersPath && !strings.HasPrefix(path, api.UsersPath+"/") {
		writeError(w, http.StatusNotFound, "no route "+path)
		return
	}
	actor, info := s.authenticate(r)
	s.mu.Lock()
	if len(s.requests) >= maxRequestLog {
		// Keep the newest: a long `onboard sandbox` session must not grow
		// without bound.
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-maxRequestLog/2:]...)
	}
	s.requests = append(s.requests, info)
	s.mu.Unlock()
	if actor == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="DekiWiki"`)
		writeError(w, http.StatusUnauthorized, "Authentication failed")
		return
	}
	switch {
	case path == api.UsersPath && r.Method == http.MethodPost:
		s.post(w, r, actor, info.Scheme == schemeToken)
	case path != api.UsersPath && r.Method == http.MethodGet:
		s.get(w, r, strings.TrimPrefix(path, api.UsersPath+"/"))
	default:
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+path)
	}
}

// authenticate checks the request's credentials: an X-Deki-Token when one
// is sent, else Basic. It returns the user the request acts as, or nil.
func (s *Sandbox) authenticate(r *http.Request) (*sandboxUser, RequestInfo) {
	info := RequestInfo{Method: r.Method, Path: r.URL.EscapedPath(), PasswordParam: r.URL.Query().Has(api.PasswordParam)}
	refuse := func(why string) (*sandboxUser, RequestInfo) {
		info.Refused = why
		return nil, info
	}
	tok := r.Header.Get(api.TokenHeader)
	bu, bp, basic := r.BasicAuth()
	switch {
	case tok != "":
		info.Scheme = schemeToken
	case basic:
		info.Scheme = schemeBasic
	}
	if s.kit.AuthRefused() {
		return refuse("every credential refused (RefuseAuth)")
	}
	switch info.Scheme {
	case schemeToken:
		key, epoch, user, ok := parseToken(s.tokenFormat, tok)
		if !ok {
			return refuse("malformed token")
		}
		info.TokenKey, info.TokenEpoch, info.TokenUser = key, epoch, user
		if !sandboxkit.Equal(key, SandboxKey) {
			return refuse("unknown key")
		}
		if d := s.clock().Sub(time.Unix(epoch, 0)); d > tokenWindow || d < -tokenWindow {
			return refuse("token expired or not yet valid")
		}
		if !sameSignature(tok, signToken(s.tokenFormat, key, SandboxSecret, user, epoch)) {
			return refuse("bad signature")
		}
		s.mu.Lock()
		u := s.tokenUser(user)
		s.mu.Unlock()
		if u == nil {
			return refuse("token user does not exist")
		}
		info.Verified = true
		return u, info
	case schemeBasic:
		h := sha256.Sum256([]byte(bp))
		s.mu.Lock()
		u := s.byName(bu, nil)
		ok := u != nil && u.hasPw && subtle.ConstantTimeCompare(h[:], u.hash[:]) == 1 && u.user.Status != "inactive"
		s.mu.Unlock()
		if !ok {
			return refuse("wrong username or password")
		}
		info.Verified = true
		return u, info
	}
	return refuse("no credentials")
}

// sameSignature compares a token with the expected one: everything before
// the hash exactly, the hex hash in either case, as the vendor's own C#
// example sends it upper-case (BitConverter.ToString) and its Python
// example lower-case (MindTouch/CXOneExpertExamples) [code].
func sameSignature(got, want string) bool {
	i, j := strings.LastIndexByte(got, '_'), strings.LastIndexByte(want, '_')
	if i < 0 || j < 0 {
		return false
	}
	head := hmac.Equal([]byte(got[:i]), []byte(want[:j]))
	hash := hmac.Equal([]byte(strings.ToLower(got[i:])), []byte(want[j:]))
	return head && hash
}

// parseToken splits tkn_{key}_{epoch}_{user}_{hash}, or in the legacy
// form {key}_{epoch}_{user}_{hash}. The user may itself hold '_'; the key
// and epoch cannot.
func parseToken(format, tok string) (key string, epoch int64, user string, ok bool) {
	rest, ok := strings.CutPrefix(tok, "tkn_")
	if format == TokenLegacy {
		rest, ok = tok, true
	}
	if !ok {
		return "", 0, "", false
	}
	key, rest, ok1 := strings.Cut(rest, "_")
	ep, rest, ok2 := strings.Cut(rest, "_")
	i := strings.LastIndexByte(rest, '_')
	if !ok1 || !ok2 || i <= 0 || key == "" {
		return "", 0, "", false
	}
	epoch, err := strconv.ParseInt(ep, 10, 64)
	if err != nil {
		return "", 0, "", false
	}
	return key, epoch, rest[:i], true
}

// tokenUser resolves a token's user: =<username> or a numeric id. The
// caller holds s.mu.
func (s *Sandbox) tokenUser(user string) *sandboxUser {
	if name, ok := strings.CutPrefix(user, "="); ok {
		return s.byName(name, nil)
	}
	return s.byID(user)
}

// byName finds a user by username, ignoring case, other than skip. The
// caller holds s.mu.
func (s *Sandbox) byName(name string, skip *sandboxUser) *sandboxUser {
	for _, u := range s.users {
		if u != skip && strings.EqualFold(u.user.Username, name) {
			return u
		}
	}
	return nil
}

// byID finds a user by id. The caller holds s.mu.
func (s *Sandbox) byID(id string) *sandboxUser {
	for _, u := range s.users {
		if u.user.ID == id {
			return u
		}
	}
	return nil
}

func (s *Sandbox) post(w http.ResponseWriter, r *http.Request, actor *sandboxUser, apiKey bool) {
	if !apiKey && actor.user.Permissions.Role.Name != "Admin" {
		// The vendor's own words for the 403.
		writeError(w, http.StatusForbidden, "Administrator access, apikey, or account owner is required")
		return
	}
	if status := s.kit.BeforeCreate(); status != 0 {
		s.kit.SetRetryAfter(w)
		writeError(w, status, "try again later")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/xml" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/xml")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, providers.MaxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "unreadable request body")
		return
	}
	doc, err := parseUserDoc(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var password *string
	if q := r.URL.Query(); q.Has(api.PasswordParam) {
		pw := q.Get(api.PasswordParam)
		password = &pw
	}
	if msg := checkUserDoc(doc, password); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}

	s.mu.Lock()
	var target *sandboxUser
	if doc.ID != "" {
		// An id turns the create into an update of that user [doc].
		if target = s.byID(doc.ID); target == nil || target.seeded {
			s.mu.Unlock()
			writeError(w, http.StatusNotFound, "Requested user could not be found")
			return
		}
	}
	dup := s.byName(doc.Username, target) != nil
	if dup && (target != nil || !s.kit.AllowDuplicates()) {
		s.mu.Unlock()
		s.failDuplicate(w, doc.Username, target != nil)
		return
	}
	now := s.now().UTC()
	if target == nil {
		target = &sandboxUser{}
		id := strconv.Itoa(len(s.users) + 1)
		href := "http://" + r.Host + api.UsersPath
		target.user = api.User{ID: id, Href: href + "/" + id, Status: "active", DateCreated: now.Format(time.RFC3339),
			ServiceAuth: &api.Ref{ID: "1", Href: "http://" + r.Host + "/@api/deki/site/services/1"},
			Permissions: &api.UserPermissionsOut{Role: roleRef(defaultRole, r.Host)}, Groups: &api.Groups{}}
		s.users = append(s.users, target)
	} else {
		dup = false
	}
	apply(target, doc, password, r.Host)
	created := doc.ID == ""
	u := target.user
	s.mu.Unlock()

	if created {
		s.kit.Created(dup)
		if s.kit.Drop(w) {
			return
		}
	}
	writeXML(w, http.StatusOK, u)
}

// apply writes a checked document's fields to u. The caller holds s.mu.
func apply(u *sandboxUser, doc *api.UserDoc, password *string, host string) {
	u.user.Username, u.user.Nick = doc.Username, doc.Username
	if doc.Email != nil {
		u.user.Email = *doc.Email
	}
	if doc.Fullname != nil {
		u.user.Fullname = *doc.Fullname
	}
	if doc.Status != nil && *doc.Status != "" {
		u.user.Status = *doc.Status
	}
	if doc.Permissions != nil && doc.Permissions.Role != nil && *doc.Permissions.Role != "" {
		// A new value, never an edit: answers already handed out share it.
		u.user.Permissions = &api.UserPermissionsOut{Role: roleRef(*doc.Permissions.Role, host)}
	}
	if password != nil {
		u.hash, u.hasPw = sha256.Sum256([]byte(*password)), true
	}
}

func roleRef(name, host string) api.RoleRef {
	id := "0"
	for i, r := range sandboxRoles {
		if r == name {
			id = strconv.Itoa(i + 3) // Contributor is 4, as in the docs
		}
	}
	return api.RoleRef{ID: id, Href: "http://" + host + "/@api/deki/site/roles/" + id, Name: name}
}

// parseUserDoc reads a create body strictly: well-formed XML, one <user>
// root and nothing after it, no element the documented message lacks.
func parseUserDoc(raw []byte) (*api.UserDoc, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var doc api.UserDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("request body is empty; expected a <user> document")
		}
		return nil, fmt.Errorf("request body is not a well-formed <user> document: %v", err)
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("request body is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return nil, fmt.Errorf("request body has <%s> after </user>", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("request body has text after </user>")
			}
		}
	}
	unknown := doc.Unknown
	if doc.Permissions != nil {
		unknown = append(unknown, doc.Permissions.Unknown...)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown element <%s> in <user>", unknown[0].XMLName.Local)
	}
	return &doc, nil
}

// checkUserDoc applies the field rules; it never quotes the password.
func checkUserDoc(doc *api.UserDoc, password *string) string {
	switch {
	case strings.TrimSpace(doc.Username) == "":
		return "username must be provided"
	}
	// The site checks the address [?]: the sandbox with the rule every
	// provider applies offline elsewhere (the Expert docs say only {text},
	// so onboard does not check it offline).
	if doc.Email != nil && *doc.Email != "" {
		if msg := providers.EmailProblem(*doc.Email); msg != "" {
			return msg
		}
	}
	if doc.Status != nil && *doc.Status != "" && *doc.Status != "active" && *doc.Status != "inactive" {
		return fmt.Sprintf("status %q is invalid: it must be active or inactive", *doc.Status)
	}
	if doc.Permissions != nil && doc.Permissions.Role != nil && *doc.Permissions.Role != "" {
		role := *doc.Permissions.Role
		known := false
		for _, r := range sandboxRoles {
			known = known || r == role
		}
		if !known {
			return fmt.Sprintf("role %q does not exist on this site (roles: %s)", role, strings.Join(sandboxRoles, ", "))
		}
	}
	if doc.ServiceAuth != nil && doc.ServiceAuth.ID != "1" {
		return fmt.Sprintf("authentication service %q does not exist (only 1, local)", doc.ServiceAuth.ID)
	}
	if password != nil && utf8.RuneCountInString(*password) < SandboxPasswordMinLength {
		return fmt.Sprintf("password must be at least %d characters long", SandboxPasswordMinLength)
	}
	return ""
}

// get reads one user: {id} or ={username}, the username URI-encoded twice
// [doc]. A name that was encoded only once still holds characters that
// encoding removes after the first decoding, and is refused so that a
// client that forgets the second pass is caught here, not on a name with a
// '%' in production.
func (s *Sandbox) get(w http.ResponseWriter, r *http.Request, seg string) {
	var u *sandboxUser
	if enc, ok := strings.CutPrefix(seg, "="); ok {
		once, err := url.PathUnescape(enc)
		if err != nil || strings.IndexFunc(once, func(c rune) bool { return !isEncodedChar(c) }) >= 0 {
			writeError(w, http.StatusBadRequest, "the username in the path must be URI-encoded twice")
			return
		}
		name, err := url.PathUnescape(once)
		if err != nil {
			writeError(w, http.StatusBadRequest, "the username in the path must be URI-encoded twice")
			return
		}
		s.mu.Lock()
		u = s.byName(name, nil)
	} else {
		s.mu.Lock()
		u = s.byID(seg)
	}
	var out api.User
	if u != nil {
		out = u.user
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, http.StatusNotFound, "Requested user could not be found")
		return
	}
	if out.Href == "" {
		out.Href = "http://" + r.Host + api.UsersPath + "/" + out.ID
	}
	writeXML(w, http.StatusOK, out)
}

// isEncodedChar reports whether c may appear in a URI-encoded string: the
// RFC 3986 unreserved characters, '%', and the marks JavaScript's
// encodeURIComponent leaves alone.
func isEncodedChar(c rune) bool {
	return c < utf8.RuneSelf && isUnreserved(byte(c)) || strings.ContainsRune("%!'()*", c)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// writeError answers in the vendor's error format.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeXML(w, status, api.Error{Status: strconv.Itoa(status), Title: http.StatusText(status), Message: msg})
}
