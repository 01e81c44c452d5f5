package batch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/ledger"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/all"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// successRow and failureRow read the reports' onboard_ columns; gocsv
// ignores the input columns, whatever they are.
type successRow struct {
	Row      int    `csv:"onboard_row"`
	Status   string `csv:"onboard_status"`
	VendorID string `csv:"onboard_vendor_id"`
	Attempts int    `csv:"onboard_attempts"`
}

type failureRow struct {
	Row      int    `csv:"onboard_row"`
	Stage    string `csv:"onboard_stage"`
	Error    string `csv:"onboard_error"`
	HTTP     string `csv:"onboard_http_status"`
	Attempts int    `csv:"onboard_attempts"`
}

type outcome struct {
	res       batch.Result
	success   []successRow
	failures  []failureRow
	dir       string
	credsRows int
}

type setup struct {
	jobPath string
	input   string
	sandbox providers.Sandbox
	ledger  string
	opts    func(*batch.Config)
	client  providers.Client
	ctx     context.Context
}

// run performs one import of a sample (or given) job against a sandbox.
func run(t *testing.T, s setup) outcome {
	t.Helper()
	j, err := job.Load(s.jobPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p, err := all.Registry().Get(j.Provider)
	if err != nil {
		t.Fatal(err)
	}
	input := j.Input
	if s.input != "" {
		input = s.input
	}
	src, err := source.Open(input, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	plan, err := mapping.Compile(j.Rules, p.Describe(), src.Header(), j.Key)
	if err != nil {
		t.Fatal(err)
	}
	client := s.client
	opts := providers.Options(j.Options)
	if client == nil {
		srv := httptest.NewServer(s.sandbox)
		t.Cleanup(srv.Close)
		for k, v := range s.sandbox.Options() {
			opts[k] = v
		}
		client, err = p.NewClient(providers.Config{Endpoint: srv.URL, Auth: s.sandbox.Credentials(), Options: opts, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	rw, err := report.Create(dir, report.Layout{Header: src.Header(), SecretColumns: plan.SecretColumns(), KeyName: j.Key,
		LoginField: p.Describe().KeyField, CredentialFields: plan.Generates()}, report.Options{SourceRow: src.IsReport()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := batch.Config{Provider: p, Client: client, Options: opts, Plan: plan, Source: src, Reports: rw,
		Rate: 0, Concurrency: 8, Attempts: 12, MaxWait: 5 * time.Millisecond, TempDir: t.TempDir()}
	var l *ledger.Ledger
	if s.ledger != "" {
		l, err = ledger.Open(s.ledger, p.Describe().Name, "test")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Ledger = l
	}
	if s.opts != nil {
		s.opts(&cfg)
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := batch.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if l != nil {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	o := outcome{res: res, dir: dir}
	readCSV(t, filepath.Join(dir, report.SuccessFile), &o.success)
	readCSV(t, filepath.Join(dir, report.FailuresFile), &o.failures)
	if data, err := os.ReadFile(filepath.Join(dir, report.CredentialsFile)); err == nil {
		o.credsRows = strings.Count(string(data), "\n") - 1
	}
	return o
}

func readCSV(t *testing.T, path string, out any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gocsv.UnmarshalFile(f, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// accounted asserts that every data row of the input is in exactly one
// report and the counts agree with the files.
func accounted(t *testing.T, o outcome, dataRows int) {
	t.Helper()
	seen := map[int]string{}
	for _, s := range o.success {
		if prev, dup := seen[s.Row]; dup {
			t.Fatalf("row %d in two places (%s and success)", s.Row, prev)
		}
		seen[s.Row] = "success"
	}
	for _, f := range o.failures {
		if prev, dup := seen[f.Row]; dup {
			t.Fatalf("row %d in two places (%s and failures)", f.Row, prev)
		}
		seen[f.Row] = "failures"
	}
	if len(seen) != dataRows {
		t.Fatalf("%d rows in the reports, want %d", len(seen), dataRows)
	}
	c := o.res.Counts
	if c.Rows != dataRows || c.Created+c.Exists+c.Skipped != len(o.success) || c.Failed+c.NotAttempted != len(o.failures) {
		t.Fatalf("counts %+v disagree with %d success and %d failure rows of %d", c, len(o.success), len(o.failures), dataRows)
	}
}

func sampleRows(t *testing.T, name string) int {
	t.Helper()
	src, err := source.Open(filepath.Join("..", "samples", name, "users.csv"), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		if _, err := src.Next(); err != nil {
			return n
		}
		n++
	}
}

func samplePath(name string) string { return filepath.Join("..", "samples", name, "job.yaml") }

// TestSamplesUnderFaults runs every provider's sample with 10% 503, 5% 429
// and 3% dropped connections, also against a vendor that does not reject
// duplicates: every row ends in exactly one report, every valid person is
// created exactly once at the vendor, and a rerun with the ledger creates
// nobody.
func TestSamplesUnderFaults(t *testing.T) {
	reg := all.Registry()
	for _, name := range reg.Names() {
		p, _ := reg.Get(name)
		t.Run(name, func(t *testing.T) {
			rows := sampleRows(t, name)
			cleanSB := p.NewSandbox(providers.SandboxOptions{Seed: 1})
			clean := run(t, setup{jobPath: samplePath(name), sandbox: cleanSB})
			accounted(t, clean, rows)
			// The summary's requests are the ones the vendor received: a row
			// the client refuses before the network (Bright Pattern's
			// unknown team) is not one; a token fetch is.
			if got, want := clean.res.Requests, int64(cleanSB.Stats().Requests); got != want {
				t.Fatalf("summary says %d requests, the sandbox received %d", got, want)
			}
			valid := clean.res.Counts.Created
			if valid == 0 || clean.res.Counts.Failed == 0 {
				t.Fatalf("sample should have valid and invalid rows: %+v", clean.res.Counts)
			}
			for i, dups := range []bool{false, true, false, true, false, true} {
				seed := uint64(42 + i)
				t.Run(fmt.Sprintf("seed=%d,allowDuplicates=%v", seed, dups), func(t *testing.T) {
					sb := p.NewSandbox(providers.SandboxOptions{Seed: seed, Unavailable: 0.10, Throttle: 0.05, Drop: 0.03, AllowDuplicates: dups, RetryAfter: time.Second})
					l := filepath.Join(t.TempDir(), "ledger.db")
					first := run(t, setup{jobPath: samplePath(name), sandbox: sb, ledger: l})
					accounted(t, first, rows)
					st := sb.Stats()
					if st.Created != valid || st.Duplicates != 0 {
						t.Fatalf("vendor created %d (%d duplicates), want each of %d valid people exactly once; counts %+v", st.Created, st.Duplicates, valid, first.res.Counts)
					}
					if got := first.res.Counts.Created + first.res.Counts.Exists; got != valid {
						t.Fatalf("created+exists = %d, want %d (%+v)", got, valid, first.res.Counts)
					}
					// The faults are drawn at random per request, so a small
					// sample can meet none of them; when the sandbox refused
					// or lost a create, a retry or a lookup must show it.
					if st.Creates > st.Created && first.res.Retries == 0 && first.res.Lookups == 0 {
						t.Fatalf("the sandbox refused %d creates, yet no retries were counted", st.Creates-st.Created)
					}
					again := run(t, setup{jobPath: samplePath(name), sandbox: sb, ledger: l})
					accounted(t, again, rows)
					if sb.Stats().Created != valid || again.res.Counts.Created != 0 || again.res.Counts.Skipped != valid {
						t.Fatalf("rerun: vendor now holds %d, run counts %+v; want nothing created and %d skipped", sb.Stats().Created, again.res.Counts, valid)
					}
				})
			}
		})
	}
}

func TestGeneratedPasswordsOnlyInCredentials(t *testing.T) {
	sb := cognigy.NewSandbox(providers.SandboxOptions{Seed: 1})
	o := run(t, setup{jobPath: samplePath("cognigy"), sandbox: sb})
	if o.credsRows != o.res.Counts.Created {
		t.Fatalf("credentials.csv has %d rows for %d created users", o.credsRows, o.res.Counts.Created)
	}
	creds, err := os.ReadFile(filepath.Join(o.dir, report.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(creds)), "\n")[1:]
	for _, name := range []string{report.SuccessFile, report.FailuresFile, report.SummaryFile} {
		data, _ := os.ReadFile(filepath.Join(o.dir, name))
		for _, l := range lines {
			pw := l[strings.LastIndex(l, ",")+1:]
			if len(pw) < 12 {
				t.Fatalf("credential line %q has no password", l)
			}
			if strings.Contains(string(data), pw) {
				t.Fatalf("a generated password is in %s", name)
			}
		}
	}
	info, err := os.Stat(filepath.Join(o.dir, report.CredentialsFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials.csv mode %v, want 0600", info.Mode().Perm())
	}
}

func TestAuthRefusedStopsTheRun(t *testing.T) {
	sb := cognigy.NewSandbox(providers.SandboxOptions{RefuseAuth: true})
	o := run(t, setup{jobPath: samplePath("cognigy"), sandbox: sb, opts: func(c *batch.Config) { c.Concurrency = 2 }})
	accounted(t, o, sampleRows(t, "cognigy"))
	if !strings.Contains(o.res.Stopped, "credentials refused") {
		t.Fatalf("stopped = %q, want credentials refused", o.res.Stopped)
	}
	if o.res.Requests > 4 {
		t.Fatalf("%d requests sent with refused credentials; the run should stop after a few", o.res.Requests)
	}
	if o.res.Counts.NotAttempted < 30 {
		t.Fatalf("counts %+v: the rest should be not_attempted", o.res.Counts)
	}
}

func TestInterruptAccountsForEveryRow(t *testing.T) {
	sb := cognigy.NewSandbox(providers.SandboxOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel after the first create, from the sandbox side, so that the
	// test does not depend on timing.
	var once sync.Once
	c := &cancelAfterFirst{Sandbox: sb, cancel: func() { once.Do(cancel) }}
	o := run(t, setup{jobPath: samplePath("cognigy"), sandbox: c, ctx: ctx, opts: func(c *batch.Config) { c.Concurrency = 1 }})
	accounted(t, o, sampleRows(t, "cognigy"))
	if o.res.Stopped != "interrupted" {
		t.Fatalf("stopped = %q", o.res.Stopped)
	}
	if o.res.Counts.Created < 1 || o.res.Counts.NotAttempted == 0 {
		t.Fatalf("counts %+v: want the in-flight row created and the rest not attempted", o.res.Counts)
	}
	for _, f := range o.failures {
		if f.Stage == string(report.StageNotAttempted) && !strings.Contains(f.Error, "run the job again") {
			t.Fatalf("not_attempted message %q does not say what to do", f.Error)
		}
	}
}

type cancelAfterFirst struct {
	*cognigy.Sandbox
	cancel func()
}

func (c *cancelAfterFirst) Stats() providers.SandboxStats {
	return c.Sandbox.Stats()
}

func (c *cancelAfterFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.Sandbox.ServeHTTP(w, r)
	if r.Method == "POST" {
		c.cancel()
	}
}
