package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// binary is onboard built once for the tests that need a real process
// (signals, SIGKILL).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onboard-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "onboard")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building onboard: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hookedSandbox calls hook on every create request, after the sandbox
// acted on it but before the answer leaves (the handler has not returned).
type hookedSandbox struct {
	*cognigy.Sandbox
	hook func()
}

func (h *hookedSandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Sandbox.ServeHTTP(w, r)
	if r.Method == http.MethodPost && h.hook != nil {
		h.hook()
	}
}

func writeJob(t *testing.T, dir string, rows int, rate int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("First Name,Last Name,Work Email,Department\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "Person,Number %d,person%d@example.com,Sales\n", i, i)
	}
	write(t, dir, "users.csv", b.String())
	job := strings.Replace(cognigyJob, "rate: 0", fmt.Sprintf("rate: %d", rate), 1)
	return write(t, dir, "job.yaml", job)
}

func start(t *testing.T, url string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "COGNIGY_USERNAME="+cognigy.SandboxUsername, "COGNIGY_PASSWORD="+cognigy.SandboxPassword)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestCrashAndResume kills onboard with SIGKILL at random points, several
// times, while a vendor that cannot tell duplicates apart is creating users,
// and resumes until done: every person ends up created exactly once, with a
// password somebody has, and a last rerun creates nobody.
func TestCrashAndResume(t *testing.T) {
	const people = 200
	dir := t.TempDir()
	job := writeJob(t, dir, people, 400)
	sb := &hookedSandbox{Sandbox: cognigy.NewSandbox(providers.SandboxOptions{AllowDuplicates: true})}
	var mu sync.Mutex
	var victim *os.Process
	creates, killAt := 0, 0
	sb.hook = func() {
		mu.Lock()
		defer mu.Unlock()
		creates++
		if victim != nil && killAt > 0 && creates >= killAt {
			_ = victim.Signal(syscall.SIGKILL)
			killAt = 0
		}
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	rng := rand.New(rand.NewPCG(7, 11))

	kills := 0
	var credFiles []string
	for run := 0; run < 20; run++ {
		out := filepath.Join(dir, fmt.Sprintf("out%d", run))
		credFiles = append(credFiles, filepath.Join(out, "credentials.csv"))
		mu.Lock()
		if kills < 4 {
			killAt = creates + 1 + rng.IntN(40)
		}
		mu.Unlock()
		cmd := start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--progress", "never", "--quiet", "--concurrency", "4")
		mu.Lock()
		victim = cmd.Process
		mu.Unlock()
		err := cmd.Wait()
		mu.Lock()
		victim = nil
		killAt = 0
		mu.Unlock()
		// Whatever happened, the reports on disk are valid CSV.
		for _, name := range []string{"success.csv", "failures.csv", "credentials.csv"} {
			if f, err := os.Open(filepath.Join(out, name)); err == nil {
				if _, err := csv.NewReader(f).ReadAll(); err != nil {
					t.Fatalf("run %d: %s is not valid CSV after the crash: %v", run, name, err)
				}
				f.Close()
			}
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
			continue
		}
		if err != nil {
			t.Fatalf("run %d ended with %v (not killed)", run, err)
		}
		break
	}
	if kills < 4 {
		t.Fatalf("only %d runs were killed", kills)
	}
	st := sb.Stats()
	if st.Created != people || st.Duplicates != 0 {
		t.Fatalf("vendor created %d users (%d duplicates), want %d exactly once each", st.Created, st.Duplicates, people)
	}
	// Every user's password is in some credentials.csv.
	have := map[string][]string{}
	for _, p := range credFiles {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			have[r[1]] = append(have[r[1]], r[len(r)-1])
		}
	}
	for i := 0; i < people; i++ {
		id := fmt.Sprintf("person%d@example.com", i)
		ok := false
		for _, pw := range have[id] {
			ok = ok || sb.CheckPassword(id, pw)
		}
		if !ok {
			t.Fatalf("nobody has the password of %s (candidates %d)", id, len(have[id]))
		}
	}
	// A rerun creates nobody and calls the vendor for nobody.
	out := filepath.Join(dir, "final")
	cmd := start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--progress", "never", "--quiet")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v", err)
	}
	var sum struct {
		Counts   map[string]int `json:"counts"`
		Requests int            `json:"requests"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Counts["skipped"] != people || sum.Requests != 0 || sb.Stats().Created != people {
		t.Fatalf("final run: %s", data)
	}
	// Every success row of the final run names the one credentials file
	// whose password the vendor accepts for that user.
	f, err := os.Open(filepath.Join(out, "success.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, r := range recs[1:] {
		id, credFile := r[col["Work Email"]], r[col["onboard_credentials"]]
		if credFile == "" {
			t.Fatalf("%s: no credentials file named", id)
		}
		cf, err := os.Open(credFile)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		crecs, err := csv.NewReader(cf).ReadAll()
		cf.Close()
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, c := range crecs[1:] {
			if c[1] == id && sb.CheckPassword(id, c[len(c)-1]) {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("%s: %s does not hold the password in effect", id, credFile)
		}
	}
}

// TestInterruptExits3 sends SIGINT once the first user is created: in-flight
// requests finish, every row is in a report, and the exit code is 3.
func TestInterruptExits3(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, 300, 50)
	sb := &hookedSandbox{Sandbox: cognigy.NewSandbox(providers.SandboxOptions{})}
	var mu sync.Mutex
	var victim *os.Process
	sent := false
	sb.hook = func() {
		mu.Lock()
		defer mu.Unlock()
		if victim != nil && !sent {
			sent = true
			_ = victim.Signal(os.Interrupt)
		}
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	out := filepath.Join(dir, "out")
	cmd := start(t, srv.URL, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--progress", "never")
	mu.Lock()
	victim = cmd.Process
	mu.Unlock()
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != exitStopped {
		t.Fatalf("exit %v, want 3", err)
	}
	var sum struct {
		Counts  map[string]int `json:"counts"`
		Stopped string         `json:"stopped"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	c := sum.Counts
	if sum.Stopped != "interrupted" || c["rows"] != 300 || c["created"]+c["not_attempted"]+c["failed"] != 300 || c["not_attempted"] == 0 {
		t.Fatalf("summary: %s", data)
	}
	if c["created"] != sb.Stats().Created {
		t.Fatalf("reported %d created, vendor has %d", c["created"], sb.Stats().Created)
	}
}
