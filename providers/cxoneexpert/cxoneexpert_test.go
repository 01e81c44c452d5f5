package cxoneexpert_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/providertest"
)

func valid(i int) providers.Record {
	return providers.Record{
		"username": fmt.Sprintf("agent%d", i),
		"email":    fmt.Sprintf("agent%d@example.com", i),
		"fullname": fmt.Sprintf("Agent %d", i),
		"status":   "active",
		"role":     "Contributor",
		"password": fmt.Sprintf("S3cret-pass-%d", i),
	}
}

func fixture() providertest.Fixture {
	unknownRole := valid(9)
	unknownRole["role"] = "Publisher" // free text offline; not a role of the site
	return providertest.Fixture{
		Valid:           valid,
		Rejected:        unknownRole,
		RejectedMessage: `role "Publisher" does not exist on this site`,
		Offline:         providers.Record{"username": "agent1", "status": "retired"},
		OfflineField:    "status",
	}
}

func TestConformance(t *testing.T) {
	providertest.Run(t, cxoneexpert.New(), fixture())
}

// basicProvider is the provider whose sandbox hands out its Basic
// credentials, so the suite runs once per auth scheme.
type basicProvider struct{ cxoneexpert.Provider }

func (basicProvider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return basicSandbox{cxoneexpert.NewSandbox(opts)}
}

type basicSandbox struct{ *cxoneexpert.Sandbox }

func (s basicSandbox) Credentials() map[string]string { return s.BasicCredentials() }

// Options names no token_format: it applies to tokens only, and NewClient
// refuses it with Basic credentials.
func (s basicSandbox) Options() providers.Options { return nil }

func TestConformanceBasic(t *testing.T) {
	providertest.Run(t, basicProvider{}, fixture())
}

// recorder is a fake vendor that keeps every request and answers with the
// next scripted response (the last one repeats).
type recorder struct {
	mu      sync.Mutex
	reqs    []recorded
	answers []answer
}

type recorded struct {
	method, uri, path, query, ctype, token, body string
	user, pass                                   string
}

type answer struct {
	status int
	ctype  string
	body   string
	hangUp bool // close the connection without an answer
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	u, p, _ := r.BasicAuth()
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{method: r.Method, uri: r.RequestURI, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
		ctype: r.Header.Get("Content-Type"), token: r.Header.Get("X-Deki-Token"), body: string(b), user: u, pass: p})
	a := answer{status: 200, ctype: "application/xml", body: `<user id="42" href="http://x/@api/deki/users/42"><username>agent1</username></user>`}
	if len(rc.answers) > 0 {
		a = rc.answers[0]
		if len(rc.answers) > 1 {
			rc.answers = rc.answers[1:]
		}
	}
	rc.mu.Unlock()
	if a.hangUp {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (rc *recorder) requests() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

func newRecorder(t *testing.T, answers ...answer) (*recorder, *httptest.Server) {
	rc := &recorder{answers: answers}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func newClient(t *testing.T, endpoint string, auth map[string]string) providers.Client {
	t.Helper()
	c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: endpoint, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hmacHex is the signature computed independently of the provider.
func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestTokenSignature(t *testing.T) {
	// Known vector, computed outside Go:
	//   printf 'k_1700000000_=admin' | openssl dgst -sha256 -hmac s
	const vector = "0a0ef4169721092777e89126e170baffb9ce7b4ede90b513f52e7dbf3ad16082"
	if got := hmacHex("s", "k_1700000000_=admin"); got != vector {
		t.Fatalf("test helper disagrees with openssl: %s", got)
	}
	rc, srv := newRecorder(t)
	c := newClient(t, srv.URL, map[string]string{"key": "k", "secret": "s"}) // user defaults to =admin
	cxoneexpert.SetClientClock(c, func() time.Time { return time.Unix(1700000000, 0) })
	if _, err := c.Create(context.Background(), valid(1)); err != nil {
		t.Fatal(err)
	}
	if got, want := rc.requests()[0].token, "tkn_k_1700000000_=admin_"+vector; got != want {
		t.Fatalf("X-Deki-Token = %q\nwant            %q", got, want)
	}
}

func TestEachRequestSignedAfresh(t *testing.T) {
	rc, srv := newRecorder(t)
	c := newClient(t, srv.URL, map[string]string{"key": "abc", "secret": "shh", "user": "7"})
	var mu sync.Mutex
	tick := int64(1700000000)
	cxoneexpert.SetClientClock(c, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick += 90
		return time.Unix(tick, 0)
	})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Create(ctx, valid(1)); err != nil { // the recorder answers with agent1
			t.Fatal(err)
		}
	}
	if _, _, err := c.Lookup(ctx, valid(1)); err != nil {
		t.Fatal(err)
	}
	for i, r := range rc.requests() {
		epoch := int64(1700000000 + 90*(i+1))
		msg := fmt.Sprintf("abc_%d_7", epoch)
		if want := "tkn_" + msg + "_" + hmacHex("shh", msg); r.token != want {
			t.Fatalf("request %d token %q, want %q", i, r.token, want)
		}
	}
}

func TestSandboxVerifiesTokens(t *testing.T) {
	now := time.Unix(1700000000, 0)
	sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Seed: 1})
	cxoneexpert.SetSandboxClock(sb, func() time.Time { return now })
	srv := httptest.NewServer(sb)
	defer srv.Close()

	tests := []struct {
		name    string
		auth    map[string]string
		clock   time.Time
		refused string // "" means accepted
	}{
		{"current", sb.Credentials(), now, ""},
		{"numeric user", map[string]string{"key": cxoneexpert.SandboxKey, "secret": cxoneexpert.SandboxSecret, "user": "1"}, now, ""},
		{"5 minutes old", sb.Credentials(), now.Add(-5 * time.Minute), ""},
		{"6 minutes old", sb.Credentials(), now.Add(-6 * time.Minute), "token expired or not yet valid"},
		{"6 minutes ahead", sb.Credentials(), now.Add(6 * time.Minute), "token expired or not yet valid"},
		{"wrong secret", map[string]string{"key": cxoneexpert.SandboxKey, "secret": "guess"}, now, "bad signature"},
		{"unknown key", map[string]string{"key": "0000", "secret": cxoneexpert.SandboxSecret}, now, "unknown key"},
		{"unknown user", map[string]string{"key": cxoneexpert.SandboxKey, "secret": cxoneexpert.SandboxSecret, "user": "=nobody"}, now, "token user does not exist"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv.URL, tt.auth)
			cxoneexpert.SetClientClock(c, func() time.Time { return tt.clock })
			res, err := c.Create(context.Background(), valid(100+i))
			reqs := sb.Requests()
			last := reqs[len(reqs)-1]
			if last.TokenEpoch != tt.clock.Unix() {
				t.Errorf("sandbox read epoch %d, want %d", last.TokenEpoch, tt.clock.Unix())
			}
			if tt.refused == "" {
				if err != nil || res.Status != providers.StatusCreated || !last.Verified {
					t.Fatalf("want created with a verified token: %v %v %+v", res, err, last)
				}
				return
			}
			if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindAuth || e.HTTPStatus != http.StatusUnauthorized {
				t.Fatalf("want 401 kind auth, got %v", err)
			}
			if last.Verified || last.Refused != tt.refused {
				t.Fatalf("sandbox saw %+v, want refused %q", last, tt.refused)
			}
			if s := tt.auth["secret"]; strings.Contains(err.Error(), s) {
				t.Fatalf("error %q shows the secret", err)
			}
		})
	}
	if n := len(sb.Users()); n != 3 {
		t.Fatalf("sandbox created %d users, want 3", n)
	}

	t.Run("tampered", func(t *testing.T) {
		msg := fmt.Sprintf("%s_%d_=admin", cxoneexpert.SandboxKey, now.Unix())
		sig := hmacHex(cxoneexpert.SandboxSecret, msg)
		for _, tok := range []string{
			"tkn_" + msg + "_" + sig[:63] + "0",                              // hash changed
			"tkn_" + strings.Replace(msg, "=admin", "=Admin", 1) + "_" + sig, // user changed
			"tkn_" + msg, // no hash
		} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/@api/deki/users/1", nil)
			req.Header.Set("X-Deki-Token", tok)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("token %q: status %d, want 401", tok, resp.StatusCode)
			}
		}
		// The untampered token passes, so the refusals above are the edits',
		// and so does its hash in upper case, as the vendor's own C# example
		// sends it.
		for _, tok := range []string{"tkn_" + msg + "_" + sig, "tkn_" + msg + "_" + strings.ToUpper(sig)} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/@api/deki/users/1", nil)
			req.Header.Set("X-Deki-Token", tok)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("untampered token %q: status %d", tok, resp.StatusCode)
			}
		}
	})
}

// TestSandboxSawEveryRequestSigned runs creates and lookups through the real
// client and asserts on what the sandbox verified.
func TestSandboxSawEveryRequestSigned(t *testing.T) {
	sb, c := providertest.Start(t, cxoneexpert.New(), providers.SandboxOptions{Seed: 1})
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if _, err := c.Create(ctx, valid(i)); err != nil {
			t.Fatal(err)
		}
		if _, found, err := c.Lookup(ctx, valid(i)); err != nil || !found {
			t.Fatalf("lookup %d: %v %v", i, found, err)
		}
	}
	reqs := sb.(*cxoneexpert.Sandbox).Requests()
	if len(reqs) != 6 {
		t.Fatalf("sandbox saw %d requests, want 6", len(reqs))
	}
	for i, r := range reqs {
		if r.Scheme != "token" || !r.Verified || r.TokenKey != cxoneexpert.SandboxKey || r.TokenUser != "=admin" {
			t.Fatalf("request %d not signed as expected: %+v", i, r)
		}
		if wantPw := r.Method == http.MethodPost; r.PasswordParam != wantPw {
			t.Fatalf("request %d: password parameter present = %v", i, r.PasswordParam)
		}
	}
}

func TestOfflineValidation(t *testing.T) {
	p := cxoneexpert.New()
	tests := []struct {
		name  string
		edit  func(providers.Record)
		field string // "" means valid
	}{
		{"valid", func(providers.Record) {}, ""},
		{"only a username", func(r providers.Record) {
			for k := range r {
				if k != "username" {
					delete(r, k)
				}
			}
		}, ""},
		{"accented username with space and @", func(r providers.Record) { r["username"] = "José Müller@home" }, ""},
		{"unknown role is the site's business", func(r providers.Record) { r["role"] = "Publisher" }, ""},
		{"missing username", func(r providers.Record) { delete(r, "username") }, "username"},
		{"blank username", func(r providers.Record) { r["username"] = "   " }, "username"},
		// The docs give no character rule for usernames, no form for the
		// e-mail ({text}) and no role names: the site judges them.
		{"slash in username", func(r providers.Record) { r["username"] = "sales/jane" }, ""},
		{"leading space", func(r providers.Record) { r["username"] = " jane" }, ""},
		{"tab in username", func(r providers.Record) { r["username"] = "ja\tne" }, ""},
		{"email without @", func(r providers.Record) { r["email"] = "jane.example.com" }, ""},
		{"email without dotted domain", func(r providers.Record) { r["email"] = "jane@localhost" }, ""},
		{"role with spaces", func(r providers.Record) { r["role"] = "Editor " }, ""},
		// What XML cannot carry would reach the site as another name.
		{"control character", func(r providers.Record) { r["username"] = "ja\x01ne" }, "username"},
		{"invalid UTF-8", func(r providers.Record) { r["fullname"] = "Jos\xe9" }, "fullname"},
		{"control character in email", func(r providers.Record) { r["email"] = "jane\x00@example.com" }, "email"},
		{"control character in role", func(r providers.Record) { r["role"] = "Editor\x1b" }, "role"},
		{"status retired", func(r providers.Record) { r["status"] = "retired" }, "status"},
		{"status capitalised", func(r providers.Record) { r["status"] = "Active" }, "status"},
		{"unknown field", func(r providers.Record) { r["nick"] = "x" }, "nick"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := valid(1)
			tt.edit(rec)
			errs := append(providers.CheckFields(p.Describe(), rec), p.Validate(rec, nil)...)
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

// TestRequestOnTheWire asserts on what the vendor receives, and that the
// password, present on the wire, shows in no error, preview or %v.
func TestRequestOnTheWire(t *testing.T) {
	const pw = "Pa55 w0rd&x=1%" // needs query escaping
	rc, srv := newRecorder(t,
		answer{status: 200, ctype: "application/xml", body: `<?xml version="1.0"?><user id="3" href="http://x/@api/deki/users/3"><username>agent1</username></user>`},
		answer{status: 400, ctype: "application/xml; charset=utf-8", body: `<error><status>400</status><title>Bad Request</title><message>Password too weak</message></error>`},
		answer{hangUp: true},
	)
	auth := map[string]string{"key": "k", "secret": "top-secret-value"}
	c := newClient(t, srv.URL+"/", auth) // a trailing slash is tolerated
	rec := valid(1)
	rec["password"] = pw
	delete(rec, "fullname")
	ctx := context.Background()

	res, err := c.Create(ctx, rec)
	if err != nil || res.Status != providers.StatusCreated || res.VendorID != "3" || res.HTTPStatus != 200 {
		t.Fatalf("create: %+v %v", res, err)
	}
	got := rc.requests()[0]
	if got.method != http.MethodPost || got.path != "/@api/deki/users" || got.ctype != "application/xml" || got.token == "" {
		t.Fatalf("request = %+v", got)
	}
	if got.query != "accountpassword=Pa55+w0rd%26x%3D1%25" {
		t.Fatalf("query = %q", got.query)
	}
	wantBody := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<user><username>agent1</username><email>agent1@example.com</email><status>active</status>` +
		`<permissions.user><role>Contributor</role></permissions.user></user>`
	if got.body != wantBody {
		t.Fatalf("body = %s\nwant   %s", got.body, wantBody)
	}

	var texts []string
	_, err = c.Create(ctx, rec)
	if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindRejected || e.Message != "Password too weak" {
		t.Fatalf("400: %v", err)
	}
	texts = append(texts, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
	_, err = c.Create(ctx, rec)
	if providers.KindOf(err) != providers.KindUnknown {
		t.Fatalf("hang-up: %v (kind %v)", err, providers.KindOf(err))
	}
	texts = append(texts, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
	if e, ok := providers.AsError(err); ok && e.Err != nil {
		texts = append(texts, e.Err.Error())
	}
	preview, err := cxoneexpert.New().Preview(rec.Masked(cxoneexpert.New().Describe()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(preview, "POST /@api/deki/users?accountpassword=********\n") || !strings.Contains(preview, "  <username>agent1</username>") {
		t.Fatalf("preview:\n%s", preview)
	}
	unmasked, _ := cxoneexpert.New().Preview(rec, nil) // even unmasked, the query is masked
	texts = append(texts, preview, unmasked, fmt.Sprintf("%v %+v %#v %s", c, c, c, c))
	for _, s := range texts {
		for _, secret := range []string{pw, "Pa55", url.QueryEscape(pw), "top-secret-value"} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q shows a secret (%q)", s, secret)
			}
		}
	}
}

func TestPreviewOmitsUnmappedElements(t *testing.T) {
	out, err := cxoneexpert.New().Preview(providers.Record{"username": "jane"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "POST /@api/deki/users\nContent-Type: application/xml\n\n<user>\n  <username>jane</username>\n</user>\n"
	if out != want {
		t.Fatalf("preview = %q\nwant      %q", out, want)
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name   string
		ans    answer
		status providers.Status // for success answers
		kind   providers.Kind
		msg    string // the whole Message
	}{
		{"xml error", answer{400, "application/xml", `<error><status>400</status><title>Invalid Input</title><message>Email is invalid</message></error>`, false}, "", providers.KindRejected, "Invalid Input: Email is invalid"},
		{"title repeats status", answer{404, "application/xml", `<?xml version="1.0"?><error><status>404</status><title>Not Found</title><message>Requested user could not be found</message></error>`, false}, "", providers.KindRejected, "Requested user could not be found"},
		{"title only", answer{400, "application/xml", `<error><title>Bad Request Body</title></error>`, false}, "", providers.KindRejected, "Bad Request Body"},
		{"forbidden", answer{403, "application/xml", `<error><status>403</status><title>Forbidden</title><message>Administrator access, apikey, or account owner is required</message></error>`, false}, "", providers.KindAuth, "Administrator access, apikey, or account owner is required (HTTP Basic needs an admin's username and password on this site)"},
		{"plain text", answer{500, "text/plain", "Internal failure\n\tat Deki.Users", false}, "", providers.KindRejected, "Internal failure at Deki.Users"},
		{"html gateway page", answer{502, "text/html", "<html><body>Bad gateway</body></html>", false}, "", providers.KindUnknown, "<html><body>Bad gateway</body></html>"},
		{"xml of another shape", answer{400, "application/xml", `<oops>broken</oops>`, false}, "", providers.KindRejected, "<oops>broken</oops>"},
		{"throttled", answer{429, "text/plain", "slow down", false}, "", providers.KindRetry, "slow down"},
		{"201", answer{201, "application/xml", `<user id="9"><username>agent1</username></user>`, false}, providers.StatusCreated, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newRecorder(t, tt.ans)
			c := newClient(t, srv.URL, map[string]string{"username": "admin", "password": "pw"})
			res, err := c.Create(context.Background(), valid(1))
			if tt.status != "" {
				if err != nil || res.Status != tt.status {
					t.Fatalf("got %+v %v, want status %s", res, err, tt.status)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != tt.kind || e.HTTPStatus != tt.ans.status || e.Message != tt.msg {
				t.Fatalf("got %#v, want kind %v, message %q", err, tt.kind, tt.msg)
			}
			if !strings.HasPrefix(e.Error(), "cxoneexpert: create: ") {
				t.Fatalf("error %q does not name the vendor and operation", e.Error())
			}
		})
	}
}

func TestLookupEncodesTwice(t *testing.T) {
	if got, want := cxoneexpert.EscapeTwice("José Müller@home/a+b%"), "Jos%25C3%25A9%2520M%25C3%25BCller%2540home%252Fa%252Bb%2525"; got != want {
		t.Fatalf("EscapeTwice = %q, want %q", got, want)
	}
	rc, srv := newRecorder(t,
		answer{status: 200, ctype: "application/xml", body: `<user id="12"><username>jane doe@home</username></user>`},
		answer{status: 404, ctype: "application/xml", body: `<error><status>404</status><title>Not Found</title><message>Requested user could not be found</message></error>`},
		answer{status: 200, ctype: "application/xml", body: `<user id="13"><username>someone else</username></user>`},
	)
	c := newClient(t, srv.URL, map[string]string{"username": "admin", "password": "pw"})
	rec := providers.Record{"username": "Jane Doe@home"}
	ctx := context.Background()
	res, found, err := c.Lookup(ctx, rec)
	if err != nil || !found || res.VendorID != "12" || res.Status != providers.StatusExists {
		t.Fatalf("lookup: %+v %v %v", res, found, err)
	}
	if got := rc.requests()[0]; got.method != http.MethodGet || got.uri != "/@api/deki/users/=Jane%2520Doe%2540home" {
		t.Fatalf("request = %s %s", got.method, got.uri)
	}
	if _, found, err := c.Lookup(ctx, rec); err != nil || found {
		t.Fatalf("404: found=%v err=%v", found, err)
	}
	if _, found, err := c.Lookup(ctx, rec); err == nil || found || !strings.Contains(err.Error(), `answered with user "someone else"`) {
		t.Fatalf("another user's answer: found=%v err=%v, want an error", found, err)
	}

	// Against the sandbox, which decodes twice and refuses a single pass.
	sb, sc := providertest.Start(t, cxoneexpert.New(), providers.SandboxOptions{Seed: 1})
	for _, name := range []string{"José Müller@home", "Łukasz Nowak", "50% off+more"} {
		r := valid(1)
		r["username"] = name
		created, err := sc.Create(ctx, r)
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		got, found, err := sc.Lookup(ctx, providers.Record{"username": strings.ToUpper(name)})
		if err != nil || !found || got.VendorID != created.VendorID {
			t.Fatalf("lookup %q: %+v %v %v (created %+v)", name, got, found, err, created)
		}
	}
	if _, found, err := sc.Lookup(ctx, providers.Record{"username": "José Müller"}); err != nil || found {
		t.Fatalf("lookup of a prefix: found=%v err=%v", found, err)
	}
	srvURL := sandboxURL(t, sb)
	for path, want := range map[string]int{
		"/@api/deki/users/=Jos%25C3%25A9%2520M%25C3%25BCller%2540home": 200,
		"/@api/deki/users/=Jos%C3%A9%20M%C3%BCller%40home":             400, // encoded once
		"/@api/deki/users/1":   200,
		"/@api/deki/users/999": 404,
	} {
		req, _ := http.NewRequest(http.MethodGet, srvURL+path, nil)
		req.SetBasicAuth(cxoneexpert.SandboxAdminUsername, cxoneexpert.SandboxAdminPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// sandboxURL serves sb on its own loopback server (Start does not expose
// its URL).
func sandboxURL(t *testing.T, sb providers.Sandbox) string {
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv.URL
}
