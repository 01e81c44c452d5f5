package providers_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 120 * time.Second},
		{"-3", 0},
		{"Mon, 23 Nov 2026 10:00:30 GMT", 30 * time.Second},
		{"Mon, 23 Nov 2026 09:00:00 GMT", 0}, // in the past
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := providers.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusKind(t *testing.T) {
	tests := map[int]providers.Kind{
		400: providers.KindRejected, 404: providers.KindRejected, 409: providers.KindRejected, 500: providers.KindRejected,
		401: providers.KindAuth, 403: providers.KindAuth,
		408: providers.KindRetry, 429: providers.KindRetry, 503: providers.KindRetry,
		502: providers.KindUnknown, 504: providers.KindUnknown,
	}
	for status, want := range tests {
		if got := providers.StatusKind(status); got != want {
			t.Errorf("StatusKind(%d) = %v, want %v", status, got, want)
		}
	}
}

// TestDoClassifiesTransportFailures: a connection refused before anything
// was written is safe to retry; a connection closed after the request was
// written is an unknown outcome. Neither message holds the URL, which may
// carry a secret.
func TestDoClassifiesTransportFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	req, _ := http.NewRequest(http.MethodPost, refused+"/x?accountpassword=hunter2", strings.NewReader("{}"))
	_, _, err = providers.Do(context.Background(), http.DefaultClient, "v", "create", req)
	if providers.KindOf(err) != providers.KindRetry || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("refused: %v (kind %v)", err, providers.KindOf(err))
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/x?accountpassword=hunter2", strings.NewReader("{}"))
	_, _, err = providers.Do(context.Background(), srv.Client(), "v", "create", req)
	if providers.KindOf(err) != providers.KindUnknown || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("dropped: %v (kind %v)", err, providers.KindOf(err))
	}
}

func TestRegistry(t *testing.T) {
	r := providers.NewRegistry(cognigy.New())
	if _, err := r.Get("cognigy"); err != nil {
		t.Fatal(err)
	}
	_, err := r.Get("cognity")
	if err == nil || !strings.Contains(err.Error(), `known: "cognigy"`) {
		t.Fatalf("unknown provider error %v does not list the known ones", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering a name twice did not panic")
		}
	}()
	r.Register(cognigy.New())
}

func TestMatchAuth(t *testing.T) {
	d := cognigy.New().Describe()
	if _, err := d.MatchAuth(map[string]string{"username": "u", "password": "p"}); err != nil {
		t.Fatal(err)
	}
	_, err := d.MatchAuth(map[string]string{"username": "u"})
	if err == nil || !strings.Contains(err.Error(), `"password"`) {
		t.Fatalf("missing password: %v", err)
	}
	_, err = d.MatchAuth(map[string]string{"username": "u", "password": "p", "pasword": "x"})
	if err == nil || !strings.Contains(err.Error(), `unknown auth setting "pasword"`) {
		t.Fatalf("typo: %v", err)
	}
}

func TestParseValueAndSkills(t *testing.T) {
	for in, want := range map[string]bool{"yes": true, "Y": true, "1": true, "TRUE": true, "no": false, "0": false, "off": false} {
		v, err := providers.ParseValue(providers.Bool, in)
		if err != nil || v != want {
			t.Errorf("bool %q = %v %v", in, v, err)
		}
	}
	if _, err := providers.ParseValue(providers.Bool, "maybe"); err == nil {
		t.Error("maybe parsed as a boolean")
	}
	m, err := providers.ParseSkills("Spanish:100; English = 80,French:5")
	if err != nil || m["Spanish"] != 100 || m["English"] != 80 || m["French"] != 5 || len(m) != 3 {
		t.Fatalf("skills = %v %v", m, err)
	}
	for _, bad := range []string{"Spanish", "Spanish:high", "A:1;A:2"} {
		if _, err := providers.ParseSkills(bad); err == nil {
			t.Errorf("ParseSkills(%q) accepted", bad)
		}
	}
}

func TestCheckFieldsNeverShowsSecrets(t *testing.T) {
	d := &providers.Description{Name: "x", Fields: []providers.Field{{Name: "password", Type: providers.String, Secret: true, MinLen: 30}}}
	errs := providers.CheckFields(d, providers.Record{"password": "hunter2"})
	if len(errs) != 1 || strings.Contains(errs[0].Error(), "hunter2") {
		t.Fatalf("errs = %v", errs)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://api-trial.cognigy.ai/new", "https://api-trial.cognigy.ai/new", ""},
		{" https://api-trial.cognigy.ai/new/ ", "https://api-trial.cognigy.ai/new", ""},
		{"https://x.example.com/configapi/v2/", "https://x.example.com", ""},
		{"ftp://x.example.com", "", "not an http(s) URL"},
		{"x.example.com", "", "not an http(s) URL"},
		{"https://admin:hunter2@x.example.com", "", "without credentials"},
		{"https://x.example.com/?token=abc", "", "without credentials, query"},
	}
	for _, tt := range tests {
		u, err := providers.BaseURL("v", tt.in, "/configapi/v2", "https://example.com")
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("BaseURL(%q) error = %v, want %q without the password", tt.in, err, tt.err)
			}
		case err != nil || u.String() != tt.want:
			t.Errorf("BaseURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

// TestFieldChecker: checking fixed fields once gives what CheckFields gives
// on every record, including a fixed value's own problem and a field the
// vendor does not have.
func TestFieldChecker(t *testing.T) {
	d := &providers.Description{Name: "x", Fields: []providers.Field{
		{Name: "id", Type: providers.String, Required: true, Pattern: regexp.MustCompile(`^[a-z]+@[a-z]+$`)},
		{Name: "org", Type: providers.String, Pattern: regexp.MustCompile(`^[0-9a-f]{4}$`)},
		{Name: "role", Type: providers.String, Enum: []string{"agent", "admin"}},
		{Name: "tos", Type: providers.Bool},
	}}
	recs := []providers.Record{
		{"id": "a@x", "org": "00ff", "role": "agent", "tos": true},
		{"id": "A@x", "org": "00ff", "role": "agent", "tos": true},
		{"org": "00ff", "role": "boss", "tos": true},
		{"id": "a@x", "org": "00ff", "role": "agent", "tos": true, "extra": "?"},
		{"id": "a@x", "org": "nothex", "role": "agent", "tos": "yes"},
		{"id": "a@x", "role": "agent"},
	}
	for _, rec := range recs {
		fixed := map[string]any{}
		for _, name := range []string{"org", "tos"} {
			if v, ok := rec[name]; ok {
				fixed[name] = v
			}
		}
		want := providers.CheckFields(d, rec)
		got := providers.NewFieldChecker(d, fixed).Check(rec)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: checker %v, CheckFields %v", rec, got, want)
		}
	}
	if errs := providers.NewFieldChecker(d, map[string]any{"org": "nothex"}).Check(providers.Record{"id": "a@x", "org": "nothex"}); len(errs) != 1 || errs[0].Field != "org" {
		t.Errorf("a fixed value's problem: %v", errs)
	}
	if errs := providers.NewFieldChecker(d, nil).Check(providers.Record{"id": "a@x", "extra": "?"}); len(errs) != 1 || errs[0].Field != "extra" {
		t.Errorf("a field the vendor does not have: %v", errs)
	}
}
