package cxengage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
	"github.com/onboardhq/onboard/providers/providertest"
)

func valid(i int) providers.Record {
	return providers.Record{
		"email":             fmt.Sprintf("agent%d@example.com", i),
		"roleId":            cxengage.SandboxRoleAgent,
		"firstName":         "Agent",
		"lastName":          fmt.Sprintf("Number %d", i),
		"externalId":        fmt.Sprintf("E%04d", i),
		"status":            "enabled",
		"personalTelephone": fmt.Sprintf("+4420794609%02d", i),
		"additionalRoleIds": []string{cxengage.SandboxRoleReporting},
	}
}

func TestConformance(t *testing.T) {
	unknownRole := valid(9)
	unknownRole["roleId"] = "00000000-0000-4000-8000-000000000000"
	badPhone := valid(1)
	badPhone["personalTelephone"] = "12345"
	providertest.Run(t, cxengage.New(), providertest.Fixture{
		Valid:           valid,
		Rejected:        unknownRole,
		RejectedMessage: "is not a platform role",
		Offline:         badPhone,
		OfflineField:    "personalTelephone",
	})
}

// check runs the offline validation as the pipeline does.
func check(rec providers.Record, opts providers.Options) []providers.FieldError {
	p := cxengage.New()
	return append(providers.CheckFields(p.Describe(), rec), p.Validate(rec, opts)...)
}

func TestOfflineValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(providers.Record)
		field string // "" means valid
	}{
		{"valid", func(providers.Record) {}, ""},
		{"minimal", func(r providers.Record) {
			for k := range r {
				if k != "email" && k != "roleId" {
					delete(r, k)
				}
			}
		}, ""},
		{"missing email", func(r providers.Record) { delete(r, "email") }, "email"},
		{"email without @", func(r providers.Record) { r["email"] = "agent.example.com" }, "email"},
		{"email with a display name", func(r providers.Record) { r["email"] = "Agent <agent@example.com>" }, "email"},
		{"email without a dotted domain", func(r providers.Record) { r["email"] = "agent@localhost" }, "email"},
		{"email with spaces", func(r providers.Record) { r["email"] = " agent@example.com" }, "email"},
		{"missing roleId", func(r providers.Record) { r["roleId"] = "" }, "roleId"},
		{"roleId by name", func(r providers.Record) { r["roleId"] = "Agent" }, "roleId"},
		{"additional role not a UUID", func(r providers.Record) {
			r["additionalRoleIds"] = []string{cxengage.SandboxRoleSupervisor, "reporting"}
		}, "additionalRoleIds"},
		// No enum is documented (the docs type status boolean and send
		// "enabled"): any text goes to the vendor.
		{"status not in the sandbox's list", func(r providers.Record) { r["status"] = "active" }, ""},
		{"status as boolean", func(r providers.Record) { r["status"] = true }, "status"},
		{"unknown field", func(r providers.Record) { r["extension"] = "1234" }, "extension"},
		{"blank phone is dropped", func(r providers.Record) { r["personalTelephone"] = "  " }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := valid(1)
			tt.edit(rec)
			errs := check(rec, nil)
			if tt.field == "" {
				if len(errs) != 0 {
					t.Fatalf("want no problem, got %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Field == tt.field {
					return
				}
			}
			t.Fatalf("want a problem with %q, got %v", tt.field, errs)
		})
	}
}

func TestPhoneNormalisation(t *testing.T) {
	tests := []struct {
		name, raw, region string
		want              string // E.164 when valid
		errHas            string // part of the message when invalid
	}{
		{"GB national", "020 7946 0958", "GB", "+442079460958", ""},
		{"GB national, lower-case region", "(020) 7946 0958", "gb", "+442079460958", ""},
		{"GB with 00 prefix", "0044 20 7946 0958", "GB", "+442079460958", ""},
		{"US national", "(415) 555-2671", "US", "+14155552671", ""},
		{"already E.164, no region", "+14155552671", "", "+14155552671", ""},
		{"international with spaces, no region", "+44 (0)20 7946 0958", "", "+442079460958", ""},
		{"international ignores region", "+1 415 555 2671", "GB", "+14155552671", ""},
		{"too short", "12345", "GB", "", "not a valid phone number in region GB"},
		{"US number read as GB", "(415) 555-2671", "GB", "", "not a valid phone number in region GB"},
		// Only the E.164 form is documented: a number written with +country
		// code is sent even where the phone metadata thinks it too short.
		{"short international", "+44 20 7946", "", "+44207946", ""},
		{"too long for E.164", "+44 20 7946 0958 1234 5", "", "", "E.164 form"},
		{"national without region", "020 7946 0958", "", "", "set options.default_region"},
		{"unknown region", "020 7946 0958", "XX", "", "not a region code"},
		{"extension", "+44 20 7946 0958 ext. 12", "", "", "extension"},
		{"not a number", "ask reception", "GB", "", `"ask reception" is not a phone number`},
		{"unknown country code", "+999 1234 5678", "", "+99912345678", ""},
		{"letters after +", "+44 call me", "", "", "E.164 form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := providers.Record{"email": "a@example.com", "roleId": cxengage.SandboxRoleAgent, "personalTelephone": tt.raw}
			var opts providers.Options
			if tt.region != "" {
				opts = providers.Options{"default_region": tt.region}
			}
			errs := check(rec, opts)
			if tt.errHas == "" {
				if len(errs) != 0 {
					t.Fatalf("want no problem, got %v", errs)
				}
				if got := rec.String("personalTelephone"); got != tt.want {
					t.Fatalf("personalTelephone = %q, want %q (normalised in place)", got, tt.want)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != "personalTelephone" || !strings.Contains(errs[0].Msg, tt.errHas) {
				t.Fatalf("got %v, want one personalTelephone problem containing %q", errs, tt.errHas)
			}
			if got := rec.String("personalTelephone"); got != tt.raw {
				t.Fatalf("a refused number was changed to %q", got)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tenant := func(kv ...string) providers.Options {
		o := providers.Options{"tenant_id": cxengage.SandboxTenantID, "tenant_role_id": cxengage.SandboxTenantRoleAgent}
		for i := 0; i+1 < len(kv); i += 2 {
			o[kv[i]] = kv[i+1]
		}
		return o
	}
	tests := []struct {
		name   string
		opts   providers.Options
		errHas string
	}{
		{"none", nil, ""},
		{"region", providers.Options{"default_region": "gb"}, ""},
		{"empty values", providers.Options{"default_region": "", "tenant_id": ""}, ""},
		{"bad region", providers.Options{"default_region": "England"}, "not a region code"},
		{"unknown option", providers.Options{"tenant": cxengage.SandboxTenantID}, `unknown option tenant (known: default_region, tenant_id, tenant_role_id, tenant_status)`},
		{"tenant step", tenant(), ""},
		{"tenant step invited", tenant("tenant_status", "invited"), ""},
		{"tenant step accepted", tenant("tenant_status", "accepted"), ""},
		{"tenant id not a UUID", tenant("tenant_id", "sandbox"), "options.tenant_id"},
		{"tenant role missing", providers.Options{"tenant_id": cxengage.SandboxTenantID}, "options.tenant_role_id (the users' role in that tenant) is required"},
		{"tenant role not a UUID", tenant("tenant_role_id", "Agent"), "options.tenant_role_id"},
		{"tenant status unknown", tenant("tenant_status", "invite"), `options.tenant_status "invite" is not accepted`},
		{"tenant status pending", tenant("tenant_status", "pending"), "is not accepted"},
		{"tenant role without tenant", providers.Options{"tenant_role_id": cxengage.SandboxTenantRoleAgent}, "need options.tenant_id"},
		{"tenant status without tenant", providers.Options{"tenant_status": "invited"}, "need options.tenant_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cxengage.New().NewClient(providers.Config{
				Endpoint: "https://api.cxengage.net",
				Auth:     map[string]string{"username": "u", "password": "p"},
				Options:  tt.opts,
			})
			if tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("got %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}

func TestNewClientChecksAuthAndEndpoint(t *testing.T) {
	p := cxengage.New()
	for _, tt := range []struct {
		name     string
		endpoint string
		auth     map[string]string
		errHas   string
	}{
		{"missing password", "https://api.cxengage.net", map[string]string{"username": "u"}, "credentials missing"},
		{"typo in auth", "https://api.cxengage.net", map[string]string{"username": "u", "passwd": "p"}, "unknown auth setting"},
		{"not a URL", "api.cxengage.net", map[string]string{"username": "u", "password": "p"}, "not an http(s) URL"},
		{"api key", "https://eu-west-1-prod-api.cxengage.net/v1/", map[string]string{"api_key": "k", "api_secret": "s"}, ""},
	} {
		_, err := p.NewClient(providers.Config{Endpoint: tt.endpoint, Auth: tt.auth})
		if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.errHas)
		}
	}
}

func TestPreview(t *testing.T) {
	p := cxengage.New()
	out, err := p.Preview(valid(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "POST /v1/users\n{\n  \"email\": \"agent1@example.com\",\n  \"roleId\": ") || strings.Contains(out, "tenants") {
		t.Fatalf("preview =\n%s", out)
	}
	out, err = p.Preview(valid(1), providers.Options{"tenant_id": cxengage.SandboxTenantID, "tenant_role_id": cxengage.SandboxTenantRoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	want := "POST /v1/tenants/" + cxengage.SandboxTenantID + "/users\n{\n  \"email\": \"agent1@example.com\",\n  \"roleId\": \"" +
		cxengage.SandboxTenantRoleAgent + "\",\n  \"status\": \"accepted\"\n}\n"
	if !strings.HasSuffix(out, want) || !strings.Contains(out, "only if that created the user") {
		t.Fatalf("preview with the tenant step =\n%s\nwant it to end with\n%s", out, want)
	}
	if _, err := p.Preview(valid(1), providers.Options{"tenant_status": "invited"}); err == nil {
		t.Fatal("preview accepted tenant_status without tenant_id")
	}
}

// recorded is what a recording wrapper saw of one request.
type recorded struct {
	method, path, query, ctype, accept, user, pass string
	body                                           map[string]any
}

// recordingServer serves h and records every request it passes on.
func recordingServer(t *testing.T, h http.Handler) (*httptest.Server, *[]recorded) {
	t.Helper()
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := recorded{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, ctype: r.Header.Get("Content-Type"), accept: r.Header.Get("Accept")}
		rec.user, rec.pass, _ = r.BasicAuth()
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &rec.body); err != nil {
				t.Errorf("body is not JSON: %v", err)
			}
		}
		got = append(got, rec) // the test client sends one request at a time
		r.Body = io.NopCloser(bytes.NewReader(raw))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// TestRequestOnTheWire asserts on what the vendor receives: Basic auth, JSON,
// exactly the mapped fields, and the phone number in E.164 although the CSV
// had it in national form.
func TestRequestOnTheWire(t *testing.T) {
	sb := cxengage.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv, got := recordingServer(t, sb)
	opts := providers.Options{"default_region": "GB"}
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL + "/", Auth: sb.Credentials(), Options: opts, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rec := providers.Record{
		"email": "jose.garcia@example.com", "roleId": cxengage.SandboxRoleSupervisor, "firstName": "José", "lastName": "García",
		"status": "enabled", "personalTelephone": "020 7946 0958", "additionalRoleIds": []string{cxengage.SandboxRoleReporting},
	}
	if errs := check(rec, opts); len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err := c.Create(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	users := sb.Users()
	if len(users) != 1 || res.Status != providers.StatusCreated || res.VendorID != users[0].ID || res.VendorID == "" {
		t.Fatalf("result %+v, sandbox users %+v", res, users)
	}
	if users[0].PersonalTelephone == nil || *users[0].PersonalTelephone != "+442079460958" {
		t.Fatalf("the sandbox stored phone %v, want +442079460958", users[0].PersonalTelephone)
	}
	if len(*got) != 1 {
		t.Fatalf("%d requests, want 1 (no tenant step by default)", len(*got))
	}
	r := (*got)[0]
	if r.method != http.MethodPost || r.path != "/v1/users" || r.ctype != "application/json" || r.accept != "application/json" ||
		r.user != cxengage.SandboxUsername || r.pass != cxengage.SandboxPassword {
		t.Fatalf("request = %+v", r)
	}
	want := map[string]any{"email": "jose.garcia@example.com", "roleId": cxengage.SandboxRoleSupervisor, "firstName": "José", "lastName": "García",
		"status": "enabled", "personalTelephone": "+442079460958", "additionalRoleIds": []any{cxengage.SandboxRoleReporting}}
	if fmt.Sprint(r.body) != fmt.Sprint(want) {
		t.Fatalf("body = %v\nwant   %v", r.body, want)
	}

	// Lookup asks by e-mail.
	if _, found, err := c.Lookup(context.Background(), rec); err != nil || !found {
		t.Fatalf("lookup: %v %v", found, err)
	}
	if q := (*got)[1].query; q != "email=jose.garcia%40example.com" {
		t.Fatalf("lookup query = %q", q)
	}
}

func TestAPIKeyAuth(t *testing.T) {
	srv, got := recordingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"result":{"id":"b4aaa3a0-33c3-11e6-af8f-5347eb4882ad","status":true}}`)
	}))
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL + "/v1", Auth: map[string]string{"api_key": "key-id", "api_secret": "key-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Create(context.Background(), valid(1))
	if err != nil {
		t.Fatal(err)
	}
	// 201 is success too, and a status typed boolean (as documented) does
	// not hide the id.
	if res.Status != providers.StatusCreated || res.VendorID != "b4aaa3a0-33c3-11e6-af8f-5347eb4882ad" || res.HTTPStatus != 201 {
		t.Fatalf("result = %+v", res)
	}
	if r := (*got)[0]; r.user != "key-id" || r.pass != "key-secret" || r.path != "/v1/users" {
		t.Fatalf("request = %+v", r)
	}
}

func TestSandboxRules(t *testing.T) {
	sb := cxengage.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	do := func(method, path, body, ctype string, auth bool) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if auth {
			req.SetBasicAuth(cxengage.SandboxUsername, cxengage.SandboxPassword)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
		}
		return resp.StatusCode, out
	}
	const js = "application/json"
	agent, tenantUsers := cxengage.SandboxRoleAgent, "/v1/tenants/"+cxengage.SandboxTenantID+"/users"
	tests := []struct {
		name, method, path, body, ctype string
		auth                            bool
		status                          int
		shape                           string // of "error": object, string or array
		has                             string
	}{
		{"no auth", "POST", "/v1/users", `{}`, js, false, 401, "string", "Invalid username or password"},
		{"unknown route", "GET", "/v1/queues", ``, "", true, 404, "string", "Not found"},
		{"wrong method", "DELETE", "/v1/users", ``, "", true, 405, "string", "Method not allowed"},
		{"form body", "POST", "/v1/users", `email=a`, "application/x-www-form-urlencoded", true, 415, "string", "application/json"},
		{"unknown field", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","nick":"a"}`, js, true, 400, "object", "unknown field"},
		{"status as boolean", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","status":true}`, js, true, 400, "object", "status"},
		{"several problems", "POST", "/v1/users", `{"email":"nope","roleId":"Agent"}`, js, true, 400, "array", "roleId must be a valid UUID"},
		{"missing email", "POST", "/v1/users", `{"roleId":"` + agent + `"}`, js, true, 400, "object", "email is required"},
		{"unknown role", "POST", "/v1/users", `{"email":"a@x.com","roleId":"00000000-0000-4000-8000-000000000000"}`, js, true, 400, "object", "is not a platform role"},
		{"unknown additional role", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","additionalRoleIds":["` + cxengage.SandboxTenantRoleAgent + `"]}`, js, true, 400, "object", "additionalRoleIds[0]"},
		{"national phone", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","personalTelephone":"020 7946 0958"}`, js, true, 400, "object", "E.164"},
		{"bad status", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","status":"active"}`, js, true, 400, "object", "status must be one of enabled, disabled, pending"},
		{"ok", "POST", "/v1/users", `{"email":"a@x.com","roleId":"` + agent + `","personalTelephone":"+442079460958"}`, js, true, 200, "", ""},
		{"duplicate in another case", "POST", "/v1/users", `{"email":"A@X.com","roleId":"` + agent + `"}`, js, true, 400, "object", "already exists"},
		{"unknown tenant", "GET", "/v1/tenants/00000000-0000-4000-8000-000000000000", ``, "", true, 404, "object", "Tenant not found"},
		{"tenant", "GET", "/v1/tenants/" + cxengage.SandboxTenantID, ``, "", true, 200, "", ""},
		{"tenant add of a stranger", "POST", tenantUsers, `{"email":"b@x.com","roleId":"` + cxengage.SandboxTenantRoleAgent + `","status":"accepted"}`, js, true, 400, "object", "No platform user"},
		{"tenant add with a platform role", "POST", tenantUsers, `{"email":"a@x.com","roleId":"` + agent + `","status":"pending"}`, js, true, 400, "array", "not a role of this tenant"},
		{"tenant add", "POST", tenantUsers, `{"email":"a@x.com","roleId":"` + cxengage.SandboxTenantRoleAgent + `","status":"invited"}`, js, true, 200, "", ""},
		{"tenant add again", "POST", tenantUsers, `{"email":"A@x.com","roleId":"` + cxengage.SandboxTenantRoleAgent + `","status":"accepted"}`, js, true, 409, "object", "already a member"},
	}
	for _, tt := range tests {
		status, out := do(tt.method, tt.path, tt.body, tt.ctype, tt.auth)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%v)", tt.name, status, tt.status, out)
			continue
		}
		if tt.shape == "" {
			if _, ok := out["result"]; !ok {
				t.Errorf("%s: no result in %v", tt.name, out)
			}
			continue
		}
		shape := map[string]bool{"object": false, "string": false, "array": false}
		switch out["error"].(type) {
		case map[string]any:
			shape["object"] = true
		case string:
			shape["string"] = true
		case []any:
			shape["array"] = true
		}
		if !shape[tt.shape] || !strings.Contains(fmt.Sprint(out["error"]), tt.has) {
			t.Errorf("%s: error %#v, want a %s containing %q", tt.name, out["error"], tt.shape, tt.has)
		}
	}
	if n := len(sb.Users()); n != 1 {
		t.Fatalf("sandbox holds %d users, want 1", n)
	}
	if sb.TenantAdditions() != 1 || sb.Invitations() != 1 {
		t.Fatalf("tenant additions %d, invitations %d; want 1 and 1", sb.TenantAdditions(), sb.Invitations())
	}

	// The created user is shaped like the documented sample response.
	_, out := do("GET", "/v1/users?email=a@x.com", "", "", true)
	list := out["result"].([]any)
	u := list[0].(map[string]any)
	for _, k := range []string{"aliasPlatformUserId", "email", "defaultTenant", "createdBy", "additionalRoleIds", "personalTelephone", "updated",
		"resetPasswordExpiryDate", "firstName", "created", "hasPassword", "externalId", "updatedBy", "status", "id", "lastName", "roleId"} {
		if _, ok := u[k]; !ok {
			t.Errorf("user lacks %q: %v", k, u)
		}
	}
	if u["status"] != "enabled" || u["personalTelephone"] != "+442079460958" || u["defaultTenant"] != nil {
		t.Errorf("user = %v", u)
	}
}

func TestLookupComparesExactly(t *testing.T) {
	sb, c := providertest.Start(t, cxengage.New(), providers.SandboxOptions{})
	ctx := context.Background()
	long := valid(1)
	long["email"] = "anna.smith-jones@example.com"
	if _, err := c.Create(ctx, long); err != nil {
		t.Fatal(err)
	}
	short := valid(2)
	short["email"] = "smith-jones@example.com" // a part of the first, which the filter matches
	if _, found, err := c.Lookup(ctx, short); err != nil || found {
		t.Fatalf("partial match reported as found=%v err=%v", found, err)
	}
	upper := valid(1)
	upper["email"] = "Anna.Smith-Jones@EXAMPLE.com"
	res, found, err := c.Lookup(ctx, upper)
	if err != nil || !found || res.Status != providers.StatusExists || res.VendorID != sb.(*cxengage.Sandbox).Users()[0].ID {
		t.Fatalf("lookup in another case: %+v %v %v", res, found, err)
	}
}
