// Package job reads a job file: which vendor, where, with which
// credentials, from which input, at what pace, and the field mapping. Unknown
// keys are errors with their line, so a typo never silently changes a run.
package job

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/mapping"
)

// Defaults for settings a job file leaves out.
const (
	DefaultRate        = 5.0
	DefaultConcurrency = 4
	MaxConcurrency     = 256
	DefaultAttempts    = 5
	MaxAttempts        = 100
	DefaultMaxWait     = 120 * time.Second
)

// Job is a parsed job file.
type Job struct {
	Path     string // the job file
	Dir      string // its folder: relative paths start here
	Provider string
	Endpoint string
	Auth     map[string]string
	// Unset lists ${VAR} references in auth and endpoint whose variable is
	// not set, for messages.
	Unset   []string
	Options map[string]string
	Input   string // resolved path, "" when the job names none
	Key     string
	// Rate is requests per second for all workers together; 0 means no
	// limit. With RateAuto (`rate: auto`) it is 0: no ceiling, the pacer
	// finds the vendor's limit.
	Rate        float64
	RateAuto    bool
	Concurrency int
	Rules       []mapping.Rule

	Retry   Retry
	Ledger  string // path of the ledger database; "" for the default
	Reports ReportOptions
	Reading InputOptions
	// AllowHTTP lets credentials and passwords go to a non-loopback
	// endpoint in clear text (http://); off by default.
	AllowHTTP bool
	// FailOn is what makes a run exit 1: "any" failed row (the default)
	// or only "new" ones (not seen unchanged by an earlier run).
	FailOn string
}

// Failure policies (fail_on:, --fail-on).
const (
	FailOnAny = "any"
	FailOnNew = "new"
)

// ParseFailOn checks a fail_on value ("" is the default, any).
func ParseFailOn(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", FailOnAny:
		return FailOnAny, nil
	case FailOnNew:
		return v, nil
	}
	return "", fmt.Errorf("fail_on: must be any or new, not %q", s)
}

// Retry bounds retries of transient failures.
type Retry struct {
	// Attempts is the most tries of one row (first try included).
	Attempts int
	// MaxWait caps any single wait, Retry-After included.
	MaxWait time.Duration
}

// ReportOptions shape the reports. By default they follow the input's
// dialect (report.WantBOM, the input's delimiter); reports: overrides it.
type ReportOptions struct {
	// BOM is reports.bom; BOMSet says the job gives it (true or false).
	BOM    bool
	BOMSet bool
	// Delimiter is reports.delimiter; 0 follows the input.
	Delimiter rune
}

// InputOptions override what the reader detects.
type InputOptions struct {
	Encoding  string
	Delimiter string
	Sheet     string // the sheet of an Excel workbook; "" for the first
}

// file is the YAML shape; yaml's KnownFields rejects anything else.
type file struct {
	Provider    string            `yaml:"provider"`
	Endpoint    string            `yaml:"endpoint"`
	Auth        map[string]string `yaml:"auth"`
	Options     map[string]string `yaml:"options"`
	Input       string            `yaml:"input"`
	Key         string            `yaml:"key"`
	Rate        *rateFile         `yaml:"rate"`
	Concurrency *whole            `yaml:"concurrency"`
	Fields      yaml.Node         `yaml:"fields"`
	Retry       *retryFile        `yaml:"retry"`
	Ledger      string            `yaml:"ledger"`
	Reports     *reportsFile      `yaml:"reports"`
	Encoding    string            `yaml:"encoding"`
	Delimiter   string            `yaml:"delimiter"`
	AllowHTTP   bool              `yaml:"allow_http"`
	FailOn      string            `yaml:"fail_on"`
	Sheet       string            `yaml:"sheet"`
}

// rateFile is `rate:`: a number of requests per second, or auto.
type rateFile struct {
	n    float64
	auto bool
}

// RateForms names what `rate:` and --rate accept, for messages.
const RateForms = "a number of requests per second (0 for no limit) or auto"

// UnmarshalYAML accepts a number or auto.
func (r *rateFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && strings.EqualFold(strings.TrimSpace(n.Value), "auto") {
		r.auto = true
		return nil
	}
	if err := n.Decode(&r.n); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s `%s` into rate", n.Line, n.ShortTag(), n.Value)}}
	}
	return nil
}

// ParseRate reads a rate as `rate:` and --rate take it: a number of
// requests per second (0: no limit) or auto.
func ParseRate(s string) (rate float64, auto bool, err error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "auto") {
		return 0, true, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, false, fmt.Errorf("rate: %q is not %s", s, RateForms)
	}
	return r, false, nil
}

// whole is an int that refuses 1.5 (yaml would truncate it to 1).
type whole int

// UnmarshalYAML accepts YAML integers only.
func (w *whole) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s `%s` into int", n.Line, n.ShortTag(), n.Value)}}
	}
	*w = whole(v)
	return nil
}

type retryFile struct {
	Attempts *whole  `yaml:"attempts"`
	MaxWait  *string `yaml:"max_wait"`
}

type reportsFile struct {
	BOM       *bool  `yaml:"bom"`
	Delimiter string `yaml:"delimiter"`
}

// sections name the keys of each YAML shape, for messages about unknown
// keys; the type names are the ones yaml's errors use.
var sections = map[string]struct {
	name string
	keys []string
}{
	"job.file":        {"", []string{"provider", "endpoint", "auth", "options", "input", "key", "rate", "concurrency", "fields", "retry", "ledger", "reports", "encoding", "delimiter", "allow_http", "fail_on", "sheet"}},
	"job.retryFile":   {" in retry:", []string{"attempts", "max_wait"}},
	"job.reportsFile": {" in reports:", []string{"bom", "delimiter"}},
}

// Error is a job file problem.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	if many, ok := e.Err.(interface{ Unwrap() []error }); ok && len(many.Unwrap()) > 1 {
		var b strings.Builder
		b.WriteString(e.Path + ":")
		for _, err := range many.Unwrap() {
			b.WriteString("\n  " + err.Error())
		}
		return b.String()
	}
	return e.Path + ": " + e.Err.Error()
}
func (e *Error) Unwrap() error { return e.Err }

// Load reads and checks the job file at path. getenv resolves ${NAME}
// references (os.Getenv in the command, a map in tests). Relative input and
// ledger paths are resolved against the job file's folder.
func Load(path string, getenv func(string) string) (*Job, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{path, errors.New("no such job file (`onboard init PROVIDER` writes one)")}
		}
		return nil, &Error{path, err}
	}
	j, err := Parse(data, getenv)
	if err != nil {
		return nil, &Error{path, err}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	j.Path = path
	j.Dir = filepath.Dir(abs)
	if j.Input != "-" {
		j.Input = resolve(filepath.Dir(path), j.Dir, j.Input)
	}
	j.Ledger = resolve(filepath.Dir(path), j.Dir, j.Ledger)
	return j, nil
}

// resolve returns the path p of a job file as the job means it: a relative
// path starts in dir (the job file's folder as given; absDir is the same
// folder made absolute). The rules are the running system's (filepath), so
// on Windows C:\data\x.csv and \\server\share\x.csv are absolute and kept,
// and two forms that are neither need a decision:
//   - \data\x.csv (rooted, no drive) is on the job file's drive, as the job
//     file's own folder is, not on whichever drive is current;
//   - C:x.csv (a drive, no root) is relative to that drive's current folder;
//     only the system knows it, so the path is left as written.
//
// Forward slashes work on Windows too; job files meant for both systems
// should use them.
func resolve(dir, absDir, p string) string {
	switch {
	case p == "" || filepath.IsAbs(p):
		return p
	case filepath.VolumeName(p) != "":
		return p
	case os.IsPathSeparator(p[0]):
		return filepath.Clean(filepath.VolumeName(absDir) + p)
	}
	return filepath.Join(dir, p)
}

// Parse reads a job file's text. Relative paths are left as written (Load
// resolves them).
func Parse(data []byte, getenv func(string) string) (*Job, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the job file is empty")
		}
		return nil, yamlError(err, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("line %d: a job file holds one YAML document; this is a second (after ---)", extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err, data)
	}
	j := &Job{
		Provider:    strings.ToLower(strings.TrimSpace(f.Provider)),
		Options:     map[string]string{},
		Input:       strings.TrimSpace(f.Input),
		Key:         strings.TrimSpace(f.Key),
		Rate:        DefaultRate,
		Concurrency: DefaultConcurrency,
		Retry:       Retry{Attempts: DefaultAttempts, MaxWait: DefaultMaxWait},
		Ledger:      strings.TrimSpace(f.Ledger),
		Reading:     InputOptions{Encoding: strings.TrimSpace(f.Encoding), Delimiter: f.Delimiter, Sheet: strings.TrimSpace(f.Sheet)},
	}
	if j.Provider == "" {
		return nil, errors.New("provider: missing (`onboard providers` lists them)")
	}
	unset := map[string]bool{}
	j.Endpoint = expand(strings.TrimSpace(f.Endpoint), getenv, unset)
	j.Auth = map[string]string{}
	for k, v := range f.Auth {
		j.Auth[k] = expand(v, getenv, unset)
	}
	for k, v := range f.Options {
		j.Options[k] = expand(v, getenv, unset)
	}
	for k := range unset {
		j.Unset = append(j.Unset, k)
	}
	sort.Strings(j.Unset)
	if f.Rate != nil {
		if r := f.Rate.n; r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, errors.New("rate: must be " + RateForms)
		}
		j.Rate, j.RateAuto = f.Rate.n, f.Rate.auto
	}
	if f.Concurrency != nil {
		if *f.Concurrency < 1 || *f.Concurrency > MaxConcurrency {
			return nil, fmt.Errorf("concurrency: must be 1 to %d, not %d", MaxConcurrency, *f.Concurrency)
		}
		j.Concurrency = int(*f.Concurrency)
	}
	if f.Retry != nil {
		if f.Retry.Attempts != nil {
			if *f.Retry.Attempts < 1 || *f.Retry.Attempts > MaxAttempts {
				return nil, fmt.Errorf("retry.attempts: must be 1 to %d, not %d", MaxAttempts, *f.Retry.Attempts)
			}
			j.Retry.Attempts = int(*f.Retry.Attempts)
		}
		if f.Retry.MaxWait != nil {
			d, err := time.ParseDuration(strings.TrimSpace(*f.Retry.MaxWait))
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("retry.max_wait: %q is not a duration like 120s or 2m", *f.Retry.MaxWait)
			}
			j.Retry.MaxWait = d
		}
	}
	if f.Reports != nil {
		if f.Reports.BOM != nil {
			j.Reports.BOM, j.Reports.BOMSet = *f.Reports.BOM, true
		}
		if d := f.Reports.Delimiter; d != "" {
			r, err := report.ParseDelimiter(d)
			if err != nil {
				return nil, fmt.Errorf("reports.delimiter: %v", err)
			}
			j.Reports.Delimiter = r
		}
	}
	j.AllowHTTP = f.AllowHTTP
	failOn, err := ParseFailOn(f.FailOn)
	if err != nil {
		return nil, err
	}
	j.FailOn = failOn
	rules, err := mapping.ParseRules(&f.Fields)
	if err != nil {
		return nil, err
	}
	j.Rules = rules
	return j, nil
}

var (
	notFound = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	badType  = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
)

// yamlError rewrites yaml's messages in the job file's terms: an unknown key
// is named with the keys that are known (and a likely intended one), a
// value of the wrong type with its key.
func yamlError(err error, data []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if strings.Contains(msg, "unknown escape character") {
			// "C:\data\x.csv" in double quotes: \d is no escape.
			msg += ` (in double quotes a backslash starts an escape; write a Windows path without quotes, in single quotes, or with / instead of \)`
		}
		return errors.New(msg)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	msgs := make([]error, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := notFound.FindStringSubmatch(e); m != nil {
			sec, ok := sections[m[3]]
			if ok {
				msgs = append(msgs, fmt.Errorf("line %s: unknown key %q%s%s (known: %s)", m[1], m[2], sec.name, mapping.Suggest(m[2], sec.keys), strings.Join(sec.keys, ", ")))
				continue
			}
		}
		if m := badType.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			key := keyAt(&root, line)
			if key != "" {
				key += ": "
			}
			msgs = append(msgs, fmt.Errorf("line %s: %s%s", m[1], key, wantText(m[2], m[3], m[4])))
			continue
		}
		msgs = append(msgs, errors.New(e))
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return errors.Join(msgs...)
}

// wantText says in words what a value of the wrong type should have been.
func wantText(tag, value, goType string) string {
	got := map[string]string{"!!seq": "a list", "!!map": "a mapping"}[tag]
	if got == "" {
		got = fmt.Sprintf("%q", value)
	}
	switch {
	case goType == "float64":
		return got + " is not a number"
	case goType == "int":
		return got + " is not a whole number"
	case goType == "rate":
		return got + " is not " + RateForms
	case goType == "bool":
		return got + " is not true or false"
	case goType == "string":
		return got + " is not a single value"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "job."):
		return got + " is not a mapping of names to values"
	}
	return fmt.Sprintf("%s cannot be read as %s", got, goType)
}

// keyAt returns the dotted path of the mapping key whose value starts on
// line, or "".
func keyAt(n *yaml.Node, line int) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return keyAt(n.Content[0], line)
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if sub := keyAt(v, line); sub != "" {
			return k.Value + "." + sub
		}
		if v.Line == line {
			return k.Value
		}
	}
	return ""
}

var envRef = regexp.MustCompile(`\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${NAME} with the variable's value; only the braced form is
// read, so a password holding a bare $ stays as written. $${NAME} is the
// escape: it stays as the literal ${NAME}.
func expand(s string, getenv func(string) string, unset map[string]bool) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "$$") {
			return m[1:]
		}
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" {
			unset[name] = true
		}
		return v
	})
}
