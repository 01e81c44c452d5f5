package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
)

// portalEvery answers every n-th create (POST to createPath) with a captive
// portal's page, without passing it on: the vendor never sees it.
type portalEvery struct {
	next       http.Handler
	createPath string
	n          int64
	seen       atomic.Int64
	portals    atomic.Int64
}

func (p *portalEvery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == p.createPath && p.seen.Add(1)%p.n == 0 {
		p.portals.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Sign in to the guest network</body></html>")
		return
	}
	p.next.ServeHTTP(w, r)
}

// successRows reads success.csv of out as maps from column to cell.
func successRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "success.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[strings.TrimPrefix(h, "\ufeff")] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// TestCxEngageObjectDuplicatesAnd404Lookups runs a CxEngage job against a
// sandbox that answers a duplicate with an attribute object, an absent
// lookup with 404, drops the answers of some creates it acted on, and sits
// behind a portal that answers every fourth create with an HTML page.
// Every person is created exactly once, every row reported created or
// existing is really at the vendor, and a second run reports every person
// exists with the vendor's id.
func TestCxEngageObjectDuplicatesAnd404Lookups(t *testing.T) {
	const people = 24
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email,Role,Employee ID,Phone\n")
	for i := 0; i < people; i++ {
		fmt.Fprintf(&b, "Agent,Number %d,agent.%d@example.com,Agent,E%04d,020 7946 0%03d\n", i, i, i, i)
	}
	write(t, dir, "users.csv", b.String())
	job := write(t, dir, "job.yaml", strings.Replace(cxengage.New().Describe().InitJob, "rate: 5 ", "rate: 0 ", 1))
	sb := cxengage.NewSandbox(providers.SandboxOptions{Drop: 0.3, Seed: 7, Variants: map[string]string{
		cxengage.VariantDuplicate: cxengage.DupAttributeObject, cxengage.VariantLookupAbsent: cxengage.LookupAbsent404}})
	portal := &portalEvery{next: sb, createPath: "/v1/users", n: 4}
	srv := httptest.NewServer(portal)
	defer srv.Close()
	env := map[string]string{"CXENGAGE_USERNAME": cxengage.SandboxUsername, "CXENGAGE_PASSWORD": cxengage.SandboxPassword}

	for run, want := range []string{"", "exists"} {
		out := filepath.Join(dir, fmt.Sprint("out", run))
		r := onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--no-ledger", "--quiet", "--progress", "never")
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		at := map[string]string{}
		for _, u := range sb.Users() {
			at[u.Email] = u.ID
		}
		rows := successRows(t, out)
		if len(rows) != people {
			t.Fatalf("run %d: success.csv has %d rows, want %d", run, len(rows), people)
		}
		for _, row := range rows {
			s, email := row["onboard_status"], row["Email"]
			if want != "" && s != want || s != "created" && s != "exists" || at[email] == "" || row["onboard_vendor_id"] != at[email] {
				t.Fatalf("run %d: row %s reported %q with id %q; at the vendor: %q", run, email, s, row["onboard_vendor_id"], at[email])
			}
		}
	}
	if st := sb.Stats(); st.Created != people || st.Duplicates != 0 || portal.portals.Load() == 0 {
		t.Fatalf("sandbox stats %+v, %d portal pages: want %d created once each, and portal pages played", st, portal.portals.Load(), people)
	}
}

// TestCXoneExpert400DuplicatesAndLegacyTokens runs a CXone Expert job
// against a site that takes only legacy tokens and answers a taken name
// with a 400, behind the same portal and lost answers: every person once,
// and a second run reports every person exists with the site's id.
func TestCXoneExpert400DuplicatesAndLegacyTokens(t *testing.T) {
	const people = 16
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Username,First Name,Last Name,Work Email,Status,Role\n")
	for i := 0; i < people; i++ {
		fmt.Fprintf(&b, "agent.%d,Agent,Number %d,agent.%d@example.com,active,Editor\n", i, i, i)
	}
	write(t, dir, "users.csv", b.String())
	text := cxoneexpert.New().Describe().InitJob
	text = strings.Replace(text, "rate: 5 ", "rate: 0 ", 1)
	text = strings.Replace(text, "# options:\n#   token_format: legacy", "options:\n  token_format: legacy", 1)
	if !strings.Contains(text, "\noptions:\n  token_format: legacy") {
		t.Fatal("the init job no longer shows options.token_format")
	}
	job := write(t, dir, "job.yaml", text)
	sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Drop: 0.3, Seed: 11, Variants: map[string]string{
		cxoneexpert.VariantDuplicate: cxoneexpert.Dup400, cxoneexpert.VariantTokenFormat: cxoneexpert.TokenLegacy}})
	portal := &portalEvery{next: sb, createPath: "/@api/deki/users", n: 4}
	srv := httptest.NewServer(portal)
	defer srv.Close()
	env := map[string]string{"EXPERT_KEY": cxoneexpert.SandboxKey, "EXPERT_SECRET": cxoneexpert.SandboxSecret}

	for run, want := range []string{"", "exists"} {
		out := filepath.Join(dir, fmt.Sprint("out", run))
		r := onboard(t, env, "run", "--job", job, "--endpoint", srv.URL, "--out", out, "--no-ledger", "--quiet", "--progress", "never")
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		at := map[string]string{}
		for _, u := range sb.Users() {
			at[u.Username] = u.ID
		}
		rows := successRows(t, out)
		if len(rows) != people {
			t.Fatalf("run %d: success.csv has %d rows, want %d", run, len(rows), people)
		}
		for _, row := range rows {
			s, name := row["onboard_status"], row["Username"]
			if want != "" && s != want || s != "created" && s != "exists" || at[name] == "" || row["onboard_vendor_id"] != at[name] {
				t.Fatalf("run %d: row %s reported %q with id %q; at the vendor: %q", run, name, s, row["onboard_vendor_id"], at[name])
			}
		}
	}
	if st := sb.Stats(); st.Created != people || st.Duplicates != 0 || portal.portals.Load() == 0 {
		t.Fatalf("sandbox stats %+v, %d portal pages: want %d created once each, and portal pages played", st, portal.portals.Load(), people)
	}
}
