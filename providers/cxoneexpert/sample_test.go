package cxoneexpert_test

import (
	"context"
	"encoding/csv"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/providertest"
)

const sampleDir = "../../samples/cxoneexpert/"

func TestSampleJobIsTheInitTemplate(t *testing.T) {
	b, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != cxoneexpert.New().Describe().InitJob {
		t.Fatal("samples/cxoneexpert/job.yaml differs from Description.InitJob; keep them the same")
	}
}

// TestSampleCSV maps the sample by hand, as its job file says (the mapping
// package is not this package's to import), and runs it against the
// sandbox: the good rows are created, and exactly the planted bad rows fail
// before anything is sent (empty username, bad e-mail, status "retired",
// unknown role).
func TestSampleCSV(t *testing.T) {
	f, err := os.Open(sampleDir + "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	// The job's role map; its keys match ignoring case, and it has no
	// default, so an unlisted role fails the row and an empty cell sends none.
	roleMap := map[string]string{"viewer": "Viewer", "reader": "Viewer", "contributor": "Contributor",
		"author": "Author", "writer": "Author", "editor": "Editor", "admin": "Admin"}
	p := cxoneexpert.New()
	_, c := providertest.Start(t, p, providers.SandboxOptions{Seed: 1})
	var offline, rejected []string
	created := 0
	for _, row := range rows[1:] {
		get := func(name string) string { return row[col[name]] }
		rec := providers.Record{
			"username": get("Username"),
			"email":    strings.ToLower(get("Work Email")),
			"fullname": get("First Name") + " " + get("Last Name"),
			"status":   strings.ToLower(get("Status")),
			"password": "Generated-Pa55word!",
		}
		id := get("Username") + "/" + get("Last Name")
		if role := strings.TrimSpace(get("Role")); role != "" {
			if roleMap[strings.ToLower(role)] == "" {
				offline = append(offline, id+": role (no map entry)")
				continue
			}
			rec["role"] = roleMap[strings.ToLower(role)]
		}
		if errs := append(providers.CheckFields(p.Describe(), rec), p.Validate(rec, nil)...); len(errs) > 0 {
			offline = append(offline, id+": "+errs[0].Field)
			continue
		}
		res, err := c.Create(context.Background(), rec)
		if err != nil {
			rejected = append(rejected, id+": "+err.Error())
			continue
		}
		if res.Status != providers.StatusCreated {
			t.Errorf("%s: %s", id, res.Status)
		}
		created++
	}
	sort.Strings(offline)
	want := "/Johansson: username; dimitris.papadopoulos/Papadopoulos: role (no map entry); henrik.berg/Berg: status"
	if got := strings.Join(offline, "; "); got != want {
		t.Errorf("offline failures: %s\nwant %s", got, want)
	}
	// The e-mail's form is the site's to judge (the docs say {text}), so a
	// bad address reaches the site, which refuses it.
	wantRejected := `maria.gonzalez/González: cxoneexpert: create: 400 Bad Request: "maria.gonzalez.example.com" is not an e-mail address`
	if got := strings.Join(rejected, "; "); got != wantRejected {
		t.Errorf("rejected by the sandbox: %s\nwant %s", got, wantRejected)
	}
	if len(rows)-1 < 35 || created != len(rows)-1-4 {
		t.Errorf("%d of %d rows created", created, len(rows)-1)
	}
}
