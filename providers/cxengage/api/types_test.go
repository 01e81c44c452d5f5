package api_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers/cxengage/api"
)

func attr(name string) api.Attribute { return api.Attribute{Name: name} }

func fields(kv ...string) api.Attribute {
	var a api.Attribute
	for i := 0; i+1 < len(kv); i += 2 {
		a.Fields = append(a.Fields, api.FieldMessage{Field: kv[i], Message: kv[i+1]})
	}
	return a
}

// TestErrorShapes reads every error shape the vendor is known to answer
// with (vendors.md; shark764/cxengage-configuration-ui src/utils/sdk.js).
func TestErrorShapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       api.Errors
		msg        string
		words      []string
	}{
		{"object", `{"error":{"code":400,"message":"email must be a valid email address","attribute":"email"}}`,
			api.Errors{{Code: "400", Message: "email must be a valid email address", Attribute: attr("email")}},
			"email must be a valid email address", []string{"email must be a valid email address", "email"}},
		{"object, attribute not in message", `{"error":{"code":"E_ROLE","message":"not found","attribute":"roleId"}}`,
			api.Errors{{Code: "E_ROLE", Message: "not found", Attribute: attr("roleId")}}, "roleId: not found", []string{"not found", "roleId"}},
		{"attribute as object", `{"error":{"code":400,"message":"Bad Request","attribute":{"email":"already exists"}}}`,
			api.Errors{{Code: "400", Message: "Bad Request", Attribute: fields("email", "already exists")}},
			"Bad Request; email: already exists", []string{"Bad Request", "already exists"}},
		{"attribute as object, no message", `{"error":{"code":400,"attribute":{"externalId":"has the same value as another user","email":"bad"}}}`,
			api.Errors{{Code: "400", Attribute: fields("email", "bad", "externalId", "has the same value as another user")}},
			"email: bad; externalId: has the same value as another user", []string{"bad", "has the same value as another user"}},
		{"attribute object of lists", `{"error":{"code":400,"attribute":{"email":["is required","already registered"]}}}`,
			api.Errors{{Code: "400", Attribute: fields("email", "is required; already registered")}},
			"email: is required; already registered", []string{"is required; already registered"}},
		{"attribute null", `{"error":{"message":"oops","attribute":null}}`, api.Errors{{Message: "oops"}}, "oops", []string{"oops"}},
		{"nested body errors", `{"error":{"code":400,"message":"Request failed","body":{"errors":[{"code":"DUP","title":"Duplicate found"},{"message":"second"}]}}}`,
			api.Errors{{Code: "400", Message: "Request failed", Body: &api.NestedBody{Errors: []api.NestedError{{Code: "DUP", Title: "Duplicate found"}, {Message: "second"}}}}},
			"Request failed; Duplicate found; second", []string{"Request failed", "Duplicate found", "second"}},
		{"string", `{"error":"Invalid username or password"}`,
			api.Errors{{Message: "Invalid username or password"}}, "Invalid username or password", []string{"Invalid username or password"}},
		{"array of objects", `{"error":[{"code":400,"message":"email is required","attribute":"email"},{"code":400,"message":"Role 'x' is not a platform role","attribute":"roleId"}]}`,
			api.Errors{{Code: "400", Message: "email is required", Attribute: attr("email")}, {Code: "400", Message: "Role 'x' is not a platform role", Attribute: attr("roleId")}},
			"email is required; roleId: Role 'x' is not a platform role", []string{"email is required", "email", "Role 'x' is not a platform role", "roleId"}},
		{"array of strings", `{"error":["first problem","second problem"]}`,
			api.Errors{{Message: "first problem"}, {Message: "second problem"}}, "first problem; second problem", []string{"first problem", "second problem"}},
		{"mixed array with null", `{"error":["text",{"message":"obj"},null]}`,
			api.Errors{{Message: "text"}, {Message: "obj"}}, "text; obj", []string{"text", "obj"}},
		{"code only", `{"error":{"code":500}}`, api.Errors{{Code: "500"}}, "code 500", nil},
		{"number", `{"error":42}`, api.Errors{{Message: "42"}}, "42", []string{"42"}},
		{"null", `{"error":null}`, nil, "", nil},
		{"absent", `{"result":{}}`, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b api.ErrorBody
			if err := json.Unmarshal([]byte(tt.body), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Error, tt.want) {
				t.Fatalf("got %#v\nwant %#v", b.Error, tt.want)
			}
			if got := b.Error.Message(); got != tt.msg {
				t.Fatalf("Message() = %q, want %q", got, tt.msg)
			}
			if got := b.Error.Words(); !reflect.DeepEqual(got, tt.words) {
				t.Fatalf("Words() = %q, want %q", got, tt.words)
			}
		})
	}
}

func TestErrorInvalidJSON(t *testing.T) {
	var e api.Errors
	if err := e.UnmarshalJSON([]byte(`{"message":`)); err == nil {
		t.Fatal("want an error for truncated JSON")
	}
}

// TestAttributeRoundTrip: the sandbox writes attributes with the same type
// the client reads them with.
func TestAttributeRoundTrip(t *testing.T) {
	for _, a := range []api.Attribute{attr("email"), fields("email", "already exists")} {
		b, err := json.Marshal(api.ErrorDetail{Message: "m", Attribute: a})
		if err != nil {
			t.Fatal(err)
		}
		var back api.ErrorDetail
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Attribute, a) {
			t.Fatalf("%s read back as %#v (%v)", b, back.Attribute, err)
		}
	}
	b, _ := json.Marshal(api.ErrorDetail{Message: "m"})
	if strings.Contains(string(b), "attribute") {
		t.Fatalf("an absent attribute is written: %s", b)
	}
}

// TestParseCreated: only the documented success shape with an id proves a
// creation.
func TestParseCreated(t *testing.T) {
	tests := []struct {
		name, body string
		id         string // "" means no proof
	}{
		{"documented sample", `{"result":{"aliasPlatformUserId":"533","email":"bjones@email.com","status":"enabled","id":"b4aaa3a0-33c3-11e6-af8f-5347eb4882ad","roleId":"d68381b0-c8fa-11e5-b38c-5347eb4882ad"}}`, "b4aaa3a0-33c3-11e6-af8f-5347eb4882ad"},
		{"status typed boolean", `{"result":{"id":"b4aaa3a0-33c3-11e6-af8f-5347eb4882ad","status":true}}`, "b4aaa3a0-33c3-11e6-af8f-5347eb4882ad"},
		{"empty object", `{}`, ""},
		{"empty result", `{"result":{}}`, ""},
		{"null result", `{"result":null}`, ""},
		{"blank id", `{"result":{"id":"  ","email":"a@b.co"}}`, ""},
		{"list instead of user", `{"result":[{"id":"x"}]}`, ""},
		{"html page", `<!DOCTYPE html><html><body>Sign in to the guest Wi-Fi</body></html>`, ""},
		{"garbage", "\x00\x01\x02", ""},
		{"empty body", ``, ""},
		{"an error answered 200", `{"error":"Something went wrong"}`, ""},
	}
	for _, tt := range tests {
		u, ok := api.ParseCreated([]byte(tt.body))
		if ok != (tt.id != "") || u.ID != tt.id {
			t.Errorf("%s: got %+v %v, want id %q", tt.name, u, ok, tt.id)
		}
	}
}

func TestParseUserList(t *testing.T) {
	tests := []struct {
		name, body string
		n          int // -1 means an error
	}{
		{"one user", `{"result":[{"id":"b4aaa3a0-33c3-11e6-af8f-5347eb4882ad","email":"bjones@email.com"}]}`, 1},
		{"empty list", `{"result":[]}`, 0},
		{"two", `{"result":[{"id":"a","email":"x@y.co"},{"id":"b","email":"z@y.co"}]}`, 2},
		{"no result", `{}`, -1},
		{"null result", `{"result":null}`, -1},
		{"one user, not a list", `{"result":{"id":"a","email":"x@y.co"}}`, -1},
		{"html page", `<html><body>Proxy login</body></html>`, -1},
		{"empty body", ``, -1},
	}
	for _, tt := range tests {
		l, err := api.ParseUserList([]byte(tt.body))
		if tt.n < 0 && err == nil || tt.n >= 0 && (err != nil || len(l) != tt.n) {
			t.Errorf("%s: got %v %v, want %d users", tt.name, l, err, tt.n)
		}
	}
}
