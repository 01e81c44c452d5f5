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
	"net/url"
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

// UserRefResult reads the answer of POST /v1/users.
type UserRefResult struct {
	Result UserRef `json:"result"`
}

// UserRefList reads the answer of GET /v1/users.
type UserRefList struct {
	Result []UserRef `json:"result"`
}

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
	Code      Text `json:"code,omitempty"`
	Message   Text `json:"message,omitempty"`
	Attribute Text `json:"attribute,omitempty"`
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

// Message renders the problems as one line: "attribute: message" for each,
// joined by "; ". A detail without a message shows its code.
func (e Errors) Message() string {
	parts := make([]string, 0, len(e))
	for _, d := range e {
		msg := strings.TrimSpace(string(d.Message))
		if msg == "" && d.Code != "" {
			msg = "code " + string(d.Code)
		}
		if msg == "" {
			continue
		}
		if a := strings.TrimSpace(string(d.Attribute)); a != "" && !strings.Contains(msg, a) {
			msg = a + ": " + msg
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
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
