package report

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var testLayout = Layout{
	Header:           []string{"First", "Last", "Email", "Password", "Phone"},
	SecretColumns:    map[int]bool{3: true},
	KeyName:          "Email",
	NameColumns:      []int{0, 1, 2, 3}, // the key and a secret column are left out
	LoginField:       "id",
	CredentialFields: []string{"password"},
}

// The rows are written out of order, as workers finish them; the reports
// hold them in input order, in the input's dialect, with the names in
// credentials.csv and the password file named on the created rows.
func TestReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := Create(dir, testLayout, Options{Input: "hr.csv"})
	must(t, err)
	abs, _ := filepath.Abs(filepath.Join(dir, CredentialsFile))
	cells := func(first, last, email, phone string) []string {
		return []string{first, last, email, "typed-secret", phone}
	}
	must(t, w.WriteCredential(Credential{Row: 2, Key: "jose@example.com", Cells: cells("José", "García", "jose@example.com", ""), Login: "jose@example.com", Secrets: map[string]string{"password": "Gen3rated!pw"}}))
	must(t, w.WriteCredential(Credential{Row: 3, Key: "x@example.com", Cells: cells("=HYPERLINK(\"x\")", "X", "x@example.com", ""), Login: "x@example.com", Secrets: map[string]string{"password": "Never!set1"}}))
	must(t, w.SyncCredentials())
	// Row 4 finishes first.
	must(t, w.WriteFailure(Failure{Row: 4, Seq: 3, Cells: []string{"Short"}, Stage: StageInput, Error: "row 4: has 1 fields"}))
	w.DropCredential(3)
	must(t, w.WriteFailure(Failure{Row: 3, Seq: 2, Cells: cells("=HYPERLINK(\"x\")", "X", "x@example.com", "@home"), Stage: StageVendor, Error: "row 3: cognigy: create: 400 Bad Request: bad, \"quoted\"\nsecond line", HTTPStatus: 400, Attempts: 2, Known: true}))
	must(t, w.WriteSuccess(Success{Row: 5, Seq: 4, Cells: cells("Ann", "Lee", "ann@example.com", "-5"), Status: "skipped", VendorID: "65f1"}))
	must(t, w.Flush())
	if s := read(t, filepath.Join(dir, SuccessFile)); strings.Contains(s, "ann@") {
		t.Fatalf("row 5 was written before row 2:\n%s", s)
	}
	must(t, w.WriteSuccess(Success{Row: 2, Seq: 1, Cells: cells("José", "García", "jose@example.com", "+44 20 7946 0958"), Status: "created", VendorID: "65f0", Attempts: 1}))
	must(t, w.Close())
	for _, name := range []string{SuccessFile, FailuresFile, CredentialsFile} {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		must(t, err)
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, info.Mode().Perm())
		}
		golden(t, name, []byte(strings.ReplaceAll(read(t, path), abs, "ABS/credentials.csv")))
	}
	if s := read(t, filepath.Join(dir, SuccessFile)); strings.Contains(s, "typed-secret") {
		t.Error("a secret column reached success.csv")
	}
	if s := read(t, filepath.Join(dir, SuccessFile)); !strings.Contains(s, ",created,65f0,1,"+abs+",hr.csv\n") {
		t.Errorf("the created row does not name %s:\n%s", abs, s)
	}
	if s := read(t, filepath.Join(dir, CredentialsFile)); strings.Contains(s, "Never!set1") {
		t.Errorf("a password never set is still offered:\n%s", s)
	}
	if _, err := Create(dir, Layout{Header: []string{"A"}}, Options{}); !errors.Is(err, ErrOutInUse) {
		t.Errorf("an earlier run's reports were not refused: %v", err)
	}
}

// A password stays named only while it is in effect: dropped when never
// set, kept for a user found after an unsure create, and an earlier run's
// file given by the engine wins.
func TestCredentialsInEffect(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, testLayout, Options{})
	must(t, err)
	abs, _ := filepath.Abs(filepath.Join(dir, CredentialsFile))
	for _, row := range []int{2, 3, 4, 6, 7} {
		must(t, w.WriteCredential(Credential{Row: row, Key: "k", Secrets: map[string]string{"password": "pw"}}))
	}
	w.DropCredential(3) // existed before: our password was never set
	must(t, w.WriteSuccess(Success{Row: 3, Seq: 2, Status: "exists"}))
	must(t, w.WriteSuccess(Success{Row: 2, Seq: 1, Status: "created"}))
	must(t, w.WriteSuccess(Success{Row: 4, Seq: 3, Status: "exists"})) // an unsure create, then found
	must(t, w.WriteSuccess(Success{Row: 5, Seq: 4, Status: "exists", Credentials: "/runs/monday/credentials.csv"}))
	must(t, w.WriteSuccess(Success{Row: 7, Seq: 6, Status: "created", Credentials: "/runs/monday/credentials.csv"})) // ours wins
	w.DropCredential(6)                                                                                              // never sent
	must(t, w.WriteFailure(Failure{Row: 6, Seq: 5, Stage: StageNotAttempted}))
	must(t, w.Close())
	lines := strings.Split(read(t, filepath.Join(dir, SuccessFile)), "\n")
	want := []string{abs, "", abs, "/runs/monday/credentials.csv", abs}
	for i, wnt := range want {
		f := strings.Split(lines[i+1], ",")
		if got := f[len(f)-2]; got != wnt {
			t.Errorf("row %s: onboard_credentials %q, want %q", f[4], got, wnt)
		}
	}
	creds := read(t, filepath.Join(dir, CredentialsFile))
	if n := strings.Count(creds, "\n"); n != 4 || strings.Contains(creds, "\n3,") || strings.Contains(creds, "\n6,") {
		t.Errorf("credentials.csv should hold rows 2, 4 and 7:\n%s", creds)
	}
}

// The reports speak the input's dialect, credentials.csv too after it is
// filtered.
func TestDialect(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, testLayout, Options{BOM: true, Delimiter: ';'})
	must(t, err)
	must(t, w.WriteCredential(Credential{Row: 2, Key: "a;b@example.com", Cells: []string{"Łukasz", "Wałęsa"}, Secrets: map[string]string{"password": "x;y"}}))
	must(t, w.WriteCredential(Credential{Row: 3, Key: "c@example.com", Secrets: map[string]string{"password": "z"}}))
	w.DropCredential(3)
	must(t, w.WriteSuccess(Success{Row: 2, Cells: []string{"Łukasz", "Wałęsa", "a;b@example.com", "", "+48 22 123 45 67"}, Status: "created"}))
	must(t, w.WriteFailure(Failure{Row: 3, Cells: []string{"C"}, Stage: StageVendor, Error: "a; b"}))
	must(t, w.Close())
	for name, want := range map[string]string{
		SuccessFile:     "\uFEFFFirst;Last;Email;Phone;onboard_row;onboard_status;onboard_vendor_id;onboard_attempts;onboard_credentials;onboard_input\nŁukasz;Wałęsa;\"a;b@example.com\";+48 22 123 45 67;2;created;;0;",
		FailuresFile:    "\uFEFFFirst;Last;Email;Password;Phone;onboard_row;onboard_stage;onboard_error;onboard_http_status;onboard_attempts;onboard_failure;onboard_input\nC;;;;;3;vendor;\"a; b\";;0;new;\n",
		CredentialsFile: "\uFEFFonboard_row;Email;First;Last;id;password\n2;\"a;b@example.com\";Łukasz;Wałęsa;;\"x;y\"\n",
	} {
		if got := read(t, filepath.Join(dir, name)); !strings.HasPrefix(got, want) || name == CredentialsFile && got != want {
			t.Errorf("%s =\n%q\nwant\n%q", name, got, want)
		}
	}
}

// A report fed back keeps the HR file's row numbers and its name.
func TestRefeedKeepsRowsAndInput(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, Layout{Header: []string{"Email"}}, Options{Input: "out/failures.csv"})
	must(t, err)
	must(t, w.WriteSuccess(Success{Row: 2, Seq: 1, SourceRow: "17", Input: "hr-2026-03.csv", Cells: []string{"a@x"}, Status: "created"}))
	must(t, w.WriteFailure(Failure{Row: 3, Seq: 2, SourceRow: "41", Input: "hr-2026-03.csv", Cells: []string{"b@x"}, Stage: StageVendor, Error: "no"}))
	must(t, w.WriteFailure(Failure{Row: 4, Seq: 3, Cells: []string{"c@x"}, Stage: StageVendor, Error: "no"}))
	must(t, w.Close())
	if got := read(t, filepath.Join(dir, SuccessFile)); !strings.HasSuffix(got, "a@x,17,created,,0,hr-2026-03.csv\n") {
		t.Errorf("success.csv:\n%s", got)
	}
	got := read(t, filepath.Join(dir, FailuresFile))
	if !strings.Contains(got, "b@x,41,vendor,no,,0,new,hr-2026-03.csv\n") || !strings.HasSuffix(got, "c@x,4,vendor,no,,0,new,out/failures.csv\n") {
		t.Errorf("failures.csv:\n%s", got)
	}
	if g := w.Groups(); len(g) != 1 || RowList(g[0].Rows, g[0].More) != "4, 41" {
		t.Errorf("groups %+v", g)
	}
}

func TestExcelStyleAndBOM(t *testing.T) {
	for _, tt := range []struct {
		enc  string
		bom  bool
		want bool
	}{
		{"UTF-8", false, false}, {"UTF-8", true, true}, {"Windows-1252", false, true}, {"Windows-1250", false, true},
		{"UTF-16LE", false, true}, {"UTF-16BE", true, true}, {"ISO-8859-2", false, false},
	} {
		if got := ExcelStyle(tt.enc, tt.bom); got != tt.want {
			t.Errorf("ExcelStyle(%q, %v) = %v", tt.enc, tt.bom, got)
		}
	}
	for _, tt := range []struct{ flag, job, set, excel, want bool }{
		{false, false, false, false, false}, {false, false, false, true, true}, {false, false, true, true, false},
		{false, true, true, false, true}, {true, false, true, false, true},
	} {
		if got := WantBOM(tt.flag, tt.job, tt.set, tt.excel); got != tt.want {
			t.Errorf("WantBOM(%v, %v, %v, %v) = %v", tt.flag, tt.job, tt.set, tt.excel, got)
		}
	}
	for in, want := range map[string]rune{",": ',', "semicolon": ';', "tab": '\t', `\t`: '\t', "|": '|', "x": 0} {
		if got, err := ParseDelimiter(in); got != want || (err != nil) != (want == 0) {
			t.Errorf("ParseDelimiter(%q) = %q, %v", in, got, err)
		}
	}
}

// A vendor that echoes the request puts no generated password into
// failures.csv or report.html.
func TestFailureKeepsGeneratedPasswordOut(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, credsLayout, Options{})
	must(t, err)
	pw := `Gen"3rated\pw`
	must(t, w.WriteCredential(Credential{Row: 2, Key: "a@x", Secrets: map[string]string{"password": pw}}))
	w.DropCredential(2)
	must(t, w.WriteFailure(Failure{Row: 2, Stage: StageVendor, HTTPStatus: 400,
		Error: `row 2: v: create: 400 Bad Request: {"password":"Gen\"3rated\\pw"} is weak; Gen"3rated\pw`}))
	must(t, w.Close())
	must(t, w.WriteHTML(Summary{Reports: w.Paths()}, nil))
	for _, name := range []string{FailuresFile, HTMLFile} {
		got := read(t, filepath.Join(dir, name))
		if strings.Contains(got, "3rated") || !strings.Contains(got, "[redacted]") {
			t.Errorf("%s:\n%s", name, got)
		}
	}
}
