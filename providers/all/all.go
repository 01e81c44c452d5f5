// Package all builds the registry of every provider onboard ships. It is an
// explicit function rather than init() side effects (restic's model), so a
// test can build a registry that holds only what it needs.
package all

import (
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern"
	"github.com/onboardhq/onboard/providers/cognigy"
	"github.com/onboardhq/onboard/providers/cxengage"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/scim"
)

// Registry returns a new registry holding every provider.
func Registry() *providers.Registry {
	return providers.NewRegistry(
		brightpattern.New(),
		cognigy.New(),
		cxengage.New(),
		cxoneexpert.New(),
		scim.New(),
	)
}
