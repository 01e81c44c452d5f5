// Package api holds the CxEngage platform API's wire types, apart from the
// logic that fills and reads them.
//
// Answers are wrapped: a success in {"result": ...}, a failure in
// {"error": ...}, where the error is an object, a string or an array of
// either (Errors reads all three).
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// UsersPath creates platform users (POST) and looks them up (GET ?email=).
const UsersPath = "/v1/users"

// TenantPath is one tenant (GET reads it).
func TenantPath(tenantID string) string { return "/v1/tenants/" + url.PathEscape(tenantID) }

// TenantUsersPath adds a platform user to a tenant (POST).
func TenantUsersPath(tenantID string) string { return TenantPath(tenantID) + "/users" }

// CreateUser is the body of POST /v1/users. Empty optional fields are left
// out rather than sent as "" or null.
type CreateUser struct {
	Email             string   `json:"email"`
	RoleID            string   `json:"roleId"`
	FirstName         string   `json:"firstName,omitempty"`
	LastName          string   `json:"lastName,omitempty"`
	ExternalID        string   `json:"externalId,omitempty"`
	Status            string   `json:"status,omitempty"`
	PersonalTelephone string   `json:"personalTelephone,omitempty"`
	AdditionalRoleIDs []string `json:"additionalRoleIds,omitempty"`
}

// User is a platform user as the API returns it (the documented sample
// response). The client does not decode it: the documented types are not
// reliable (status is documented as a boolean and sent as a string), so it
// reads only UserRef.
type User struct {
	ID                      string   `json:"id"`
	Email                   string   `json:"email"`
	RoleID                  string   `json:"roleId"`
	FirstName               string   `json:"firstName"`
	LastName                string   `json:"lastName"`
	ExternalID              string   `json:"externalId"`
	Status                  string   `json:"status"`
	PersonalTelephone       *string  `json:"personalTelephone"`
	AdditionalRoleIDs       []string `json:"additionalRoleIds"`
	AliasPlatformUserID     string   `json:"aliasPlatformUserId"`
	DefaultTenant           *string  `json:"defaultTenant"`
	HasPassword             bool     `json:"hasPassword"`
	Created                 string   `json:"created"`
	CreatedBy               string   `json:"createdBy"`
	Updated                 string   `json:"updated"`
	UpdatedBy               string   `json:"updatedBy"`
	ResetPasswordExpiryDate string   `json:"resetPasswordExpiryDate"`
}

// UserResult is the answer of POST /v1/users.
type UserResult struct {
	Result User `json:"result"`
}

// UserList is the answer of GET /v1/users.
type UserList struct {
	Result []User `json:"result"`
}

// UserRef is the part of a user the client reads: its id and e-mail.
type UserRef struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// UserRefResult reads the answer of POST /v1/users. Result is nil when the
// answer has no "result" object (a 2xx that is not the documented answer).
type UserRefResult struct {
	Result *UserRef `json:"result"`
}

// UserRefList reads the answer of GET /v1/users?email=. Result is nil when
// the answer has no "result" list.
type UserRefList struct {
	Result *[]UserRef `json:"result"`
}

// ParseCreated reads the answer of POST /v1/users as the documented
// success shape, {"result": {"id": ..., "email": ...}} (the seed's sample
// response) [doc]. ok is false for anything else: not JSON, no "result"
// object, or an empty id.
func ParseCreated(data []byte) (u UserRef, ok bool) {
	var out UserRefResult
	if err := json.Unmarshal(data, &out); err != nil || out.Result == nil || strings.TrimSpace(out.Result.ID) == "" {
		return UserRef{}, false
	}
	return *out.Result, true
}

// ParseUserList reads the answer of GET /v1/users?email=:
// {"result": [user...]} [code: shark764/cxengage-configuration-ui reads
// response.result[0]]. It fails for anything else (not JSON, no "result"
// list), so that an answer that is not the vendor's is never read as an
// empty list.
func ParseUserList(data []byte) ([]UserRef, error) {
	var out UserRefList
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	if out.Result == nil {
		return nil, errNoResultList
	}
	return *out.Result, nil
}

var errNoResultList = errors.New(`no "result" list`)

// TenantUser is the body of POST /v1/tenants/{tenantId}/users. Status
// "invited" makes CxEngage e-mail an invitation; "accepted" does not.
type TenantUser struct {
	Email  string `json:"email"`
	RoleID string `json:"roleId"`
	Status string `json:"status"`
}

// TenantMember is a user's membership of a tenant, as the sandbox answers
// POST /v1/tenants/{tenantId}/users.
type TenantMember struct {
	TenantID string `json:"tenantId"`
	UserID   string `json:"userId"`
	Email    string `json:"email"`
	RoleID   string `json:"roleId"`
	Status   string `json:"status"`
	Added    string `json:"added"`
}

// TenantMemberResult is the answer of POST /v1/tenants/{tenantId}/users.
type TenantMemberResult struct {
	Result TenantMember `json:"result"`
}

// Tenant is the answer's result of GET /v1/tenants/{tenantId}.
type Tenant struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// TenantResult is the answer of GET /v1/tenants/{tenantId}.
type TenantResult struct {
	Result Tenant `json:"result"`
}

// ErrorBody is a failure answer: {"error": ...}.
type ErrorBody struct {
	Error Errors `json:"error"`
}

// ErrorDetail is one problem. A bare string in the answer becomes a detail
// with only Message set.
type ErrorDetail struct {
	Code      Text      `json:"code,omitempty"`
	Message   Text      `json:"message,omitempty"`
	Attribute Attribute `json:"attribute,omitzero"`
	// Body holds the nested {"body": {"errors": [...]}} some CxEngage
	// services answer with; the vendor's configuration UI reads the first
	// item's title or message (shark764/cxengage-configuration-ui,
	// src/utils/sdk.js) [code].
	Body *NestedBody `json:"body,omitempty"`
}

// NestedBody is the "body" of a nested error.
type NestedBody struct {
	Errors []NestedError `json:"errors"`
}

// NestedError is one item of a nested error's list.
type NestedError struct {
	Code    Text `json:"code,omitempty"`
	Title   Text `json:"title,omitempty"`
	Message Text `json:"message,omitempty"`
}

// Attribute is the "attribute" of a problem: the name of the field it is
// about (a string), or an object of field name to that field's message
// (a string or a list of strings), which is how the vendor's configuration
// UI reads it (shark764/cxengage-configuration-ui, src/utils/sdk.js)
// [code]. Name and Fields are never both set.
type Attribute struct {
	Name   string
	Fields []FieldMessage
}

// FieldMessage is one entry of an object attribute, in key order.
type FieldMessage struct {
	Field   string
	Message string
}

// IsZero reports an absent attribute (for omitempty).
func (a Attribute) IsZero() bool { return a.Name == "" && len(a.Fields) == 0 }

// UnmarshalJSON reads a string, an object or null. Anything else (a number)
// is kept as its JSON text in Name, so no vendor word is lost.
func (a *Attribute) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*a = Attribute{}
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	if data[0] != '{' {
		var t Text
		if err := t.UnmarshalJSON(data); err != nil {
			return err
		}
		a.Name = string(t)
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg, err := fieldMessage(m[k])
		if err != nil {
			return err
		}
		a.Fields = append(a.Fields, FieldMessage{Field: k, Message: msg})
	}
	return nil
}

// MarshalJSON writes the attribute back in the shape it was read in (the
// sandbox answers with it).
func (a Attribute) MarshalJSON() ([]byte, error) {
	if len(a.Fields) == 0 {
		if a.Name == "" {
			return []byte("null"), nil
		}
		return json.Marshal(a.Name)
	}
	m := make(map[string]string, len(a.Fields))
	for _, f := range a.Fields {
		m[f.Field] = f.Message
	}
	return json.Marshal(m)
}

// fieldMessage reads one value of an object attribute: a string, a list of
// strings (joined by "; "), or anything else as its JSON text.
func fieldMessage(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []Text
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if s := strings.TrimSpace(string(it)); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; "), nil
	}
	var t Text
	err := t.UnmarshalJSON(raw)
	return string(t), err
}

// Errors is the value of "error" in any of its three shapes: an object
// {code, message, attribute}, a string, or an array of objects and strings.
type Errors []ErrorDetail

// UnmarshalJSON reads the three shapes. Anything else (a number, say) is kept
// as its JSON text in Message, so that no vendor word is lost.
func (e *Errors) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		*e = nil
		return nil
	}
	if data[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return err
		}
		out := make(Errors, 0, len(items))
		for _, it := range items {
			d, ok, err := readDetail(it)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, d)
			}
		}
		*e = out
		return nil
	}
	d, ok, err := readDetail(data)
	if err != nil || !ok {
		*e = nil
		return err
	}
	*e = Errors{d}
	return nil
}

// readDetail reads one object or string; ok is false for null.
func readDetail(data []byte) (ErrorDetail, bool, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return ErrorDetail{}, false, nil
	}
	if data[0] == '{' {
		var d ErrorDetail
		err := json.Unmarshal(data, &d)
		return d, err == nil, err
	}
	var t Text
	if err := t.UnmarshalJSON(data); err != nil {
		return ErrorDetail{}, false, err
	}
	return ErrorDetail{Message: t}, true, nil
}

// Message renders the problems as one line, joined by "; ": for each, its
// message ("attribute: message" when the attribute names a field the
// message does not), then each field of an object attribute as "field:
// message", then the nested errors' titles or messages. A detail without
// any words shows its code.
func (e Errors) Message() string {
	var parts []string
	for _, d := range e {
		n := len(parts)
		msg := strings.TrimSpace(string(d.Message))
		if msg != "" {
			if a := strings.TrimSpace(d.Attribute.Name); a != "" && !strings.Contains(msg, a) {
				msg = a + ": " + msg
			}
			parts = append(parts, msg)
		}
		for _, f := range d.Attribute.Fields {
			if m := strings.TrimSpace(f.Message); m != "" {
				parts = append(parts, f.Field+": "+m)
			}
		}
		if d.Body != nil {
			for _, ne := range d.Body.Errors {
				w := strings.TrimSpace(string(ne.Title))
				if w == "" {
					w = strings.TrimSpace(string(ne.Message))
				}
				if w != "" {
					parts = append(parts, w)
				}
			}
		}
		if len(parts) == n && d.Code != "" {
			parts = append(parts, "code "+string(d.Code))
		}
	}
	return strings.Join(parts, "; ")
}

// Words returns every text of the problems a person could read: messages,
// attribute names and messages, nested titles and messages. Deciding what
// an answer means (a duplicate?) reads these, not the rendered Message.
func (e Errors) Words() []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for _, d := range e {
		add(string(d.Message))
		add(d.Attribute.Name)
		for _, f := range d.Attribute.Fields {
			add(f.Message)
		}
		if d.Body != nil {
			for _, ne := range d.Body.Errors {
				add(string(ne.Title))
				add(string(ne.Message))
			}
		}
	}
	return out
}

// Text is a JSON value read as text: a string as itself, null as "", and
// anything else (a number code, an attribute object) as its compact JSON.
type Text string

// UnmarshalJSON implements the reading described on Text.
func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		*t = ""
		return nil
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return err
	}
	*t = Text(b.String())
	return nil
}
