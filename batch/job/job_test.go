package job

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/mapping"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

const minimal = "provider: cognigy\nfields:\n  id: Email\n"

func mustParse(t *testing.T, src string, getenv func(string) string) *Job {
	t.Helper()
	if getenv == nil {
		getenv = env(nil)
	}
	j, err := Parse([]byte(src), getenv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return j
}

func TestParseFull(t *testing.T) {
	src := `provider: Cognigy
endpoint: ${BASE}/new
auth:
  username: ${COGNIGY_USERNAME}
  password: ${COGNIGY_PASSWORD}
options:
  tenant: ${TENANT}
input: users.csv
key: " Work Email "
rate: 2.5
concurrency: 8
retry:
  attempts: 3
  max_wait: 30s
ledger: state/ledger.db
reports:
  bom: true
  delimiter: tab
encoding: windows-1252
delimiter: ";"
fields:
  id: { column: Work Email, lower: true }
  name: { template: "{First Name} {Last Name}" }
`
	j := mustParse(t, src, env(map[string]string{"BASE": "https://example.test", "COGNIGY_USERNAME": "admin@example.com", "COGNIGY_PASSWORD": "pa$$word"}))
	want := &Job{
		Provider:    "cognigy",
		Endpoint:    "https://example.test/new",
		Auth:        map[string]string{"username": "admin@example.com", "password": "pa$$word"},
		Unset:       []string{"TENANT"},
		Options:     map[string]string{"tenant": ""},
		Input:       "users.csv",
		Key:         "Work Email",
		Rate:        2.5,
		Concurrency: 8,
		Rules: []mapping.Rule{
			{Field: "id", Line: 22, Column: "Work Email", Lower: true},
			{Field: "name", Line: 23, Template: "{First Name} {Last Name}"},
		},
		Retry:   Retry{Attempts: 3, MaxWait: 30 * time.Second},
		Ledger:  "state/ledger.db",
		Reports: ReportOptions{BOM: true, BOMSet: true, Delimiter: '\t'},
		Reading: InputOptions{Encoding: "windows-1252", Delimiter: ";"},
		FailOn:  FailOnAny,
	}
	if !reflect.DeepEqual(j, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", j, want)
	}
}

func TestParseDefaults(t *testing.T) {
	j := mustParse(t, minimal, nil)
	if j.Rate != DefaultRate || j.Concurrency != DefaultConcurrency {
		t.Errorf("rate %v, concurrency %d; want the defaults %v, %d", j.Rate, j.Concurrency, DefaultRate, DefaultConcurrency)
	}
	if j.Retry != (Retry{Attempts: DefaultAttempts, MaxWait: DefaultMaxWait}) {
		t.Errorf("retry %+v", j.Retry)
	}
	if j.Auth == nil || j.Options == nil || len(j.Unset) != 0 || j.Input != "" || j.Ledger != "" {
		t.Errorf("job %+v", j)
	}
}

func TestParseExpand(t *testing.T) {
	src := `provider: cognigy
endpoint: https://${HOST}/new
auth:
  username: ${USER_NAME}
  password: $ecret$
  token: ${A}${B}-${A}
  plain: $HOME and ${} and ${1X} and $${HOST} and $$${HOST}
fields:
  id: Email
`
	j := mustParse(t, src, env(map[string]string{"HOST": "h.example", "A": "a"}))
	if j.Endpoint != "https://h.example/new" {
		t.Errorf("endpoint %q", j.Endpoint)
	}
	wantAuth := map[string]string{
		"username": "",
		"password": "$ecret$",
		"token":    "a-a",
		"plain":    "$HOME and ${} and ${1X} and ${HOST} and $${HOST}",
	}
	if !reflect.DeepEqual(j.Auth, wantAuth) {
		t.Errorf("auth\n got %q\nwant %q", j.Auth, wantAuth)
	}
	if want := []string{"B", "USER_NAME"}; !reflect.DeepEqual(j.Unset, want) {
		t.Errorf("Unset %q, want %q (sorted, once each)", j.Unset, want)
	}
}

// Scalars YAML would type (numbers, yes/no) reach the auth settings as
// written.
func TestParseAuthKeepsText(t *testing.T) {
	j := mustParse(t, "provider: x\nauth:\n  pin: 0123\n  flag: yes\n  n: 1e3\nfields:\n  id: A\n", nil)
	want := map[string]string{"pin": "0123", "flag": "yes", "n": "1e3"}
	if !reflect.DeepEqual(j.Auth, want) {
		t.Errorf("auth %q, want %q", j.Auth, want)
	}
}

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want float64
		auto bool
		err  string
	}{
		{"0", 0, false, ""}, // no limit
		{"0.5", 0.5, false, ""},
		{"20", 20, false, ""},
		{"auto", 0, true, ""},
		{"Auto", 0, true, ""},
		{"-1", 0, false, "rate: must be a number of requests per second (0 for no limit) or auto"},
		{".nan", 0, false, "rate: must be a number"},
		{".inf", 0, false, "rate: must be a number"},
		{"fast", 0, false, `line 2: rate: "fast" is not a number of requests per second (0 for no limit) or auto`},
		{"[1]", 0, false, `line 2: rate: a list is not a number`},
	} {
		j, err := Parse([]byte("provider: x\nrate: "+tt.val+"\nfields:\n  id: A\n"), env(nil))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("rate: %s: error %v, want %q", tt.val, err, tt.err)
			}
			continue
		}
		if err != nil || j.Rate != tt.want || j.RateAuto != tt.auto {
			t.Errorf("rate: %s: %v, %v; want %v (auto %v)", tt.val, j, err, tt.want, tt.auto)
		}
	}
}

func TestParseRateFlag(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want float64
		auto bool
		ok   bool
	}{
		{"0", 0, false, true},
		{"12.5", 12.5, false, true},
		{"auto", 0, true, true},
		{" AUTO ", 0, true, true},
		{"-3", 0, false, false},
		{"NaN", 0, false, false},
		{"Inf", 0, false, false},
		{"fast", 0, false, false},
		{"", 0, false, false},
	} {
		r, auto, err := ParseRate(tt.val)
		if (err == nil) != tt.ok || r != tt.want || auto != tt.auto {
			t.Errorf("ParseRate(%q) = %v, %v, %v; want %v, %v, ok %v", tt.val, r, auto, err, tt.want, tt.auto, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "or auto") {
			t.Errorf("ParseRate(%q): error %q does not name the forms", tt.val, err)
		}
	}
}

func TestParseConcurrency(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want int
		err  string
	}{
		{"1", 1, ""},
		{"256", 256, ""},
		{"0", 0, "concurrency: must be 1 to 256, not 0"},
		{"-3", 0, "concurrency: must be 1 to 256, not -3"},
		{"257", 0, "concurrency: must be 1 to 256, not 257"},
		{"1.5", 0, `line 2: concurrency: "1.5" is not a whole number`},
		{"many", 0, `line 2: concurrency: "many" is not a whole number`},
		{"[1]", 0, "line 2: concurrency: a list is not a whole number"},
	} {
		j, err := Parse([]byte("provider: x\nconcurrency: "+tt.val+"\nfields:\n  id: A\n"), env(nil))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("concurrency: %s: error %v, want %q", tt.val, err, tt.err)
			}
			continue
		}
		if err != nil || j.Concurrency != tt.want {
			t.Errorf("concurrency: %s: %v, %v; want %v", tt.val, j, err, tt.want)
		}
	}
}

func TestParseRetry(t *testing.T) {
	for _, tt := range []struct {
		block string
		want  Retry
		err   string
	}{
		{"retry: {}", Retry{DefaultAttempts, DefaultMaxWait}, ""},
		{"retry:\n  attempts: 1", Retry{1, DefaultMaxWait}, ""},
		{"retry:\n  max_wait: 2m", Retry{DefaultAttempts, 2 * time.Minute}, ""},
		{"retry:\n  attempts: 100\n  max_wait: 1500ms", Retry{100, 1500 * time.Millisecond}, ""},
		{"retry:\n  attempts: 0", Retry{}, "retry.attempts: must be 1 to 100, not 0"},
		{"retry:\n  attempts: 101", Retry{}, "retry.attempts: must be 1 to 100, not 101"},
		{"retry:\n  attempts: 2.5", Retry{}, `line 3: retry.attempts: "2.5" is not a whole number`},
		{"retry:\n  max_wait: 120", Retry{}, `retry.max_wait: "120" is not a duration like 120s or 2m`},
		{"retry:\n  max_wait: -5s", Retry{}, `retry.max_wait: "-5s" is not a duration`},
		{"retry:\n  attempt: 3", Retry{}, `line 3: unknown key "attempt" in retry: (did you mean "attempts"?) (known: attempts, max_wait)`},
		{"retry: 3", Retry{}, `line 2: retry: "3" is not a mapping of names to values`},
	} {
		j, err := Parse([]byte("provider: x\n"+tt.block+"\nfields:\n  id: A\n"), env(nil))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.block, err, tt.err)
			}
			continue
		}
		if err != nil || j.Retry != tt.want {
			t.Errorf("%q: %v, %v; want %+v", tt.block, j, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, src, want string
	}{
		{"empty file", "", "the job file is empty"},
		{"only comments", "# nothing yet\n\n", "the job file is empty"},
		{"missing provider", "key: Email\nfields:\n  id: Email\n", "provider: missing (`onboard providers` lists them)"},
		{"blank provider", "provider: \" \"\nfields:\n  id: Email\n", "provider: missing"},
		{"typo has its line", "provider: x\nkey: Email\nconcurency: 4\nfields:\n  id: Email\n",
			`line 3: unknown key "concurency" (did you mean "concurrency"?) (known: provider, endpoint, auth, options, input, key, rate, concurrency, fields, retry, ledger, reports, encoding, delimiter, allow_http, fail_on, sheet)`},
		{"typo without a likely key", "provider: x\nzzz: 1\n", `line 2: unknown key "zzz" (known: provider,`},
		{"every typo", "provider: x\nrat: 1\nreports:\n  boom: true\n", "line 2: unknown key \"rat\" (did you mean \"rate\"?)"},
		{"typo in reports", "provider: x\nreports:\n  boom: true\n", `line 3: unknown key "boom" in reports: (did you mean "bom"?)`},
		{"reports delimiter", "provider: x\nreports:\n  delimiter: colon\n", `reports.delimiter: must be one of , ; tab | (not "colon")`},
		{"typo in a rule has its line", "provider: x\nfields:\n  id: Email\n  name: { column: Name, lowr: true }\n", `line 4: field "name": unknown rule key "lowr"`},
		{"key twice", "provider: x\nkey: A\nkey: B\n", `line 3: mapping key "key" already defined at line 2`},
		{"auth not a mapping", "provider: x\nauth: secret\n", `line 2: auth: "secret" is not a mapping of names to values`},
		{"auth value a list", "provider: x\nauth:\n  password: [a, b]\n", `line 3: auth.password: a list is not a single value`},
		{"bad YAML", "provider: [x\n", "line 1: did not find expected"},
		{"tab indentation", "provider: x\nfields:\n\tid: A\n", "line 3: found character that cannot start any token"},
		{"two documents", "provider: x\nfields:\n  id: A\n---\nprovider: y\n", "line 4: a job file holds one YAML document"},
		{"no fields", "provider: x\nkey: A\n", "fields: missing"},
		{"a list, not a mapping", "- provider: x\n", "line 1: a list is not a mapping of names to values"},
		{"Windows path in double quotes", "provider: x\ninput: \"C:\\data\\people.csv\"\nfields:\n  id: A\n", "line 2: found unknown escape character (in double quotes a backslash starts an escape; write a Windows path without quotes, in single quotes, or with /"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Parse([]byte(tt.src), env(nil))
			if err == nil {
				t.Fatalf("no error; job %+v", j)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %q\ndoes not contain\n  %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "yaml:") || strings.Contains(err.Error(), "not found in type") {
				t.Errorf("error %q shows yaml's internals", err)
			}
		})
	}
}

// Several type problems are all reported, each with its line.
func TestParseReportsEveryTypeError(t *testing.T) {
	_, err := Parse([]byte("provider: x\nrate: fast\nconcurrency: lots\nfields:\n  id: A\n"), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	want := "line 2: rate: \"fast\" is not a number of requests per second (0 for no limit) or auto\nline 3: concurrency: \"lots\" is not a whole number"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

func writeJob(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "elsewhere", "in.csv")
	for _, tt := range []struct {
		name, extra      string
		input, ledger    string
		wantIn, wantLedg string
	}{
		{"relative", "", "users.csv", "state/ledger.db", filepath.Join(dir, "jobs", "users.csv"), filepath.Join(dir, "jobs", "state", "ledger.db")},
		{"parent", "", "../data/users.csv", "", filepath.Join(dir, "data", "users.csv"), ""},
		{"absolute", "", abs, abs + ".db", abs, abs + ".db"},
		{"standard input", "", "-", "", "-", ""},
		{"none", "", "", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := "provider: x\nfields:\n  id: A\n"
			if tt.input != "" {
				src += "input: " + strconv.Quote(tt.input) + "\n"
			}
			if tt.ledger != "" {
				src += "ledger: " + strconv.Quote(tt.ledger) + "\n"
			}
			path := writeJob(t, dir, filepath.Join("jobs", "job.yaml"), src)
			j, err := Load(path, env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if j.Input != tt.wantIn || j.Ledger != tt.wantLedg {
				t.Errorf("input %q, ledger %q; want %q, %q", j.Input, j.Ledger, tt.wantIn, tt.wantLedg)
			}
			if j.Path != path || j.Dir != filepath.Join(dir, "jobs") {
				t.Errorf("Path %q, Dir %q", j.Path, j.Dir)
			}
		})
	}
}

// A relative job path gives input and ledger paths relative to the same
// working directory, which is where the command runs.
func TestLoadRelativeJobPath(t *testing.T) {
	dir := t.TempDir()
	writeJob(t, dir, filepath.Join("jobs", "job.yaml"), "provider: x\ninput: users.csv\nfields:\n  id: A\n")
	t.Chdir(dir)
	j, err := Load(filepath.Join("jobs", "job.yaml"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("jobs", "users.csv"); j.Input != want {
		t.Errorf("input %q, want %q", j.Input, want)
	}
	if !filepath.IsAbs(j.Dir) {
		t.Errorf("Dir %q is not absolute", j.Dir)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	_, err := Load(missing, env(nil))
	var je *Error
	if !errors.As(err, &je) || je.Path != missing || !strings.Contains(err.Error(), "no such job file (`onboard init PROVIDER` writes one)") {
		t.Errorf("missing file: %v", err)
	}
	path := writeJob(t, dir, "bad.yaml", "provider: x\nfields:\n  id: { column: A, when_empty: never }\n")
	_, err = Load(path, env(nil))
	var me *mapping.Error
	if !errors.As(err, &je) || !errors.As(err, &me) || me.Line != 3 {
		t.Fatalf("bad rule: %v", err)
	}
	if want := path + `: line 3: field "id": when_empty must be skip, error or default, not "never"`; err.Error() != want {
		t.Errorf("error\n %q\nwant\n %q", err, want)
	}
}

// The sample jobs in the repository load.
func TestLoadSamples(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "samples", "*", "job.yaml"))
	for _, path := range paths {
		if _, err := Load(path, env(nil)); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestLoadListsEveryRuleProblem(t *testing.T) {
	path := writeJob(t, t.TempDir(), "job.yaml", "provider: x\nfields:\n  id: { column: A, lowr: true }\n  name: { value: }\n")
	_, err := Load(path, env(nil))
	want := path + `:
  line 3: field "id": unknown rule key "lowr" (did you mean "lower"?) (known: column, template, value, generate, lower, upper, trim, split, map, default, when_empty, phone, length, symbols, min_lower, min_upper, min_digits, min_symbols)
  line 4: field "name": value has no value (write "" for empty text)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

// The known keys that messages list are the YAML shape's keys.
func TestSectionsMatchTheShape(t *testing.T) {
	for name, typ := range map[string]reflect.Type{
		"job.file":        reflect.TypeOf(file{}),
		"job.retryFile":   reflect.TypeOf(retryFile{}),
		"job.reportsFile": reflect.TypeOf(reportsFile{}),
	} {
		if got := typ.String(); got != name {
			t.Errorf("type %s is named %s in yaml's messages; update sections", got, name)
		}
		var tags []string
		for i := range typ.NumField() {
			tags = append(tags, typ.Field(i).Tag.Get("yaml"))
		}
		if !reflect.DeepEqual(tags, sections[name].keys) {
			t.Errorf("sections[%q] lists %q; the struct has %q", name, sections[name].keys, tags)
		}
	}
}

// reports: bom: false says no BOM even for an Excel input; no reports:
// leaves the choice to the input.
func TestParseReportsBOM(t *testing.T) {
	for src, want := range map[string]ReportOptions{
		"provider: x\nfields:\n  id: A\n":                               {},
		"provider: x\nfields:\n  id: A\nreports:\n  bom: false\n":       {BOMSet: true},
		"provider: x\nfields:\n  id: A\nreports:\n  bom: true\n":        {BOM: true, BOMSet: true},
		"provider: x\nfields:\n  id: A\nreports:\n  delimiter: \";\"\n": {Delimiter: ';'},
	} {
		j := mustParse(t, src, env(nil))
		if j.Reports != want {
			t.Errorf("%q: Reports %+v, want %+v", src, j.Reports, want)
		}
	}
}

func TestFailOnAndAllowHTTP(t *testing.T) {
	base := "provider: cognigy\nfields:\n  id: Email\n"
	for _, tt := range []struct {
		extra   string
		failOn  string
		allow   bool
		wantErr string
	}{
		{"", FailOnAny, false, ""},
		{"fail_on: new\n", FailOnNew, false, ""},
		{"fail_on: ANY\nallow_http: true\n", FailOnAny, true, ""},
		{"fail_on: some\n", "", false, "fail_on: must be any or new"},
	} {
		j, err := Parse([]byte(base+tt.extra), func(string) string { return "" })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.extra, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.extra, err)
		}
		if j.FailOn != tt.failOn || j.AllowHTTP != tt.allow {
			t.Errorf("%q: fail_on %q allow_http %v, want %q %v", tt.extra, j.FailOn, j.AllowHTTP, tt.failOn, tt.allow)
		}
	}
}
