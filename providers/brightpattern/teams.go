package brightpattern

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
)

// teamCache holds the tenant's teams, read once per client (in Prepare, or
// by the first Create when Prepare was skipped). A failed read is not kept:
// the next caller tries again.
type teamCache struct {
	sem chan struct{} // held while reading

	mu  sync.Mutex
	set *teamSet
}

// teamSet is the tenant's team names.
type teamSet struct {
	names []string // sorted
	exact map[string]bool
	fold  map[string]string // lower case to the tenant's spelling
}

func newTeamSet(names []string) *teamSet {
	t := &teamSet{exact: map[string]bool{}, fold: map[string]string{}}
	for _, n := range names {
		if t.exact[n] {
			continue
		}
		t.exact[n] = true
		t.fold[strings.ToLower(n)] = n
		t.names = append(t.names, n)
	}
	sort.Strings(t.names)
	return t
}

// check decides whether team names one of the tenant's teams. Names match
// exactly, case included: whether the vendor folds case is unconfirmed [?],
// so a near miss is refused with a hint rather than sent on a guess.
func (t *teamSet) check(team string) error {
	if t.exact[team] {
		return nil
	}
	msg := fmt.Sprintf("team %q does not exist in the tenant", team)
	if near, ok := t.fold[strings.ToLower(strings.TrimSpace(team))]; ok {
		msg += fmt.Sprintf(" (did you mean %q? team names are case-sensitive)", near)
	} else {
		msg += " (known: " + t.known() + ")"
	}
	return &providers.Error{Vendor: Name, Op: "create", Kind: providers.KindRejected, Message: msg}
}

// known lists the team names for a message, at most 20 of them.
func (t *teamSet) known() string {
	const max = 20
	if len(t.names) == 0 {
		return "none"
	}
	if len(t.names) <= max {
		return strings.Join(t.names, ", ")
	}
	return strings.Join(t.names[:max], ", ") + ", … and " + strconv.Itoa(len(t.names)-max) + " more"
}

// teamSet returns the tenant's teams, reading them on first use. Concurrent
// first callers wait for one read.
func (c *client) teamSet(ctx context.Context) (*teamSet, error) {
	c.teams.mu.Lock()
	set := c.teams.set
	c.teams.mu.Unlock()
	if set != nil {
		return set, nil
	}
	select {
	case c.teams.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &providers.Error{Vendor: Name, Op: "teams", Kind: providers.KindRetry, Message: "cancelled while waiting for the team list", Err: ctx.Err()}
	}
	defer func() { <-c.teams.sem }()
	c.teams.mu.Lock()
	set = c.teams.set
	c.teams.mu.Unlock()
	if set != nil {
		return set, nil
	}
	set, err := c.readTeams(ctx)
	if err != nil {
		return nil, err
	}
	c.teams.mu.Lock()
	c.teams.set = set
	c.teams.mu.Unlock()
	return set, nil
}

func (c *client) readTeams(ctx context.Context) (*teamSet, error) {
	resp, data, err := c.send(ctx, "teams", http.MethodGet, api.TeamsPath, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		e := c.statusError("teams", resp, data, "")
		if e.Kind == providers.KindRejected {
			e.Message = strings.TrimSpace(e.Message + " (reading the team list; `options: { " + OptionCheckTeams + ": false }` skips the team check)")
		}
		return nil, e
	}
	names, err := api.ParseTeams(data)
	if err != nil {
		return nil, &providers.Error{Vendor: Name, Op: "teams", Kind: providers.KindRejected, HTTPStatus: resp.StatusCode,
			Message: err.Error() + " (`options: { " + OptionCheckTeams + ": false }` skips the team check)"}
	}
	return newTeamSet(names), nil
}
