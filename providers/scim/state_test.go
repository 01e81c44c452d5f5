package scim_test

import (
	"testing"

	"github.com/onboardhq/onboard/providers/providertest"
	"github.com/onboardhq/onboard/providers/scim"
)

func TestSandboxState(t *testing.T) {
	providertest.State(t, scim.New(), providertest.Fixture{Valid: valid})
}
