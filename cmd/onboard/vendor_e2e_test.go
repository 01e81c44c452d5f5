package main

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// readReport returns the rows of a report CSV as maps from column to cell.
func readReport(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[strings.TrimPrefix(h, "\ufeff")] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestBrightPatternLyingAnswers runs a Bright Pattern job whose rows carry
// US-formatted phones against a sandbox that answers some creates with a
// captive portal's HTML page, acts on others but answers {}, and answers a
// duplicate login with 500 "Duplicate key error". Every row is created
// exactly once, every row reported created or existing is really at the
// vendor, no row fails on its phone, and a second run on the same people
// reports every one of them exists.
func TestBrightPatternLyingAnswers(t *testing.T) {
	const people = 30
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Login,First Name,Last Name,Team,Work Email,Extension,Mobile,Skills,Roles\n")
	for i := 0; i < people; i++ {
		fmt.Fprintf(&b, "agent.%d,Agent,Number %d,Sales,agent.%d@example.com,%d,(415) 892-%04d,English:100,Agent\n", i, i, i, 3000+i, i)
	}
	write(t, dir, "users.csv", b.String())
	job := write(t, dir, "job.yaml", strings.Replace(brightpattern.New().Describe().InitJob, "rate: 5 ", "rate: 0 ", 1))
	sb := brightpattern.NewSandbox(providers.SandboxOptions{HTML: 0.3, NoID: 0.3, Seed: 5,
		Variants: map[string]string{brightpattern.VariantDuplicate: "500"}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	env := map[string]string{"BP_CLIENT_ID": brightpattern.SandboxClientID, "BP_CLIENT_SECRET": brightpattern.SandboxClientSecret}

	out1 := filepath.Join(dir, "out1")
	r := onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out1, "--no-ledger", "--quiet", "--progress", "never")
	if r.code != exitOK {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	at := map[string]bool{}
	for _, u := range sb.Users() {
		at[u.LoginID] = true
		if !strings.HasPrefix(u.MobilePhone, "(415) 892-") {
			t.Fatalf("phone arrived as %q", u.MobilePhone)
		}
	}
	st := sb.Stats()
	if st.Created != people || st.Duplicates != 0 || st.HTML == 0 || st.NoID == 0 {
		t.Fatalf("sandbox stats %+v: want %d created, none twice, and both faults played", st, people)
	}
	rows := readReport(t, filepath.Join(out1, "success.csv"))
	if len(rows) != people {
		t.Fatalf("success.csv has %d rows, want %d", len(rows), people)
	}
	for _, row := range rows {
		if s := row["onboard_status"]; (s != "created" && s != "exists") || !at[row["Login"]] {
			t.Fatalf("row %v reported %q; at the vendor: %v", row["Login"], s, at[row["Login"]])
		}
	}

	out2 := filepath.Join(dir, "out2")
	r = onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out2, "--no-ledger", "--quiet", "--progress", "never")
	if r.code != exitOK {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	for _, row := range readReport(t, filepath.Join(out2, "success.csv")) {
		if row["onboard_status"] != "exists" {
			t.Fatalf("second run: row %v reported %q, want exists", row["Login"], row["onboard_status"])
		}
	}
	if st := sb.Stats(); st.Created != people || st.Duplicates != 0 {
		t.Fatalf("after the second run: %+v", st)
	}
}

// TestCognigyDuplicateAs400 runs a Cognigy job twice against a sandbox
// that answers a duplicate id with a 400 duplicate key error: the second
// run reports every person exists, with the vendor's _id.
func TestCognigyDuplicateAs400(t *testing.T) {
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV)
	sb := cognigy.NewSandbox(providers.SandboxOptions{NoID: 0.5, Seed: 3, Variants: map[string]string{cognigy.VariantDuplicate: "400"}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	env := map[string]string{"COGNIGY_USERNAME": cognigy.SandboxUsername, "COGNIGY_PASSWORD": cognigy.SandboxPassword}
	for run, want := range []string{"", "exists"} {
		out := filepath.Join(dir, fmt.Sprint("out", run))
		r := onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--no-ledger", "--quiet", "--progress", "never")
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		for _, row := range readReport(t, filepath.Join(out, "success.csv")) {
			if want != "" && row["onboard_status"] != want || row["onboard_vendor_id"] == "" {
				t.Fatalf("run %d: %v", run, row)
			}
		}
	}
	if st := sb.Stats(); st.Created != 3 || st.Duplicates != 0 {
		t.Fatalf("sandbox stats %+v: want 3 created once each", st)
	}
}

// TestRedirectingVendor runs a Cognigy job against a sandbox that
// redirects every request to another server: nothing reaches that server
// (no re-posted password, no forwarded Authorization), nobody is created
// or reported created, and the run says the endpoint is wrong.
func TestRedirectingVendor(t *testing.T) {
	var reached atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer target.Close()
	dir := t.TempDir()
	job := write(t, dir, "job.yaml", cognigyJob+"retry: { attempts: 1 }\n")
	write(t, dir, "users.csv", goodCSV)
	for _, code := range []int{http.StatusMovedPermanently, http.StatusTemporaryRedirect} {
		sb := cognigy.NewSandbox(providers.SandboxOptions{Redirect: code, RedirectTo: target.URL})
		srv := httptest.NewServer(sb)
		env := map[string]string{"COGNIGY_USERNAME": cognigy.SandboxUsername, "COGNIGY_PASSWORD": cognigy.SandboxPassword}
		out := filepath.Join(dir, fmt.Sprint("out", code))
		r := onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--no-ledger", "--quiet", "--progress", "never")
		srv.Close()
		if r.code == exitOK {
			t.Fatalf("%d: exit 0 against a redirecting endpoint", code)
		}
		if n := reached.Load(); n != 0 {
			t.Fatalf("%d: the redirect target received %d requests", code, n)
		}
		if st := sb.Stats(); st.Created != 0 || st.Redirected == 0 {
			t.Fatalf("%d: sandbox stats %+v", code, st)
		}
		if _, err := os.Stat(filepath.Join(out, "success.csv")); err == nil {
			for _, row := range readReport(t, filepath.Join(out, "success.csv")) {
				t.Fatalf("%d: reported %v", code, row)
			}
		}
		failures, _ := os.ReadFile(filepath.Join(out, "failures.csv"))
		if !strings.Contains(string(failures)+r.stderr, "redirected to "+target.URL) {
			t.Fatalf("%d: neither failures.csv nor the log names the redirect:\n%s\n%s", code, failures, r.stderr)
		}
	}
}
