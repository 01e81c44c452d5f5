package scim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/scim"
)

const sampleDir = "../../samples/scim/"

func TestSampleJobIsInitJob(t *testing.T) {
	job, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(job) != scim.New().Describe().InitJob {
		t.Fatal("samples/scim/job.yaml differs from Description.InitJob: keep them identical")
	}
	sample, err := os.ReadFile(sampleDir + "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	header := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	if header(string(sample)) != header(scim.New().Describe().InitCSV) {
		t.Fatal("the sample CSV and InitCSV have different headers")
	}
}

// runSample takes the sample through the real pipeline (mapping,
// validation, pool, retries, lookups, reports) against sb, without a
// ledger, and returns the counts.
func runSample(t *testing.T, sb providers.Sandbox) batch.Result {
	t.Helper()
	j, err := job.Load(sampleDir+"job.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p := scim.New()
	src, err := source.Open(j.Input, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	plan, err := mapping.Compile(j.Rules, p.Describe(), src.Header(), j.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := p.NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := report.Create(t.TempDir(), report.Layout{Header: src.Header(), SecretColumns: plan.SecretColumns(), KeyName: j.Key,
		LoginField: p.Describe().KeyField, CredentialFields: plan.Generates()}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := batch.Run(context.Background(), batch.Config{Provider: p, Client: c, Plan: plan, Source: src, Reports: rw,
		Concurrency: 4, Attempts: 12, MaxWait: 5 * time.Millisecond, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if c := res.Counts; c.Rows != 20 || c.Created+c.Exists+c.Failed != 20 || c.Failed != 3 {
		t.Fatalf("counts %+v: want 20 rows, 17 valid people and 3 bad rows accounted for", c)
	}
	return res
}

// TestSampleEndToEnd: in every duplicate variant, the valid people are
// created once with no request the service refuses, and a second job on the
// same people reports each of them exists.
func TestSampleEndToEnd(t *testing.T) {
	for _, dup := range []string{scim.Duplicate409, scim.Duplicate409Bare, scim.Duplicate400} {
		t.Run(dup, func(t *testing.T) {
			sb := scim.NewSandbox(providers.SandboxOptions{Seed: 1, Variants: map[string]string{scim.VariantDuplicate: dup}})
			first := runSample(t, sb)
			if first.Counts.Created != 17 || len(sb.Users()) != 17 {
				t.Fatalf("first run %+v, sandbox holds %d", first.Counts, len(sb.Users()))
			}
			if r := sb.Rejected(); len(r) != 0 {
				t.Fatalf("the service refused requests: %v", r)
			}
			again := runSample(t, sb)
			if again.Counts.Exists != 17 || again.Counts.Created != 0 || len(sb.Users()) != 17 {
				t.Fatalf("second run %+v, sandbox holds %d: want every valid person exists", again.Counts, len(sb.Users()))
			}
		})
	}
}

// TestSampleUnderLyingAnswers: with creates answered by an HTML page or a
// 201 without an id, and dropped, every person reported created or existing
// is at the service, exactly once.
func TestSampleUnderLyingAnswers(t *testing.T) {
	for i, opts := range []providers.SandboxOptions{
		{HTML: 0.3, NoID: 0.3, Seed: 7},
		{HTML: 0.2, NoID: 0.2, Drop: 0.2, Unavailable: 0.1, Seed: 8, RetryAfter: time.Millisecond},
		{NoID: 0.5, AllowDuplicates: true, Seed: 9},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			sb := scim.NewSandbox(opts)
			res := runSample(t, sb)
			st := sb.Stats()
			if res.Counts.Created+res.Counts.Exists != 17 || st.Created != 17 || st.Duplicates != 0 {
				t.Fatalf("counts %+v, sandbox %+v: want 17 people, each once", res.Counts, st)
			}
		})
	}
}
