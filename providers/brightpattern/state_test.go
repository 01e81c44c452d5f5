package brightpattern_test

import (
	"testing"

	"github.com/onboardhq/onboard/providers/brightpattern"
	"github.com/onboardhq/onboard/providers/providertest"
)

func TestSandboxState(t *testing.T) {
	providertest.State(t, brightpattern.New(), providertest.Fixture{Valid: valid, NoVendorID: true})
}
