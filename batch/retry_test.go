package batch_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/providers"
)

// scripted is a fake client: each create of a user gets the next answer of
// its script (the last answer repeats). It records what was asked.
type scripted struct {
	mu      sync.Mutex
	scripts map[string][]answer
	creates map[string]int
	lookups map[string]int
	exists  map[string]bool
}

type answer struct {
	err    *providers.Error
	status providers.Status
	// acted: the vendor created the user even though the answer says
	// otherwise (a dropped connection).
	acted bool
}

func newScripted(s map[string][]answer) *scripted {
	return &scripted{scripts: s, creates: map[string]int{}, lookups: map[string]int{}, exists: map[string]bool{}}
}

func (s *scripted) Prepare(context.Context) error { return nil }

func (s *scripted) Create(_ context.Context, rec providers.Record) (providers.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := rec.String("id")
	n := s.creates[id]
	s.creates[id]++
	script := s.scripts[id]
	a := answer{status: providers.StatusCreated}
	if len(script) > 0 {
		a = script[min(n, len(script)-1)]
	}
	if a.acted || (a.err == nil && a.status == providers.StatusCreated) {
		s.exists[id] = true
	}
	if a.err != nil {
		return providers.Result{}, a.err
	}
	return providers.Result{Status: a.status, VendorID: "v-" + id}, nil
}

func (s *scripted) Lookup(_ context.Context, rec providers.Record) (providers.Result, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := rec.String("id")
	s.lookups[id]++
	if s.exists[id] {
		return providers.Result{Status: providers.StatusExists, VendorID: "v-" + id}, true, nil
	}
	return providers.Result{}, false, nil
}

func verr(kind providers.Kind, status int, retryAfter time.Duration) *providers.Error {
	return &providers.Error{Vendor: "cognigy", Op: "create", Kind: kind, HTTPStatus: status, Message: http.StatusText(status), RetryAfter: retryAfter}
}

const retryJob = `provider: cognigy
input: users.csv
key: Email
fields:
  id: Email
  name: Name
  password: { value: "Passw0rd!" }
  organisation: { value: 5f1e2d3c4b5a697887766554 }
`

func TestRetryDecisions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	job := write("job.yaml", retryJob)
	write("users.csv", "Email,Name\n"+
		"ok@x.com,OK\n"+
		"throttled@x.com,T\n"+
		"unavailable@x.com,U\n"+
		"rejected@x.com,R\n"+
		"dropped@x.com,D\n"+
		"lost@x.com,L\n"+
		"forever@x.com,F\n"+
		"timeout@x.com,Q\n")
	c := newScripted(map[string][]answer{
		"throttled@x.com":   {{err: verr(providers.KindRetry, 429, time.Hour)}, {status: providers.StatusCreated}},
		"unavailable@x.com": {{err: verr(providers.KindRetry, 503, 0)}, {err: verr(providers.KindRetry, 503, 0)}, {status: providers.StatusCreated}},
		"rejected@x.com":    {{err: verr(providers.KindRejected, 400, 0)}},
		"dropped@x.com":     {{err: verr(providers.KindUnknown, 0, 0), acted: true}},
		"lost@x.com":        {{err: verr(providers.KindUnknown, 502, 0)}, {status: providers.StatusCreated}},
		"forever@x.com":     {{err: verr(providers.KindRetry, 503, 0)}},
		"timeout@x.com":     {{err: verr(providers.KindRetry, 408, 0)}, {status: providers.StatusCreated}},
	})
	o := run(t, setup{jobPath: job, client: c, opts: func(cfg *batch.Config) {
		cfg.Attempts = 4
		cfg.MaxWait = time.Millisecond // caps the hour-long Retry-After
	}})
	accounted(t, o, 8)
	byRow := map[int]successRow{}
	for _, s := range o.success {
		byRow[s.Row] = s
	}
	fails := map[int]failureRow{}
	for _, f := range o.failures {
		fails[f.Row] = f
	}
	check := func(row int, status string, attempts int) {
		t.Helper()
		s, ok := byRow[row]
		if !ok || s.Status != status || s.Attempts != attempts {
			t.Errorf("row %d: got %+v (failure %+v), want %s after %d attempts", row, s, fails[row], status, attempts)
		}
	}
	check(2, "created", 1)
	check(3, "created", 2) // 429 then created: Retry-After honoured, capped
	check(4, "created", 3) // two 503s
	check(6, "exists", 1)  // dropped after acting: looked up, never re-sent
	check(7, "created", 2) // 502: looked up (absent), then created
	check(9, "created", 2) // 408 is retried
	if f := fails[5]; f.Stage != "vendor" || f.Attempts != 1 || f.HTTP != "400" {
		t.Errorf("400 must not be retried: %+v", f)
	}
	if f := fails[8]; f.Stage != "vendor" || f.Attempts != 4 || !strings.Contains(f.Error, "after 4 attempts") {
		t.Errorf("attempts must be bounded: %+v", f)
	}
	if c.creates["dropped@x.com"] != 1 || c.lookups["dropped@x.com"] != 1 {
		t.Errorf("dropped create re-sent blindly: %d creates, %d lookups", c.creates["dropped@x.com"], c.lookups["dropped@x.com"])
	}
	if c.lookups["ok@x.com"] != 0 || c.lookups["unavailable@x.com"] != 0 {
		t.Error("lookups where the vendor surely did not act")
	}
	if o.res.Throttled != 1 || o.res.Retries < 7 || o.res.Lookups != 2 {
		t.Errorf("result counters: %+v", o.res)
	}
}

// TestThrottlesDoNotSpendAttempts: a throttle (429, or 503 with
// Retry-After) is the vendor refusing the pace, not the row: a row
// throttled more times than its attempts still goes through, and only the
// row deadline ends a row the vendor throttles for good.
func TestThrottlesDoNotSpendAttempts(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(job, []byte(retryJob), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("Email,Name\npatient@x.com,P\nforever@x.com,F\nbusy@x.com,B\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t429 := answer{err: verr(providers.KindRetry, 429, 0)}
	t503 := answer{err: verr(providers.KindRetry, 503, time.Second)}
	c := newScripted(map[string][]answer{
		"patient@x.com": {t429, t429, t503, t429, t503, t429, {status: providers.StatusCreated}},
		"forever@x.com": {t429},
		// A 503 without Retry-After is an error like any other: it spends
		// attempts.
		"busy@x.com": {{err: verr(providers.KindRetry, 503, 0)}},
	})
	o := run(t, setup{jobPath: job, client: c, opts: func(cfg *batch.Config) {
		cfg.Attempts = 2
		cfg.MaxWait = time.Millisecond
		cfg.RowDeadline = 500 * time.Millisecond
	}})
	accounted(t, o, 3)
	if len(o.success) != 1 || o.success[0].Row != 2 || o.success[0].Status != "created" {
		t.Fatalf("the row throttled six times did not go through: success %+v failures %+v", o.success, o.failures)
	}
	for _, f := range o.failures {
		switch f.Row {
		case 3:
			if f.HTTP != "429" || !strings.Contains(f.Error, "throttled for 500ms") {
				t.Errorf("row throttled for good: %+v", f)
			}
		case 4:
			if f.Attempts != 2 || f.HTTP != "503" {
				t.Errorf("503 without Retry-After must spend attempts: %+v", f)
			}
		}
	}
	if o.res.Throttled < 7 || c.creates["forever@x.com"] < 3 {
		t.Errorf("throttles counted %d, forever@ tried %d times", o.res.Throttled, c.creates["forever@x.com"])
	}
	if len(o.res.Timeline) == 0 {
		t.Error("no timeline in the result")
	}
}
