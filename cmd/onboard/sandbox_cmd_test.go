package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers/all"
)

// sandboxRun serves `onboard sandbox args...`, calls probe with its URL,
// then stops it and returns its exit code and output.
func sandboxRun(t *testing.T, probe func(url string), args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	a := &app{
		registry: all.Registry(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, isTerm: func() bool { return false }, ctx: ctx,
	}
	a.ready = func(url string) {
		probe(url)
		cancel()
	}
	code := a.main(append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...))
	return code, out.String() + errb.String()
}

// TestSandboxFaultFlags: the new flags reach the sandbox: a redirect
// answers every request, and the variant is named in the banner.
func TestSandboxFaultFlags(t *testing.T) {
	var status int
	var location string
	code, out := sandboxRun(t, func(url string) {
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(url + "/configapi/v2/team")
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		status, location = resp.StatusCode, resp.Header.Get("Location")
	}, "brightpattern", "--redirect", "307", "--redirect-to", "https://moved.example", "--variant", "duplicate=500",
		"--html", "0.5", "--no-id", "0.25", "--limit", "3", "--no-retry-after")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if status != 307 || location != "https://moved.example/configapi/v2/team" {
		t.Fatalf("got %d Location %q, want 307 to https://moved.example/configapi/v2/team", status, location)
	}
	for _, want := range []string{"every request redirected (307 to https://moved.example)", "50% answered 200 with an HTML page",
		"25% acted on, answered without the new user's id", "hidden limit of 3 creates/s (429, no Retry-After)", "duplicate=500", "1 redirected"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSandboxFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"brightpattern", "--variant", "duplicate=418"}, `sandbox variant duplicate="418": the value must be one of "409", "400", "500"`},
		{[]string{"cognigy", "--variant", "lookup=404"}, `unknown sandbox variant "lookup" (known: "duplicate")`},
		{[]string{"cognigy", "--variant", "duplicate"}, "write it as NAME=VALUE"},
		{[]string{"cognigy", "--redirect", "301"}, "--redirect needs --redirect-to"},
		{[]string{"cognigy", "--redirect", "200", "--redirect-to", "https://x.example"}, "not a redirect status"},
		{[]string{"cognigy", "--redirect", "301", "--redirect-to", "x.example"}, "is not an http(s) URL"},
		{[]string{"cognigy", "--html", "2"}, "between 0 and 1"},
		{[]string{"cognigy", "--limit", "-1"}, "--limit must be"},
	}
	for _, tt := range tests {
		code, out := sandboxRun(t, func(string) { t.Errorf("%v: the sandbox served", tt.args) }, tt.args...)
		if code != exitNotSent || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, output %q; want exit 2 with %q", tt.args, code, out, tt.want)
		}
	}
}

func TestProvidersListsVariants(t *testing.T) {
	r := onboard(t, nil, "providers", "brightpattern")
	if r.code != exitOK || !strings.Contains(r.stdout, "sandbox variants") || !strings.Contains(r.stdout, "duplicate=409|400|500: ") {
		t.Fatalf("exit %d, output lacks the variants:\n%s", r.code, r.stdout)
	}
}
