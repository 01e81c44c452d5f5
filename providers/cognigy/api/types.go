// Package api holds the Cognigy.AI management API's wire types, apart from
// the logic that fills and reads them.
package api

// UsersPath is the create and list path under the base URL.
const UsersPath = "/management/v2.0/users"

// OrganisationsPath reads the caller's organisations (password policy).
const OrganisationsPath = "/management/v2.0/organisations"

// CreateUser is the body of POST /management/v2.0/users.
type CreateUser struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Password     string   `json:"password"`
	Organisation string   `json:"organisation"`
	CXoneEmail   string   `json:"cxoneEmail,omitempty"`
	CXoneID      string   `json:"cxoneId,omitempty"`
	Roles        []string `json:"roles,omitempty"`
	AcceptedTOS  *bool    `json:"acceptedTOS,omitempty"`
	Disabled     *bool    `json:"disabled,omitempty"`
}

// String masks the password so that a stray %v never prints it.
func (u CreateUser) String() string {
	return "CreateUser{id=" + u.ID + " organisation=" + u.Organisation + " password=********}"
}

// User is the created user as the API returns it: the request's fields plus
// the entity meta.
type User struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Organisation  string   `json:"organisation"`
	CXoneEmail    string   `json:"cxoneEmail,omitempty"`
	CXoneID       string   `json:"cxoneId,omitempty"`
	Roles         []string `json:"roles"`
	AcceptedTOS   bool     `json:"acceptedTOS"`
	Disabled      bool     `json:"disabled"`
	MongoID       string   `json:"_id"`
	CreatedAt     int64    `json:"createdAt"`
	LastChanged   int64    `json:"lastChanged"`
	CreatedBy     string   `json:"createdBy"`
	LastChangedBy string   `json:"lastChangedBy"`
}

// UserList is the answer of GET /management/v2.0/users.
type UserList struct {
	Items    []User `json:"items"`
	Total    int    `json:"total"`
	Next     string `json:"next,omitempty"`
	Previous string `json:"previous,omitempty"`
}

// Problem is an RFC 7807 error body (application/problem+json).
type Problem struct {
	Type    string `json:"type,omitempty"`
	Title   string `json:"title,omitempty"`
	Status  int    `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Code    int    `json:"code,omitempty"`
	TraceID string `json:"traceId,omitempty"`
}

// PasswordPolicy is an organisation's password policy.
type PasswordPolicy struct {
	MinLength       int `json:"minLength"`
	MaxLength       int `json:"maxLength"`
	MinLowerCase    int `json:"minLowerCase"`
	MinUpperCase    int `json:"minUpperCase"`
	MinDigits       int `json:"minDigits"`
	MinSpecialChars int `json:"minSpecialChars"`
}

// Organisation is one item of GET /management/v2.0/organisations.
type Organisation struct {
	ID             string         `json:"_id"`
	Name           string         `json:"name"`
	PasswordPolicy PasswordPolicy `json:"passwordPolicy"`
	QuotaMaxUsers  int            `json:"quotaMaxUsers"`
}

// OrganisationList is the answer of GET /management/v2.0/organisations.
type OrganisationList struct {
	Items []Organisation `json:"items"`
	Total int            `json:"total"`
}
