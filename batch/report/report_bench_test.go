package report_test

import (
	"testing"

	"github.com/onboardhq/onboard/batch/report"
)

var benchLayout = report.Layout{
	Header:        []string{"First Name", "Last Name", "Work Email", "Department", "On Leave", "Password"},
	SecretColumns: map[int]bool{5: true},
	KeyName:       "Work Email",
	LoginField:    "id",
}

var benchCells = []string{"Ada", "Lovelace", "Ada.Lovelace.0000001@Example.com", "Sales;Support", "no", "s3cret"}

func newBenchWriter(b *testing.B) *report.Writer {
	b.Helper()
	w, err := report.Create(b.TempDir(), benchLayout, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkWriteSuccess is one row of success.csv, with the writer's own
// buffering (a write to the file every 64 KiB).
func BenchmarkWriteSuccess(b *testing.B) {
	w := newBenchWriter(b)
	s := report.Success{Row: 2, Cells: benchCells, Status: "created", VendorID: "65f0c0ffee0000000000abcd", Attempts: 1}
	b.ReportAllocs()
	for b.Loop() {
		s.Row++
		s.Seq++
		if err := w.WriteSuccess(s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWriteFailure is one row of failures.csv: the input cells as read
// plus stage, message and status.
func BenchmarkWriteFailure(b *testing.B) {
	w := newBenchWriter(b)
	f := report.Failure{Row: 2, Cells: benchCells, Stage: report.StageVendor, HTTPStatus: 400, Attempts: 1,
		Error: `row 2: cognigy: create: 400 Bad Request: password does not match the password policy (trace sandbox-000042)`}
	b.ReportAllocs()
	for b.Loop() {
		f.Row++
		f.Seq++
		if err := w.WriteFailure(f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
