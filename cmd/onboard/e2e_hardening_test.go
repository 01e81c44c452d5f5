//go:build !windows

package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// TestOverlappingRunsExit4: cron fires while last night's run still goes.
// The second run sends nothing, writes no reports, exits 4 naming the
// first; nobody is created twice.
func TestOverlappingRunsExit4(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, 300, 20)
	sb := &hookedSandbox{Sandbox: cognigy.NewSandbox(providers.SandboxOptions{AllowDuplicates: true})}
	first := make(chan struct{})
	var once sync.Once
	sb.hook = func() { once.Do(func() { close(first) }) }
	srv := httptest.NewServer(sb)
	defer srv.Close()

	one := start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--out", filepath.Join(dir, "one"), "--progress", "never")
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		one.Process.Kill()
		t.Fatal("the first run created nobody")
	}
	two := exec.Command(binary, "run", "--job", job, "--endpoint", srv.URL, "--out", filepath.Join(dir, "two"), "--progress", "never")
	two.Env = append(os.Environ(), "COGNIGY_USERNAME="+cognigy.SandboxUsername, "COGNIGY_PASSWORD="+cognigy.SandboxPassword)
	out, _ := two.CombinedOutput()
	if code := two.ProcessState.ExitCode(); code != exitLocked {
		t.Fatalf("second run: exit %d, want 4\n%s", code, out)
	}
	if !strings.Contains(string(out), "another run of this job is in progress") || !strings.Contains(string(out), "pid ") {
		t.Fatalf("second run does not name the holder:\n%s", out)
	}
	one.Process.Signal(os.Interrupt)
	one.Wait()
	st := sb.Stats()
	if st.Duplicates != 0 {
		t.Fatalf("%d duplicates", st.Duplicates)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "two"))
	for _, e := range entries {
		if e.Name() != "summary.json" {
			t.Fatalf("the locked-out run wrote %s", e.Name())
		}
	}
	var sum struct {
		ExitCode int `json:"exit_code"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "two", "summary.json"))
	if json.Unmarshal(data, &sum) != nil || sum.ExitCode != exitLocked {
		t.Fatalf("summary of the locked-out run: %s", data)
	}
}

// TestFIFOInput: a named pipe is read as it comes, never counted ahead,
// even with --progress always; and a signal stops a run whose FIFO has no
// writer yet.
func TestFIFOInput(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, 1, 0)
	fifo := filepath.Join(dir, "feed.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	srv := httptest.NewServer(cognigy.NewSandbox(providers.SandboxOptions{}))
	defer srv.Close()
	cmd := start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--input", fifo, "--out", filepath.Join(dir, "out"), "--progress", "always")
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("First Name,Last Name,Work Email,Department\n")
		for _, p := range []string{"a", "b", "c"} {
			f.WriteString("P," + p + "," + p + "@example.com,Sales\n")
			time.Sleep(50 * time.Millisecond)
		}
		f.Close()
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run from a FIFO: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("run from a FIFO hangs")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "out", "summary.json"))
	if !strings.Contains(string(data), `"created": 3`) {
		t.Fatalf("summary: %s", data)
	}

	// No writer at all: SIGTERM must still end the process.
	fifo2 := filepath.Join(dir, "never.csv")
	if err := syscall.Mkfifo(fifo2, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--input", fifo2, "--out", filepath.Join(dir, "out2"), "--progress", "always")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done2 := make(chan error, 1)
	go func() { done2 <- cmd.Wait() }()
	select {
	case <-done2:
		if code := cmd.ProcessState.ExitCode(); code != exitStopped {
			t.Fatalf("exit %d after SIGTERM, want 3", code)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM did not stop a run waiting on a FIFO")
	}
}
