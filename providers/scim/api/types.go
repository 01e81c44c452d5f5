// Package api holds the SCIM 2.0 wire types (RFC 7643 resources, RFC 7644
// messages), apart from the logic that fills and reads them.
package api

import "encoding/json"

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3.4.2, §3.12).
const (
	UserSchema                  = "urn:ietf:params:scim:schemas:core:2.0:User"
	EnterpriseSchema            = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ServiceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ListResponseSchema          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorSchema                 = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// MediaType is the SCIM media type (RFC 7644 §8.1).
const MediaType = "application/scim+json"

// Paths under the SCIM base URL.
const (
	UsersPath                 = "/Users"
	ServiceProviderConfigPath = "/ServiceProviderConfig"
)

// User is the body of POST /Users as onboard sends it: the core User
// attributes a job can map plus the enterprise extension. Empty values are
// left out, so an unmapped attribute is never sent as "".
type User struct {
	Schemas           []string    `json:"schemas"`
	ExternalID        string      `json:"externalId,omitempty"`
	UserName          string      `json:"userName"`
	Name              *Name       `json:"name,omitempty"`
	DisplayName       string      `json:"displayName,omitempty"`
	NickName          string      `json:"nickName,omitempty"`
	Title             string      `json:"title,omitempty"`
	UserType          string      `json:"userType,omitempty"`
	PreferredLanguage string      `json:"preferredLanguage,omitempty"`
	Locale            string      `json:"locale,omitempty"`
	Timezone          string      `json:"timezone,omitempty"`
	Active            *bool       `json:"active,omitempty"`
	Password          string      `json:"password,omitempty"`
	Emails            []Multi     `json:"emails,omitempty"`
	PhoneNumbers      []Multi     `json:"phoneNumbers,omitempty"`
	Enterprise        *Enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
}

// String masks the password so that a stray %v never prints it.
func (u User) String() string {
	return "User{userName=" + u.UserName + " password=********}"
}

// Name is the complex name attribute (RFC 7643 §4.1.1).
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
}

// Multi is one value of a multi-valued attribute such as emails or
// phoneNumbers (RFC 7643 §2.4).
type Multi struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Enterprise is the enterprise User extension (RFC 7643 §4.3).
type Enterprise struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// Manager refers to the manager's User resource by its SCIM id.
type Manager struct {
	Value string `json:"value"`
}

// Resource is what onboard reads of a returned User: its id and userName.
type Resource struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
}

// ListResponse is the answer of a query (RFC 7644 §3.4.2). TotalResults is
// a pointer so that a 2xx body that is not a ListResponse can be told from
// an empty result.
type ListResponse struct {
	Schemas      []string   `json:"schemas"`
	TotalResults *int       `json:"totalResults"`
	ItemsPerPage int        `json:"itemsPerPage,omitempty"`
	StartIndex   int        `json:"startIndex,omitempty"`
	Resources    []Resource `json:"Resources"`
}

// Error is a SCIM error body (RFC 7644 §3.12). Status is a string in the
// RFC ("409") and a number at some services (409); both are read.
type Error struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// UnmarshalJSON reads status as a string or a number. It is written out as
// the RFC's string.
func (e *Error) UnmarshalJSON(data []byte) error {
	var raw struct {
		Schemas  []string        `json:"schemas"`
		Status   json.RawMessage `json:"status"`
		ScimType string          `json:"scimType"`
		Detail   string          `json:"detail"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	e.Schemas, e.ScimType, e.Detail = raw.Schemas, raw.ScimType, raw.Detail
	var n json.Number
	if json.Unmarshal(raw.Status, &e.Status) != nil && json.Unmarshal(raw.Status, &n) == nil {
		e.Status = n.String()
	}
	return nil
}

// Supported is a feature flag of the ServiceProviderConfig.
type Supported struct {
	Supported bool `json:"supported"`
}

// FilterConfig is the filter feature of the ServiceProviderConfig.
type FilterConfig struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

// BulkConfig is the bulk feature of the ServiceProviderConfig.
type BulkConfig struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

// AuthenticationScheme is one scheme the service provider accepts.
type AuthenticationScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Primary     bool   `json:"primary,omitempty"`
}

// ServiceProviderConfig is the answer of GET /ServiceProviderConfig (RFC
// 7643 §5). Filter is a pointer so that a body without it (not SCIM) shows.
type ServiceProviderConfig struct {
	Schemas               []string               `json:"schemas"`
	DocumentationURI      string                 `json:"documentationUri,omitempty"`
	Patch                 *Supported             `json:"patch"`
	Bulk                  *BulkConfig            `json:"bulk"`
	Filter                *FilterConfig          `json:"filter"`
	ChangePassword        *Supported             `json:"changePassword"`
	Sort                  *Supported             `json:"sort"`
	ETag                  *Supported             `json:"etag"`
	AuthenticationSchemes []AuthenticationScheme `json:"authenticationSchemes"`
	Meta                  map[string]string      `json:"meta,omitempty"`
}
