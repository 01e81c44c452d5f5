package report

import (
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

func TestReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := Create(dir, Layout{
		Header:           []string{"Name", "Email", "Password", "Phone"},
		SecretColumns:    map[int]bool{2: true},
		KeyName:          "Email",
		LoginField:       "id",
		CredentialFields: []string{"password"},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteCredential(Credential{Row: 2, Key: "jose@example.com", Login: "jose@example.com", Secrets: map[string]string{"password": "Gen3rated!pw"}}))
	must(w.WriteCredential(Credential{Row: 3, Key: "x@example.com", Login: "x@example.com", Secrets: map[string]string{"password": "Never!set1"}}))
	must(w.SyncCredentials())
	must(w.WriteSuccess(Success{Row: 2, Cells: []string{"José García", "jose@example.com", "typed-secret", "+44 20 7946 0958"}, Status: "created", VendorID: "65f0", Attempts: 1}))
	w.DropCredential(3)
	must(w.WriteFailure(Failure{Row: 3, Cells: []string{"=HYPERLINK(\"x\")", "x@example.com", "typed-secret", "@home"}, Stage: StageVendor, Error: "row 3: cognigy: create: 400 Bad Request: bad, \"quoted\"\nsecond line", HTTPStatus: 400, Attempts: 2}))
	must(w.WriteFailure(Failure{Row: 4, Cells: []string{"Short"}, Stage: StageInput, Error: "row 4: has 1 fields"}))
	must(w.Close())
	for _, name := range []string{SuccessFile, FailuresFile, CredentialsFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(filepath.Join(dir, name))
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, info.Mode().Perm())
		}
		golden(t, name, data)
	}
	success, _ := os.ReadFile(filepath.Join(dir, SuccessFile))
	if strings.Contains(string(success), "typed-secret") {
		t.Error("a secret column reached success.csv")
	}
	if _, err := Create(dir, Layout{Header: []string{"A"}}, Options{}); err == nil {
		t.Error("an earlier run's reports were overwritten")
	}
}

func TestBOM(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, Layout{Header: []string{"Name"}}, Options{BOM: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSuccess(Success{Row: 2, Cells: []string{"Łukasz"}, Status: "created"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, SuccessFile))
	if !strings.HasPrefix(string(data), "\uFEFFName,onboard_row") || !strings.Contains(string(data), "Łukasz") {
		t.Fatalf("success.csv = %q", data)
	}
}

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+44 20": "'+44 20", "-5": "'-5", "@SUM(A1)": "'@SUM(A1)", "plain": "plain", "": "", "a=b": "a=b"} {
		if got := Defuse(in); got != want {
			t.Errorf("Defuse(%q) = %q, want %q", in, got, want)
		}
		if got := Undefuse(Defuse(in)); got != in {
			t.Errorf("Undefuse(Defuse(%q)) = %q", in, got)
		}
	}
}
