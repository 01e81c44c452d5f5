package cxoneexpert_test

import (
	"testing"

	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/providertest"
)

func TestSandboxState(t *testing.T) {
	providertest.State(t, cxoneexpert.New(), fixture())
}
