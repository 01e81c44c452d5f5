package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/providertest"
	"github.com/onboardhq/onboard/providers/scim"
	"github.com/onboardhq/onboard/providers/scim/api"
)

// exchange is one request the service received and what it answered.
type exchange struct {
	method, path, rawQuery, query string
	header                        http.Header
	body                          []byte
	status                        int
	answer                        []byte
}

// recorder wraps a handler and keeps every exchange.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	ex   []exchange
}

type capture struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *capture) WriteHeader(s int)           { c.status = s; c.ResponseWriter.WriteHeader(s) }
func (c *capture) Write(b []byte) (int, error) { c.buf.Write(b); return c.ResponseWriter.Write(b) }

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	c := &capture{ResponseWriter: w, status: 200}
	r.next.ServeHTTP(c, req)
	r.mu.Lock()
	r.ex = append(r.ex, exchange{method: req.Method, path: req.URL.Path, rawQuery: req.URL.RawQuery, query: req.URL.Query().Get("filter"),
		header: req.Header.Clone(), body: body, status: c.status, answer: c.buf.Bytes()})
	r.mu.Unlock()
}

func (r *recorder) all() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.ex...)
}

// serve serves h and returns a client for it with the sandbox's token.
func serve(t *testing.T, h http.Handler, auth map[string]string) providers.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if auth == nil {
		auth = map[string]string{"token": scim.SandboxToken}
	}
	c, err := scim.New().NewClient(providers.Config{Endpoint: srv.URL + "/scim/v2/", Auth: auth, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestOnTheWire(t *testing.T) {
	sb := scim.NewSandbox(providers.SandboxOptions{})
	rec := &recorder{next: sb}
	c := serve(t, rec, nil)
	ctx := context.Background()
	if err := c.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	r := providers.Record{
		"userName": "ada@example.com", "name.givenName": "Ada", "name.familyName": "Lovelace", "name.middleName": "  ",
		"email": "ada@example.com", "phone": "+14158921931", "mobile": "+14155550142", "active": false,
		"password": "Passw0rd!long", "department": "Research", "manager": "2819c223-0001", "title": "",
	}
	res, err := c.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	ex := rec.all()
	post := ex[len(ex)-1]
	if post.method != http.MethodPost || post.path != "/scim/v2/Users" || post.status != http.StatusCreated {
		t.Fatalf("request %s %s answered %d", post.method, post.path, post.status)
	}
	if got := post.header.Get("Content-Type"); got != api.MediaType {
		t.Fatalf("Content-Type = %q", got)
	}
	if got := post.header.Get("Accept"); got != api.MediaType {
		t.Fatalf("Accept = %q", got)
	}
	if got := post.header.Get("Authorization"); got != "Bearer "+scim.SandboxToken {
		t.Fatalf("Authorization = %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal(post.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schemas":  []any{api.UserSchema, api.EnterpriseSchema},
		"userName": "ada@example.com",
		"name":     map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":   []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		"phoneNumbers": []any{
			map[string]any{"value": "+14158921931", "type": "work", "primary": true},
			map[string]any{"value": "+14155550142", "type": "mobile"},
		},
		"active":   false,
		"password": "Passw0rd!long",
		api.EnterpriseSchema: map[string]any{
			"department": "Research",
			"manager":    map[string]any{"value": "2819c223-0001"},
		},
	}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("body =\n%s\nwant\n%v", post.body, want)
	}
	u := sb.Users()[0]
	if res.Status != providers.StatusCreated || res.VendorID != u["id"] {
		t.Fatalf("result %+v, sandbox id %v", res, u["id"])
	}

	// Without an enterprise field, neither the extension nor its URN.
	plain := providers.Record{"userName": "alan@example.com", "mobile": "+14155550143"}
	if _, err := c.Create(ctx, plain); err != nil {
		t.Fatal(err)
	}
	ex = rec.all()
	body = nil
	_ = json.Unmarshal(ex[len(ex)-1].body, &body)
	want = map[string]any{"schemas": []any{api.UserSchema}, "userName": "alan@example.com",
		"phoneNumbers": []any{map[string]any{"value": "+14155550143", "type": "mobile", "primary": true}}}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("body = %s", ex[len(ex)-1].body)
	}
}

// TestLookupEscapesAndIgnoresCase: the filter value is a quoted string with
// " and \ escaped, URL-encoded; userName matches case-insensitively and
// exactly (not a partial match).
func TestLookupEscapesAndIgnoresCase(t *testing.T) {
	sb := scim.NewSandbox(providers.SandboxOptions{})
	rec := &recorder{next: sb}
	c := serve(t, rec, nil)
	ctx := context.Background()
	odd := `O"Brien\Sales+1 & co@example.com`
	created, err := c.Create(ctx, providers.Record{"userName": odd})
	if err != nil {
		t.Fatal(err)
	}
	res, found, err := c.Lookup(ctx, providers.Record{"userName": strings.ToLower(odd)})
	if err != nil || !found || res.VendorID != created.VendorID || res.Status != providers.StatusExists {
		t.Fatalf("lookup: %+v %v %v (created %s)", res, found, err, created.VendorID)
	}
	ex := rec.all()
	get := ex[len(ex)-1]
	if want := `userName eq "o\"brien\\sales+1 & co@example.com"`; get.query != want {
		t.Fatalf("filter received = %s, want %s", get.query, want)
	}
	if !strings.Contains(get.rawQuery, "%20eq%20") || strings.Contains(get.rawQuery, "+") && !strings.Contains(get.rawQuery, "%2B") {
		t.Fatalf("raw query %q: spaces must be %%20 and + encoded", get.rawQuery)
	}
	if scim.Filter(`a"b\c`) != `userName eq "a\"b\\c"` {
		t.Fatalf("Filter = %s", scim.Filter(`a"b\c`))
	}
	for _, absent := range []string{`O"Brien`, `brien\sales+1 & co@example.com`, `O"Brien\Sales+1 & co@example.co`} {
		if _, found, err := c.Lookup(ctx, providers.Record{"userName": absent}); err != nil || found {
			t.Fatalf("lookup %q: found=%v err=%v", absent, found, err)
		}
	}
}

// TestCreateNeedsProof: a 2xx without the new user's id is an unknown
// outcome (looked up before any re-send), never "created".
func TestCreateNeedsProof(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   providers.Status // "" means a KindUnknown error
	}{
		{"201 with id", 201, api.MediaType, `{"schemas":["` + api.UserSchema + `"],"id":"abc","userName":"a@x.com"}`, providers.StatusCreated},
		{"200 with id", 200, "application/json", `{"id":"abc"}`, providers.StatusCreated},
		{"201 empty object", 201, api.MediaType, `{}`, ""},
		{"201 empty id", 201, api.MediaType, `{"id":""}`, ""},
		{"201 numeric id", 201, api.MediaType, `{"id":17}`, ""},
		{"200 html", 200, "text/html", `<html><body>Sign in</body></html>`, ""},
		{"200 garbage", 200, "application/octet-stream", "\x00\x01garbage", ""},
		{"202 with id", 202, api.MediaType, `{"id":"abc"}`, ""},
		{"204", 204, "", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}), nil)
			res, err := c.Create(context.Background(), providers.Record{"userName": "a@x.com"})
			if tt.want != "" {
				if err != nil || res.Status != tt.want || res.VendorID != "abc" {
					t.Fatalf("got %+v %v, want %s with id abc", res, err, tt.want)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindUnknown || !strings.Contains(e.Message, "without the created user's id; outcome unknown") {
				t.Fatalf("got %+v %v, want a KindUnknown error", res, err)
			}
		})
	}
}

// TestSandboxFaultsNeedLookup: the sandbox's HTML and NoID faults give an
// unknown outcome; the lookup then tells whether the user exists.
func TestSandboxFaultsNeedLookup(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    providers.SandboxOptions
		created int
	}{
		{"html", providers.SandboxOptions{HTML: 1}, 0},
		{"no id", providers.SandboxOptions{NoID: 1}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sb, c := providertest.Start(t, scim.New(), tt.opts)
			_, err := c.Create(context.Background(), valid(1))
			if providers.KindOf(err) != providers.KindUnknown {
				t.Fatalf("create: %v (kind %v), want unknown", err, providers.KindOf(err))
			}
			if got := sb.Stats().Created; got != tt.created {
				t.Fatalf("sandbox created %d, want %d", got, tt.created)
			}
			_, found, err := c.Lookup(context.Background(), valid(1))
			if err != nil || found != (tt.created == 1) {
				t.Fatalf("lookup: found=%v err=%v", found, err)
			}
		})
	}
}

// TestRedirectNeverFollowed: a 3xx is an endpoint error naming the
// Location (without its query), and nothing reaches the target.
func TestRedirectNeverFollowed(t *testing.T) {
	var reached sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Store(r.Method+" "+r.URL.Path, true)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"stolen"}`)
	}))
	defer target.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		sb := scim.NewSandbox(providers.SandboxOptions{Redirect: status, RedirectTo: target.URL + "/scim/v2/Users?token=abc123"})
		c := serve(t, sb, nil)
		err := c.Prepare(context.Background())
		if providers.KindOf(err) != providers.KindEndpoint {
			t.Fatalf("%d: prepare: %v, want kind endpoint", status, err)
		}
		_, err = c.Create(context.Background(), valid(1))
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindEndpoint || e.HTTPStatus != status {
			t.Fatalf("%d: create: %v, want kind endpoint", status, err)
		}
		if !strings.Contains(e.Error(), "redirected to "+target.URL+"/scim/v2/Users") || strings.Contains(e.Error(), "abc123") {
			t.Fatalf("%d: message %q must name the Location without its query", status, e.Error())
		}
		if _, _, err := c.Lookup(context.Background(), valid(1)); providers.KindOf(err) != providers.KindEndpoint {
			t.Fatalf("%d: lookup: %v, want kind endpoint", status, err)
		}
	}
	reached.Range(func(k, _ any) bool { t.Fatalf("the redirect target was reached: %v", k); return false })
}

// TestDuplicateVariants: every way the sandbox can answer a duplicate ends
// in exists with the first user's id, and nobody is created twice.
func TestDuplicateVariants(t *testing.T) {
	for _, dup := range []string{scim.Duplicate409, scim.Duplicate409Bare, scim.Duplicate400} {
		for _, st := range []string{scim.StatusString, scim.StatusNumber} {
			t.Run(dup+","+st, func(t *testing.T) {
				sb, c := providertest.Start(t, scim.New(), providers.SandboxOptions{Variants: map[string]string{scim.VariantDuplicate: dup, scim.VariantErrorStatus: st}})
				ctx := context.Background()
				first, err := c.Create(ctx, valid(1))
				if err != nil {
					t.Fatal(err)
				}
				again := valid(1)
				again["userName"] = strings.ToUpper(again.String("userName"))
				res, err := c.Create(ctx, again)
				if err != nil || res.Status != providers.StatusExists || res.VendorID != first.VendorID {
					t.Fatalf("duplicate: %+v %v, want exists with %s", res, err, first.VendorID)
				}
				if sb.Stats().Created != 1 {
					t.Fatalf("sandbox created %d", sb.Stats().Created)
				}
				// A plain validation 400 is not a duplicate: no lookup.
				bad := valid(2)
				bad["password"] = "Sh0rt!"
				before := sb.Stats().Requests
				_, err = c.Create(ctx, bad)
				e, ok := providers.AsError(err)
				if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != 400 || !strings.Contains(e.Message, "password policy: at least 8 characters (scimType invalidValue)") {
					t.Fatalf("validation error: %v", err)
				}
				if n := sb.Stats().Requests - before; n != 1 {
					t.Fatalf("a validation 400 took %d requests, want 1 (no lookup)", n)
				}
			})
		}
	}
}

// TestDuplicateAfterLostAnswer: a create acted on and then dropped, sent
// again, meets the duplicate answer of each variant and ends in exists with
// the one user's id.
func TestDuplicateAfterLostAnswer(t *testing.T) {
	for _, dup := range []string{scim.Duplicate409, scim.Duplicate409Bare, scim.Duplicate400} {
		t.Run(dup, func(t *testing.T) {
			sb, c := providertest.Start(t, scim.New(), providers.SandboxOptions{Drop: 1, Variants: map[string]string{scim.VariantDuplicate: dup}})
			ctx := context.Background()
			if _, err := c.Create(ctx, valid(1)); providers.KindOf(err) != providers.KindUnknown {
				t.Fatalf("dropped create: %v", err)
			}
			res, err := c.Create(ctx, valid(1))
			id, _ := sb.(*scim.Sandbox).Users()[0]["id"].(string)
			if err != nil || res.Status != providers.StatusExists || res.VendorID != id || sb.Stats().Created != 1 {
				t.Fatalf("re-sent create: %+v %v (sandbox id %s, created %d)", res, err, id, sb.Stats().Created)
			}
		})
	}
}

// TestConflictNotConfirmed: a 409 that the lookup does not confirm (another
// attribute clashed) fails the row with the service's words.
func TestConflictNotConfirmed(t *testing.T) {
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", api.MediaType)
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"schemas":["`+api.ErrorSchema+`"],"status":"409","scimType":"uniqueness","detail":"externalId E1 is taken"}`)
			return
		}
		_, _ = io.WriteString(w, `{"schemas":["`+api.ListResponseSchema+`"],"totalResults":0,"Resources":[]}`)
	}), nil)
	_, err := c.Create(context.Background(), providers.Record{"userName": "a@x.com"})
	e, ok := providers.AsError(err)
	if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != 409 || !strings.Contains(e.Message, "externalId E1 is taken (scimType uniqueness)") {
		t.Fatalf("got %v", err)
	}
}

// TestLookupNeedsAListResponse: a 2xx that is not a ListResponse is an
// error, never "absent"; a service that ignores the filter is paged.
func TestLookupNeedsAListResponse(t *testing.T) {
	for _, body := range []string{`<html>portal</html>`, `{}`, `{"Resources":[]}`, `[]`} {
		c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }), nil)
		if _, found, err := c.Lookup(context.Background(), providers.Record{"userName": "a@x.com"}); err == nil || found {
			t.Fatalf("%s: found=%v err=%v, want an error", body, found, err)
		}
	}
	// A service that ignores the filter and pages everybody, 2 at a time.
	var starts []string
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		starts = append(starts, r.URL.Query().Get("startIndex"))
		page := map[string]string{"": `[{"id":"1","userName":"x@x.com"},{"id":"2","userName":"y@x.com"}]`, "3": `[{"id":"3","userName":"A@X.com"}]`}[r.URL.Query().Get("startIndex")]
		_, _ = io.WriteString(w, `{"totalResults":3,"startIndex":1,"itemsPerPage":2,"Resources":`+page+`}`)
	}), nil)
	res, found, err := c.Lookup(context.Background(), providers.Record{"userName": "a@x.com"})
	if err != nil || !found || res.VendorID != "3" || len(starts) != 2 {
		t.Fatalf("paged lookup: %+v %v %v, pages %v", res, found, err, starts)
	}
}

// TestPrepareWithoutServiceProviderConfig: a service without the endpoint
// is accepted when /Users answers a ListResponse; application/json can be
// chosen as the create's Content-Type.
func TestPrepareWithoutServiceProviderConfig(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		switch {
		case r.URL.Path == "/scim2/Users" && r.Method == http.MethodGet:
			_, _ = io.WriteString(w, `{"totalResults":0,"Resources":[]}`)
		case r.URL.Path == "/scim2/Users":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"id":"z1"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := scim.New().NewClient(providers.Config{Endpoint: srv.URL + "/scim2", Auth: map[string]string{"token": "t"}, HTTPClient: srv.Client(),
		Options: providers.Options{scim.OptContentType: "application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), providers.Record{"userName": "z"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /scim2/ServiceProviderConfig ", "GET /scim2/Users ", "POST /scim2/Users application/json"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("requests %q, want %q", paths, want)
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   providers.Kind
		msg    string
	}{
		{"not found", 404, `<html>Not Found</html>`, providers.KindRejected, "404 Not Found: GET http"},
		{"html 200", 200, `<html>Welcome</html>`, providers.KindRejected, "did not answer a SCIM ServiceProviderConfig"},
		{"json not scim", 200, `{"hello":"world"}`, providers.KindRejected, "did not answer a SCIM ServiceProviderConfig"},
		{"unauthorized", 401, `{"schemas":["` + api.ErrorSchema + `"],"status":"401","detail":"bad token"}`, providers.KindAuth, "bad token"},
		{"forbidden", 403, `{"detail":"no scope"}`, providers.KindAuth, "no scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}), nil)
			err := c.Prepare(context.Background())
			e, ok := providers.AsError(err)
			if !ok || e.Kind != tt.kind || !strings.Contains(e.Error(), tt.msg) {
				t.Fatalf("got %v (kind %v), want kind %v with %q", err, providers.KindOf(err), tt.kind, tt.msg)
			}
			if strings.Contains(e.Error(), scim.SandboxToken) {
				t.Fatal("the token is in the error")
			}
		})
	}
}

func TestAuthAndEndpoint(t *testing.T) {
	p := scim.New()
	if _, err := p.NewClient(providers.Config{Endpoint: "https://x.example.com/scim/v2", Auth: map[string]string{"token": "t", "username": "u", "password": "p"}}); err == nil ||
		!strings.Contains(err.Error(), "not both") {
		t.Fatalf("token and Basic together: %v", err)
	}
	// Basic, and an endpoint pasted with /Users.
	rec := &recorder{next: scim.NewSandbox(providers.SandboxOptions{})}
	c := serve(t, rec, map[string]string{"username": scim.SandboxUsername, "password": scim.SandboxPassword})
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.all()[0]
	if u, pw, ok := (&http.Request{Header: got.header}).BasicAuth(); !ok || u != scim.SandboxUsername || pw != scim.SandboxPassword || got.path != "/scim/v2/ServiceProviderConfig" {
		t.Fatalf("basic auth request: %s %v", got.path, got.header)
	}
	sh, ok := c.(providers.SecretHolder)
	if !ok {
		t.Fatal("the client is not a SecretHolder")
	}
	joined := strings.Join(sh.Secrets(), "\n")
	if !strings.Contains(joined, scim.SandboxPassword) || !strings.Contains(joined, providers.BasicAuth(scim.SandboxUsername, scim.SandboxPassword)) {
		t.Fatalf("secrets %q lack the password or the header", sh.Secrets())
	}
	tc, _ := p.NewClient(providers.Config{Endpoint: "https://x.example.com/scim/v2/Users/", Auth: map[string]string{"token": "tok-123"}})
	if s := strings.Join(tc.(providers.SecretHolder).Secrets(), "\n"); !strings.Contains(s, "tok-123") || !strings.Contains(s, "Bearer tok-123") {
		t.Fatalf("bearer secrets %q", s)
	}
	if _, err := p.NewClient(providers.Config{Endpoint: "https://x.example.com/scim/v2", Auth: map[string]string{"token": "t"},
		Options: providers.Options{scim.OptContentType: "text/plain"}}); err == nil || !strings.Contains(err.Error(), "content_type") {
		t.Fatalf("a bad content_type: %v", err)
	}
	out, _ := p.Preview(providers.Record{"userName": "a"}, nil)
	if !strings.HasPrefix(out, "POST {endpoint}/Users") {
		t.Fatalf("preview %q", out)
	}
}
