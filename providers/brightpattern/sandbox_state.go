package brightpattern

import (
	"errors"
	"io"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

var _ providers.StatefulSandbox = (*Sandbox)(nil)

// sandboxState is what a saved Bright Pattern sandbox holds: its users as
// the API shows them. The extensions in use and the login index follow from
// them; tokens are not kept (a new run signs in again).
type sandboxState struct {
	Users []api.User `json:"users"`
}

// SaveState writes the tenant's users (providers.StatefulSandbox).
func (s *Sandbox) SaveState(w io.Writer) error {
	s.mu.Lock()
	st := sandboxState{Users: append([]api.User{}, s.users...)}
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
	byLogin := make(map[string]int, len(st.Users))
	extensions := make(map[string]bool, len(st.Users))
	for i, u := range st.Users {
		if u.LoginID == "" {
			return errors.New(Name + " sandbox: state: a user without a loginId")
		}
		byLogin[strings.ToLower(u.LoginID)] = i
		if u.Extension != "" {
			extensions[u.Extension] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byLogin, s.extensions = st.Users, byLogin, extensions
	return nil
}
