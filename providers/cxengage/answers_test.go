package cxengage_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
)

// reply is one scripted answer.
type reply struct {
	status int
	body   string
}

// scripted is a fake vendor that answers creates and lookups with fixed
// replies and counts what it received.
type scripted struct {
	create, lookup reply

	mu               sync.Mutex
	creates, lookups int
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	a := s.lookup
	if r.Method == http.MethodPost {
		s.creates++
		a = s.create
	} else {
		s.lookups++
	}
	s.mu.Unlock()
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (s *scripted) counts() (creates, lookups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates, s.lookups
}

func scriptedClient(t *testing.T, s *scripted, opts providers.Options) providers.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"username": "u", "password": "p"}, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	theID      = "b4aaa3a0-33c3-11e6-af8f-5347eb4882ad"
	found      = `{"result":[{"id":"` + theID + `","email":"Agent1@Example.com"}]}`
	notFound   = `{"error":{"code":404,"message":"User not found"}}`
	documented = `{"result":{"aliasPlatformUserId":"533","email":"agent1@example.com","defaultTenant":null,"status":"enabled","id":"` + theID + `","roleId":"d68381b0-c8fa-11e5-b38c-5347eb4882ad"}}`
)

// TestDuplicateAnswers: every answer that may mean "exists" is confirmed
// by a lookup; found is exists with the vendor's id, not found is a
// rejection with the vendor's words. A plain validation 400 is rejected
// without a lookup.
func TestDuplicateAnswers(t *testing.T) {
	maybe := []struct {
		name string
		ans  reply
		msg  string // the vendor's words, carried when not confirmed
	}{
		{"attribute string", reply{400, `{"error":{"code":400,"message":"User with email 'agent1@example.com' already exists","attribute":"email"}}`}, "User with email 'agent1@example.com' already exists"},
		{"attribute object", reply{400, `{"error":{"code":400,"message":"Bad Request","attribute":{"email":"already exists"}}}`}, "Bad Request; email: already exists"},
		{"attribute object of a list", reply{400, `{"error":{"code":400,"attribute":{"email":["has the same value as another user"]}}}`}, "email: has the same value as another user"},
		{"bare string", reply{400, `{"error":"User already exists"}`}, "User already exists"},
		{"array, other case", reply{400, `{"error":[{"code":400,"message":"A user with this email Already Exists"}]}`}, "A user with this email Already Exists"},
		{"already registered", reply{400, `{"error":{"message":"Email is already registered"}}`}, "Email is already registered"},
		{"nested duplicate found", reply{409, `{"error":{"code":409,"message":"Conflict","body":{"errors":[{"title":"Duplicate found"}]}}}`}, "Conflict; Duplicate found"},
		{"422", reply{422, `{"error":"already exists"}`}, "already exists"},
		{"409 without the words", reply{409, `{"error":{"code":409,"message":"Conflict"}}`}, "Conflict"},
		{"plain text", reply{400, `User already exists`}, "User already exists"},
		{"externalId taken", reply{400, `{"error":{"message":"already exists","attribute":"externalId"}}`}, "externalId: already exists"},
	}
	for _, tt := range maybe {
		t.Run(tt.name+"/found", func(t *testing.T) {
			s := &scripted{create: tt.ans, lookup: reply{200, found}}
			res, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
			if err != nil || res.Status != providers.StatusExists || res.VendorID != theID || res.HTTPStatus != tt.ans.status {
				t.Fatalf("got %+v %v, want exists with id %s", res, err, theID)
			}
			if c, l := s.counts(); c != 1 || l != 1 {
				t.Fatalf("%d creates, %d lookups; want 1 and 1", c, l)
			}
		})
		for _, absent := range []reply{{404, notFound}, {200, `{"result":[]}`}, {200, `{"result":[{"id":"x","email":"other.agent1@example.com"}]}`}} {
			t.Run(tt.name+"/absent", func(t *testing.T) {
				s := &scripted{create: tt.ans, lookup: absent}
				_, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
				e, ok := providers.AsError(err)
				if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != tt.ans.status || !strings.HasPrefix(e.Message, tt.msg) ||
					!strings.Contains(e.Message, "not a duplicate") {
					t.Fatalf("got %v, want a rejection carrying %q", err, tt.msg)
				}
			})
		}
		t.Run(tt.name+"/lookup fails", func(t *testing.T) {
			s := &scripted{create: tt.ans, lookup: reply{503, `{"error":"Service unavailable"}`}}
			_, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
			if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindRetry || !strings.Contains(e.Message, "lookup to confirm it failed") {
				t.Fatalf("got %v, want kind retry (the create was refused, so re-sending is safe)", err)
			}
		})
		t.Run(tt.name+"/lookup refused", func(t *testing.T) {
			s := &scripted{create: tt.ans, lookup: reply{401, `{"error":"Invalid username or password"}`}}
			_, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
			if providers.KindOf(err) != providers.KindAuth {
				t.Fatalf("got %v, want kind auth", err)
			}
		})
	}

	plain := []struct {
		name string
		ans  reply
		kind providers.Kind
		msg  string
	}{
		{"validation array", reply{400, `{"error":[{"code":400,"message":"email is required","attribute":"email"},"roleId is required"]}`}, providers.KindRejected, "email is required; roleId is required"},
		{"unknown role", reply{400, `{"error":{"code":400,"message":"Role 'x' is not a platform role","attribute":"roleId"}}`}, providers.KindRejected, "roleId: Role 'x' is not a platform role"},
		{"404 already exists", reply{404, `{"error":"already exists"}`}, providers.KindRejected, "already exists"},
		{"401", reply{401, `{"error":"Invalid username or password"}`}, providers.KindAuth, "Invalid username or password"},
		{"429", reply{429, `{"error":"Too many requests"}`}, providers.KindRetry, "Too many requests"},
		{"502 html", reply{502, "<html><body>Bad gateway</body></html>"}, providers.KindUnknown, "<html><body>Bad gateway</body></html>"},
	}
	for _, tt := range plain {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{create: tt.ans, lookup: reply{200, found}}
			_, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
			e, ok := providers.AsError(err)
			if !ok || e.Kind != tt.kind || e.HTTPStatus != tt.ans.status || e.Message != tt.msg {
				t.Fatalf("got %v; want kind %v message %q", err, tt.kind, tt.msg)
			}
			if _, l := s.counts(); l != 0 {
				t.Fatalf("%d lookups for an answer that is not a duplicate", l)
			}
		})
	}
}

// TestProofOfCreation: only the documented answer with an id is created;
// any other 2xx is an unknown outcome.
func TestProofOfCreation(t *testing.T) {
	tests := []struct {
		name    string
		ans     reply
		created bool
	}{
		{"documented 200", reply{200, documented}, true},
		{"201", reply{201, documented}, true},
		{"status typed boolean", reply{200, `{"result":{"id":"` + theID + `","status":true}}`}, true},
		{"no e-mail in the answer", reply{200, `{"result":{"id":"` + theID + `"}}`}, true},
		{"html page", reply{200, "<!DOCTYPE html><html><body>Welcome to the guest Wi-Fi</body></html>"}, false},
		{"201 empty object", reply{201, `{}`}, false},
		{"result without id", reply{200, `{"result":{"email":"agent1@example.com"}}`}, false},
		{"another user's e-mail", reply{200, `{"result":{"id":"` + theID + `","email":"someone@example.com"}}`}, false},
		{"garbage", reply{200, "\x1f\x8b\x08\x00garbage"}, false},
		{"204 no content", reply{204, ``}, false},
		{"a list", reply{200, `{"result":[{"id":"` + theID + `"}]}`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{create: tt.ans, lookup: reply{404, notFound}}
			res, err := scriptedClient(t, s, nil).Create(context.Background(), valid(1))
			if tt.created {
				if err != nil || res.Status != providers.StatusCreated || res.VendorID != theID || res.HTTPStatus != tt.ans.status {
					t.Fatalf("got %+v %v, want created %s", res, err, theID)
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
	t.Run("tenant step not run", func(t *testing.T) {
		s := &scripted{create: reply{200, `{}`}, lookup: reply{404, notFound}}
		_, err := scriptedClient(t, s, tenantOpts()).Create(context.Background(), valid(1))
		if providers.KindOf(err) != providers.KindUnknown || !strings.Contains(err.Error(), "tenant step was not run") {
			t.Fatalf("got %v", err)
		}
		if c, l := s.counts(); c != 1 || l != 0 {
			t.Fatalf("%d creates, %d other requests; want 1 and 0 (no tenant call)", c, l)
		}
	})
}

// TestLookupAnswers: 404 and an empty list are absent; anything that is
// not the vendor's list is an error, never absent.
func TestLookupAnswers(t *testing.T) {
	tests := []struct {
		name  string
		ans   reply
		found bool
		err   string // part of the error; "" means none
	}{
		{"found, other case", reply{200, found}, true, ""},
		{"404", reply{404, notFound}, false, ""},
		{"404 without a body", reply{404, ``}, false, ""},
		{"200 empty list", reply{200, `{"result":[]}`}, false, ""},
		{"partial match only", reply{200, `{"result":[{"id":"x","email":"the.agent1@example.com"}]}`}, false, ""},
		{"200 html", reply{200, `<html><body>Log in to the proxy</body></html>`}, false, "not with a user list"},
		{"200 empty object", reply{200, `{}`}, false, "not with a user list"},
		{"200 one object", reply{200, `{"result":{"id":"x","email":"agent1@example.com"}}`}, false, "not with a user list"},
		{"found without an id", reply{200, `{"result":[{"email":"agent1@example.com"}]}`}, false, "without its id"},
		{"500", reply{500, `{"error":"Internal error"}`}, false, "500 Internal Server Error: Internal error"},
		{"400", reply{400, `{"error":"bad filter"}`}, false, "bad filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{lookup: tt.ans}
			res, ok, err := scriptedClient(t, s, nil).Lookup(context.Background(), valid(1))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || ok {
					t.Fatalf("got %v %v, want an error with %q", ok, err, tt.err)
				}
				return
			}
			if err != nil || ok != tt.found || tt.found && (res.VendorID != theID || res.Status != providers.StatusExists) {
				t.Fatalf("got %+v %v %v, want found=%v", res, ok, err, tt.found)
			}
		})
	}
}

// TestRedirectNeverFollowed: a 3xx is the endpoint's fault; nothing reaches
// its target.
func TestRedirectNeverFollowed(t *testing.T) {
	var reached int
	var mu sync.Mutex
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached++
		mu.Unlock()
		_, _ = io.WriteString(w, `{"result":[]}`)
	}))
	defer target.Close()
	for _, status := range []int{301, 302, 307, 308} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/v1/users?token=s3cr3t", status)
		}))
		c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"username": "u", "password": "p"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(context.Background(), valid(1))
		if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindEndpoint || !strings.Contains(e.Message, target.URL+"/v1/users") ||
			strings.Contains(e.Message, "s3cr3t") {
			t.Errorf("%d: got %v, want kind endpoint naming the location without its query", status, err)
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

// TestAPIKeyRefused: a refused key says what to try, and no secret.
func TestAPIKeyRefused(t *testing.T) {
	sb := cxengage.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, HTTPClient: srv.Client(),
		Auth: map[string]string{"api_key": "key-id", "api_secret": "key-secret-value"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), valid(1))
	e, ok := providers.AsError(err)
	if !ok || e.Kind != providers.KindAuth || !strings.Contains(e.Message, "MANAGE_ALL_USERS") || !strings.Contains(e.Message, "/v1/tokens") ||
		strings.Contains(e.Error(), "key-secret-value") {
		t.Fatalf("got %v", err)
	}
	// With username and password the hint would be wrong: not added.
	c, _ = cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, HTTPClient: srv.Client(),
		Auth: map[string]string{"username": cxengage.SandboxUsername, "password": "wrong"}})
	if _, err := c.Create(context.Background(), valid(1)); err == nil || strings.Contains(err.Error(), "api_key") {
		t.Fatalf("got %v", err)
	}
}

func TestSecrets(t *testing.T) {
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: "https://api.cxengage.net", Auth: map[string]string{"api_key": "k", "api_secret": "the-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := c.(providers.SecretHolder)
	if !ok {
		t.Fatal("the client is not a providers.SecretHolder")
	}
	got := strings.Join(h.Secrets(), "\n")
	for _, want := range []string{"the-secret", providers.BasicAuth("k", "the-secret")} {
		if !strings.Contains(got, want) {
			t.Fatalf("Secrets() = %q lacks %q", got, want)
		}
	}
}

// TestConfirmThrottled: a throttled lookup while confirming a duplicate
// passes its Retry-After on, so the pipeline pauses instead of spending a
// try.
func TestConfirmThrottled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"User already exists"}`)
			return
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"username": "u", "password": "p"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), valid(1))
	if e, ok := providers.AsError(err); !ok || e.Kind != providers.KindRetry || e.RetryAfter.Seconds() != 7 {
		t.Fatalf("got %#v, want kind retry with RetryAfter 7s", err)
	}
}
