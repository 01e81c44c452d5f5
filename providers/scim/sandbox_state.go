package scim

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

var _ providers.StatefulSandbox = (*Sandbox)(nil)

// sandboxState is what a saved SCIM sandbox holds: each user's id,
// attributes, password (the tenant is fake) and meta (created, version,
// location, which keeps the host of the run that made the user, as a real
// service's would), and the sequence behind the ids, so new users never
// reuse one.
type sandboxState struct {
	Users    []savedUser `json:"users"`
	Sequence uint64      `json:"sequence"`
}

type savedUser struct {
	ID       string         `json:"id"`
	Attrs    map[string]any `json:"attributes"`
	Password string         `json:"password,omitempty"`
	Created  time.Time      `json:"created"`
	Version  string         `json:"version"`
	Location string         `json:"location"`
}

// SaveState writes the service's users (providers.StatefulSandbox).
func (s *Sandbox) SaveState(w io.Writer) error {
	s.mu.Lock()
	st := sandboxState{Users: make([]savedUser, len(s.users)), Sequence: s.ids.Last()}
	for i, u := range s.users {
		st.Users[i] = savedUser{ID: u.id, Attrs: u.attrs, Password: u.password, Created: u.created, Version: u.version, Location: u.location}
	}
	// Encoded under the lock: attrs are shared with the live users.
	defer s.mu.Unlock()
	return sandboxkit.SaveState(w, Name, st)
}

// LoadState replaces the service's users with saved ones and rebuilds the
// userName and id indexes (providers.StatefulSandbox).
func (s *Sandbox) LoadState(r io.Reader) error {
	var st sandboxState
	if err := sandboxkit.LoadState(r, Name, &st); err != nil {
		return err
	}
	users := make([]*user, len(st.Users))
	byName := map[string][]int{}
	byID := make(map[string]int, len(st.Users))
	for i, su := range st.Users {
		name, _ := su.Attrs["userName"].(string)
		if su.ID == "" || name == "" {
			return fmt.Errorf("%s sandbox: state: user %d has no id or no userName", Name, i+1)
		}
		if _, dup := byID[su.ID]; dup {
			return fmt.Errorf("%s sandbox: state: id %q twice", Name, su.ID)
		}
		users[i] = &user{id: su.ID, attrs: su.Attrs, password: su.Password, created: su.Created, version: su.Version, location: su.Location}
		byID[su.ID] = i
		key := strings.ToLower(name)
		byName[key] = append(byName[key], i)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byName, s.byID = users, byName, byID
	s.ids.Restore(st.Sequence)
	return nil
}
