package providers_test

import (
	"errors"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// TestRegistryGetIgnoresCase: `provider: Cognigy` in a job, `onboard init
// COGNIGY`, ` cognigy ` all find the provider; a typo still does not.
func TestRegistryGetIgnoresCase(t *testing.T) {
	r := providers.NewRegistry(cognigy.New())
	for _, name := range []string{"cognigy", "Cognigy", "COGNIGY", " cognigy "} {
		p, err := r.Get(name)
		if err != nil || p.Describe().Name != "cognigy" {
			t.Errorf("Get(%q) = %v, %v; want the cognigy provider", name, p, err)
		}
	}
	var unknown *providers.UnknownProviderError
	if _, err := r.Get("Cognigi"); !errors.As(err, &unknown) || unknown.Name != "Cognigi" {
		t.Errorf("Get(Cognigi) = %v; want an UnknownProviderError naming what was written", err)
	}
}
