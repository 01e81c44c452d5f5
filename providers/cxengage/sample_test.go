package cxengage_test

import (
	"context"
	"encoding/csv"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
	"github.com/onboardhq/onboard/providers/providertest"
)

const sampleDir = "../../samples/cxengage/"

// sampleJob is the part of the job file this test reads.
type sampleJob struct {
	Provider string            `yaml:"provider"`
	Options  map[string]string `yaml:"options"`
	Input    string            `yaml:"input"`
	Key      string            `yaml:"key"`
	Fields   map[string]any    `yaml:"fields"`
}

// TestSampleJobIsInitJob keeps the sample and `onboard init`'s template one
// text.
func TestSampleJobIsInitJob(t *testing.T) {
	b, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != cxengage.New().Describe().InitJob {
		t.Fatal("samples/cxengage/job.yaml differs from Description().InitJob: make them the same text")
	}
}

// TestSample maps the sample CSV with the sample job's rules (the few the
// job uses, re-implemented here), validates every row offline, checks that
// exactly the rows meant to be bad fail, and creates the rest in the
// sandbox: the sample works with --sandbox as it stands.
func TestSample(t *testing.T) {
	raw, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job sampleJob
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	if job.Provider != cxengage.Name || job.Input != "users.csv" {
		t.Fatalf("job = %+v", job)
	}
	f, err := os.Open(sampleDir + job.Input)
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
		col[strings.ToLower(h)] = i
	}
	if len(rows) < 41 {
		t.Fatalf("%d rows, want about 40", len(rows)-1)
	}

	opts := providers.Options(job.Options)
	wantBad := map[string]string{ // Employee ID: the field that fails
		"E2023": "email",             // no @
		"E2025": "personalTelephone", // 12345
		"E2027": "roleId",            // role Manager is not in the map
		"E2028": "email",             // empty
		"E2031": "personalTelephone", // a US number written nationally, read as GB
	}
	gotBad := map[string]string{}
	var good []providers.Record
	for _, row := range rows[1:] {
		rec, problem := mapRow(t, job.Fields, col, row)
		id := row[col["employee id"]]
		if problem != "" {
			gotBad[id] = problem
			continue
		}
		errs := append(providers.CheckFields(cxengage.New().Describe(), rec), cxengage.New().Validate(rec, opts)...)
		if len(errs) > 0 {
			gotBad[id] = errs[0].Field
			continue
		}
		good = append(good, rec)
	}
	if !reflect.DeepEqual(gotBad, wantBad) {
		t.Fatalf("bad rows = %v\nwant       %v", gotBad, wantBad)
	}

	sb, c := providertest.Start(t, cxengage.New(), providers.SandboxOptions{Seed: 1})
	for _, rec := range good {
		if res, err := c.Create(context.Background(), rec); err != nil || res.Status != providers.StatusCreated {
			t.Fatalf("create %v: %+v %v", rec, res, err)
		}
	}
	users := sb.(*cxengage.Sandbox).Users()
	if len(users) != len(rows)-1-len(wantBad) {
		t.Fatalf("sandbox created %d users", len(users))
	}
	var phones []string
	for _, u := range users {
		if u.PersonalTelephone != nil {
			phones = append(phones, *u.PersonalTelephone)
		}
	}
	sort.Strings(phones)
	if phones[0] != "+12125550187" || !strings.HasPrefix(phones[len(phones)-1], "+44") {
		t.Fatalf("phones = %v", phones)
	}
}

// mapRow applies the job's field rules that the sample uses (shorthand
// column, column, lower, map without default, value) to one row; an empty
// cell leaves the field out. problem names a field the mapping refused.
func mapRow(t *testing.T, fields map[string]any, col map[string]int, row []string) (providers.Record, string) {
	t.Helper()
	rec := providers.Record{}
	for name, rule := range fields {
		var v string
		switch r := rule.(type) {
		case string:
			v = row[col[strings.ToLower(r)]]
		case map[string]any:
			if lit, ok := r["value"]; ok {
				v = lit.(string)
				break
			}
			v = row[col[strings.ToLower(r["column"].(string))]]
			if r["lower"] == true {
				v = strings.ToLower(v)
			}
			if m, ok := r["map"].(map[string]any); ok && v != "" {
				mapped, ok := m[v].(string)
				if !ok {
					return nil, name
				}
				v = mapped
			}
		default:
			t.Fatalf("field %s: rule %v not understood by this test", name, rule)
		}
		if v != "" {
			rec[name] = v
		}
	}
	return rec, ""
}

func TestInitCSV(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(cxengage.New().Describe().InitCSV)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("InitCSV: %d rows, %v", len(rows), err)
	}
	b, _ := os.ReadFile(sampleDir + "users.csv")
	if header := strings.SplitN(string(b), "\n", 2)[0]; header != strings.Join(rows[0], ",") {
		t.Fatalf("InitCSV header %v differs from the sample's %q", rows[0], header)
	}
}
