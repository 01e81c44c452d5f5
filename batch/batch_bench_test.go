package batch_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/ledger"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// benchJob is the mapping of the bench/ harness: every rule kind a typical
// job uses, and a fixed password (generated ones are benchmarked apart).
const benchJob = `provider: cognigy
endpoint: http://127.0.0.1:9
auth: { username: u, password: p }
key: Work Email
fields:
  id: { column: Work Email, lower: true }
  name: { template: "{First Name} {Last Name}" }
  password: { value: "Bench-Passw0rd!" }
  organisation: { value: 5f1e2d3c4b5a697887766554 }
  roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent, Supervisors: liveAgentSupervisor, IT: userManager } }
  disabled: { column: On Leave }
  acceptedTOS: { value: true }
`

// writeBenchCSV writes rows valid people to a CSV in dir.
func writeBenchCSV(b *testing.B, dir string, rows int) string {
	b.Helper()
	path := filepath.Join(dir, "users.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("First Name,Last Name,Work Email,Department,On Leave\n")
	depts := []string{"Sales", "Support", "Supervisors", "IT", "Sales;Support"}
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "Ada,Lovelace,Ada.Lovelace.%07d@Example.com,%s,%s\n", i, depts[i%len(depts)], []string{"no", "yes"}[i%2])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// createdClient answers every create at once: the pipeline's own cost
// remains.
type createdClient struct{}

func (createdClient) Prepare(context.Context) error { return nil }
func (createdClient) Create(context.Context, providers.Record) (providers.Result, error) {
	return providers.Result{Status: providers.StatusCreated, VendorID: "65f0c0ffee0000000000abcd", HTTPStatus: 200}, nil
}
func (createdClient) Lookup(context.Context, providers.Record) (providers.Result, bool, error) {
	return providers.Result{}, false, nil
}

// countingLedger counts what the pipeline asks of the ledger, to report
// commits per row next to the time.
type countingLedger struct {
	batch.Ledger
	gets, pendings, records, flushes, commits int
	buffered                                  int
}

func (c *countingLedger) Get(key string) (batch.Entry, bool, error) {
	c.gets++
	return c.Ledger.Get(key)
}

func (c *countingLedger) Pending(key string, row int) error {
	c.pendings++
	c.buffered++
	return c.Ledger.Pending(key, row)
}

func (c *countingLedger) Record(key string, row int, stage report.Stage, status providers.Status, vendorID string, http int, msg string, credRun int64) error {
	c.records++
	c.buffered++
	return c.Ledger.Record(key, row, stage, status, vendorID, http, msg, credRun)
}

func (c *countingLedger) Flush() error {
	c.flushes++
	if c.buffered > 0 {
		c.commits++ // ledger.Flush commits only when something is buffered
		c.buffered = 0
	}
	return c.Ledger.Flush()
}

// BenchmarkRun is the whole pipeline per row (ns/op is per row): read, map,
// validate, duplicate keys, pool, reports, with and without the ledger,
// with a client that answers at once (fake) and with the real client
// against the sandbox over loopback (both sides in this process).
// Concurrency 8, no rate limit. Profile with
//
//	go test -run='^$' -bench=BenchmarkRun/fake/ledger -cpuprofile cpu.out ./batch
func BenchmarkRun(b *testing.B) {
	for _, client := range []string{"fake", "sandbox"} {
		for _, withLedger := range []bool{false, true} {
			name := client + "/no-ledger"
			if withLedger {
				name = client + "/ledger"
			}
			b.Run(name, func(b *testing.B) { benchRun(b, client, withLedger) })
		}
	}
}

func benchRun(b *testing.B, clientKind string, withLedger bool) {
	dir := b.TempDir()
	path := writeBenchCSV(b, dir, b.N)
	j, err := job.Parse([]byte(benchJob), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	p := cognigy.New()
	src, err := source.Open(path, source.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	plan, err := mapping.Compile(j.Rules, p.Describe(), src.Header(), j.Key)
	if err != nil {
		b.Fatal(err)
	}
	var client providers.Client = createdClient{}
	if clientKind == "sandbox" {
		sb := cognigy.NewSandbox(providers.SandboxOptions{})
		srv := httptest.NewServer(sb)
		defer srv.Close()
		if client, err = p.NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials()}); err != nil {
			b.Fatal(err)
		}
	}
	rw, err := report.Create(filepath.Join(dir, "out"), report.Layout{
		Header: src.Header(), SecretColumns: plan.SecretColumns(), KeyName: src.Header()[plan.KeyColumn()],
		LoginField: p.Describe().KeyField, CredentialFields: plan.Generates(),
	}, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var l batch.Ledger
	var counts *countingLedger
	if withLedger {
		lg, err := ledger.Open(filepath.Join(dir, "ledger.db"), cognigy.Name, "http://bench")
		if err != nil {
			b.Fatal(err)
		}
		defer lg.Close()
		counts = &countingLedger{Ledger: lg}
		l = counts
	}
	b.ReportAllocs()
	b.ResetTimer()
	res, err := batch.Run(context.Background(), batch.Config{
		Provider: p, Client: client, Plan: plan, Source: src, Reports: rw, Ledger: l,
		Rate: 0, Concurrency: 8, Attempts: 5, TempDir: dir,
	})
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Counts.Created != b.N {
		b.Fatalf("counts %+v, want %d created", res.Counts, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if counts != nil {
		b.ReportMetric(float64(counts.commits)/float64(b.N), "commits/row")
	}
}
