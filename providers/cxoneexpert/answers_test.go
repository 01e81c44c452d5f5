package cxoneexpert_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
)

var basicAuth = map[string]string{"username": "admin", "password": "pw"}

const (
	userXML     = `<?xml version="1.0"?><user id="42" href="http://x/@api/deki/users/42"><nick>agent1</nick><username>agent1</username><status>active</status></user>`
	notFoundXML = `<error><status>404</status><title>Not Found</title><message>Requested user could not be found</message></error>`
	conflictXML = `<error><status>409</status><title>Conflict</title><message>Username conflicts with an existing username</message></error>`
)

func xmlAnswer(status int, body string) answer {
	return answer{status: status, ctype: "application/xml", body: body}
}

// TestDuplicateAnswers: a 409, or a 400 saying the name is taken, is
// confirmed by a lookup: found is exists with the site's id; not found a
// rejection carrying the vendor's words. A plain 400 is rejected without a
// lookup.
func TestDuplicateAnswers(t *testing.T) {
	maybe := []struct {
		name string
		ans  answer
		msg  string
	}{
		{"409", xmlAnswer(409, conflictXML), "Username conflicts with an existing username"},
		{"409 without a body", xmlAnswer(409, ``), ""},
		{"400 conflicts", xmlAnswer(400, `<error><status>400</status><title>Bad Request</title><message>Username conflicts with an existing username</message></error>`), "Username conflicts with an existing username"},
		{"400 already exists", xmlAnswer(400, `<error><status>400</status><title>Invalid Input</title><message>A user named "agent1" already exists</message></error>`), `Invalid Input: A user named "agent1" already exists`},
		{"400 plain text", answer{400, "text/plain", "username already in use", false}, "username already in use"},
	}
	for _, tt := range maybe {
		t.Run(tt.name+"/found", func(t *testing.T) {
			rc, srv := newRecorder(t, tt.ans, xmlAnswer(200, userXML))
			res, err := newClient(t, srv.URL, basicAuth).Create(context.Background(), valid(1))
			if err != nil || res.Status != providers.StatusExists || res.VendorID != "42" || res.HTTPStatus != tt.ans.status {
				t.Fatalf("got %+v %v, want exists 42", res, err)
			}
			reqs := rc.requests()
			if len(reqs) != 2 || reqs[1].method != http.MethodGet || reqs[1].path != "/@api/deki/users/=agent1" {
				t.Fatalf("requests %+v, want the create then a lookup", reqs)
			}
		})
		t.Run(tt.name+"/absent", func(t *testing.T) {
			_, srv := newRecorder(t, tt.ans, xmlAnswer(404, notFoundXML))
			_, err := newClient(t, srv.URL, basicAuth).Create(context.Background(), valid(1))
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != tt.ans.status || !strings.HasPrefix(e.Message, tt.msg) || !strings.Contains(e.Message, "not a duplicate") {
				t.Fatalf("got %v, want a rejection carrying %q", err, tt.msg)
			}
		})
		t.Run(tt.name+"/lookup fails", func(t *testing.T) {
			_, srv := newRecorder(t, tt.ans, answer{503, "text/plain", "down for maintenance", false})
			_, err := newClient(t, srv.URL, basicAuth).Create(context.Background(), valid(1))
			if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindRetry || !strings.Contains(e.Message, "lookup to confirm it failed") {
				t.Fatalf("got %v, want kind retry", err)
			}
		})
	}
	for _, ans := range []answer{
		xmlAnswer(400, `<error><status>400</status><title>Invalid Input</title><message>Email is invalid</message></error>`),
		xmlAnswer(404, notFoundXML),
	} {
		rc, srv := newRecorder(t, ans, xmlAnswer(200, userXML))
		_, err := newClient(t, srv.URL, basicAuth).Create(context.Background(), valid(1))
		if providers.KindOf(err) != providers.KindRejected || len(rc.requests()) != 1 {
			t.Errorf("%d: got %v after %d requests, want a rejection without a lookup", ans.status, err, len(rc.requests()))
		}
	}
}

// TestProofOfCreation: only the documented <user id=".."> of the user sent
// is created; any other 2xx is an unknown outcome.
func TestProofOfCreation(t *testing.T) {
	tests := []struct {
		name    string
		ans     answer
		created bool
	}{
		{"documented 200", xmlAnswer(200, userXML), true},
		{"201", xmlAnswer(201, `<user id="9"><username>agent1</username></user>`), true},
		{"username in another case", xmlAnswer(200, `<user id="9"><username>Agent1</username></user>`), true},
		{"html page", answer{200, "text/html", `<!DOCTYPE html><html><body>Sign in to continue</body></html>`, false}, false},
		{"empty body", xmlAnswer(200, ``), false},
		{"user without id", xmlAnswer(200, `<user><username>agent1</username></user>`), false},
		{"another user", xmlAnswer(200, `<user id="9"><username>agent2</username></user>`), false},
		{"error document", xmlAnswer(200, `<error><message>ok?</message></error>`), false},
		{"json", answer{200, "application/json", `{}`, false}, false},
		{"garbage", answer{200, "application/octet-stream", "\x00\x01garbage", false}, false},
		{"204", answer{204, "", ``, false}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newRecorder(t, tt.ans)
			res, err := newClient(t, srv.URL, basicAuth).Create(context.Background(), valid(1))
			if tt.created {
				if err != nil || res.Status != providers.StatusCreated || res.VendorID == "" {
					t.Fatalf("got %+v %v, want created", res, err)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindUnknown || e.HTTPStatus != tt.ans.status || !strings.Contains(e.Message, "but not with the created user") ||
				!strings.Contains(e.Message, "outcome unknown") || strings.Contains(e.Message, "Sign in") || strings.Contains(e.Message, "Wi-Fi") {
				t.Fatalf("got %+v %v, want kind unknown", res, err)
			}
		})
	}
}

// TestLookupAnswers: 404 is absent; anything that is not the user asked
// for is an error, never absent.
func TestLookupAnswers(t *testing.T) {
	tests := []struct {
		name  string
		ans   answer
		found bool
		err   string
	}{
		{"found", xmlAnswer(200, userXML), true, ""},
		{"found in another case", xmlAnswer(200, `<user id="42"><username>AGENT1</username></user>`), true, ""},
		{"404", xmlAnswer(404, notFoundXML), false, ""},
		{"404 html", answer{404, "text/html", "<html>Not Found</html>", false}, false, ""},
		{"200 html", answer{200, "text/html", "<html><body>Portal</body></html>", false}, false, "not with a <user>"},
		{"200 empty", xmlAnswer(200, ``), false, "not with a <user>"},
		{"user without id", xmlAnswer(200, `<user><username>agent1</username></user>`), false, "not with a <user>"},
		{"a prefix of the name", xmlAnswer(200, `<user id="7"><username>agent</username></user>`), false, `answered with user "agent"`},
		{"500", answer{500, "text/plain", "boom", false}, false, "boom"},
		{"403", xmlAnswer(403, `<error><message>Administrator access, apikey, or account owner is required</message></error>`), false, "account owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newRecorder(t, tt.ans)
			res, ok, err := newClient(t, srv.URL, basicAuth).Lookup(context.Background(), valid(1))
			if tt.err != "" {
				if err == nil || ok || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v %v, want an error with %q", ok, err, tt.err)
				}
				return
			}
			if err != nil || ok != tt.found || tt.found && res.VendorID != "42" {
				t.Fatalf("got %+v %v %v, want found=%v", res, ok, err, tt.found)
			}
		})
	}
}

// TestRedirectNeverFollowed: a 3xx is the endpoint's fault: nothing, the
// password least of all, reaches its target.
func TestRedirectNeverFollowed(t *testing.T) {
	var mu sync.Mutex
	reached := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached++
		mu.Unlock()
	}))
	defer target.Close()
	for _, status := range []int{301, 302, 307, 308} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.RequestURI(), status)
		}))
		c := newClient(t, srv.URL, basicAuth)
		_, err := c.Create(context.Background(), valid(1))
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindEndpoint || !strings.Contains(e.Message, target.URL+"/@api/deki/users") || strings.Contains(e.Error(), "S3cret-pass-1") {
			t.Errorf("%d: got %v, want kind endpoint naming the location without the password", status, err)
		}
		if _, _, err := c.Lookup(context.Background(), valid(1)); providers.KindOf(err) != providers.KindEndpoint {
			t.Errorf("%d: lookup got %v", status, err)
		}
		srv.Close()
	}
	if reached != 0 {
		t.Fatalf("%d requests reached the redirect target", reached)
	}
}

// TestLegacyTokenFormat signs in the legacy form: {key}_{epoch}_{user}_{hash}
// with the HMAC over {key}{epoch}{user}.
func TestLegacyTokenFormat(t *testing.T) {
	// printf 'k1700000000=admin' | openssl dgst -sha256 -hmac s
	const vector = "82d1e1fd5c7dd5bc654fda311af1bc33db7210e05298e5f86b02837ec5ee7fa4"
	if got := hmacHex("s", "k1700000000=admin"); got != vector {
		t.Fatalf("test helper disagrees with openssl: %s", got)
	}
	want := vector
	rc, srv := newRecorder(t)
	c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"key": "k", "secret": "s"},
		Options: providers.Options{"token_format": "legacy"}})
	if err != nil {
		t.Fatal(err)
	}
	cxoneexpert.SetClientClock(c, func() time.Time { return time.Unix(1700000000, 0) })
	if _, err := c.Create(context.Background(), valid(1)); err != nil {
		t.Fatal(err)
	}
	if got := rc.requests()[0].token; got != "k_1700000000_=admin_"+want {
		t.Fatalf("X-Deki-Token = %q, want %q", got, "k_1700000000_=admin_"+want)
	}
}

// TestTokenRefusedHint: a site that refuses the default token form says
// to try the legacy one, and the reverse; no secret is shown.
func TestTokenRefusedHint(t *testing.T) {
	for _, tt := range []struct {
		site, client, hint string
	}{
		{cxoneexpert.TokenLegacy, "", "try options: token_format: legacy"},
		{cxoneexpert.TokenDefault, cxoneexpert.TokenLegacy, "try removing options.token_format"},
	} {
		sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Variants: map[string]string{cxoneexpert.VariantTokenFormat: tt.site}})
		srv := httptest.NewServer(sb)
		var opts providers.Options
		if tt.client != "" {
			opts = providers.Options{"token_format": tt.client}
		}
		c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: opts, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(context.Background(), valid(1))
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindAuth || !strings.Contains(e.Message, tt.hint) || strings.Contains(e.Error(), cxoneexpert.SandboxSecret) {
			t.Errorf("site %s, client %q: got %v, want a hint %q", tt.site, tt.client, err, tt.hint)
		}
		if sb.Stats().Created != 0 {
			t.Errorf("a refused token created a user")
		}
		srv.Close()
	}
}

func TestOptions(t *testing.T) {
	token := map[string]string{"key": "k", "secret": "s"}
	for _, tt := range []struct {
		opts providers.Options
		auth map[string]string
		err  string
	}{
		{nil, token, ""},
		{providers.Options{"token_format": "legacy"}, token, ""},
		{providers.Options{"token_format": "Default"}, token, ""},
		{providers.Options{"token_format": "old"}, token, `options.token_format "old" is not default or legacy`},
		{providers.Options{"token": "legacy"}, token, "unknown option token"},
		{providers.Options{"token_format": "legacy"}, basicAuth, "not to HTTP Basic"},
	} {
		_, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: "https://help.example.com", Auth: tt.auth, Options: tt.opts})
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%v: got %v, want %q", tt.opts, err, tt.err)
		}
	}
}

func TestSecrets(t *testing.T) {
	for _, tt := range []struct {
		auth map[string]string
		want []string
	}{
		{map[string]string{"key": "k", "secret": "token-secret"}, []string{"token-secret"}},
		{basicAuth, []string{"pw", providers.BasicAuth("admin", "pw")}},
	} {
		c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: "https://help.example.com", Auth: tt.auth})
		if err != nil {
			t.Fatal(err)
		}
		h, ok := c.(providers.SecretHolder)
		if !ok {
			t.Fatal("the client is not a providers.SecretHolder")
		}
		got := strings.Join(h.Secrets(), "\n")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("Secrets() = %q lacks %q", got, w)
			}
		}
	}
}
