package batch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/providers"
)

// fakeVendor answers every create and lookup with the same error, counting
// them: a vendor that is down, redirects, or echoes secrets.
type fakeVendor struct {
	create, lookup *providers.Error
	creates        atomic.Int64
	lookups        atomic.Int64
	secrets        []string
}

func (f *fakeVendor) Prepare(context.Context) error { return nil }

func (f *fakeVendor) Create(context.Context, providers.Record) (providers.Result, error) {
	f.creates.Add(1)
	if f.create == nil {
		return providers.Result{Status: providers.StatusCreated, VendorID: "v"}, nil
	}
	return providers.Result{}, f.create
}

func (f *fakeVendor) Lookup(context.Context, providers.Record) (providers.Result, bool, error) {
	f.lookups.Add(1)
	if f.lookup == nil {
		return providers.Result{}, false, nil
	}
	return providers.Result{}, false, f.lookup
}

func (f *fakeVendor) Secrets() []string { return f.secrets }

// writeJob writes retryJob and an input of n people.
func writeJob(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(retryJob), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("Email,Name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "p%d@x.com,P%d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "job.yaml")
}

// A create whose answer was lost is looked up; when the lookups fail too
// (the vendor answers 503), they draw from the same budget as the creates:
// the row ends, in doubt, instead of being looked up for ever.
func TestLookupsDrawFromTheRowBudget(t *testing.T) {
	v := &fakeVendor{
		create: verr(providers.KindUnknown, 502, 0),
		lookup: &providers.Error{Vendor: "cognigy", Op: "lookup", Kind: providers.KindRetry, HTTPStatus: 503, Message: "Service Unavailable"},
	}
	o := run(t, setup{jobPath: writeJob(t, 1), client: v, opts: func(cfg *batch.Config) {
		cfg.Attempts = 4
		cfg.MaxWait = time.Millisecond
		cfg.BreakerAfter = 100
	}})
	accounted(t, o, 1)
	if got := v.creates.Load() + v.lookups.Load(); got != 4 {
		t.Fatalf("%d creates + %d lookups, want 4 requests in all", v.creates.Load(), v.lookups.Load())
	}
	if v.creates.Load() != 1 {
		t.Fatalf("create re-sent %d times though its outcome was unknown", v.creates.Load())
	}
	if f := o.failures[0]; !strings.Contains(f.Error, "may have created the user") {
		t.Fatalf("a row in doubt must say so: %q", f.Error)
	}
}

// A vendor that answers nothing usable (503 to everything, or connection
// refused) trips the breaker: few requests, exit 3's reason names the
// vendor, every row in the reports.
func TestVendorDownStopsTheRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  *providers.Error
	}{
		{"503", verr(providers.KindRetry, 503, 0)},
		{"refused", &providers.Error{Vendor: "cognigy", Op: "create", Kind: providers.KindRetry, Message: "connection failed: connection refused"}},
		{"html-200", &providers.Error{Vendor: "cognigy", Op: "create", Kind: providers.KindUnknown, HTTPStatus: 200, Message: "answered 200 but not with the created user"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeVendor{create: tt.err, lookup: tt.err}
			o := run(t, setup{jobPath: writeJob(t, 200), client: v, opts: func(cfg *batch.Config) {
				cfg.Concurrency = 8
				cfg.MaxWait = 5 * time.Millisecond
				cfg.BreakerWindow = 300 * time.Millisecond
			}})
			accounted(t, o, 200)
			if !strings.Contains(o.res.Stopped, "unreachable or failing") {
				t.Fatalf("stopped %q, want the vendor named unreachable", o.res.Stopped)
			}
			if n := v.creates.Load() + v.lookups.Load(); n > 60 {
				t.Fatalf("%d requests to a vendor that is down, want at most 60", n)
			}
			notSent := 0
			for _, f := range o.failures {
				if f.Stage == "not_attempted" {
					notSent++
				}
			}
			if notSent < 150 {
				t.Fatalf("%d rows not attempted, want most of them", notSent)
			}
		})
	}
}

// A short outage opens the breaker; the first usable answer closes it and
// the run goes on.
func TestBreakerClosesWhenTheVendorIsBack(t *testing.T) {
	v := &flaky{fakeVendor: fakeVendor{create: verr(providers.KindRetry, 503, 0)}, failFor: 9}
	o := run(t, setup{jobPath: writeJob(t, 30), client: v, opts: func(cfg *batch.Config) {
		cfg.Concurrency = 2
		cfg.Attempts = 10
		cfg.MaxWait = time.Millisecond
		cfg.BreakerWindow = 3 * time.Second
	}})
	accounted(t, o, 30)
	if o.res.Stopped != "" || o.res.Counts.Created != 30 {
		t.Fatalf("stopped %q counts %+v, want all 30 created after the outage", o.res.Stopped, o.res.Counts)
	}
}

type flaky struct {
	fakeVendor
	failFor int64
}

func (f *flaky) Create(ctx context.Context, rec providers.Record) (providers.Result, error) {
	if f.creates.Load() >= f.failFor {
		f.creates.Add(1)
		return providers.Result{Status: providers.StatusCreated, VendorID: "v"}, nil
	}
	return f.fakeVendor.Create(ctx, rec)
}

// A redirect is the endpoint's fault, not the row's: the run stops at
// once.
func TestRedirectStopsTheRun(t *testing.T) {
	v := &fakeVendor{create: &providers.Error{Vendor: "cognigy", Op: "create", Kind: providers.KindEndpoint, HTTPStatus: 301, Message: "redirected to https://elsewhere.example/"}}
	o := run(t, setup{jobPath: writeJob(t, 50), client: v, opts: func(cfg *batch.Config) { cfg.Concurrency = 4 }})
	accounted(t, o, 50)
	if !strings.Contains(o.res.Stopped, "redirect") {
		t.Fatalf("stopped %q", o.res.Stopped)
	}
	if n := v.creates.Load(); n > 4 {
		t.Fatalf("%d creates after a redirect, want at most one per worker", n)
	}
	if o.res.Counts.Created != 0 {
		t.Fatal("a redirected create counted as created")
	}
}

// Throttling alone never fails a row: a 429 costs time, not a try.
func TestThrottlesDoNotUseTheBudget(t *testing.T) {
	script := []answer{}
	for range 8 {
		script = append(script, answer{err: verr(providers.KindRetry, 429, time.Millisecond)})
	}
	script = append(script, answer{status: providers.StatusCreated})
	c := newScripted(map[string][]answer{"p1@x.com": script})
	o := run(t, setup{jobPath: writeJob(t, 1), client: c, opts: func(cfg *batch.Config) { cfg.Attempts = 3 }})
	accounted(t, o, 1)
	if len(o.success) != 1 || o.success[0].Status != "created" {
		t.Fatalf("a throttled row failed: %+v", o.failures)
	}
}

// A vendor that echoes the request in its error (the password, the
// Authorization value) never gets it into the reports.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	v := &fakeVendor{
		create:  &providers.Error{Vendor: "cognigy", Op: "create", Kind: providers.KindRejected, HTTPStatus: 400, Message: `bad request {"password":"Passw0rd!","auth":"Basic dXNlcjpzM2NyM3Q=","key":"job-secret-value"}`},
		secrets: []string{"Basic dXNlcjpzM2NyM3Q="},
	}
	o := run(t, setup{jobPath: writeJob(t, 1), client: v, opts: func(cfg *batch.Config) { cfg.Secrets = []string{"job-secret-value"} }})
	accounted(t, o, 1)
	msg := o.failures[0].Error
	for _, s := range []string{"Passw0rd!", "dXNlcjpzM2NyM3Q=", "job-secret-value"} {
		if strings.Contains(msg, s) {
			t.Fatalf("failures.csv holds %q: %s", s, msg)
		}
	}
	if !strings.Contains(msg, "[redacted]") || !strings.Contains(msg, "bad request") {
		t.Fatalf("message lost its words: %s", msg)
	}
}

func TestAuthSecrets(t *testing.T) {
	d := &providers.Description{Auth: []providers.AuthScheme{{Settings: []providers.Setting{{Name: "username"}, {Name: "password", Secret: true}}}}}
	got := batch.AuthSecrets(d, map[string]string{"username": "user", "password": "s3cr3t"})
	want := map[string]bool{"s3cr3t": true, "dXNlcjpzM2NyM3Q=": true}
	for _, g := range got {
		delete(want, g)
	}
	if len(want) > 0 {
		t.Fatalf("AuthSecrets = %v, missing %v", got, want)
	}
}

// A vendor answering 503 with a long Retry-After to everything still ends
// the run when the breaker's window ends, though every worker is waiting.
func TestBreakerWatchdog(t *testing.T) {
	v := &fakeVendor{create: verr(providers.KindRetry, 503, time.Hour)}
	done := make(chan outcome, 1)
	go func() {
		done <- run(t, setup{jobPath: writeJob(t, 20), client: v, opts: func(cfg *batch.Config) {
			cfg.Concurrency = 2
			cfg.BreakerAfter = 2
			cfg.BreakerWindow = 500 * time.Millisecond
			cfg.MaxWait = time.Hour
			cfg.Grace = 100 * time.Millisecond
		}})
	}()
	select {
	case o := <-done:
		accounted(t, o, 20)
		if !strings.Contains(o.res.Stopped, "unreachable") {
			t.Fatalf("stopped %q", o.res.Stopped)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run waited out the vendor's Retry-After instead of stopping")
	}
}
