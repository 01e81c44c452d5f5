package providers_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
)

// TestRedirectNeverFollowed: whatever client the Config supplies, a 3xx
// is an endpoint error naming the Location without its query or
// credentials, and the target never sees a request (no re-posted body, no
// forwarded Authorization).
func TestRedirectNeverFollowed(t *testing.T) {
	var reached atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer target.Close()
	tests := []struct {
		code     int
		location string
		want     string
	}{
		{301, target.URL + "/new?token=abc", "redirected to " + target.URL + "/new:"},
		{302, "https://user:pw@other.example/x?sig=1#frag", "redirected to https://other.example/x:"},
		{307, "/relative/path?q=secret", "/relative/path:"},
		{308, "", "redirected to an unnamed location"},
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tt.location != "" {
				w.Header().Set("Location", tt.location)
			}
			w.WriteHeader(tt.code)
		}))
		clients := map[string]*http.Client{
			"HTTPClient(srv.Client())": providers.HTTPClient(providers.Config{HTTPClient: srv.Client()}),
			"srv.Client() as is":       srv.Client(),
			"DefaultHTTPClient":        providers.DefaultHTTPClient(),
			"a client with a jar":      {Jar: jar},
		}
		for name, hc := range clients {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api?password=hunter2", strings.NewReader(`{"password":"hunter2"}`))
			req.Header.Set("Authorization", "Bearer tok")
			_, _, err := providers.Do(context.Background(), hc, "vendor", "create", req)
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindEndpoint || e.HTTPStatus != tt.code {
				t.Fatalf("%d via %s: got %v, want a %d of kind endpoint", tt.code, name, err, tt.code)
			}
			msg := e.Error()
			for _, bad := range []string{"token=abc", "pw@", "sig=1", "frag", "secret", "hunter2"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%d via %s: message %q holds %q", tt.code, name, msg, bad)
				}
			}
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "fix endpoint: in the job file") {
				t.Errorf("%d via %s: message %q, want it to contain %q and the fix", tt.code, name, msg, tt.want)
			}
		}
		srv.Close()
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}

// TestHTTPClientLeavesTheCallersClient: the copy never follows redirects;
// the caller's client is unchanged.
func TestHTTPClientLeavesTheCallersClient(t *testing.T) {
	own := &http.Client{}
	hc := providers.HTTPClient(providers.Config{HTTPClient: own})
	if hc == own || own.CheckRedirect != nil || hc.CheckRedirect == nil {
		t.Fatal("HTTPClient must return a copy with CheckRedirect set, leaving the caller's client alone")
	}
	if providers.HTTPClient(providers.Config{}).CheckRedirect == nil {
		t.Fatal("the default client follows redirects")
	}
}

func TestCheckVariants(t *testing.T) {
	d := &providers.Description{Name: "v", SandboxVariants: []providers.Variant{{Name: "duplicate", Values: []string{"409", "400"}}}}
	tests := []struct {
		v       map[string]string
		wantErr string
		value   string
	}{
		{nil, "", "409"},
		{map[string]string{"duplicate": "400"}, "", "400"},
		{map[string]string{"duplicate": "500"}, `must be one of "409", "400"`, "409"},
		{map[string]string{"dup": "400"}, `unknown sandbox variant "dup" (known: "duplicate")`, "409"},
	}
	for _, tt := range tests {
		err := d.CheckVariants(tt.v)
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckVariants(%v) = %v, want %q", tt.v, err, tt.wantErr)
		}
		if got := d.VariantValue(tt.v, "duplicate"); got != tt.value {
			t.Errorf("VariantValue(%v) = %q, want %q", tt.v, got, tt.value)
		}
	}
}

// TestClientTimeout: the client's Timeout bounds a request whether the
// vendor is slow to answer or slow to finish the body, with or without a
// cookie jar (which goes through Client.Do), and a request the vendor read
// is reported as sent, outcome unknown.
func TestClientTimeout(t *testing.T) {
	for _, stall := range []string{"headers", "body"} {
		release := make(chan struct{}) // the handlers wait until the clients gave up
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if stall == "body" {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"id":`))
				w.(http.Flusher).Flush()
			}
			select {
			case <-release:
			case <-r.Context().Done():
			case <-time.After(3 * time.Second): // a client that never gives up
			}
		}))
		jar, _ := cookiejar.New(nil)
		for name, hc := range map[string]*http.Client{
			"plain":    {Timeout: 200 * time.Millisecond},
			"with jar": {Timeout: 200 * time.Millisecond, Jar: jar},
		} {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
			start := time.Now()
			_, _, err := providers.Do(context.Background(), hc, "vendor", "create", req)
			took := time.Since(start)
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindUnknown || !strings.Contains(e.Message, "timed out") {
				t.Errorf("%s, %s: got %v, want a timeout of kind unknown", stall, name, err)
			}
			if took > 2*time.Second {
				t.Errorf("%s, %s: took %s; the timeout did not bound it", stall, name, took)
			}
		}
		close(release)
		srv.Close()
	}
}
