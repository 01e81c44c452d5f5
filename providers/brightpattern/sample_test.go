package brightpattern_test

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
	"github.com/onboardhq/onboard/providers/brightpattern"
)

const sampleDir = "../../samples/brightpattern/"

func TestSampleJobIsInitJob(t *testing.T) {
	job, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(job) != brightpattern.New().Describe().InitJob {
		t.Fatal("samples/brightpattern/job.yaml differs from Description.InitJob: keep them identical")
	}
	sample, err := os.ReadFile(sampleDir + "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	header := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	if header(string(sample)) != header(brightpattern.New().Describe().InitCSV) {
		t.Fatal("the sample CSV and InitCSV have different headers")
	}
}

// TestSample maps the sample CSV as its job file says (a small stand-in for
// the real mapping: column, lower, split, value, generate) and checks that
// exactly the intended rows fail: three offline, one (unknown team) at
// Create without reaching the sandbox, and every other row is created.
func TestSample(t *testing.T) {
	var job struct {
		Provider string
		Key      string
		Fields   map[string]yaml.Node
	}
	raw, err := os.ReadFile(sampleDir + "job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	if job.Provider != brightpattern.Name {
		t.Fatalf("provider = %q", job.Provider)
	}
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
		col[strings.ToLower(h)] = i
	}
	if _, ok := col[strings.ToLower(job.Key)]; !ok {
		t.Fatalf("key column %q is not in the CSV", job.Key)
	}

	type rule struct {
		Column, Split, Generate string
		Lower                   bool
		Value                   any
	}
	p := brightpattern.New()
	d := p.Describe()
	mapRow := func(row []string) providers.Record {
		rec := providers.Record{}
		for name, node := range job.Fields {
			var r rule
			if node.Kind == yaml.ScalarNode {
				r.Column = node.Value
			} else if err := node.Decode(&r); err != nil {
				t.Fatalf("field %s: %v", name, err)
			}
			fd := d.Field(name)
			if fd == nil {
				t.Fatalf("job maps unknown field %q", name)
			}
			var v any
			switch {
			case r.Generate != "":
				v = "Gen3rated!pw"
			case r.Value != nil:
				if v, err = providers.ConvertValue(fd.Type, r.Value); err != nil {
					t.Fatalf("field %s: %v", name, err)
				}
			default:
				i, ok := col[strings.ToLower(r.Column)]
				if !ok {
					t.Fatalf("field %s: column %q is not in the CSV", name, r.Column)
				}
				cell := strings.TrimSpace(row[i])
				if cell == "" {
					continue
				}
				if r.Lower {
					cell = strings.ToLower(cell)
				}
				if r.Split != "" {
					v = strings.Split(cell, r.Split)
				} else if v, err = providers.ParseValue(fd.Type, cell); err != nil {
					t.Fatalf("field %s: %v", name, err)
				}
			}
			rec[name] = v
		}
		return rec
	}

	sb := brightpattern.NewSandbox(providers.SandboxOptions{})
	c := serve(t, sb)
	ctx := context.Background()
	offline := map[string]string{}
	online := map[string]string{}
	created := 0
	for _, row := range rows[1:] {
		rec := mapRow(row)
		login := rec.String("loginId")
		errs := append(providers.CheckFields(d, rec), p.Validate(rec, nil)...)
		if len(errs) > 0 {
			offline[login] = errs[0].Field
			continue
		}
		res, err := c.Create(ctx, rec)
		if err != nil {
			online[login] = err.Error()
			continue
		}
		if res.Status == providers.StatusCreated {
			created++
		}
	}
	// greta.lindqvist's e-mail lacks an @ and sheila.thomas's phone is
	// written (415) 892-1931: the vendor documents no format for either,
	// so both are sent (issue 11 §1).
	wantOffline := map[string]string{"ewa.zielinska": "lastName", "raul.jimenez": "skills"}
	if !reflect.DeepEqual(offline, wantOffline) {
		t.Fatalf("offline failures = %v, want %v", offline, wantOffline)
	}
	if len(online) != 1 || !strings.Contains(online["paulo.souza"], `team "Marketing" does not exist`) {
		t.Fatalf("online failures = %v, want only paulo.souza's unknown team", online)
	}
	if want := len(rows) - 1 - 3; created != want || sb.Stats().Creates != want {
		t.Fatalf("created %d (sandbox saw %d creates), want %d", created, sb.Stats().Creates, want)
	}
	var logins []string
	phones := map[string]string{}
	for _, u := range sb.Users() {
		logins = append(logins, u.LoginID)
		phones[u.LoginID] = u.MobilePhone
	}
	if got := phones["sheila.thomas"]; got != "(415) 892-1931" {
		t.Fatalf("sheila.thomas's mobile phone arrived as %q, want (415) 892-1931", got)
	}
	sort.Strings(logins)
	if i := sort.SearchStrings(logins, "mark.jones"); i == len(logins) || logins[i] != "mark.jones" {
		t.Fatal("Mark.Jones was not lower-cased to mark.jones")
	}
}
