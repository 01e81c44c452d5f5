package main

import (
	"reflect"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/all"
)

func TestSandboxExports(t *testing.T) {
	job := "provider: cognigy\nauth:\n  username: ${COG_USER}\n  password: ${COG_PASS}\n  extra: prefix-${NOT_WHOLE}\n"
	got, err := sandboxExports(job, map[string]string{"username": "admin@example.com", "password": "it's secret", "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"export COG_PASS='it'\\''s secret'", "export COG_USER=admin@example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// Every provider's template names the variables its sandbox's
	// credentials go into.
	for _, p := range all.Registry().All() {
		d := p.Describe()
		lines, err := sandboxExports(d.InitJob, p.NewSandbox(providersOpts()).Credentials())
		if err != nil || len(lines) == 0 {
			t.Errorf("%s: %v %v", d.Name, lines, err)
		}
	}
}

func providersOpts() (o providers.SandboxOptions) { return }
