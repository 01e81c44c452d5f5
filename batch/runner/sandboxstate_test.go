package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// rehearsal runs the sample Cognigy job against the sandbox, keeping the
// fake's users in state, with the reports in a new folder under dir.
func rehearsal(t *testing.T, reg *providers.Registry, dir, state, name string) Outcome {
	t.Helper()
	return Run(context.Background(), Options{
		JobPath: filepath.Join("..", "..", "samples", "cognigy", "job.yaml"), Out: filepath.Join(dir, name),
		Rate: 0, Sandbox: true, SandboxState: state, Registry: reg,
		Getenv: func(string) string { return "" }, Grace: time.Second,
	})
}

// Rehearsing a nightly loop: the second run skips every valid row (the
// ledger beside the state says they are done) and sends nothing; without
// the ledger, the fake still has them, so every one is exists.
func TestSandboxStateRehearsesTheNightlyLoop(t *testing.T) {
	reg := providers.NewRegistry(cognigy.New())
	dir := t.TempDir()
	state := filepath.Join(dir, "rehearsal.json")

	first := rehearsal(t, reg, dir, state, "1")
	if first.Summary == nil || first.Summary.Stage != "" {
		t.Fatalf("first rehearsal: code %d %v", first.Code, first.Err)
	}
	valid := first.Summary.Counts.Created
	if valid == 0 || first.Summary.Counts.Exists != 0 || first.Summary.Counts.Skipped != 0 {
		t.Fatalf("first rehearsal counts %+v: want only created (and failed) rows", first.Summary.Counts)
	}
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v, want mode 0600", fi, err)
	}
	led := SandboxLedgerPath(state)
	if got := first.Summary.Reports["ledger"]; got != led {
		t.Fatalf("ledger %q, want %q beside the state", got, led)
	}

	second := rehearsal(t, reg, dir, state, "2")
	c := second.Summary.Counts
	if c.Skipped != valid || c.Created != 0 || c.Exists != 0 || second.Summary.Requests != 0 {
		t.Fatalf("second rehearsal counts %+v, %d requests; want %d skipped and no request", c, second.Summary.Requests, valid)
	}
	if second.Code != first.Code {
		t.Errorf("second rehearsal exit %d, first %d: the same rows fail the same way", second.Code, first.Code)
	}

	if err := os.Remove(led); err != nil {
		t.Fatal(err)
	}
	third := rehearsal(t, reg, dir, state, "3")
	c = third.Summary.Counts
	if c.Exists != valid || c.Created != 0 || c.Skipped != 0 {
		t.Fatalf("rehearsal without its ledger: counts %+v; want %d exists (the fake kept them)", c, valid)
	}
}

func TestSandboxStateRefusals(t *testing.T) {
	reg := providers.NewRegistry(cognigy.New())
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"format":"onboard-sandbox-state/1","vendor":"scim","state":{"users":[]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, state string
		reg         *providers.Registry
		sandbox     bool
		want        string
	}{
		{"corrupt", corrupt, reg, true, "--sandbox-state " + corrupt},
		{"another vendor's", other, reg, true, `saved by the "scim" sandbox`},
		{"without --sandbox", filepath.Join(dir, "s.json"), reg, false, "--sandbox-state needs --sandbox"},
		{"a sandbox that cannot keep users", filepath.Join(dir, "s.json"), providers.NewRegistry(forgetful{cognigy.New()}), true, "the cognigy sandbox cannot keep its users"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := Run(context.Background(), Options{
				JobPath: filepath.Join("..", "..", "samples", "cognigy", "job.yaml"), Out: filepath.Join(dir, "out-"+strings.ReplaceAll(tt.name, " ", "-")),
				Rate: -1, Sandbox: tt.sandbox, SandboxState: tt.state, Registry: tt.reg,
				Getenv: func(string) string { return "" }, Grace: time.Second,
			})
			if o.Code != ExitNotSent || o.Err == nil || !strings.Contains(o.Err.Error(), tt.want) {
				t.Fatalf("code %d, err %v; want 2 and %q", o.Code, o.Err, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(corrupt); string(b) != "{not json" {
		t.Errorf("a refused state was overwritten: %q", b)
	}
}

// forgetful is Cognigy with a sandbox that is not a StatefulSandbox.
type forgetful struct{ cognigy.Provider }

func (f forgetful) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	return plainSandbox{f.Provider.NewSandbox(opts)}
}

type plainSandbox struct{ providers.Sandbox }
