package ledger

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
)

func TestLedgerLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ledger.db")
	l, err := Open(path, "cognigy", "http://x")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) (batch.Entry, bool) {
		t.Helper()
		e, ok, err := l.Get(key)
		must(err)
		return e, ok
	}
	if _, ok := get("a@x.com"); ok {
		t.Fatal("empty ledger knows a key")
	}
	// A first run's own writes are not read back (Get tells what earlier
	// runs left); the second Open below reads them.
	must(l.Pending(" A@x.com ", 2))
	must(l.Flush())
	must(l.Record("a@x.com", 2, "", providers.StatusCreated, "id-1", 200, "", 0))
	must(l.Record("b@x.com", 3, report.StageVendor, "", "", 400, "row 3: cognigy: create: 400 Bad Request", 0))
	must(l.Record("c@x.com", 4, report.StageVendor, "", "", 0, "row 4: ...; the vendor may have created the user: run the job again", 0))
	must(l.Record("d@x.com", 5, report.StageMapping, "", "", 0, "row 5: bad", 0))
	must(l.Flush())
	must(l.Close())
	if l, err = Open(path, "cognigy", "http://x"); err != nil {
		t.Fatal(err)
	}
	if e, _ := get("A@X.COM"); e.Status != "created" || e.VendorID != "id-1" || !e.Done() {
		t.Fatalf("created: %+v", e)
	}
	if e, _ := get("b@x.com"); e.Status != batch.LedgerFailed || e.Done() {
		t.Fatalf("failed: %+v", e)
	}
	if e, _ := get("c@x.com"); e.Status != batch.LedgerPending {
		t.Fatalf("unknown outcome must stay pending (looked up next time): %+v", e)
	}
	if _, ok := get("d@x.com"); ok {
		t.Fatal("a row that never reached the vendor was recorded")
	}
	// A later failure never hides that the user exists.
	must(l.Record("a@x.com", 9, report.StageVendor, "", "", 500, "boom", 0))
	must(l.Pending("a@x.com", 9))
	must(l.Flush())
	if e, _ := get("a@x.com"); e.Status != "created" || e.VendorID != "id-1" {
		t.Fatalf("created user downgraded: %+v", e)
	}
	must(l.Pending("e@x.com", 10))
	must(l.Forget("e@x.com"))
	must(l.Finish(report.Counts{Created: 1, Failed: 1}))
	must(l.Close())

	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("ledger mode %v, want 0600", info.Mode().Perm())
	}
	l2, err := Open(path, "cognigy", "http://x")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if e, ok, _ := l2.Get("a@x.com"); !ok || e.Status != "created" {
		t.Fatalf("reopened: %+v %v", e, ok)
	}
	if _, ok, _ := l2.Get("e@x.com"); ok {
		t.Fatal("a key made pending and forgotten in the same run is still there")
	}
	db, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs, finished int
	if err := db.QueryRow(`SELECT COUNT(*), SUM(finished_at <> '') FROM runs`).Scan(&runs, &finished); err != nil || runs != 3 || finished != 1 {
		t.Fatalf("runs: %d finished %d err %v", runs, finished, err)
	}
}

func TestFlushInChunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	l, err := Open(path, "cognigy", "x")
	if err != nil {
		t.Fatal(err)
	}
	n := chunk*3 + 5
	for i := 0; i < n; i++ {
		if err := l.Pending(fmt.Sprintf("k%d", i), i+2); err != nil {
			t.Fatal(err)
		}
		if i == chunk+3 {
			l.Forget("k1")
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := l.Record(fmt.Sprintf("k%d", i), i+2, "", providers.StatusCreated, fmt.Sprint("id", i), 201, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(path, "cognigy", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < n; i++ {
		e, ok, err := l.Get(fmt.Sprintf("k%d", i))
		if err != nil || !ok || e.Status != "created" || e.VendorID != fmt.Sprint("id", i) || e.Row != i+2 {
			t.Fatalf("k%d: %+v %v %v", i, e, ok, err)
		}
	}
}

// crash closes the database the way a killed process leaves it: nothing
// folded, the pending batches and events still there.
func crash(t *testing.T, l *Ledger) {
	t.Helper()
	if err := l.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(path, "cognigy", "x")
	must(err)
	must(l.Record("old@x.com", 2, "", providers.StatusCreated, "id-old", 201, "", 0))
	must(l.Close())

	l, err = Open(path, "cognigy", "x")
	must(err)
	for i, k := range []string{"a@x.com", "b@x.com", "c@x.com", "old@x.com", `we"ird\key@x.com`, "é@x.com"} {
		must(l.Pending(k, i+2))
	}
	must(l.Flush())
	must(l.Record("a@x.com", 2, "", providers.StatusCreated, "id-a", 201, "", 0))
	must(l.Forget("c@x.com"))
	must(l.Flush())
	must(l.Pending("unflushed@x.com", 9)) // never committed: never sent
	crash(t, l)

	db, err := OpenReadOnly(path)
	must(err)
	var batches int
	must(db.QueryRow(`SELECT COUNT(*) FROM pending`).Scan(&batches))
	db.Close()
	if batches != 1 {
		t.Fatalf("pending batches left by the crash: %d, want 1", batches)
	}

	l, err = Open(path, "cognigy", "x")
	must(err)
	defer l.Close()
	want := map[string]string{
		"a@x.com":          "created",
		"b@x.com":          "pending", // sent, no outcome: looked up next time
		"old@x.com":        "created", // a pending create never hides a user
		`we"ird\key@x.com`: "pending",
		"é@x.com":          "pending",
		"c@x.com":          "", // made pending, then never sent
		"unflushed@x.com":  "",
	}
	for k, status := range want {
		e, ok, err := l.Get(k)
		must(err)
		if !ok && status != "" || ok && e.Status != status {
			t.Errorf("%s: got %+v (found %v), want %q", k, e, ok, status)
		}
	}
	if e, _, _ := l.Get("b@x.com"); e.Row != 3 {
		t.Errorf("b's row: %d, want 3", e.Row)
	}
}

// TestCloseWritesOpenKeysPending: a key sent without a recorded outcome
// stays pending after a clean close, though the pending batches are
// dropped.
func TestCloseWritesOpenKeysPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	l, err := Open(path, "cognigy", "x")
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Pending("a@x.com", 2)
	_ = l.Pending("b@x.com", 3)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = l.Record("a@x.com", 2, "", providers.StatusCreated, "id-a", 201, "", 0)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(path, "cognigy", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if e, _, _ := l.Get("b@x.com"); e.Status != batch.LedgerPending || e.Row != 3 {
		t.Fatalf("b: %+v, want pending row 3", e)
	}
	if e, _, _ := l.Get("a@x.com"); e.Status != "created" {
		t.Fatalf("a: %+v", e)
	}
}
