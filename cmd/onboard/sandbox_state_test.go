package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two rehearsals with one --sandbox-state: the second skips everyone and
// exits as the first; without --sandbox the flag is a usage error.
func TestRunSandboxState(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV)
	state := filepath.Join(dir, "rehearsal.json")

	r := onboard(t, nil, "run", "--job", job, "--sandbox-state", state, "--out", filepath.Join(dir, "out0"))
	if r.code != exitNotSent || !strings.Contains(r.stderr, "--sandbox-state needs --sandbox") {
		t.Fatalf("without --sandbox: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(state); err == nil {
		t.Fatal("the refused run wrote a state")
	}

	for i, want := range []map[string]float64{{"created": 3, "skipped": 0}, {"created": 0, "skipped": 3}} {
		out := filepath.Join(dir, "out"+string(rune('1'+i)))
		if r := onboard(t, nil, "run", "--job", job, "--sandbox", "--sandbox-state", state, "--out", out); r.code != exitOK {
			t.Fatalf("rehearsal %d: exit %d\n%s", i+1, r.code, r.stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Counts   map[string]float64 `json:"counts"`
			Requests float64            `json:"requests"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.Counts["created"] != want["created"] || s.Counts["skipped"] != want["skipped"] || s.Requests != want["created"] {
			t.Fatalf("rehearsal %d: counts %v, %v requests; want %v", i+1, s.Counts, s.Requests, want)
		}
	}
}
