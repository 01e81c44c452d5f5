package cxoneexpert_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// TestSandboxRules sends raw requests, in order, and checks the status and
// the XML error message of each.
func TestSandboxRules(t *testing.T) {
	sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	post := func(body, ctype, password string, user, pass string) (int, []byte) {
		t.Helper()
		u := srv.URL + api.UsersPath
		if password != "" {
			u += "?" + url.Values{api.PasswordParam: {password}}.Encode()
		}
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		req.SetBasicAuth(user, pass)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/xml") {
			t.Errorf("answer Content-Type %q", got)
		}
		return resp.StatusCode, out
	}
	const xmlType = "application/xml"
	admin, adminPw := cxoneexpert.SandboxAdminUsername, cxoneexpert.SandboxAdminPassword
	user := func(inner string) string { return "<user>" + inner + "</user>" }
	tests := []struct {
		name, body, ctype, password string
		user, pass                  string
		status                      int
		msg                         string // in the error's message, or in the user answer
	}{
		{"doc's example, no role", `<?xml version="1.0"?>` + user(`<username>Batman</username><email>alfred@batcave.com</email><fullname>I am the Batman</fullname><status>active</status>`), xmlType, "", admin, adminPw, 200, "<role id=\"4\""},
		{"with role and password", user(`<username>viewer1</username><permissions.user><role>Viewer</role></permissions.user>`), xmlType + "; charset=utf-8", "long-enough", admin, adminPw, 200, "Viewer</role>"},
		{"duplicate ignoring case", user(`<username>BATMAN</username>`), xmlType, "", admin, adminPw, 409, "Username conflicts with an existing username"},
		{"JSON content type", user(`<username>robin</username>`), "application/json", "", admin, adminPw, 415, "application/xml"},
		{"no content type", user(`<username>robin</username>`), "", "", admin, adminPw, 415, "application/xml"},
		{"malformed", `<user><username>robin</user>`, xmlType, "", admin, adminPw, 400, "not a well-formed"},
		{"empty body", ``, xmlType, "", admin, adminPw, 400, "empty"},
		{"wrong root", `<person><username>robin</username></person>`, xmlType, "", admin, adminPw, 400, "expected element type <user>"},
		{"two roots", user(`<username>robin</username>`) + user(`<username>joker</username>`), xmlType, "", admin, adminPw, 400, "<user> after </user>"},
		{"unknown element", user(`<username>robin</username><nickname>r</nickname>`), xmlType, "", admin, adminPw, 400, "unknown element <nickname>"},
		{"no username", user(`<email>robin@example.com</email>`), xmlType, "", admin, adminPw, 400, "username must be provided"},
		{"bad status", user(`<username>robin</username><status>retired</status>`), xmlType, "", admin, adminPw, 400, `status "retired" is invalid`},
		{"bad email", user(`<username>robin</username><email>robin.example.com</email>`), xmlType, "", admin, adminPw, 400, "is not an e-mail address"},
		{"unknown role", user(`<username>robin</username><permissions.user><role>Sidekick</role></permissions.user>`), xmlType, "", admin, adminPw, 400, `role "Sidekick" does not exist`},
		{"role in the wrong case", user(`<username>robin</username><permissions.user><role>editor</role></permissions.user>`), xmlType, "", admin, adminPw, 400, `role "editor" does not exist`},
		{"short password", user(`<username>robin</username>`), xmlType, "short", admin, adminPw, 400, "at least 8 characters"},
		{"id of nobody", `<user id="999"><username>robin</username></user>`, xmlType, "", admin, adminPw, 404, "Requested user could not be found"},
		{"id of the admin", `<user id="1"><username>robin</username></user>`, xmlType, "", admin, adminPw, 404, "Requested user could not be found"},
		{"update by id", `<user id="2"><username>Batman</username><fullname>Bruce Wayne</fullname></user>`, xmlType, "", admin, adminPw, 200, "Bruce Wayne"},
		{"rename onto a taken name", `<user id="2"><username>viewer1</username></user>`, xmlType, "", admin, adminPw, 409, "Username conflicts"},
		{"wrong admin password", user(`<username>robin</username>`), xmlType, "", admin, "guess", 401, "Authentication failed"},
		{"a viewer may not create", user(`<username>robin</username>`), xmlType, "", "viewer1", "long-enough", 403, "Administrator access, apikey, or account owner is required"},
	}
	for _, tt := range tests {
		status, body := post(tt.body, tt.ctype, tt.password, tt.user, tt.pass)
		text := string(body)
		if status >= 400 {
			var e api.Error
			if err := xml.Unmarshal(body, &e); err != nil || e.Status == "" || e.Title == "" || e.Message == "" {
				t.Errorf("%s: error body %s is not <error><status/><title/><message/></error>", tt.name, body)
			}
			text = e.Message
		}
		if status != tt.status || !strings.Contains(text, tt.msg) {
			t.Errorf("%s: %d %s\nwant %d with %q", tt.name, status, body, tt.status, tt.msg)
			continue
		}
		if strings.Contains(string(body), "long-enough") {
			t.Errorf("%s: the answer shows a password: %s", tt.name, body)
		}
	}
	users := sb.Users()
	if len(users) != 2 || users[0].Username != "Batman" || users[0].Fullname != "Bruce Wayne" || users[1].Username != "viewer1" {
		t.Fatalf("users = %+v", users)
	}
	if !sb.CheckPassword("VIEWER1", "long-enough") || sb.CheckPassword("viewer1", "wrong-password") || sb.CheckPassword("Batman", "") {
		t.Fatal("accountpassword was not applied as sent")
	}
	if st := sb.Stats(); st.Created != 2 {
		t.Fatalf("stats = %+v, want 2 created (an update is not a creation)", st)
	}
}

// TestSandboxAnswerLikeTheDocs checks the create answer's shape against the
// vendor's documented sample response.
func TestSandboxAnswerLikeTheDocs(t *testing.T) {
	sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rec := providers.Record{"username": "newuser1", "email": "newuser1@mindtouch.com", "fullname": "newuser1's full name",
		"role": "Contributor", "password": "mypassword"}
	res, err := c.Create(context.Background(), rec)
	if err != nil || res.VendorID != "2" {
		t.Fatalf("create: %+v %v", res, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/@api/deki/users/2", nil)
	req.SetBasicAuth("newuser1", "mypassword") // the password works, and any user may read
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u api.User
	if err := xml.NewDecoder(resp.Body).Decode(&u); err != nil {
		t.Fatal(err)
	}
	if u.ID != "2" || u.Href != srv.URL+"/@api/deki/users/2" || u.Nick != "newuser1" || u.Status != "active" ||
		u.Permissions == nil || u.Permissions.Role.Name != "Contributor" || u.Permissions.Role.ID != "4" || u.DateCreated == "" {
		t.Fatalf("user = %+v", u)
	}
	// Basic as the new (non-admin) user: reads work, creates are forbidden.
	vc, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: srv.URL, HTTPClient: srv.Client(),
		Auth: map[string]string{"username": "newuser1", "password": "mypassword"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := vc.Lookup(context.Background(), rec); err != nil || !found {
		t.Fatalf("lookup as a viewer: %v %v", found, err)
	}
	_, err = vc.Create(context.Background(), valid(5))
	if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindAuth || e.HTTPStatus != http.StatusForbidden {
		t.Fatalf("create as a non-admin: %v", err)
	}
}

func TestClientConfig(t *testing.T) {
	p := cxoneexpert.New()
	token := map[string]string{"key": "k", "secret": "very-secret"}
	tests := []struct {
		name     string
		endpoint string
		auth     map[string]string
		err      string // "" means accepted
	}{
		{"token", "https://help.example.com", token, ""},
		{"api root pasted", "https://help.example.com/@api/deki/", token, ""},
		{"basic", "https://help.example.com", map[string]string{"username": "admin", "password": "very-secret"}, ""},
		{"numeric user", "https://help.example.com", map[string]string{"key": "k", "secret": "very-secret", "user": "12"}, ""},
		{"bad user", "https://help.example.com", map[string]string{"key": "k", "secret": "very-secret", "user": "admin"}, "must be =<admin username>"},
		{"mixed schemes", "https://help.example.com", map[string]string{"key": "k", "secret": "very-secret", "username": "admin"}, "mixes two schemes"},
		{"nothing", "https://help.example.com", map[string]string{}, "credentials missing"},
		{"typo", "https://help.example.com", map[string]string{"key": "k", "secrt": "very-secret"}, "unknown auth setting"},
		{"not a URL", "help.example.com", token, "not an http(s) URL"},
		{"scheme-less credentials", "admin:very-secret@help.example.com", token, "not an http(s) URL"},
		{"credentials in URL", "https://admin:very-secret@help.example.com", token, "without credentials"},
	}
	for _, tt := range tests {
		_, err := p.NewClient(providers.Config{Endpoint: tt.endpoint, Auth: tt.auth})
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "very-secret"):
			t.Errorf("%s: error %q shows the secret", tt.name, err)
		}
	}
	// A pasted API root still reaches the right path.
	rc, srv := newRecorder(t)
	c := newClient(t, srv.URL+"/@api/deki", token)
	if _, err := c.Create(context.Background(), valid(1)); err != nil {
		t.Fatal(err)
	}
	if got := rc.requests()[0].path; got != "/@api/deki/users" {
		t.Fatalf("path = %q", got)
	}
}
