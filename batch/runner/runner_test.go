package runner

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch/ledger"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

const jobText = `provider: cognigy
endpoint: %s
auth:
  username: ${U}
  password: ${P}
input: users.csv
key: Email
rate: 0
concurrency: 4
fields:
  id: { column: Email, lower: true }
  name: { template: "{First} {Last}" }
  password: { generate: password }
  organisation: { value: 5f1e2d3c4b5a697887766554 }
  acceptedTOS: { value: true }
`

// hooked wraps the Cognigy provider so that a test can act in the middle
// of a run (before a create is sent).
type hooked struct {
	cognigy.Provider
	beforeCreate func(n int64)
}

func (h hooked) NewClient(cfg providers.Config) (providers.Client, error) {
	c, err := h.Provider.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &hookedClient{Client: c, before: h.beforeCreate}, nil
}

type hookedClient struct {
	providers.Client
	n      atomic.Int64
	before func(n int64)
}

func (c *hookedClient) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	if c.before != nil {
		c.before(c.n.Add(1))
	}
	return c.Client.Create(ctx, rec)
}

type fixture struct {
	dir, job string
	sb       providers.Sandbox
	url      string
	env      map[string]string
	reg      *providers.Registry
}

// newFixture writes a job for a Cognigy sandbox served over loopback and
// an input of rows people, plus bad rows at the end.
func newFixture(t *testing.T, people, bad int) *fixture {
	t.Helper()
	p := cognigy.New()
	sb := p.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	f := &fixture{dir: t.TempDir(), sb: sb, url: srv.URL, reg: providers.NewRegistry(p)}
	f.env = map[string]string{"U": sb.Credentials()["username"], "P": sb.Credentials()["password"]}
	f.job = filepath.Join(f.dir, "job.yaml")
	f.writeJob(srv.URL, "")
	var b strings.Builder
	b.WriteString("First,Last,Email\n")
	for i := 1; i <= people; i++ {
		fmt.Fprintf(&b, "Ann%d,Lee,ann%d@example.com\n", i, i)
	}
	for i := 1; i <= bad; i++ {
		fmt.Fprintf(&b, "Bad%d,Row,\n", i) // no key
	}
	f.write("users.csv", b.String())
	return f
}

func (f *fixture) writeJob(endpoint, extra string) {
	f.write("job.yaml", fmt.Sprintf(jobText, endpoint)+extra)
}

func (f *fixture) write(name, text string) {
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(text), 0o644); err != nil {
		panic(err)
	}
}

func (f *fixture) opts(out string) Options {
	return Options{JobPath: f.job, Out: out, Rate: -1, Registry: f.reg, Getenv: func(k string) string { return f.env[k] }, Grace: time.Second}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

func readSummary(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunEndToEnd(t *testing.T) {
	f := newFixture(t, 20, 2)
	out := filepath.Join(f.dir, "out")
	o := Run(context.Background(), f.opts(out))
	if o.Code != ExitFailed || o.Summary == nil {
		t.Fatalf("code %d err %v, want 1 (two rows have no key)", o.Code, o.Err)
	}
	c := o.Summary.Counts
	if c.Created != 20 || c.Failed != 2 || c.FailedNew != 2 || c.FailedKnown != 0 {
		t.Fatalf("counts %+v", c)
	}
	if got := f.sb.Stats().Created; got != 20 {
		t.Fatalf("sandbox created %d", got)
	}
	if len(readCSV(t, filepath.Join(out, "success.csv")))+len(readCSV(t, filepath.Join(out, "failures.csv"))) != 22 {
		t.Fatal("not every row is in a report")
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("out folder mode %v %v, want 0700", fi.Mode(), err)
	}
}

// Two runs of one job must never overlap: the second sends nothing, writes
// no reports, exits 4 and names the holder.
func TestSecondRunOfAJobIsLockedOut(t *testing.T) {
	f := newFixture(t, 5, 0)
	ledgerPath := filepath.Join(f.dir, "job.ledger.db")
	lock, err := ledger.Acquire(ledgerPath, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(f.dir, "out")
	o := Run(context.Background(), f.opts(out))
	if o.Code != ExitLocked {
		t.Fatalf("code %d (%v), want %d", o.Code, o.Err, ExitLocked)
	}
	if !strings.Contains(o.Err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("message does not name the holder: %v", o.Err)
	}
	if n := f.sb.Stats().Requests; n != 0 {
		t.Fatalf("the locked-out run sent %d requests", n)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != report.SummaryFile {
		t.Fatalf("out holds %v, want only summary.json", entries)
	}
	s := readSummary(t, filepath.Join(out, report.SummaryFile))
	if s["exit_code"] != float64(ExitLocked) || s["stage"] != StageLock {
		t.Fatalf("summary %v", s)
	}
	lock.Release()
	// Once the first run is gone, the same command works, in the same
	// folder (it held only the summary of a run that sent nothing).
	o = Run(context.Background(), f.opts(out))
	if o.Code != ExitOK {
		t.Fatalf("after release: code %d %v", o.Code, o.Err)
	}
}

func TestEarlyExitsWriteASummary(t *testing.T) {
	for _, tt := range []struct {
		name, job string
		stage     string
	}{
		{"mapping", "provider: cognigy\nendpoint: https://x.example\ninput: users.csv\nkey: Email\nfields:\n  id: { column: Mail }\n  name: First\n  organisation: { value: x }\n", StageMapping},
		{"input", "provider: cognigy\nendpoint: https://x.example\ninput: nowhere.csv\nkey: Email\nfields:\n  id: Email\n", StageInput},
		{"credentials", "provider: cognigy\nendpoint: https://x.example\ninput: users.csv\nkey: Email\nfields:\n  id: Email\n  name: First\n  password: { generate: password }\n  organisation: { value: x }\n", StageCredentials},
		{"cleartext", fmt.Sprintf(jobText, "http://vendor.example.com/new"), StageEndpoint},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 2, 0)
			f.write("job.yaml", tt.job)
			out := filepath.Join(f.dir, "out")
			o := Run(context.Background(), f.opts(out))
			if o.Code != ExitNotSent {
				t.Fatalf("code %d (%v), want 2", o.Code, o.Err)
			}
			s := readSummary(t, filepath.Join(out, report.SummaryFile))
			if s["exit_code"] != float64(ExitNotSent) || s["stage"] != tt.stage || s["error"] == "" {
				t.Fatalf("summary %v, want stage %s", s, tt.stage)
			}
			if _, err := os.Stat(filepath.Join(out, report.SuccessFile)); err == nil {
				t.Fatal("success.csv written for a run that sent nothing")
			}
			if _, err := os.Stat(filepath.Join(f.dir, "job.ledger.db")); err == nil {
				t.Fatal("a ledger was made for a run that could not start")
			}
		})
	}
}

func TestCleartextEndpoint(t *testing.T) {
	j := func(endpoint string, allow bool) error {
		f := newFixture(t, 1, 0)
		extra := ""
		if allow {
			extra = "allow_http: true\n"
		}
		f.writeJob(endpoint, extra)
		jb, err := LoadJob(f.job, func(k string) string { return f.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if e := checkEndpoint(jb, cognigy.New().Describe()); e != nil {
			return e
		}
		return nil
	}
	for _, tt := range []struct {
		endpoint string
		allow    bool
		refused  bool
	}{
		{"http://vendor.example.com/new", false, true},
		{"HTTP://10.1.2.3:8080", false, true},
		{"http://vendor.example.com/new", true, false},
		{"https://vendor.example.com/new", false, false},
		{"http://127.0.0.1:9000", false, false},
		{"http://localhost:9000", false, false},
		{"http://[::1]:9000", false, false},
	} {
		err := j(tt.endpoint, tt.allow)
		if (err != nil) != tt.refused {
			t.Errorf("%s allow=%v: %v, refused want %v", tt.endpoint, tt.allow, err, tt.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "https://") {
			t.Errorf("message does not name https: %v", err)
		}
	}
}

func TestOutHoldingFilesIsRefusedUntouched(t *testing.T) {
	for _, name := range []string{"credentials.csv", "success.csv", "summary.json", "credentials.csv.tmp"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, 2, 0)
			out := filepath.Join(f.dir, "out")
			os.Mkdir(out, 0o755)
			target := filepath.Join(f.dir, "elsewhere.txt")
			f.write("elsewhere.txt", "precious")
			if err := os.Symlink(target, filepath.Join(out, name)); err != nil {
				t.Fatal(err)
			}
			o := Run(context.Background(), f.opts(out))
			if o.Code != ExitNotSent || !strings.Contains(o.Err.Error(), name) {
				t.Fatalf("code %d %v, want 2 naming %s", o.Code, o.Err, name)
			}
			if b, _ := os.ReadFile(target); string(b) != "precious" {
				t.Fatal("the symlink's target was written")
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 1 {
				t.Fatalf("out now holds %v", entries)
			}
			if f.sb.Stats().Requests != 0 {
				t.Fatal("requests were sent")
			}
		})
	}
}

// A nightly run over the same export fails the same rows every night:
// those are known, and --fail-on new lets cron go green.
func TestKnownFailuresLetCronGoGreen(t *testing.T) {
	f := newFixture(t, 3, 2)
	o := f.opts("")
	o.FailOn = "new"
	first := Run(context.Background(), o)
	if first.Code != ExitFailed || first.Summary.Counts.FailedNew != 2 {
		t.Fatalf("first night: code %d counts %+v", first.Code, first.Summary.Counts)
	}
	if !strings.HasPrefix(first.OutDir, filepath.Join(f.dir, "onboard-out")) {
		t.Fatalf("default out %s is not next to the job", first.OutDir)
	}
	second := Run(context.Background(), o)
	c := second.Summary.Counts
	if second.Code != ExitOK || c.FailedKnown != 2 || c.FailedNew != 0 || c.Skipped != 3 {
		t.Fatalf("second night: code %d counts %+v, want 0 with 2 known failures", second.Code, c)
	}
	if second.OutDir == first.OutDir {
		t.Fatal("two runs share an out folder")
	}
	// A changed bad row is a new failure.
	b, _ := os.ReadFile(filepath.Join(f.dir, "users.csv"))
	f.write("users.csv", strings.Replace(string(b), "Bad1,Row,", "Bad1,Changed,", 1))
	third := Run(context.Background(), o)
	if c := third.Summary.Counts; third.Code != ExitFailed || c.FailedNew != 1 || c.FailedKnown != 1 {
		t.Fatalf("third night: code %d counts %+v, want 1 new, 1 known", third.Code, third.Summary.Counts)
	}
	// Without fail_on: new, any failure fails the run.
	o.FailOn = ""
	if fourth := Run(context.Background(), o); fourth.Code != ExitFailed {
		t.Fatalf("fail_on any: code %d", fourth.Code)
	}
}

// A ledger deleted while the run holds it is noticed at the next commit:
// the run stops with exit 3 instead of writing outcomes nowhere.
func TestLedgerRemovedMidRun(t *testing.T) {
	f := newFixture(t, 600, 0)
	ledgerPath := filepath.Join(f.dir, "job.ledger.db")
	f.reg = providers.NewRegistry(hooked{beforeCreate: func(n int64) {
		if n == 50 {
			os.Remove(ledgerPath)
		}
	}})
	o := Run(context.Background(), f.opts(filepath.Join(f.dir, "out")))
	if o.Code != ExitStopped || !strings.Contains(o.Err.Error(), "deleted or replaced") {
		t.Fatalf("code %d err %v, want 3 naming the ledger", o.Code, o.Err)
	}
	if c := o.Summary.Counts; c.Rows != 600 {
		t.Fatalf("rows accounted for: %+v", c)
	}
}

// The vendor is not there at all, or answers 503 to everything: the run
// ends with exit 3 and a message about the vendor, every row in the
// reports, few requests. (Each case waits for the breaker's window; they
// run side by side.)
func TestVendorDownStopsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the breaker's window")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tt := range []struct {
		name string
		url  func(f *fixture) string
	}{
		{"closed port", func(*fixture) string { return closed }},
		{"all 503", func(f *fixture) string {
			sb := cognigy.New().NewSandbox(providers.SandboxOptions{Unavailable: 1, Seed: 3})
			srv := httptest.NewServer(sb)
			t.Cleanup(srv.Close)
			return srv.URL
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 200, 0)
			f.writeJob(tt.url(f), "")
			out := filepath.Join(f.dir, "out")
			o := Run(context.Background(), f.opts(out))
			if o.Code != ExitStopped || !strings.Contains(o.Err.Error(), "unreachable") {
				t.Fatalf("code %d err %v, want 3, unreachable", o.Code, o.Err)
			}
			s := o.Summary
			if s.Counts.Rows != 200 || s.Counts.Created != 0 {
				t.Fatalf("counts %+v", s.Counts)
			}
			if s.Requests > 60 {
				t.Fatalf("%d requests to a vendor that is down, want at most 60", s.Requests)
			}
			if n := len(readCSV(t, filepath.Join(out, "failures.csv"))); n != 200 {
				t.Fatalf("failures.csv holds %d rows", n)
			}
		})
	}
}

// A job file with a typo was read: its run still leaves a summary.json
// that says so, for the wrapper.
func TestBrokenJobFileWritesASummary(t *testing.T) {
	f := newFixture(t, 1, 0)
	f.write("job.yaml", "provider: cognigy\nconcurency: 4\nfields:\n  id: Email\n")
	out := filepath.Join(f.dir, "out")
	o := Run(context.Background(), f.opts(out))
	if o.Code != ExitNotSent {
		t.Fatalf("code %d", o.Code)
	}
	s := readSummary(t, filepath.Join(out, report.SummaryFile))
	if s["stage"] != StageJob || !strings.Contains(s["error"].(string), "concurency") || s["exit_code"] != float64(ExitNotSent) {
		t.Fatalf("summary %v", s)
	}
	// No job file at all: nothing to write next to.
	o = Run(context.Background(), Options{JobPath: filepath.Join(f.dir, "none.yaml"), Out: filepath.Join(f.dir, "out2"), Registry: f.reg, Rate: -1})
	if _, err := os.Stat(filepath.Join(f.dir, "out2")); o.Code != ExitNotSent || err == nil {
		t.Fatalf("code %d, out2 made: %v", o.Code, err == nil)
	}
}
