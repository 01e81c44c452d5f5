// Package api holds the NICE CXone Expert (MindTouch) users API's wire
// types, apart from the logic that fills and reads them. The API speaks XML.
package api

import "encoding/xml"

// UsersPath is the create path under the site URL; a user is read at
// UsersPath + "/" + id or UsersPath + "/=" + double-encoded username.
const UsersPath = "/@api/deki/users"

// TokenHeader carries a signed server API token.
const TokenHeader = "X-Deki-Token"

// PasswordParam is the query parameter that sets the new account's
// password. Its value must never be logged, so no URL that carries it is
// ever shown.
const PasswordParam = "accountpassword"

// NewUser is the body of a create: POST /@api/deki/users. It has no id
// attribute on purpose: a body with one updates that user instead of
// creating one. The password is not here but in PasswordParam.
type NewUser struct {
	XMLName     xml.Name         `xml:"user"`
	Username    string           `xml:"username"`
	Email       string           `xml:"email,omitempty"`
	Fullname    string           `xml:"fullname,omitempty"`
	Status      string           `xml:"status,omitempty"`
	Permissions *UserPermissions `xml:"permissions.user,omitempty"`
}

// UserPermissions is the <permissions.user> element of a request.
type UserPermissions struct {
	Role string `xml:"role"`
}

// UserDoc is the documented input message in full, as a server reads it:
// the id attribute (present for an update), the authentication service, and
// catch-alls that let a strict reader refuse elements it does not know.
type UserDoc struct {
	XMLName     xml.Name        `xml:"user"`
	ID          string          `xml:"id,attr"`
	Username    string          `xml:"username"`
	Email       *string         `xml:"email"`
	Fullname    *string         `xml:"fullname"`
	Status      *string         `xml:"status"`
	ServiceAuth *Ref            `xml:"service.authentication"`
	Permissions *PermissionsDoc `xml:"permissions.user"`
	Unknown     []AnyElement    `xml:",any"`
}

// PermissionsDoc is <permissions.user> as a server reads it.
type PermissionsDoc struct {
	Role    *string      `xml:"role"`
	Unknown []AnyElement `xml:",any"`
}

// AnyElement records the name of an element nobody asked for.
type AnyElement struct {
	XMLName xml.Name
}

// User is a user as the API returns it (the answer to a create or a read).
// The vendor's id is the id attribute.
type User struct {
	XMLName     xml.Name            `xml:"user"`
	ID          string              `xml:"id,attr"`
	Href        string              `xml:"href,attr,omitempty"`
	Nick        string              `xml:"nick"`
	Username    string              `xml:"username"`
	Email       string              `xml:"email"`
	DateCreated string              `xml:"date.created,omitempty"`
	Fullname    string              `xml:"fullname"`
	Status      string              `xml:"status"`
	ServiceAuth *Ref                `xml:"service.authentication"`
	Permissions *UserPermissionsOut `xml:"permissions.user"`
	Groups      *Groups             `xml:"groups"`
}

// UserPermissionsOut is <permissions.user> in an answer.
type UserPermissionsOut struct {
	Operations *Operations `xml:"operations,omitempty"`
	Role       RoleRef     `xml:"role"`
}

// Operations is a permission mask and its names.
type Operations struct {
	Mask  int    `xml:"mask,attr"`
	Names string `xml:",chardata"`
}

// RoleRef names a role with its id and link.
type RoleRef struct {
	ID   string `xml:"id,attr,omitempty"`
	Href string `xml:"href,attr,omitempty"`
	Name string `xml:",chardata"`
}

// Ref is an element that only points at another resource.
type Ref struct {
	ID   string `xml:"id,attr,omitempty"`
	Href string `xml:"href,attr,omitempty"`
}

// Groups is the (here always empty) list of a user's groups.
type Groups struct{}

// Error is the API's error body: <error><status/><title/><message/></error>.
type Error struct {
	XMLName xml.Name `xml:"error"`
	Status  string   `xml:"status"`
	Title   string   `xml:"title"`
	Message string   `xml:"message"`
}
