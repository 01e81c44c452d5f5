// Package api holds the Bright Pattern Configuration API v2 wire types, apart
// from the logic that fills and reads them. Shapes the vendor does not
// document are marked [?] and decided here, once.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The routes under the tenant's base URL.
const (
	// TokenPath issues OAuth2 tokens (client credentials, form-encoded).
	TokenPath = "/configapi/v2/oauth/token"
	// TeamsPath lists the tenant's teams.
	TeamsPath = "/configapi/v2/team"
	// UserPath creates a user (POST); UserPath + "/" + the path-escaped
	// login id reads (GET) or updates (PUT) one.
	UserPath = "/configapi/v2/user"
)

// GrantClientCredentials is the only grant type the client uses.
const GrantClientCredentials = "client_credentials"

// Token is the token endpoint's answer:
// {"access_token":"..","token_type":"Bearer","expires_in":"3600"}.
type Token struct {
	AccessToken string  `json:"access_token"`
	TokenType   string  `json:"token_type"`
	ExpiresIn   Seconds `json:"expires_in"`
}

// String hides the token so that a stray %v never prints it.
func (t Token) String() string {
	return "Token{type=" + t.TokenType + " expires_in=" + strconv.FormatInt(int64(t.ExpiresIn), 10) + " access_token=********}"
}

// Seconds is a lifetime in whole seconds. The vendor documents it as a JSON
// string ("3600"); a number is accepted too in case a release differs [?].
// It is written as a string, as the vendor does.
type Seconds int64

// UnmarshalJSON reads "3600", 3600 or null (0).
func (s *Seconds) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*s = 0
		return nil
	}
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("expires_in %s is not a number of seconds", string(b))
	}
	*s = Seconds(n)
	return nil
}

// MarshalJSON writes the lifetime as a string, like the vendor.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(s), 10))
}

// OAuthError is the token endpoint's error body (RFC 6749 section 5.2).
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// Team is one item of GET /configapi/v2/team. The list's shape is not
// documented [?]: ParseTeams decides what is accepted.
type Team struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// ParseTeams reads the team names from GET /configapi/v2/team. The shape is
// unconfirmed [?]; this is the one place that decides it. Accepted: a list of
// objects with a "name" (the sandbox's shape), a list of strings, or an
// object wrapping either under "teams", "items" or "data".
func ParseTeams(data []byte) ([]string, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var wrap map[string]json.RawMessage
		if err := json.Unmarshal(data, &wrap); err != nil {
			return nil, fmt.Errorf("team list is not JSON: %w", err)
		}
		for _, k := range []string{"teams", "items", "data"} {
			if raw, ok := wrap[k]; ok {
				return ParseTeams(raw)
			}
		}
		return nil, fmt.Errorf("team list is an object without a teams, items or data list")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("team list is not a JSON list: %w", err)
	}
	names := make([]string, 0, len(items))
	for _, it := range items {
		var name string
		if err := json.Unmarshal(it, &name); err == nil {
			names = append(names, name)
			continue
		}
		var t Team
		if err := json.Unmarshal(it, &t); err != nil || t.Name == "" {
			return nil, fmt.Errorf("team list item %s has no name", snippet(it))
		}
		names = append(names, t.Name)
	}
	return names, nil
}

// CreateUser is the body of POST /configapi/v2/user, in the documented
// order. Absent optional fields are left out, so the vendor applies its own
// defaults (an auto-assigned extension, say).
type CreateUser struct {
	LoginID   string `json:"loginId"`
	Password  string `json:"password,omitempty"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Team      string `json:"team"`
	// Extension is documented as a number but sent as a string ("1072").
	Extension      string         `json:"extension,omitempty"`
	WorkPhone      string         `json:"workPhone,omitempty"`
	MobilePhone    string         `json:"mobilePhone,omitempty"`
	Email          string         `json:"email,omitempty"`
	Disabled       *bool          `json:"disabled,omitempty"`
	ChangePassword *bool          `json:"changePassword,omitempty"`
	Skills         map[string]int `json:"skills,omitempty"`
	Roles          []string       `json:"roles,omitempty"`
}

// String masks the password so that a stray %v never prints it.
func (u CreateUser) String() string {
	return "CreateUser{loginId=" + u.LoginID + " team=" + u.Team + " password=********}"
}

// User is the answer of GET /configapi/v2/user/<loginId>. Its shape is not
// documented [?]: it is taken to be the create body without the password,
// plus possibly an identifier (see VendorID).
type User struct {
	ID             FlexString     `json:"id,omitempty"`
	UserID         FlexString     `json:"userId,omitempty"`
	LoginID        string         `json:"loginId"`
	FirstName      string         `json:"firstName"`
	LastName       string         `json:"lastName"`
	Team           string         `json:"team"`
	Extension      string         `json:"extension,omitempty"`
	WorkPhone      string         `json:"workPhone,omitempty"`
	MobilePhone    string         `json:"mobilePhone,omitempty"`
	Email          string         `json:"email,omitempty"`
	Disabled       bool           `json:"disabled"`
	ChangePassword bool           `json:"changePassword"`
	Skills         map[string]int `json:"skills,omitempty"`
	Roles          []string       `json:"roles,omitempty"`
}

// VendorID returns the user's identifier when the answer carries one ("id",
// else "userId"), or "". Which field holds it, if any, is unconfirmed [?].
func (u User) VendorID() string {
	if u.ID != "" {
		return string(u.ID)
	}
	return string(u.UserID)
}

// FlexString reads a JSON string or number as text (ids may be either).
type FlexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id %s is neither a string nor a number", snippet(b))
		}
		*f = FlexString(n.String())
	}
	return nil
}

func snippet(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}
