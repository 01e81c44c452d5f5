package scim_test

import (
	"fmt"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/providertest"
	"github.com/onboardhq/onboard/providers/scim"
)

func valid(i int) providers.Record {
	return providers.Record{
		"userName":        fmt.Sprintf("User%d@Example.com", i),
		"name.givenName":  "Agent",
		"name.familyName": fmt.Sprintf("Number %d", i),
		"email":           fmt.Sprintf("user%d@example.com", i),
		"active":          true,
		"password":        fmt.Sprintf("S3cret-pass-%d", i),
		"department":      "Sales",
	}
}

func TestConformance(t *testing.T) {
	short := valid(9)
	short["password"] = "Sh0rt!"
	providertest.Run(t, scim.New(), providertest.Fixture{
		Valid:           valid,
		Rejected:        short,
		RejectedMessage: "password does not satisfy the password policy",
		Offline:         providers.Record{"userName": "x", "email": "not-an-email"},
		OfflineField:    "email",
	})
}
