package cxengage_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
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
}
