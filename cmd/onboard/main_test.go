package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers/all"
	"github.com/onboardhq/onboard/providers/cognigy"
)

type result struct {
	code           int
	stdout, stderr string
}

// onboard runs the command in-process with env as its environment.
func onboard(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		registry: all.Registry(),
		stdin:    strings.NewReader(""),
		stdout:   &out,
		stderr:   &errb,
		getenv:   func(k string) string { return env[k] },
		isTerm:   func() bool { return false },
		ctx:      context.Background(),
	}
	code := a.main(args)
	return result{code, out.String(), errb.String()}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const cognigyJob = `provider: cognigy
endpoint: https://api-trial.cognigy.ai/new
auth:
  username: ${COGNIGY_USERNAME}
  password: ${COGNIGY_PASSWORD}
input: users.csv
key: Work Email
rate: 0
concurrency: 4
fields:
  id: { column: Work Email, lower: true }
  name: { template: "{First Name} {Last Name}" }
  password: { generate: password }
  organisation: { value: 5f1e2d3c4b5a697887766554 }
  roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent }, default: [base_role] }
  acceptedTOS: { value: true }
`

const goodCSV = "First Name,Last Name,Work Email,Department\r\n" +
	"José,García,jose@example.com,Sales\r\n" +
	"Łukasz,Wójcik,lukasz@example.com,Support\r\n" +
	"Zoë,Müller,zoe@example.com,Sales;Support\r\n"

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV)
	r := onboard(t, nil, "check", "--job", job)
	if r.code != exitOK {
		t.Fatalf("check of a clean file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, `"name": "José García"`) || !strings.Contains(r.stdout, `"password": "********"`) {
		t.Fatalf("preview missing or not masked:\n%s", r.stdout)
	}

	write(t, dir, "bad.csv", "First Name,Last Name,Work Email,Department\n"+
		"A,B,a@example.com,Sales\n"+
		"C,D,,Sales\n"+
		"E,F,a@example.com,Support\n"+
		"G,H,g@example.com,Sales,extra\n")
	r = onboard(t, nil, "check", "--job", job, "--input", filepath.Join(dir, "bad.csv"))
	if r.code != exitFailed {
		t.Fatalf("check of a bad file: exit %d\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"row 3:", `column "Work Email"`, "row 4: same Work Email as row 2", "row 5:", "4 rows: 1 valid, 3 with problems"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestMissingColumnStopsBeforeSending(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", "First Name,Surname,Work Email,Department\nA,B,a@example.com,Sales\n")
	for _, cmd := range []string{"check", "run"} {
		r := onboard(t, nil, cmd, "--job", job, "--sandbox", "--out", filepath.Join(dir, "out-"+cmd))
		if cmd == "check" {
			r = onboard(t, nil, cmd, "--job", job)
		}
		if r.code != exitNotSent {
			t.Fatalf("%s: exit %d, want 2", cmd, r.code)
		}
		if !strings.Contains(r.stderr, `column "Last Name" is not in the input`) || !strings.Contains(r.stderr, `"Surname"`) {
			t.Fatalf("%s: message does not name the column and list the existing ones:\n%s", cmd, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out-run", "success.csv")); err == nil {
		t.Fatal("reports were created for a run that could not start")
	}
}

func TestJobFileErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "users.csv", goodCSV)
	tests := []struct {
		name, job, want string
	}{
		{"unknown key", strings.Replace(cognigyJob, "rate: 0", "rat: 0", 1), `line 8: unknown key "rat"`},
		{"unknown provider", strings.Replace(cognigyJob, "provider: cognigy", "provider: cognigi", 1), `known: "brightpattern", "cognigy"`},
		{"unknown rule key", strings.Replace(cognigyJob, "lower: true", "lowercase: true", 1), `line 11: field "id": unknown rule key "lowercase"`},
		{"unknown field", cognigyJob + "  nickname: First Name\n", `"nickname" is not a cognigy field`},
	}
	for _, tt := range tests {
		job := write(t, dir, "job.yaml", tt.job)
		r := onboard(t, nil, "check", "--job", job)
		if r.code != exitNotSent || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tt.name, r.code, r.stderr, tt.want)
		}
	}
}

func TestRunNeedsCredentials(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV)
	r := onboard(t, map[string]string{"COGNIGY_USERNAME": "admin@example.com"}, "run", "--job", job, "--out", filepath.Join(dir, "out"))
	if r.code != exitNotSent || !strings.Contains(r.stderr, "COGNIGY_PASSWORD") {
		t.Fatalf("exit %d, stderr %q; want 2 naming COGNIGY_PASSWORD", r.code, r.stderr)
	}
}

func TestRunSandboxReportsAndSecrets(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV+"Bad,Row,bad@example.com,Sales,extra\r\n")
	out := filepath.Join(dir, "out")
	r := onboard(t, nil, "run", "--job", job, "--sandbox", "--out", out, "--log-format", "json")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1 (one ragged row)\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("run printed on stdout: %q", r.stdout)
	}
	var sum struct {
		Counts   map[string]int    `json:"counts"`
		Reports  map[string]string `json:"reports"`
		ExitCode int               `json:"exit_code"`
		Requests int               `json:"requests"`
	}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Counts["rows"] != 4 || sum.Counts["created"] != 3 || sum.Counts["failed"] != 1 || sum.ExitCode != 1 || sum.Requests != 3 {
		t.Fatalf("summary = %s", data)
	}
	for _, name := range []string{"success.csv", "failures.csv", "credentials.csv", "summary.json"} {
		info, err := os.Stat(filepath.Join(out, name))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", name, err, info.Mode().Perm())
		}
	}
	creds, _ := os.ReadFile(filepath.Join(out, "credentials.csv"))
	var secrets []string
	for _, line := range strings.Split(strings.TrimSpace(string(creds)), "\n")[1:] {
		secrets = append(secrets, line[strings.LastIndex(line, ",")+1:])
	}
	if len(secrets) != 3 {
		t.Fatalf("credentials.csv: %q", creds)
	}
	secrets = append(secrets, cognigy.SandboxPassword)
	everything := r.stderr + string(data)
	for _, name := range []string{"success.csv", "failures.csv"} {
		b, _ := os.ReadFile(filepath.Join(out, name))
		everything += string(b)
	}
	for _, s := range secrets {
		if strings.Contains(everything, s) {
			t.Fatalf("secret %q leaked into logs or reports", s)
		}
	}
	fails, _ := os.ReadFile(filepath.Join(out, "failures.csv"))
	if !strings.HasPrefix(string(fails), "First Name,Last Name,Work Email,Department,onboard_row,onboard_stage,onboard_error") ||
		!strings.Contains(string(fails), "Bad,Row,bad@example.com,Sales,5,input,") {
		t.Fatalf("failures.csv:\n%s", fails)
	}

	// Fed back as input, the failures file keeps the original row numbers.
	r = onboard(t, nil, "check", "--job", job, "--input", filepath.Join(out, "failures.csv"))
	if r.code != exitOK || !strings.Contains(r.stdout, "1 rows: 1 valid") {
		t.Fatalf("failures.csv fed back: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestInitThenCheckEveryProvider(t *testing.T) {
	for _, name := range all.Registry().Names() {
		dir := filepath.Join(t.TempDir(), name)
		r := onboard(t, nil, "init", name, "--dir", dir)
		if r.code != exitOK {
			t.Fatalf("init %s: exit %d %s", name, r.code, r.stderr)
		}
		r = onboard(t, nil, "check", "--job", filepath.Join(dir, "job.yaml"))
		if r.code != exitOK {
			t.Fatalf("check of init %s template: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		r = onboard(t, nil, "run", "--job", filepath.Join(dir, "job.yaml"), "--sandbox", "--out", filepath.Join(dir, "out"))
		if r.code != exitOK {
			t.Fatalf("run of init %s template against the sandbox: exit %d\n%s", name, r.code, r.stderr)
		}
		if r := onboard(t, nil, "init", name, "--dir", dir); r.code != exitNotSent {
			t.Fatalf("init over existing files: exit %d, want 2", r.code)
		}
	}
}

func TestProvidersAndVersion(t *testing.T) {
	r := onboard(t, nil, "providers")
	for _, want := range []string{"cognigy", "brightpattern", "cxoneexpert", "cxengage", "organisation", "required", "client_secret"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("providers output lacks %q", want)
		}
	}
	if r := onboard(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "onboard ") {
		t.Fatalf("version: %+v", r)
	}
	if r := onboard(t, nil, "run", "--bogus"); r.code != exitNotSent {
		t.Fatalf("unknown flag: exit %d", r.code)
	}
}
