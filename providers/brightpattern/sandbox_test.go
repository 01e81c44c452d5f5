package brightpattern_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern"
)

type rawSandbox struct {
	t   *testing.T
	url string
	hc  *http.Client
}

func (s rawSandbox) do(method, path, ctype, auth, body string) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestSandboxToken(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	s := rawSandbox{t, srv.URL, srv.Client()}
	const fct = "application/x-www-form-urlencoded"
	id, secret := brightpattern.SandboxClientID, brightpattern.SandboxClientSecret
	tests := []struct {
		name, ctype, body string
		status            int
		errCode           string
	}{
		{"ok with the host reached", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", secret, "scope", "127.0.0.1"), 200, ""},
		{"ok with host and port", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", secret, "scope", strings.TrimPrefix(srv.URL, "http://")), 200, ""},
		{"ok with the tenant host", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", secret, "scope", "EXAMPLE.brightpattern.com"), 200, ""},
		{"json body", "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"wrong grant", fct, form("grant_type", "password", "client_id", id, "client_secret", secret, "scope", "127.0.0.1"), 400, "unsupported_grant_type"},
		{"wrong secret", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", "nope", "scope", "127.0.0.1"), 401, "invalid_client"},
		{"wrong scope", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", secret, "scope", "other.example.com"), 400, "invalid_scope"},
		{"no scope", fct, form("grant_type", "client_credentials", "client_id", id, "client_secret", secret), 400, "invalid_scope"},
	}
	for _, tt := range tests {
		status, _, body := s.do("POST", "/configapi/v2/oauth/token", tt.ctype, "", tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
			continue
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Errorf("%s: body %q is not JSON", tt.name, body)
			continue
		}
		if status == 200 {
			if out["token_type"] != "Bearer" || out["expires_in"] != "3600" || out["access_token"] == "" {
				t.Errorf("%s: token answer %v (expires_in must be the string \"3600\")", tt.name, out)
			}
		} else if out["error"] != tt.errCode {
			t.Errorf("%s: error %v, want %s", tt.name, out["error"], tt.errCode)
		}
	}
	if n := sb.Stats().TokenRequests; n != len(tests) {
		t.Fatalf("counted %d token requests, want %d", n, len(tests))
	}
}

func TestSandboxRules(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	s := rawSandbox{t, srv.URL, srv.Client()}
	_, _, body := s.do("POST", "/configapi/v2/oauth/token", "application/x-www-form-urlencoded",
		"", form("grant_type", "client_credentials", "client_id", brightpattern.SandboxClientID, "client_secret", brightpattern.SandboxClientSecret, "scope", "127.0.0.1"))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %q", body)
	}
	bearer := "Bearer " + tok.AccessToken
	const user = `{"loginId":"sheila.thomas","password":"ChangeMe1","firstName":"Sheila","lastName":"Thomas","team":"Customer Service",` +
		`"extension":"1072","workPhone":"4151234567","mobilePhone":"6501234567","email":"sheila.thomas@nowhere.net","disabled":false,` +
		`"changePassword":true,"skills":{"Spanish":100,"English":100},"roles":["Agent","Supervisor"]}`
	edit := func(from, to string) string { return strings.Replace(user, from, to, 1) }
	tests := []struct {
		name, method, path, ctype, auth, body string
		status                                int
		text                                  string
	}{
		{"teams without token", "GET", "/configapi/v2/team", "", "", "", 401, "Unauthorized"},
		{"teams with unknown token", "GET", "/configapi/v2/team", "", "Bearer nope", "", 401, "Unauthorized"},
		{"teams", "GET", "/configapi/v2/team", "", bearer, "", 200, `"name":"Back Office"`},
		{"documented example", "POST", "/configapi/v2/user", "application/json", bearer, user, 200, "OK"},
		{"duplicate, other case", "POST", "/configapi/v2/user", "application/json", bearer, edit("sheila.thomas", "Sheila.Thomas"), 409, "already exists"},
		{"form body", "POST", "/configapi/v2/user", "application/x-www-form-urlencoded", bearer, "loginId=x", 415, "Unsupported Media Type"},
		{"missing team", "POST", "/configapi/v2/user", "application/json", bearer, `{"loginId":"a","firstName":"A","lastName":"B"}`, 400, "Required field is missing: team"},
		{"unknown team", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"Customer Service"`, `"Marketing"`), 404, "user team not found"},
		{"extension with letters", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"1072"`, `"10a2"`), 400, "Invalid extension"},
		{"extension as a number", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"1072"`, `1072`), 400, "field extension must be a string"},
		{"skill level 150", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"Spanish":100`, `"Spanish":150`), 400, "Invalid level 150 of skill 'Spanish'"},
		{"unknown role", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"Supervisor"`, `"Wizard"`), 404, "user role not found: Wizard"},
		{"weak password", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"ChangeMe1"`, `"ChangeMe"`), 400, "password policy"},
		{"unknown field", "POST", "/configapi/v2/user", "application/json", bearer, edit(`"disabled"`, `"nickname":"x","disabled"`), 400, "unknown field"},
		{"get user", "GET", "/configapi/v2/user/SHEILA.THOMAS", "", bearer, "", 200, `"loginId":"sheila.thomas"`},
		{"get absent user", "GET", "/configapi/v2/user/nobody", "", bearer, "", 404, "user not found"},
		{"delete", "DELETE", "/configapi/v2/user/sheila.thomas", "", bearer, "", 405, "Method Not Allowed"},
	}
	for _, tt := range tests {
		status, h, body := s.do(tt.method, tt.path, tt.ctype, tt.auth, tt.body)
		if status != tt.status || !strings.Contains(body, tt.text) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.name, status, body, tt.status, tt.text)
		}
		if tt.name == "documented example" && !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Errorf("success Content-Type = %q, want text/plain", h.Get("Content-Type"))
		}
		if strings.Contains(body, "ChangeMe1") {
			t.Errorf("%s: the answer holds the password: %s", tt.name, body)
		}
	}
	if st := sb.Stats(); st.Created != 1 || len(sb.Users()) != 1 {
		t.Fatalf("stats %+v, users %d; want exactly the documented example", st, len(sb.Users()))
	}
	if sb.Unauthorized() != 2 {
		t.Fatalf("%d 401s counted, want 2", sb.Unauthorized())
	}
}

func TestSandboxAutoExtension(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	c := serve(t, sb)
	for i := 1; i <= 2; i++ {
		rec := valid(i)
		delete(rec, "extension")
		if i == 1 {
			rec["extension"] = "1000" // taken, so auto-assignment starts at 1001
		}
		if _, err := c.Create(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	rec := valid(3)
	delete(rec, "extension")
	if _, err := c.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	var exts []string
	for _, u := range sb.Users() {
		exts = append(exts, u.Extension)
	}
	if strings.Join(exts, ",") != "1000,1001,1002" {
		t.Fatalf("extensions = %v, want 1000,1001,1002", exts)
	}
}

func TestSandboxTokenExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb := brightpattern.NewSandboxWith(providers.SandboxOptions{}, brightpattern.Config{TokenTTL: 10 * time.Minute})
		s := rawSandbox{t, "http://tenant.example", &http.Client{Transport: handlerTransport{sb}}}
		_, _, body := s.do("POST", "/configapi/v2/oauth/token", "application/x-www-form-urlencoded", "",
			form("grant_type", "client_credentials", "client_id", brightpattern.SandboxClientID, "client_secret", brightpattern.SandboxClientSecret, "scope", "tenant.example"))
		var tok struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   string `json:"expires_in"`
		}
		if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.ExpiresIn != "600" {
			t.Fatalf("token answer %q", body)
		}
		if status, _, _ := s.do("GET", "/configapi/v2/team", "", "Bearer "+tok.AccessToken, ""); status != 200 {
			t.Fatalf("fresh token: %d", status)
		}
		time.Sleep(10 * time.Minute) // fake time
		if status, _, _ := s.do("GET", "/configapi/v2/team", "", "Bearer "+tok.AccessToken, ""); status != 401 {
			t.Fatalf("expired token: %d, want 401", status)
		}
	})
}
