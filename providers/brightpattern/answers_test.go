package brightpattern_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern"
)

// tenant is a scripted stand-in for a Bright Pattern tenant: it answers the
// token and team calls as documented, a create with createStatus and
// createBody, and a lookup with lookupStatus and lookupBody. It records the
// requests it received.
type tenant struct {
	createStatus int
	createCT     string
	createBody   string
	lookupStatus int
	lookupBody   string

	mu      sync.Mutex
	creates int
	lookups []string // escaped paths
}

func (f *tenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/configapi/v2/oauth/token":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":"3600"}`)
	case r.URL.Path == "/configapi/v2/team":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"name":"Customer Service"}]`)
	case r.URL.Path == "/configapi/v2/user" && r.Method == http.MethodPost:
		f.mu.Lock()
		f.creates++
		f.mu.Unlock()
		ct := f.createCT
		if ct == "" {
			ct = "text/plain"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.createStatus)
		_, _ = io.WriteString(w, f.createBody)
	case strings.HasPrefix(r.URL.Path, "/configapi/v2/user/") && r.Method == http.MethodGet:
		f.mu.Lock()
		f.lookups = append(f.lookups, r.URL.EscapedPath())
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.lookupStatus)
		_, _ = io.WriteString(w, f.lookupBody)
	default:
		http.NotFound(w, r)
	}
}

func tenantClient(t *testing.T, f *tenant) providers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"client_id": "api.user", "client_secret": "tenant-secret-1"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCreatedNeedsTheDocumentedOK: only 200 with the text OK proves a
// create; any other 2xx is an unknown outcome (the pipeline looks the user
// up before re-sending), and the error never quotes the body.
func TestCreatedNeedsTheDocumentedOK(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		want   bool // created
	}{
		{"documented", 200, "text/plain", "OK", true},
		{"with a newline", 200, "text/plain", "OK\n", true},
		{"as a JSON string", 200, "application/json", `"OK"`, true},
		{"captive portal", 200, "text/html", "<html><body>Sign in S3cret!pass1</body></html>", false},
		{"empty object", 200, "application/json", "{}", false},
		{"empty body", 200, "text/plain", "", false},
		{"garbage", 200, "application/octet-stream", "\x00\x01\x02", false},
		{"201 OK", 201, "text/plain", "OK", false},
		{"204", 204, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &tenant{createStatus: tt.status, createCT: tt.ct, createBody: tt.body, lookupStatus: 404}
			c := tenantClient(t, f)
			res, err := c.Create(context.Background(), valid(1))
			if tt.want {
				if err != nil || res.Status != providers.StatusCreated {
					t.Fatalf("got %+v %v, want created", res, err)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindUnknown || e.HTTPStatus != tt.status || !strings.Contains(e.Message, "not with the created user") || !strings.Contains(e.Message, "outcome unknown") {
				t.Fatalf("got %+v %v, want a %d of kind unknown", res, err, tt.status)
			}
			if strings.Contains(e.Error(), "S3cret") {
				t.Fatalf("error %q quotes the body", e.Error())
			}
			if len(f.lookups) != 0 || f.creates != 1 {
				t.Fatalf("sent %d creates and lookups %v; the pipeline, not Create, looks up", f.creates, f.lookups)
			}
		})
	}
}

// TestDuplicateAnswersConfirmed: every answer that may mean "the login
// exists" is confirmed with a lookup of that login: found is exists (with
// the id the lookup read), not found is a failure with the vendor's words.
// A plain validation 400 is not looked up.
func TestDuplicateAnswersConfirmed(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		lookup int  // lookup status; 0: no lookup expected
		exists bool // outcome
		msg    string
	}{
		{"409 found", 409, "User with login id 'agent.1' already exists", 200, true, ""},
		{"400 login exists found", 400, "Login ID 'agent.1' is already in use", 200, true, ""},
		{"400 already exists found", 400, "user agent.1 already exists", 200, true, ""},
		{"500 duplicate key found", 500, "Duplicate key error", 200, true, ""},
		{"409 not found", 409, "Conflict", 404, false, "Conflict (the vendor's answer may mean the user exists, but a lookup found nobody: not a duplicate)"},
		{"500 duplicate key not found", 500, "Duplicate key error", 404, false, "500 Internal Server Error: Duplicate key error (the vendor's answer may mean"},
		{"400 validation", 400, "Invalid extension: must be a number", 0, false, "400 Bad Request: Invalid extension: must be a number"},
		{"500 other", 500, "NullPointerException", 0, false, "NullPointerException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &tenant{createStatus: tt.status, createBody: tt.body, lookupStatus: tt.lookup, lookupBody: `{"id":"u-77","loginId":"agent.1","firstName":"José"}`}
			if tt.lookup == 404 {
				f.lookupBody = `user not found`
			}
			c := tenantClient(t, f)
			res, err := c.Create(context.Background(), valid(1))
			wantLookups := 0
			if tt.lookup != 0 {
				wantLookups = 1
			}
			if len(f.lookups) != wantLookups || wantLookups == 1 && f.lookups[0] != "/configapi/v2/user/agent.1" {
				t.Fatalf("lookups %v, want %d of /configapi/v2/user/agent.1", f.lookups, wantLookups)
			}
			if tt.exists {
				if err != nil || res.Status != providers.StatusExists || res.VendorID != "u-77" || res.HTTPStatus != tt.status {
					t.Fatalf("got %+v %v, want exists u-77 with status %d", res, err, tt.status)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != tt.status || !strings.Contains(e.Error(), tt.msg) {
				t.Fatalf("got %+v %v, want a rejected %d carrying %q", res, err, tt.status, tt.msg)
			}
		})
	}
}

// TestLookupChecksTheLogin: a 200 counts as found only for a user with the
// login asked for (case aside); any other 2xx is an error, never absent.
func TestLookupChecksTheLogin(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		found  bool
		errMsg string // "" for no error
	}{
		{"same login", 200, `{"loginId":"agent.1","firstName":"José"}`, true, ""},
		{"login in another case", 200, `{"loginId":"Agent.1"}`, true, ""},
		{"another user", 200, `{"loginId":"agent.10"}`, false, `asked for loginId "agent.1", the answer is about "agent.10"`},
		{"empty object", 200, `{}`, false, "answered 200 but not with a user"},
		{"captive portal", 200, `<html>Sign in</html>`, false, "answered 200 but not with a user"},
		{"list", 200, `[{"loginId":"agent.1"}]`, false, "answered 200 but not with a user"},
		{"absent", 404, `user not found`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tenantClient(t, &tenant{lookupStatus: tt.status, lookupBody: tt.body})
			_, found, err := c.Lookup(context.Background(), valid(1))
			if tt.errMsg == "" {
				if err != nil || found != tt.found {
					t.Fatalf("found=%v err=%v, want found=%v", found, err, tt.found)
				}
				return
			}
			if found || providers.KindOf(err) != providers.KindUnknown || err == nil || !strings.Contains(err.Error(), tt.errMsg) {
				t.Fatalf("found=%v err=%v, want an unknown-kind error with %q", found, err, tt.errMsg)
			}
		})
	}
}

// TestCreateRedirectNotFollowed: a create answered with a redirect (the
// token and team calls were fine) reaches neither the target nor
// re-sends the body: it is an endpoint error.
func TestCreateRedirectNotFollowed(t *testing.T) {
	var reached atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, "OK")
	}))
	defer target.Close()
	f := &tenant{createStatus: http.StatusTemporaryRedirect, createBody: ""}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/configapi/v2/user" {
			w.Header().Set("Location", target.URL+"/configapi/v2/user")
		}
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"client_id": "api.user", "client_secret": "tenant-secret-1"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), valid(1))
	if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindEndpoint || e.HTTPStatus != 307 || !strings.Contains(e.Message, target.URL) {
		t.Fatalf("got %v, want a 307 endpoint error naming %s", err, target.URL)
	}
	if n := reached.Load(); n != 0 || f.creates != 1 {
		t.Fatalf("target reached %d times, vendor got %d creates; want 0 and 1", n, f.creates)
	}
}

// TestSandboxDuplicateVariants: the sandbox answers a duplicate login in
// the shape the variant picks.
func TestSandboxDuplicateVariants(t *testing.T) {
	for v, want := range map[string]struct {
		status int
		text   string
	}{
		"":    {409, "User with login id 'agent.1' already exists"},
		"409": {409, "User with login id 'agent.1' already exists"},
		"400": {400, "Login ID 'agent.1' is already in use by another user"},
		"500": {500, "Duplicate key error"},
	} {
		var opts providers.SandboxOptions
		if v != "" {
			opts.Variants = map[string]string{brightpattern.VariantDuplicate: v}
		}
		sb := brightpattern.NewSandbox(opts)
		srv := httptest.NewServer(sb)
		c := sandboxClient(t, sb, srv.Client(), srv.URL)
		ctx := context.Background()
		if _, err := c.Create(ctx, valid(1)); err != nil {
			t.Fatal(err)
		}
		// A raw second create, to see the sandbox's own answer.
		tok := getToken(t, srv)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/configapi/v2/user", strings.NewReader(`{"loginId":"AGENT.1","firstName":"A","lastName":"B","team":"Sales"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		wantText := strings.ReplaceAll(want.text, "agent.1", "AGENT.1")
		if resp.StatusCode != want.status || string(body) != wantText {
			t.Errorf("variant %q: got %d %q, want %d %q", v, resp.StatusCode, body, want.status, wantText)
		}
		if st := sb.Stats(); st.Created != 1 {
			t.Errorf("variant %q: %d created", v, st.Created)
		}
	}
}

func getToken(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+"/configapi/v2/oauth/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {brightpattern.SandboxClientID}, "client_secret": {brightpattern.SandboxClientSecret}, "scope": {brightpattern.SandboxTenantHost},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonDecode(resp.Body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// TestDuplicateLookupFails: when the confirming lookup fails, the row's
// error gives the vendor's words and the lookup's failure, with the
// lookup's kind (a 503 is worth another try).
func TestDuplicateLookupFails(t *testing.T) {
	f := &tenant{createStatus: 409, createBody: "User with login id 'agent.1' already exists", lookupStatus: 503, lookupBody: "Service Unavailable"}
	c := tenantClient(t, f)
	_, err := c.Create(context.Background(), valid(1))
	e, ok := providers.AsError(err)
	if !ok || e.Kind != providers.KindRetry || e.HTTPStatus != 409 ||
		!strings.Contains(e.Message, "already exists (this may mean the user exists; the lookup to confirm it failed: 503 Service Unavailable)") {
		t.Fatalf("got %v, want kind retry, 409, the vendor's words and the lookup's 503", err)
	}
}

func TestSecrets(t *testing.T) {
	c := tenantClient(t, &tenant{})
	sh, ok := c.(providers.SecretHolder)
	if !ok {
		t.Fatal("the client is not a providers.SecretHolder")
	}
	got := strings.Join(sh.Secrets(), "|")
	for _, want := range []string{"tenant-secret-1", "Bearer tok"} {
		if !strings.Contains(got, want) {
			t.Errorf("Secrets() = %q, lacks %q", got, want)
		}
	}
}
