package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/scim"
	"github.com/onboardhq/onboard/providers/scim/api"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, hdr map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+scim.SandboxToken)
	if body != "" {
		req.Header.Set("Content-Type", api.MediaType)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

const core = `"schemas":["` + api.UserSchema + `"]`

func TestSandboxRules(t *testing.T) {
	sb := scim.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tests := []struct {
		name     string
		body     string
		hdr      map[string]string
		status   int
		scimType string
		detail   string
	}{
		{"ok", `{` + core + `,"userName":"bjensen@example.com","active":true,"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"password":"t1meMa$heen"}`, nil, 201, "", ""},
		{"duplicate in other case", `{` + core + `,"userName":"BJensen@Example.COM"}`, nil, 409, "uniqueness", "already in use"},
		{"no schemas", `{"userName":"a"}`, nil, 400, "invalidSyntax", "'schemas' is required"},
		{"schemas without core", `{"schemas":["` + api.EnterpriseSchema + `"],"userName":"a"}`, nil, 400, "invalidValue", "must list " + api.UserSchema},
		{"unknown schema", `{"schemas":["` + api.UserSchema + `","urn:x"],"userName":"a"}`, nil, 400, "invalidValue", "schema 'urn:x'"},
		{"no userName", `{` + core + `,"displayName":"A"}`, nil, 400, "invalidValue", "'userName' is required"},
		{"blank userName", `{` + core + `,"userName":"  "}`, nil, 400, "invalidValue", "'userName' is required"},
		{"unknown attribute", `{` + core + `,"userName":"a","email":"a@x.com"}`, nil, 400, "invalidSyntax", "unknown attribute 'email'"},
		{"unknown sub-attribute", `{` + core + `,"userName":"a","name":{"first":"A"}}`, nil, 400, "invalidSyntax", "unknown attribute 'name.first'"},
		{"name twice", `{` + core + `,"userName":"a","USERNAME":"b"}`, nil, 400, "invalidSyntax", "more than once"},
		{"active as text", `{` + core + `,"userName":"a","active":"true"}`, nil, 400, "invalidValue", "'active' must be a boolean"},
		{"number as string", `{` + core + `,"userName":"a","title":7}`, nil, 400, "invalidValue", "'title' must be a string"},
		{"emails not an array", `{` + core + `,"userName":"a","emails":{"value":"a@x.com"}}`, nil, 400, "invalidValue", "multi-valued"},
		{"emails of strings", `{` + core + `,"userName":"a","emails":["a@x.com"]}`, nil, 400, "invalidValue", "emails[0] must be an object"},
		{"two primaries", `{` + core + `,"userName":"a","phoneNumbers":[{"value":"1","type":"work","primary":true},{"value":"2","type":"mobile","primary":true}]}`, nil, 400, "invalidValue", "more than one primary"},
		{"non-canonical type", `{` + core + `,"userName":"a","phoneNumbers":[{"value":"1","type":"desk"}]}`, nil, 400, "invalidValue", "type 'desk'"},
		{"bad email", `{` + core + `,"userName":"a","emails":[{"value":"not-an-email","type":"work"}]}`, nil, 400, "invalidValue", "not an e-mail"},
		{"extension not listed", `{` + core + `,"userName":"a","` + api.EnterpriseSchema + `":{"department":"X"}}`, nil, 400, "invalidSyntax", "does not list that extension"},
		{"extension unknown", `{"schemas":["` + api.UserSchema + `","` + api.EnterpriseSchema + `"],"userName":"a","` + api.EnterpriseSchema + `":{"team":"X"}}`, nil, 400, "invalidSyntax", "unknown attribute '" + api.EnterpriseSchema + ":team'"},
		{"manager as text", `{"schemas":["` + api.UserSchema + `","` + api.EnterpriseSchema + `"],"userName":"a","` + api.EnterpriseSchema + `":{"manager":"26118915-6090-4610-87e4-49d8ca9f808d"}}`, nil, 400, "invalidValue", "'" + api.EnterpriseSchema + ":manager' must be an object"},
		{"short password", `{` + core + `,"userName":"a","password":"abc"}`, nil, 400, "invalidValue", "password policy"},
		{"not json", `userName=a`, nil, 400, "invalidSyntax", "not a JSON object"},
		{"form content type", `{` + core + `,"userName":"a"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "", "Content-Type"},
		{"xml accept", `{` + core + `,"userName":"a"}`, map[string]string{"Accept": "application/xml"}, 406, "", "Accept"},
		{"no auth", `{` + core + `,"userName":"a"}`, map[string]string{"Authorization": ""}, 401, "", "Authorization failure"},
		{"wrong token", `{` + core + `,"userName":"a"}`, map[string]string{"Authorization": "Bearer nope"}, 401, "", "Authorization failure"},
		{"basic", `{` + core + `,"userName":"basic-user","id":"chosen-by-client","meta":{"created":"x"},"groups":[{"value":"g"}]}`,
			map[string]string{"Authorization": providers.BasicAuth(scim.SandboxUsername, scim.SandboxPassword)}, 201, "", ""},
		{"json content type", `{` + core + `,"userName":"json-user"}`, map[string]string{"Content-Type": "application/json"}, 201, "", ""},
	}
	for _, tt := range tests {
		a := call(t, srv, http.MethodPost, "/Users", tt.body, tt.hdr)
		if a.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, a.status, tt.status, a.raw)
			continue
		}
		if a.status >= 400 {
			if a.body["status"] != fmt.Sprint(tt.status) || !strings.Contains(fmt.Sprint(a.body["schemas"]), api.ErrorSchema) {
				t.Errorf("%s: error body %s: status must be the string %q and schemas the Error URN", tt.name, a.raw, fmt.Sprint(tt.status))
			}
			if got, _ := a.body["scimType"].(string); got != tt.scimType {
				t.Errorf("%s: scimType %q, want %q", tt.name, got, tt.scimType)
			}
			if !strings.Contains(fmt.Sprint(a.body["detail"]), tt.detail) {
				t.Errorf("%s: detail %q, want %q", tt.name, a.body["detail"], tt.detail)
			}
			continue
		}
		// A created user: Location and ETag, meta, an id chosen by the
		// service, no password.
		id, _ := a.body["id"].(string)
		meta, _ := a.body["meta"].(map[string]any)
		if id == "" || id == "chosen-by-client" || a.header.Get("Location") != srv.URL+"/Users/"+id || a.header.Get("ETag") == "" ||
			meta["resourceType"] != "User" || meta["location"] != a.header.Get("Location") || meta["version"] != a.header.Get("ETag") ||
			meta["created"] == nil || meta["lastModified"] == nil || a.header.Get("Content-Type") != api.MediaType {
			t.Errorf("%s: created answer %v %s", tt.name, a.header, a.raw)
		}
		if _, ok := a.body["password"]; ok || a.body["groups"] != nil {
			t.Errorf("%s: answer holds the password or a readOnly attribute: %s", tt.name, a.raw)
		}
		got := call(t, srv, http.MethodGet, "/Users/"+id, "", nil)
		if got.status != 200 || got.body["userName"] != a.body["userName"] || got.header.Get("ETag") != a.header.Get("ETag") {
			t.Errorf("%s: GET by id: %d %s", tt.name, got.status, got.raw)
		}
	}
	if n := len(sb.Users()); n != 3 {
		t.Fatalf("sandbox holds %d users, want 3", n)
	}
	if !sb.CheckPassword("BJENSEN@example.com", "t1meMa$heen") || sb.CheckPassword("bjensen@example.com", "wrong") {
		t.Fatal("CheckPassword")
	}
	if a := call(t, srv, http.MethodGet, "/Users/nobody", "", nil); a.status != 404 || a.body["status"] != "404" {
		t.Fatalf("unknown id: %d %s", a.status, a.raw)
	}
	if a := call(t, srv, http.MethodDelete, "/Users/x", "", nil); a.status != 501 {
		t.Fatalf("DELETE: %d %s", a.status, a.raw)
	}
	if a := call(t, srv, http.MethodGet, "/ServiceProviderConfig", "", nil); a.status != 200 ||
		!strings.Contains(a.raw, api.ServiceProviderConfigSchema) || !strings.Contains(a.raw, `"maxResults":200`) {
		t.Fatalf("ServiceProviderConfig: %d %s", a.status, a.raw)
	}
}

func TestSandboxFilters(t *testing.T) {
	sb := scim.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	both := `"schemas":["` + api.UserSchema + `","` + api.EnterpriseSchema + `"]`
	for _, body := range []string{
		`{` + both + `,"userName":"bjensen@example.com","externalId":"E1","name":{"familyName":"Jensen"},"active":true,"emails":[{"value":"babs@example.com","type":"work"}],"` + api.EnterpriseSchema + `":{"department":"Tour"}}`,
		`{` + core + `,"userName":"jsmith@example.com","externalId":"e2","active":false}`,
		`{` + core + `,"userName":"say \"hi\" \\o/"}`,
	} {
		if a := call(t, srv, http.MethodPost, "/Users", body, nil); a.status != 201 {
			t.Fatalf("create: %s", a.raw)
		}
	}
	tests := []struct {
		filter string
		want   []string // userNames; nil with bad means invalidFilter
		bad    bool
	}{
		{`userName eq "BJENSEN@example.com"`, []string{"bjensen@example.com"}, false},
		{`USERNAME EQ "jsmith@example.com"`, []string{"jsmith@example.com"}, false},
		{`userName eq "bjensen"`, nil, false},
		{`userName eq "say \"hi\" \\o/"`, []string{`say "hi" \o/`}, false},
		{`userName co "SMITH"`, []string{"jsmith@example.com"}, false},
		{`userName sw "b" or userName ew ".com" and active eq false`, []string{"bjensen@example.com", "jsmith@example.com"}, false},
		{`(userName sw "b" or userName sw "j") and active eq true`, []string{"bjensen@example.com"}, false},
		{`not (active eq true)`, []string{"jsmith@example.com", `say "hi" \o/`}, false},
		{`externalId eq "e1"`, nil, false}, // externalId is caseExact
		{`externalId eq "E1"`, []string{"bjensen@example.com"}, false},
		{`emails.value eq "BABS@example.com"`, []string{"bjensen@example.com"}, false},
		{`emails co "babs"`, []string{"bjensen@example.com"}, false},
		{`name.familyName pr`, []string{"bjensen@example.com"}, false},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jsmith@example.com"`, []string{"jsmith@example.com"}, false},
		{api.EnterpriseSchema + `:department eq "tour"`, []string{"bjensen@example.com"}, false},
		{`meta.resourceType eq "User" and userName sw "j"`, []string{"jsmith@example.com"}, false},
		{`displayName ne "x" and userName sw "j"`, []string{"jsmith@example.com"}, false},
		{`userName eq bjensen`, nil, true},
		{`userName eq "unterminated`, nil, true},
		{`userName equals "a"`, nil, true},
		{`nosuch eq "a"`, nil, true},
		{`password eq "x"`, nil, true},
		{`emails[type eq "work"]`, nil, true},
		{`active gt true`, nil, true},
		{`(userName eq "a"`, nil, true},
		{`userName eq "a" junk`, nil, true},
	}
	for _, tt := range tests {
		a := call(t, srv, http.MethodGet, "/Users?filter="+url.QueryEscape(tt.filter), "", nil)
		if tt.bad {
			if a.status != 400 || a.body["scimType"] != "invalidFilter" {
				t.Errorf("%s: %d %s, want 400 invalidFilter", tt.filter, a.status, a.raw)
			}
			continue
		}
		if a.status != 200 || !strings.Contains(fmt.Sprint(a.body["schemas"]), api.ListResponseSchema) {
			t.Errorf("%s: %d %s", tt.filter, a.status, a.raw)
			continue
		}
		var got []string
		res, _ := a.body["Resources"].([]any)
		for _, r := range res {
			got = append(got, r.(map[string]any)["userName"].(string))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || a.body["totalResults"] != float64(len(tt.want)) {
			t.Errorf("%s: got %v (total %v), want %v", tt.filter, got, a.body["totalResults"], tt.want)
		}
	}
	// Paging: startIndex is 1-based, count caps a page.
	a := call(t, srv, http.MethodGet, "/Users?startIndex=2&count=1", "", nil)
	if a.body["totalResults"] != float64(3) || a.body["itemsPerPage"] != float64(1) || a.body["startIndex"] != float64(2) ||
		a.body["Resources"].([]any)[0].(map[string]any)["userName"] != "jsmith@example.com" {
		t.Fatalf("page: %s", a.raw)
	}
	if a := call(t, srv, http.MethodGet, "/Users?startIndex=9", "", nil); a.status != 200 || len(a.body["Resources"].([]any)) != 0 {
		t.Fatalf("past the end: %s", a.raw)
	}
}

// TestPasswordNeverEchoed: no answer of the sandbox and no client error
// carries the password, whatever the outcome.
func TestPasswordNeverEchoed(t *testing.T) {
	const pw = "Unique-Pa55word-7781"
	for _, dup := range []string{scim.Duplicate409, scim.Duplicate409Bare, scim.Duplicate400} {
		sb := scim.NewSandbox(providers.SandboxOptions{Variants: map[string]string{scim.VariantDuplicate: dup}})
		rec := &recorder{next: sb}
		c := serve(t, rec, nil)
		ctx := context.Background()
		r := valid(1)
		r["password"] = pw
		var errs []string
		for i := 0; i < 2; i++ { // created, then exists
			if _, err := c.Create(ctx, r); err != nil {
				errs = append(errs, err.Error())
			}
		}
		bad := valid(2)
		bad["password"] = pw
		bad["email"] = "no-at-sign" // refused by the service (offline validation aside)
		if _, err := c.Create(ctx, bad); err != nil {
			errs = append(errs, err.Error())
		} else {
			t.Fatal("a bad e-mail was accepted")
		}
		_, _, _ = c.Lookup(ctx, r)
		for _, ex := range rec.all() {
			if strings.Contains(string(ex.answer), pw) {
				t.Fatalf("%s: %s %s answered with the password: %s", dup, ex.method, ex.path, ex.answer)
			}
		}
		for _, u := range sb.Users() {
			if strings.Contains(fmt.Sprint(u), pw) {
				t.Fatalf("a stored user shows the password: %v", u)
			}
		}
		for _, e := range errs {
			if strings.Contains(e, pw) {
				t.Fatalf("error %q holds the password", e)
			}
		}
		if !sb.CheckPassword(r.String("userName"), pw) {
			t.Fatal("the password was not set")
		}
	}
}
