package api_test

import (
	"encoding/json"
	"testing"

	"github.com/onboardhq/onboard/providers/cxengage/api"
)

func TestErrorShapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       api.Errors
		msg        string
	}{
		{"object", `{"error":{"code":400,"message":"email must be a valid email address","attribute":"email"}}`,
			api.Errors{{Code: "400", Message: "email must be a valid email address", Attribute: "email"}},
			"email must be a valid email address"},
		{"object, attribute not in message", `{"error":{"code":"E_ROLE","message":"not found","attribute":"roleId"}}`,
			api.Errors{{Code: "E_ROLE", Message: "not found", Attribute: "roleId"}}, "roleId: not found"},
		{"object attribute as object", `{"error":{"message":"invalid","attribute":{"email": "bad"}}}`,
			api.Errors{{Message: "invalid", Attribute: `{"email":"bad"}`}}, `{"email":"bad"}: invalid`},
		{"string", `{"error":"Invalid username or password"}`,
			api.Errors{{Message: "Invalid username or password"}}, "Invalid username or password"},
		{"array of objects", `{"error":[{"code":400,"message":"email is required","attribute":"email"},{"code":400,"message":"Role 'x' is not a platform role","attribute":"roleId"}]}`,
			api.Errors{{Code: "400", Message: "email is required", Attribute: "email"}, {Code: "400", Message: "Role 'x' is not a platform role", Attribute: "roleId"}},
			"email is required; roleId: Role 'x' is not a platform role"},
		{"array of strings", `{"error":["first problem","second problem"]}`,
			api.Errors{{Message: "first problem"}, {Message: "second problem"}}, "first problem; second problem"},
		{"mixed array with null", `{"error":["text",{"message":"obj"},null]}`,
			api.Errors{{Message: "text"}, {Message: "obj"}}, "text; obj"},
		{"code only", `{"error":{"code":500}}`, api.Errors{{Code: "500"}}, "code 500"},
		{"number", `{"error":42}`, api.Errors{{Message: "42"}}, "42"},
		{"null", `{"error":null}`, nil, ""},
		{"absent", `{"result":{}}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b api.ErrorBody
			if err := json.Unmarshal([]byte(tt.body), &b); err != nil {
				t.Fatal(err)
			}
			if len(b.Error) != len(tt.want) {
				t.Fatalf("got %#v, want %#v", b.Error, tt.want)
			}
			for i := range tt.want {
				if b.Error[i] != tt.want[i] {
					t.Fatalf("item %d = %#v, want %#v", i, b.Error[i], tt.want[i])
				}
			}
			if got := b.Error.Message(); got != tt.msg {
				t.Fatalf("Message() = %q, want %q", got, tt.msg)
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
