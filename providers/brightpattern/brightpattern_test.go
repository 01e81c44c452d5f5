package brightpattern_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern"
	"github.com/onboardhq/onboard/providers/providertest"
)

func valid(i int) providers.Record {
	return providers.Record{
		"loginId":        fmt.Sprintf("agent.%d", i),
		"firstName":      "José",
		"lastName":       fmt.Sprintf("Müller %d", i),
		"team":           "Customer Service",
		"password":       fmt.Sprintf("S3cret!pass%d", i),
		"changePassword": true,
		"extension":      fmt.Sprintf("%d", 1000+i),
		"email":          fmt.Sprintf("agent.%d@example.com", i),
		"skills":         map[string]int{"Spanish": 100, "English": 80},
		"roles":          []string{"Agent"},
	}
}

func TestConformance(t *testing.T) {
	weak := valid(9)
	weak["password"] = "weakpassword"
	providertest.Run(t, brightpattern.New(), providertest.Fixture{
		NoVendorID:      true, // the vendor documents no user id
		Valid:           valid,
		Rejected:        weak,
		RejectedMessage: "Password does not meet the password policy",
		Offline:         providers.Record{"loginId": "x", "firstName": "X", "lastName": "Y", "team": "Sales", "extension": "12a"},
		OfflineField:    "extension",
	})
}

func TestOfflineValidation(t *testing.T) {
	p := brightpattern.New()
	tests := []struct {
		name  string
		edit  func(providers.Record)
		field string // "" means valid
	}{
		{"valid", func(providers.Record) {}, ""},
		{"minimal", func(r providers.Record) {
			for _, k := range []string{"password", "changePassword", "extension", "email", "skills", "roles"} {
				delete(r, k)
			}
		}, ""},
		{"phones", func(r providers.Record) { r["workPhone"] = "4151234567"; r["mobilePhone"] = "+49 (151) 2345-6789" }, ""},
		// No phone format is documented: what HR systems write passes
		// (issue 11 §1: the old pattern refused a leading parenthesis).
		{"US phone", func(r providers.Record) {
			r["workPhone"] = "(415) 892-1931"
			r["mobilePhone"] = "(650) 123-4567 ext. 12"
		}, ""},
		{"UK phones", func(r providers.Record) { r["workPhone"] = "+44 20 7946 0958"; r["mobilePhone"] = "0151 2345678" }, ""},
		{"phone as words", func(r providers.Record) { r["mobilePhone"] = "n/a" }, ""},
		// Neither is an e-mail or login format documented.
		{"e-mail without @", func(r providers.Record) { r["email"] = "agent.example.com" }, ""},
		{"loginId with a space", func(r providers.Record) { r["loginId"] = "jose garcia" }, ""},
		{"missing loginId", func(r providers.Record) { delete(r, "loginId") }, "loginId"},
		{"empty firstName", func(r providers.Record) { r["firstName"] = " " }, "firstName"},
		{"missing lastName", func(r providers.Record) { delete(r, "lastName") }, "lastName"},
		{"missing team", func(r providers.Record) { r["team"] = "" }, "team"},
		{"extension with letters", func(r providers.Record) { r["extension"] = "10a2" }, "extension"},
		{"extension as number", func(r providers.Record) { r["extension"] = 1072 }, "extension"},
		{"skill level 150", func(r providers.Record) { r["skills"] = map[string]int{"Spanish": 150} }, "skills"},
		{"skill level -1", func(r providers.Record) { r["skills"] = map[string]int{"Spanish": -1} }, "skills"},
		{"boolean as text", func(r providers.Record) { r["disabled"] = "maybe" }, "disabled"},
		{"unknown field", func(r providers.Record) { r["nickname"] = "x" }, "nickname"},
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

// fakeVendor is a recording stand-in for a tenant: it keeps what the client
// sent and answers like the vendor's docs.
type fakeVendor struct {
	mu        sync.Mutex
	tokenCT   string
	tokenForm url.Values
	auths     []string
	userCT    string
	body      map[string]any
	rawBody   string
}

func (f *fakeVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/configapi/v2/oauth/token":
		f.tokenCT = r.Header.Get("Content-Type")
		_ = r.ParseForm()
		f.tokenForm = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":"3600"}`)
	case "/configapi/v2/team":
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":"1","name":"Customer Service"},{"id":"2","name":"Sales"}]`)
	case "/configapi/v2/user":
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		f.userCT = r.Header.Get("Content-Type")
		raw, _ := io.ReadAll(r.Body)
		f.rawBody = string(raw)
		f.body = nil
		_ = json.Unmarshal(raw, &f.body)
		// The documented success: 200 with the text OK, not JSON.
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "OK")
	default:
		http.NotFound(w, r)
	}
}

// TestRequestOnTheWire asserts on what the vendor receives: the token form,
// the Bearer header, and a JSON body with the extension as a string and the
// skills as an object; and that 200 "OK" is read as created.
func TestRequestOnTheWire(t *testing.T) {
	fv := &fakeVendor{}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	c, err := brightpattern.New().NewClient(providers.Config{
		Endpoint: srv.URL + "/", Auth: map[string]string{"client_id": "api.user", "client_secret": "s3cr3t"}, UserAgent: "onboard-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	rec := valid(1)
	rec["disabled"] = false
	rec["workPhone"] = "4151234567"
	res, err := c.Create(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != providers.StatusCreated || res.VendorID != "" || res.HTTPStatus != 200 {
		t.Fatalf("result = %+v, want created, no vendor id, 200", res)
	}

	wantForm := url.Values{"grant_type": {"client_credentials"}, "client_id": {"api.user"}, "client_secret": {"s3cr3t"}, "scope": {"127.0.0.1"}}
	if fv.tokenCT != "application/x-www-form-urlencoded" || !reflect.DeepEqual(fv.tokenForm, wantForm) {
		t.Fatalf("token request: content type %q form %v, want %v", fv.tokenCT, fv.tokenForm, wantForm)
	}
	if want := []string{"Bearer tok-1", "Bearer tok-1"}; !reflect.DeepEqual(fv.auths, want) {
		t.Fatalf("Authorization headers = %q, want %q", fv.auths, want)
	}
	if fv.userCT != "application/json" {
		t.Fatalf("create Content-Type = %q", fv.userCT)
	}
	want := map[string]any{
		"loginId": "agent.1", "password": "S3cret!pass1", "firstName": "José", "lastName": "Müller 1", "team": "Customer Service",
		"extension": "1001", "workPhone": "4151234567", "email": "agent.1@example.com", "disabled": false, "changePassword": true,
		"skills": map[string]any{"Spanish": float64(100), "English": float64(80)}, "roles": []any{"Agent"},
	}
	if !reflect.DeepEqual(fv.body, want) {
		t.Fatalf("body = %v\nwant   %v", fv.body, want)
	}
	if !strings.Contains(fv.rawBody, `"extension":"1001"`) {
		t.Fatalf("extension not sent as a string: %s", fv.rawBody)
	}
}

func TestExplicitScope(t *testing.T) {
	fv := &fakeVendor{}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	c, err := brightpattern.New().NewClient(providers.Config{
		Endpoint: srv.URL + "/configapi/v2", Auth: map[string]string{"client_id": "a", "client_secret": "b", "scope": "tenant.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fv.tokenForm.Get("scope"); got != "tenant.example.com" {
		t.Fatalf("scope = %q", got)
	}
}

func sandboxClient(t *testing.T, sb *brightpattern.Sandbox, hc *http.Client, endpoint string) providers.Client {
	t.Helper()
	c, err := brightpattern.New().NewClient(providers.Config{Endpoint: endpoint, Auth: sb.Credentials(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func serve(t *testing.T, sb *brightpattern.Sandbox) providers.Client {
	t.Helper()
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sandboxClient(t, sb, srv.Client(), srv.URL)
}

// createAll creates n users with 8 goroutines and fails on any error.
func createAll(t *testing.T, c providers.Client, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, n)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				res, err := c.Create(context.Background(), valid(i))
				if err == nil && res.Status != providers.StatusCreated {
					err = fmt.Errorf("row %d: status %s", i, res.Status)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for i := from; i < from+n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOneTokenForConcurrentCreates(t *testing.T) {
	t.Run("prepared", func(t *testing.T) {
		sb := brightpattern.NewSandbox(providers.SandboxOptions{})
		c := serve(t, sb)
		if err := c.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		createAll(t, c, 1, 40)
		if st := sb.Stats(); st.TokenRequests != 1 || st.Created != 40 {
			t.Fatalf("stats = %+v, want 1 token request and 40 users", st)
		}
	})
	t.Run("unprepared", func(t *testing.T) {
		// Workers racing to be first still share one token and one team list.
		sb := brightpattern.NewSandbox(providers.SandboxOptions{})
		c := serve(t, sb)
		createAll(t, c, 1, 40)
		if st := sb.Stats(); st.TokenRequests != 1 || st.Created != 40 || st.Requests != 1+1+40 {
			t.Fatalf("stats = %+v, want 1 token request, 1 team list, 40 creates", st)
		}
	})
}

// handlerTransport serves requests straight from a handler, without
// sockets, so that the client and the sandbox run inside a synctest bubble
// with its fake clock.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body io.Reader = http.NoBody
	if req.Body != nil {
		body = req.Body
		defer req.Body.Close()
	}
	sr := httptest.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), body)
	sr.Header = req.Header.Clone()
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, sr)
	return rec.Result(), nil
}

// TestTokenRefreshedBeforeExpiry: a token of one hour is used for 58
// minutes, then replaced once, ahead of its expiry, without a 401.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb := brightpattern.NewSandboxWith(providers.SandboxOptions{}, brightpattern.Config{TokenTTL: time.Hour})
		c := sandboxClient(t, sb, &http.Client{Transport: handlerTransport{sb}}, "https://example.brightpattern.com")
		ctx := context.Background()
		if err := c.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		create := func(i int) {
			t.Helper()
			if res, err := c.Create(ctx, valid(i)); err != nil || res.Status != providers.StatusCreated {
				t.Fatalf("create %d: %+v %v", i, res, err)
			}
		}
		create(1)
		time.Sleep(58 * time.Minute) // fake time
		create(2)
		if n := sb.Stats().TokenRequests; n != 1 {
			t.Fatalf("after 58 minutes: %d token requests, want 1", n)
		}
		time.Sleep(90 * time.Second) // 59m30s: due for refresh, not yet expired
		create(3)
		create(4)
		if n := sb.Stats().TokenRequests; n != 2 {
			t.Fatalf("after 59m30s: %d token requests, want 2 (one refresh)", n)
		}
		if n := sb.Unauthorized(); n != 0 {
			t.Fatalf("%d requests were refused with 401; the refresh should come first", n)
		}
		time.Sleep(2 * time.Hour) // long idle: the next create refreshes once more
		create(5)
		if n := sb.Stats().TokenRequests; n != 3 {
			t.Fatalf("after idling: %d token requests, want 3", n)
		}
	})
}

func TestReauthOn401(t *testing.T) {
	t.Run("one", func(t *testing.T) {
		sb := brightpattern.NewSandbox(providers.SandboxOptions{})
		c := serve(t, sb)
		ctx := context.Background()
		if err := c.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		sb.RevokeTokens()
		res, err := c.Create(ctx, valid(1))
		if err != nil || res.Status != providers.StatusCreated {
			t.Fatalf("create after revocation: %+v %v", res, err)
		}
		if st := sb.Stats(); st.TokenRequests != 2 || st.Created != 1 || sb.Unauthorized() != 1 {
			t.Fatalf("stats = %+v, 401s = %d; want 2 token requests, 1 user, one 401", st, sb.Unauthorized())
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		sb := brightpattern.NewSandbox(providers.SandboxOptions{})
		c := serve(t, sb)
		if err := c.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		sb.RevokeTokens()
		createAll(t, c, 1, 40)
		if st := sb.Stats(); st.TokenRequests != 2 || st.Created != 40 {
			t.Fatalf("stats = %+v, want 2 token requests (one re-fetch) and 40 users", st)
		}
	})
	t.Run("refused again", func(t *testing.T) {
		// The vendor answers 401 even to a fresh token: the row fails as
		// auth after one re-fetch, not in a loop.
		tokens := 0
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/configapi/v2/oauth/token" {
				mu.Lock()
				tokens++
				mu.Unlock()
				_, _ = io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":"3600"}`)
				return
			}
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		}))
		defer srv.Close()
		c, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"client_id": "a", "client_secret": "b"}, Options: providers.Options{"check_teams": "false"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(context.Background(), valid(1))
		if providers.KindOf(err) != providers.KindAuth {
			t.Fatalf("got %v, want kind auth", err)
		}
		if tokens != 2 {
			t.Fatalf("%d token requests, want 2", tokens)
		}
	})
}

func TestUnknownTeamNotSent(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	c := serve(t, sb)
	ctx := context.Background()
	if err := c.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ team, msg string }{
		{"Marketing", `brightpattern: create: team "Marketing" does not exist in the tenant (known: Back Office, Customer Service, Sales, Support)`},
		{"sales", `team "sales" does not exist in the tenant (did you mean "Sales"? team names are case-sensitive)`},
	} {
		rec := valid(1)
		rec["team"] = tt.team
		_, err := c.Create(ctx, rec)
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindRejected || !strings.Contains(e.Error(), tt.msg) {
			t.Fatalf("team %q: got %v, want a rejected error containing %q", tt.team, err, tt.msg)
		}
	}
	if st := sb.Stats(); st.Creates != 0 || st.Requests != 2 {
		t.Fatalf("stats = %+v, want no create request (only the token and the team list)", st)
	}
}

func TestTokenRefused(t *testing.T) {
	const secret = "very-secret-value"
	for _, tt := range []struct {
		name   string
		status int
		body   string
		kind   providers.Kind
	}{
		{"invalid_client 401", 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`, providers.KindAuth},
		{"invalid_client 400", 400, `{"error":"invalid_client"}`, providers.KindAuth},
		// A server that echoes the form must not leak the secret.
		{"echo", 400, "bad request: client_secret=" + secret, providers.KindAuth},
		{"unavailable", 503, "try later", providers.KindRetry},
		{"bad gateway", 502, "", providers.KindRetry},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"client_id": "a", "client_secret": secret}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Prepare(context.Background())
			e, ok := providers.AsError(err)
			if !ok || e.Kind != tt.kind || e.Op != "token" {
				t.Fatalf("got %v (kind %v), want a token error of kind %v", err, providers.KindOf(err), tt.kind)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", e, e), secret) {
				t.Fatalf("the client secret leaks: %v", err)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	c := serve(t, sb)
	ctx := context.Background()
	odd := valid(1)
	odd["loginId"] = "o'brien/ops?x=1#y"
	if _, err := c.Create(ctx, odd); err != nil {
		t.Fatal(err)
	}
	res, found, err := c.Lookup(ctx, odd)
	if err != nil || !found || res.Status != providers.StatusExists || res.VendorID != "" {
		t.Fatalf("lookup of a login needing escaping: %+v %v %v", res, found, err)
	}
	other := valid(1)
	other["loginId"] = "o'brien"
	if _, found, err := c.Lookup(ctx, other); err != nil || found {
		t.Fatalf("lookup of a prefix: found=%v err=%v", found, err)
	}

	// A tenant whose answer carries an id: it becomes the vendor id.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/configapi/v2/oauth/token":
			_, _ = io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		case "/configapi/v2/user/agent.1":
			_, _ = io.WriteString(w, `{"id":4711,"loginId":"agent.1","firstName":"José"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c2, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"client_id": "a", "client_secret": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if res, found, err := c2.Lookup(ctx, valid(1)); err != nil || !found || res.VendorID != "4711" {
		t.Fatalf("lookup with an id: %+v %v %v", res, found, err)
	}
}

func TestVendorErrors(t *testing.T) {
	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c := sandboxClient(t, sb, srv.Client(), srv.URL)
	ctx := context.Background()
	tests := []struct {
		name   string
		edit   func(providers.Record)
		status int
		msg    string
	}{
		{"unknown role", func(r providers.Record) { r["roles"] = []string{"Agent", "Wizard"} }, 404, "user role not found: Wizard"},
		{"weak password", func(r providers.Record) { r["password"] = "short1" }, 400, "Password does not meet the password policy"},
	}
	for _, tt := range tests {
		rec := valid(5)
		tt.edit(rec)
		_, err := c.Create(ctx, rec)
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != tt.status || !strings.Contains(e.Error(), tt.msg) {
			t.Errorf("%s: got %v, want %d with %q", tt.name, err, tt.status, tt.msg)
		}
	}
	// With the team check off, the vendor's own 404 comes back raw.
	c2, err := brightpattern.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: providers.Options{"check_teams": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := valid(6)
	rec["team"] = "Marketing"
	_, err = c2.Create(ctx, rec)
	if e, ok := providers.AsError(err); !ok || e.HTTPStatus != 404 || e.Error() != "brightpattern: create: 404 Not Found: user team not found" {
		t.Fatalf("team check off: got %v", err)
	}
}
