package api_test

import (
	"encoding/json"
	"testing"

	"github.com/onboardhq/onboard/providers/scim/api"
)

// TestErrorStatus: the RFC writes status as a string, some services as a
// number; both read the same, and it is written as the RFC's string.
func TestErrorStatus(t *testing.T) {
	for _, body := range []string{
		`{"schemas":["` + api.ErrorSchema + `"],"status":"409","scimType":"uniqueness","detail":"taken"}`,
		`{"schemas":["` + api.ErrorSchema + `"],"status":409,"scimType":"uniqueness","detail":"taken"}`,
	} {
		var e api.Error
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatal(err)
		}
		if e.Status != "409" || e.ScimType != "uniqueness" || e.Detail != "taken" {
			t.Fatalf("%s read as %+v", body, e)
		}
		out, _ := json.Marshal(e)
		if want := `{"schemas":["` + api.ErrorSchema + `"],"status":"409","scimType":"uniqueness","detail":"taken"}`; string(out) != want {
			t.Fatalf("written as %s", out)
		}
	}
}

// TestUserOmitsEmpty: an unmapped attribute is never sent as "".
func TestUserOmitsEmpty(t *testing.T) {
	out, _ := json.Marshal(api.User{Schemas: []string{api.UserSchema}, UserName: "a"})
	if want := `{"schemas":["` + api.UserSchema + `"],"userName":"a"}`; string(out) != want {
		t.Fatalf("%s", out)
	}
	if s := (api.User{UserName: "a", Password: "secret"}).String(); s != "User{userName=a password=********}" {
		t.Fatalf("String() = %s", s)
	}
}
