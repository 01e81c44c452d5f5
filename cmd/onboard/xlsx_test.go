package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// writeWorkbook writes an HR export as .xlsx: the people on the sheet
// "People", shared strings, a date-styled column the job does not read,
// and a second sheet.
func writeWorkbook(t *testing.T, path string, people [][]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(f.SetSheetName("Sheet1", "People"))
	_, err := f.NewSheet("Leavers")
	check(err)
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	check(err)
	header := []string{"First Name", "Last Name", "Work Email", "Department", "On Leave", "CXone Email", "Start"}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		check(f.SetCellStr("People", cell, h))
	}
	for r, p := range people {
		for c, v := range p {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			check(f.SetCellStr("People", cell, v))
		}
		cell, _ := excelize.CoordinatesToCellName(len(header), r+2)
		check(f.SetCellFloat("People", cell, 45306, -1, 64))
		check(f.SetCellStyle("People", cell, cell, date))
	}
	check(f.SaveAs(path))
}

// A workbook goes through the Cognigy sample job as a CSV would: every row
// accounted for, names at the vendor byte for byte.
func TestRunWorkbook(t *testing.T) {
	people := [][]string{
		{"José", "García", "jose@example.com", "Sales", "no"},
		{"Łukasz", "Wójcik", "lukasz@example.com", "Support", "no"},
		{"Zoë", "Müller", "zoe@example.com", "Sales", "yes"},
		{"Ærin", "Ødegård", "aerin@example.com", "Sales", "no"},
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "people.xlsx")
	writeWorkbook(t, in, people)
	sample := filepath.Join("..", "..", "samples", "cognigy", "job.yaml")

	r := onboard(t, nil, "check", "--job", sample, "--input", in)
	if r.code != exitOK || !strings.Contains(r.stdout, `sheet "People"`) || !strings.Contains(r.stdout, `also has sheet "Leavers"`) {
		t.Fatalf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = onboard(t, nil, "run", "--job", sample, "--input", in, "--sandbox", "--out", filepath.Join(dir, "rehearsal"))
	if r.code != exitOK {
		t.Fatalf("run --sandbox: exit %d\n%s", r.code, r.stderr)
	}

	// The same against a sandbox the test can look into.
	sb := cognigy.NewSandbox(providers.SandboxOptions{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(string(data), "https://api-trial.cognigy.ai/new", srv.URL, 1)
	jobPath := write(t, dir, "job.yaml", job)
	env := map[string]string{"COGNIGY_USERNAME": cognigy.SandboxUsername, "COGNIGY_PASSWORD": cognigy.SandboxPassword}
	r = onboard(t, env, "run", "--job", jobPath, "--input", in, "--out", filepath.Join(dir, "out"))
	if r.code != exitOK {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	var got, want []string
	for _, u := range sb.Users() {
		got = append(got, u.Name)
	}
	for _, p := range people {
		want = append(want, p[0]+" "+p[1])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("names at the vendor %q, want %q", got, want)
	}
}
