package cognigy_test

import (
	"testing"

	"github.com/onboardhq/onboard/providers/cognigy"
	"github.com/onboardhq/onboard/providers/providertest"
)

func TestSandboxState(t *testing.T) {
	providertest.State(t, cognigy.New(), providertest.Fixture{Valid: valid})
}
