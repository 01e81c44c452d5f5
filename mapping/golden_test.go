package mapping_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenProviders are the descriptions golden jobs may name: a real one,
// and one with a field of every type.
var goldenProviders = map[string]*providers.Description{
	cognigy.Name: cognigy.New().Describe(),
	"testvendor": {
		Name: "testvendor",
		Fields: []providers.Field{
			{Name: "id", Type: providers.String, Required: true},
			{Name: "name", Type: providers.String},
			{Name: "password", Type: providers.String, Secret: true},
			{Name: "pin", Type: providers.String, Secret: true},
			{Name: "phone", Type: providers.String},
			{Name: "roles", Type: providers.StringList},
			{Name: "team", Type: providers.String},
			{Name: "skills", Type: providers.SkillMap},
			{Name: "active", Type: providers.Bool},
			{Name: "level", Type: providers.Int},
		},
	},
}

// goldenRow is one input row as the golden files show it: the record as the
// vendor would get it with secrets masked, what could not be mapped, and
// which fields were generated.
type goldenRow struct {
	Line      int              `json:"line"`
	Record    providers.Record `json:"record"`
	Problems  []string         `json:"problems,omitempty"`
	Generated []string         `json:"generated,omitempty"`
}

type goldenOutput struct {
	SecretColumns []string    `json:"secret_columns,omitempty"`
	Rows          []goldenRow `json:"rows"`
}

// TestGolden maps testdata/NAME.csv with the job testdata/NAME.yaml and
// compares the result with testdata/NAME.golden. go test -run TestGolden
// -update rewrites the golden files; review the diff like code.
func TestGolden(t *testing.T) {
	jobs, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(jobs) == 0 {
		t.Fatalf("no golden jobs: %v", err)
	}
	for _, path := range jobs {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := mapJob(t, path)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the mapping's output (go test -run TestGolden -update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

func mapJob(t *testing.T, path string) []byte {
	t.Helper()
	j, err := job.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	d := goldenProviders[j.Provider]
	if d == nil {
		t.Fatalf("%s: provider %q is not one of the golden test's", path, j.Provider)
	}
	f, err := os.Open(j.Input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := mapping.Compile(j.Rules, d, header, j.Key)
	if err != nil {
		t.Fatalf("Compile:\n%v", err)
	}
	var out goldenOutput
	for i := range header {
		if plan.SecretColumns()[i] {
			out.SecretColumns = append(out.SecretColumns, strings.TrimSpace(header[i]))
		}
	}
	for {
		cells, err := r.Read()
		if err != nil {
			break
		}
		line, _ := r.FieldPos(0)
		rec, probs, gen := plan.Apply(cells)
		row := goldenRow{Line: line, Record: rec.Masked(d)}
		for _, p := range probs {
			row.Problems = append(row.Problems, p.Error())
		}
		for _, field := range plan.Generates() {
			if gen[field] == "" || gen[field] != rec.String(field) {
				t.Errorf("line %d: generated %s %q, record has %q", line, field, gen[field], rec.String(field))
			}
			row.Generated = append(row.Generated, field)
		}
		out.Rows = append(out.Rows, row)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// lineDiff shows the lines of want and got that differ, by position.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl + "\n")
		}
	}
	return b.String()
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
