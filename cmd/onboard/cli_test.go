package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/providers/all"
)

func TestVersionFlagPrintsWhatVersionPrints(t *testing.T) {
	flag := onboard(t, nil, "--version")
	cmd := onboard(t, nil, "version")
	if flag.code != exitOK || cmd.code != exitOK {
		t.Fatalf("exit codes %d and %d, want 0", flag.code, cmd.code)
	}
	if flag.stdout != cmd.stdout || !strings.HasPrefix(flag.stdout, "onboard ") || strings.Count(flag.stdout, "\n") != 1 {
		t.Fatalf("--version printed %q, version printed %q; want the same one line", flag.stdout, cmd.stdout)
	}
}

func TestInitWithoutProviderListsThem(t *testing.T) {
	dir := t.TempDir()
	r := onboard(t, nil, "init", "--dir", dir)
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	for _, p := range all.Registry().All() {
		d := p.Describe()
		line := ""
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), d.Name+" ") {
				line = l
			}
		}
		if !strings.Contains(line, d.Title) {
			t.Errorf("no line with %s and its title %q:\n%s", d.Name, d.Title, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "onboard init PROVIDER") || !strings.Contains(r.stdout, "--dir "+dir) {
		t.Errorf("the list does not say how to pick one:\n%s", r.stdout)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) > 0 {
		t.Errorf("a bare init wrote files: %v", m)
	}
}

func TestProviderNamesIgnoreCase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job")
	if r := onboard(t, nil, "init", "CXEngage", "--dir", dir); r.code != exitOK {
		t.Fatalf("init CXEngage: exit %d %s", r.code, r.stderr)
	}
	if r := onboard(t, nil, "providers", "COGNIGY"); r.code != exitOK || !strings.HasPrefix(r.stdout, "cognigy") {
		t.Fatalf("providers COGNIGY: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	jobDir := t.TempDir()
	jobFile := write(t, jobDir, "job.yaml", strings.Replace(cognigyJob, "provider: cognigy", "provider: Cognigy", 1))
	write(t, jobDir, "users.csv", goodCSV)
	if r := onboard(t, nil, "check", "--job", jobFile); r.code != exitOK {
		t.Fatalf("check of provider: Cognigy: exit %d %s", r.code, r.stderr)
	}
}

func TestOutputFlagRefusesUnknownFormats(t *testing.T) {
	for _, args := range [][]string{{"providers", "-o", "yaml"}, {"check", "--job", "x.yaml", "--output", "JSON "}, {"status", "--job", "x.yaml", "-o", "table"}} {
		r := onboard(t, nil, args...)
		if r.code != exitNotSent || !strings.Contains(r.stderr, "--output must be text or json") || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and a message", args, r.code, r.stdout, r.stderr)
		}
	}
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeObject decodes one JSON object and checks its keys are exactly want
// (docs/cli.md promises these names).
func decodeObject(t *testing.T, data string, want ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, data)
	}
	sort.Strings(want)
	if got := keysOf(t, m); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	return m
}

func TestCheckJSON(t *testing.T) {
	dir := t.TempDir()
	jobFile := write(t, dir, "job.yaml", strings.Replace(cognigyJob, ", default: [base_role]", "", 1))
	write(t, dir, "users.csv", goodCSV)
	write(t, dir, "bad.csv", "First Name,Last Name,Work Email,Department\n"+
		"A,B,a@example.com,Sales\n"+
		"C,D,,Sales\n"+
		"E,F,a@example.com,Marketing\n"+
		"G,H,g@example.com,Sales,extra\n")

	r := onboard(t, nil, "check", "--job", jobFile, "-o", "json", "--previews", "2")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	decodeObject(t, r.stdout, "job", "provider", "input", "encoding", "delimiter", "rows", "valid", "invalid",
		"problem_count", "problems", "problem_kinds", "previews", "warnings", "exit_code")
	var good checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &good); err != nil {
		t.Fatal(err)
	}
	if good.Provider != "cognigy" || good.Rows != 3 || good.Valid != 3 || good.Invalid != 0 || good.Delimiter != "," || good.ExitCode != 0 {
		t.Errorf("clean file: %+v", good)
	}
	if len(good.Previews) != 2 || good.Previews[0].Row != 2 || !strings.Contains(good.Previews[0].Request, `"password": "********"`) {
		t.Errorf("previews: %+v", good.Previews)
	}
	if len(good.Warnings) != 1 || good.Warnings[0].Where != "field organisation (value)" || good.Warnings[0].Placeholder != "5f1e2d3c4b5a697887766554" {
		t.Errorf("the template's organisation id is not reported as a placeholder: %+v", good.Warnings)
	}

	r = onboard(t, nil, "check", "--job", jobFile, "--input", filepath.Join(dir, "bad.csv"), "--output", "json", "--list", "3")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var bad checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &bad); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if bad.Rows != 4 || bad.Valid != 1 || bad.Invalid != 3 || bad.ExitCode != 1 || bad.ProblemCount != 5 || len(bad.Problems) != 3 {
		t.Fatalf("bad file: rows %d valid %d invalid %d exit %d problems %d listed %d\n%s",
			bad.Rows, bad.Valid, bad.Invalid, bad.ExitCode, bad.ProblemCount, len(bad.Problems), r.stdout)
	}
	want := []checkProblem{
		{Row: 3, Stage: "validation", Field: "id", Columns: []string{"Work Email"}},
		{Row: 3, Stage: "validation", Field: "", Columns: []string{"Work Email"}},
		{Row: 4, Stage: "mapping", Field: "roles", Columns: []string{"Department"}},
	}
	for i, w := range want {
		got := bad.Problems[i]
		got.Message = ""
		if !reflect.DeepEqual(got, w) {
			t.Errorf("problem %d = %+v, want %+v", i, bad.Problems[i], w)
		}
	}
	if !strings.Contains(bad.Problems[2].Message, `"Marketing"`) {
		t.Errorf("message does not name the value: %q", bad.Problems[2].Message)
	}
	kinds := 0
	for _, k := range bad.Kinds {
		kinds += k.Count
		if k.FirstRow == 0 || k.Stage == "" || k.What == "" {
			t.Errorf("kind %+v lacks a field", k)
		}
	}
	if kinds != bad.ProblemCount {
		t.Errorf("kinds count %d problems, want %d", kinds, bad.ProblemCount)
	}
	if strings.Contains(r.stdout, "Problems:") || r.stderr != "" {
		t.Errorf("text mixed into JSON: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestProvidersJSON(t *testing.T) {
	r := onboard(t, nil, "providers", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	var list []providerJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if got, want := len(list), len(all.Registry().Names()); got != want {
		t.Fatalf("%d providers, want %d", got, want)
	}
	r = onboard(t, nil, "providers", "Cognigy", "-o", "json")
	m := decodeObject(t, r.stdout, "name", "title", "api", "default_endpoint", "key_field", "auth", "options", "fields", "notes")
	fields := m["fields"].([]any)
	first := fields[0].(map[string]any)
	if got := keysOf(t, first); !reflect.DeepEqual(got, []string{"constraint", "enum", "help", "name", "required", "secret", "type"}) {
		t.Errorf("field keys %v", got)
	}
	var cog providerJSON
	if err := json.Unmarshal([]byte(r.stdout), &cog); err != nil {
		t.Fatal(err)
	}
	var pw *fieldJSON
	for i := range cog.Fields {
		if cog.Fields[i].Name == "password" {
			pw = &cog.Fields[i]
		}
	}
	types := map[string]string{}
	for _, f := range cog.Fields {
		types[f.Name] = f.Type
	}
	if types["roles"] != "list" || types["acceptedTOS"] != "boolean" {
		t.Errorf("field types %v", types)
	}
	if cog.Name != "cognigy" || cog.KeyField != "id" || pw == nil || !pw.Secret || !pw.Required || pw.Type != "string" {
		t.Errorf("cognigy: %+v", cog)
	}
	if len(cog.Auth) == 0 || len(cog.Auth[0].Settings) == 0 || cog.Options == nil {
		t.Errorf("auth or options missing: %+v", cog)
	}
}

func TestStatusJSON(t *testing.T) {
	dir := t.TempDir()
	jobFile := write(t, dir, "job.yaml", cognigyJob)
	write(t, dir, "users.csv", goodCSV+"Bad,Row,bad@example.com,Sales,extra\r\n")
	out := filepath.Join(dir, "out")
	if r := onboard(t, nil, "run", "--job", jobFile, "--sandbox", "--out", out); r.code != exitFailed {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	r := onboard(t, nil, "status", "--ledger", filepath.Join(out, "sandbox.ledger.db"), "-o", "json")
	if r.code != exitOK {
		t.Fatalf("status: exit %d %s", r.code, r.stderr)
	}
	decodeObject(t, r.stdout, "ledger", "keys", "total", "unfolded_events", "pending_batches", "runs")
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	wantKeys := map[string]int{"created": 3, "exists": 0, "failed": 0, "pending": 0}
	if !reflect.DeepEqual(st.Keys, wantKeys) || st.Total != 3 {
		t.Errorf("keys %v total %d, want %v and 3", st.Keys, st.Total, wantKeys)
	}
	if len(st.Runs) != 1 || st.Runs[0].ID != 1 || st.Runs[0].Provider != "cognigy" || st.Runs[0].Created != 3 || st.Runs[0].Finished == "" || st.Runs[0].Started == "" {
		t.Errorf("runs: %+v", st.Runs)
	}
	var run map[string]any
	var raw struct{ Runs []map[string]any }
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	run = raw.Runs[0]
	if got := keysOf(t, run); !reflect.DeepEqual(got, []string{"created", "exists", "failed", "finished_at", "id", "not_attempted", "provider", "skipped", "started_at"}) {
		t.Errorf("run keys %v", got)
	}
	// The text form reads the same ledger.
	r = onboard(t, nil, "status", "--ledger", filepath.Join(out, "sandbox.ledger.db"))
	if r.code != exitOK || !strings.Contains(r.stdout, "created  3") || !strings.Contains(r.stdout, "total    3") {
		t.Errorf("status text:\n%s", r.stdout)
	}
}

func TestPlaceholderWarnings(t *testing.T) {
	cxengage, err := all.Registry().Get("cxengage")
	if err != nil {
		t.Fatal(err)
	}
	d := cxengage.Describe()
	base := `provider: cxengage
key: Email
fields:
  email: Email
`
	tests := []struct {
		name, job string
		want      []string // Where of each warning
	}{
		{"real values", "endpoint: https://api.cxengage.net\noptions: { default_region: GB, tenant_id: 3f0c9a2e-1b2c-4d5e-8f90-a1b2c3d4e5f6 }\n", nil},
		{"example host", "endpoint: https://example.mindtouch.us\n", []string{"endpoint"}},
		{"example.com subdomain", "endpoint: https://api.example.com/v1\n", []string{"endpoint"}},
		{"reserved TLD", "endpoint: https://tenant.invalid\n", []string{"endpoint"}},
		{"slot from the docs", "endpoint: https://api-<company>.cognigy.cloud/new\n", []string{"endpoint"}},
		{"commented template id", "options: { tenant_id: 7d1e0c40-4b1a-11e6-8a5f-5347eb4882ad }\n", []string{"options: tenant_id"}},
		{"YOUR marker", "options: { tenant_id: YOUR_TENANT_ID }\n", []string{"options: tenant_id"}},
		{"zero uuid", "options: { tenant_role_id: 00000000-0000-0000-0000-000000000000 }\n", []string{"options: tenant_role_id"}},
		{"auth host", "auth: { username: admin@example.com, password: s3cret }\n", []string{"auth: username"}},
		{"map target from template", "  roleId: { column: Role, map: { Agent: d68381b0-c8fa-11e5-b38c-5347eb4882ad, Boss: 9a9a9a9a-1111-4222-8333-444455556666 } }\n", []string{"field roleId (map Agent)"}},
		{"default from template", "  roleId: { column: Role, map: { Agent: 9a9a9a9a-1111-4222-8333-444455556666 }, default: d6838c14-c8fa-11e5-b38c-5347eb4882ad }\n", []string{"field roleId (default)"}},
		{"words that only look close", "endpoint: https://contest.examples.com\n", nil},
		{"a value that only looks close", "  externalId: { value: test.example }\n  firstName: { value: Example }\n", []string{"field externalId (value)"}},
	}
	for _, tt := range tests {
		text := base + tt.job
		if !strings.HasPrefix(tt.job, "  ") {
			text = tt.job + base
		}
		j, err := job.Parse([]byte(text), func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, w := range placeholderWarnings(j, d) {
			got = append(got, w.Where)
			if strings.Contains(w.Message, "s3cret") || strings.Contains(w.Placeholder, "admin@") {
				t.Errorf("%s: a warning shows more than the placeholder: %+v", tt.name, w)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: warnings at %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestInitTemplatesNeverHideMistakes: a template that maps a column with a
// default turns every typo in the HR file ("Suport") into that default role
// or team, silently. Templates map without defaults, so the typo fails its
// row and shows in check.
func TestInitTemplatesNeverHideMistakes(t *testing.T) {
	for _, p := range all.Registry().All() {
		d := p.Describe()
		j, err := job.Parse([]byte(d.InitJob), func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for _, r := range j.Rules {
			if len(r.Map) > 0 && r.Default != nil {
				t.Errorf("%s: field %s maps values with a default: an unmapped value would silently become %v", d.Name, r.Field, *r.Default)
			}
		}
		for _, line := range strings.Split(d.InitJob, "\n") {
			if strings.Contains(line, "map:") && strings.Contains(line, "default:") {
				t.Errorf("%s: the template suggests a map with a default (even in a comment): %s", d.Name, line)
			}
		}
	}
}
