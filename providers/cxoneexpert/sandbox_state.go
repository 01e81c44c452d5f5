package cxoneexpert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

var _ providers.StatefulSandbox = (*Sandbox)(nil)

// sandboxState is what a saved CXone Expert sandbox holds: the users made
// through the API (the site's own admin is seeded by every sandbox), each
// with the hash of its password. Their order is kept: a new user's id is
// its position, so loaded users keep theirs and new ones follow.
type sandboxState struct {
	Users []savedUser `json:"users"`
}

type savedUser struct {
	User         api.User `json:"user"`
	PasswordHash string   `json:"password_sha256,omitempty"` // hex; empty when the user has none
}

// SaveState writes the users made through the API
// (providers.StatefulSandbox).
func (s *Sandbox) SaveState(w io.Writer) error {
	s.mu.Lock()
	st := sandboxState{Users: []savedUser{}}
	for _, u := range s.users {
		if u.seeded {
			continue
		}
		su := savedUser{User: u.user}
		if u.hasPw {
			su.PasswordHash = hex.EncodeToString(u.hash[:])
		}
		st.Users = append(st.Users, su)
	}
	s.mu.Unlock()
	return sandboxkit.SaveState(w, Name, st)
}

// LoadState replaces the users made through the API with saved ones; the
// seeded admin stays (providers.StatefulSandbox).
func (s *Sandbox) LoadState(r io.Reader) error {
	var st sandboxState
	if err := sandboxkit.LoadState(r, Name, &st); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var users []*sandboxUser
	for _, u := range s.users {
		if u.seeded {
			users = append(users, u)
		}
	}
	for _, su := range st.Users {
		// Ids are positions (see post): a saved user must sit where its id says.
		if want := strconv.Itoa(len(users) + 1); su.User.ID != want {
			return fmt.Errorf("%s sandbox: state: user %q has id %q where %q was expected", Name, su.User.Username, su.User.ID, want)
		}
		if su.User.Username == "" {
			return fmt.Errorf("%s sandbox: state: user %s has no username", Name, su.User.ID)
		}
		u := &sandboxUser{user: su.User}
		if su.PasswordHash != "" {
			h, err := hex.DecodeString(su.PasswordHash)
			if err != nil || len(h) != sha256.Size {
				return fmt.Errorf("%s sandbox: state: user %s: password_sha256 is not a SHA-256 in hex", Name, su.User.ID)
			}
			copy(u.hash[:], h)
			u.hasPw = true
		}
		users = append(users, u)
	}
	s.users = users
	return nil
}
