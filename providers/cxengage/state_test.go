package cxengage_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
	"github.com/onboardhq/onboard/providers/cxengage/api"
	"github.com/onboardhq/onboard/providers/providertest"
)

func TestSandboxState(t *testing.T) {
	providertest.State(t, cxengage.New(), providertest.Fixture{Valid: valid})
}

// The tenant's members survive a save and load: a second rehearsal with the
// tenant step on finds its users already members, as the vendor would.
func TestSandboxStateKeepsTenantMembers(t *testing.T) {
	first, c := startTenant(t, tenantOpts(), providers.SandboxOptions{Seed: 1}, nil)
	if res, err := c.Create(context.Background(), valid(1)); err != nil || res.Status != providers.StatusCreated {
		t.Fatalf("create: %+v %v", res, err)
	}
	var buf bytes.Buffer
	if err := first.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	second := cxengage.NewSandbox(providers.SandboxOptions{Seed: 1})
	if err := second.LoadState(&buf); err != nil {
		t.Fatal(err)
	}
	want := first.TenantMembers(cxengage.SandboxTenantID)
	if got := second.TenantMembers(cxengage.SandboxTenantID); len(got) != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("members after load = %+v, want %+v", got, want)
	}
	// Adding the loaded member again is refused as the vendor would.
	srv := httptest.NewServer(second)
	t.Cleanup(srv.Close)
	body := `{"email":"AGENT1@example.com","roleId":"` + cxengage.SandboxTenantRoleAgent + `","status":"accepted"}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+api.TenantUsersPath(cxengage.SandboxTenantID), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(cxengage.SandboxUsername, cxengage.SandboxPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("adding a loaded member again: %s, want 409", resp.Status)
	}
}
