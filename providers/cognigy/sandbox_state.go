package cognigy

import (
	"errors"
	"io"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

var _ providers.StatefulSandbox = (*Sandbox)(nil)

// sandboxState is what a saved Cognigy sandbox holds: its users as the API
// shows them, the password each was given (the tenant is fake), and the
// sequence behind the Mongo ids, so new users never reuse one.
type sandboxState struct {
	Users     []api.User        `json:"users"`
	Passwords map[string]string `json:"passwords"` // by lower-cased id
	Sequence  uint64            `json:"sequence"`
}

// SaveState writes the tenant's users (providers.StatefulSandbox).
func (s *Sandbox) SaveState(w io.Writer) error {
	s.mu.Lock()
	st := sandboxState{Users: append([]api.User{}, s.users...), Passwords: map[string]string{}, Sequence: s.ids.Last()}
	for k, v := range s.pwds {
		st.Passwords[k] = v
	}
	s.mu.Unlock()
	return sandboxkit.SaveState(w, Name, st)
}

// LoadState replaces the tenant's users with saved ones
// (providers.StatefulSandbox).
func (s *Sandbox) LoadState(r io.Reader) error {
	var st sandboxState
	if err := sandboxkit.LoadState(r, Name, &st); err != nil {
		return err
	}
	byID := make(map[string]int, len(st.Users))
	for i, u := range st.Users {
		if u.ID == "" {
			return errors.New(Name + " sandbox: state: a user without an id")
		}
		byID[strings.ToLower(u.ID)] = i
	}
	if st.Passwords == nil {
		st.Passwords = map[string]string{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byID, s.pwds = st.Users, byID, st.Passwords
	s.ids.Restore(st.Sequence)
	return nil
}
