package cxengage

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

var _ providers.StatefulSandbox = (*Sandbox)(nil)

// sandboxState is what a saved CxEngage sandbox holds: the platform users,
// the tenant members (so a second run's membership step answers "already a
// member" as the vendor would), and the sequence behind the user ids, so
// new users never reuse one. Counters of calls are not state.
type sandboxState struct {
	Users    []api.User                    `json:"users"`
	Members  map[string][]api.TenantMember `json:"members"` // by lower-cased tenant id
	Sequence uint64                        `json:"sequence"`
}

// SaveState writes the tenant's users and members
// (providers.StatefulSandbox).
func (s *Sandbox) SaveState(w io.Writer) error {
	s.mu.Lock()
	st := sandboxState{Users: slices.Clone(s.users), Members: map[string][]api.TenantMember{}, Sequence: s.ids.Last()}
	for t, m := range s.members {
		st.Members[t] = slices.Clone(m)
	}
	s.mu.Unlock()
	return sandboxkit.SaveState(w, Name, st)
}

// LoadState replaces the tenant's users and members with saved ones
// (providers.StatefulSandbox).
func (s *Sandbox) LoadState(r io.Reader) error {
	var st sandboxState
	if err := sandboxkit.LoadState(r, Name, &st); err != nil {
		return err
	}
	byEmail := make(map[string]int, len(st.Users))
	for i, u := range st.Users {
		if u.Email == "" {
			return errors.New(Name + " sandbox: state: a user without an email")
		}
		byEmail[strings.ToLower(u.Email)] = i
	}
	members := map[string][]api.TenantMember{}
	index := map[string]map[string]bool{SandboxTenantID: {}}
	for _, t := range slices.Sorted(maps.Keys(st.Members)) {
		if t != SandboxTenantID {
			return fmt.Errorf("%s sandbox: state: members of tenant %q, which the sandbox does not have", Name, t)
		}
		for _, m := range st.Members[t] {
			if _, ok := byEmail[strings.ToLower(m.Email)]; !ok {
				return fmt.Errorf("%s sandbox: state: member %q is not a platform user", Name, m.Email)
			}
			index[t][strings.ToLower(m.Email)] = true
		}
		members[t] = st.Members[t]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.byEmail, s.members, s.memberIndex = st.Users, byEmail, members, index
	s.ids.Restore(st.Sequence)
	return nil
}
