// Package job reads a job file: which vendor, where, with which
// credentials, from which input, at what pace, and the field mapping. Unknown
// keys are errors with their line, so a typo never silently changes a run.
package job

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/onboardhq/onboard/mapping"
)

// Defaults for settings a job file leaves out.
const (
	DefaultRate        = 5.0
	DefaultConcurrency = 4
	MaxConcurrency     = 256
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
	// limit.
	Rate        float64
	Concurrency int
	Rules       []mapping.Rule

	Retry   Retry
	Ledger  string // path of the ledger database; "" for the default
	Reports ReportOptions
	Reading InputOptions
}

// Retry bounds retries of transient failures.
type Retry struct {
	// Attempts is the most tries of one row (first try included).
	Attempts int
	// MaxWait caps any single wait, Retry-After included.
	MaxWait time.Duration
}

// ReportOptions shape the reports.
type ReportOptions struct {
	BOM bool
}

// InputOptions override what the reader detects.
type InputOptions struct {
	Encoding  string
	Delimiter string
}

// file is the YAML shape; yaml's KnownFields rejects anything else.
type file struct {
	Provider    string            `yaml:"provider"`
	Endpoint    string            `yaml:"endpoint"`
	Auth        map[string]string `yaml:"auth"`
	Options     map[string]string `yaml:"options"`
	Input       string            `yaml:"input"`
	Key         string            `yaml:"key"`
	Rate        *float64          `yaml:"rate"`
	Concurrency *int              `yaml:"concurrency"`
	Fields      yaml.Node         `yaml:"fields"`
	Retry       *struct {
		Attempts *int    `yaml:"attempts"`
		MaxWait  *string `yaml:"max_wait"`
	} `yaml:"retry"`
	Ledger  string `yaml:"ledger"`
	Reports *struct {
		BOM bool `yaml:"bom"`
	} `yaml:"reports"`
	Encoding  string `yaml:"encoding"`
	Delimiter string `yaml:"delimiter"`
}

// Error is a job file problem.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Load reads and checks the job file at path. getenv resolves ${NAME}
// references (os.Getenv in the command, a map in tests).
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
	if j.Input != "" && j.Input != "-" && !filepath.IsAbs(j.Input) {
		j.Input = filepath.Join(filepath.Dir(path), j.Input)
	}
	if j.Ledger != "" && !filepath.IsAbs(j.Ledger) {
		j.Ledger = filepath.Join(filepath.Dir(path), j.Ledger)
	}
	return j, nil
}

// Parse reads a job file's text.
func Parse(data []byte, getenv func(string) string) (*Job, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if err.Error() == "EOF" {
			return nil, errors.New("the job file is empty")
		}
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	j := &Job{
		Provider:    strings.ToLower(strings.TrimSpace(f.Provider)),
		Options:     map[string]string{},
		Input:       strings.TrimSpace(f.Input),
		Key:         strings.TrimSpace(f.Key),
		Rate:        DefaultRate,
		Concurrency: DefaultConcurrency,
		Retry:       Retry{Attempts: 5, MaxWait: 120 * time.Second},
		Ledger:      f.Ledger,
		Reading:     InputOptions{Encoding: f.Encoding, Delimiter: f.Delimiter},
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
		if *f.Rate < 0 {
			return nil, errors.New("rate: must be 0 (no limit) or more requests per second")
		}
		j.Rate = *f.Rate
	}
	if f.Concurrency != nil {
		if *f.Concurrency < 1 || *f.Concurrency > MaxConcurrency {
			return nil, fmt.Errorf("concurrency: must be 1 to %d", MaxConcurrency)
		}
		j.Concurrency = *f.Concurrency
	}
	if f.Retry != nil {
		if f.Retry.Attempts != nil {
			if *f.Retry.Attempts < 1 || *f.Retry.Attempts > 100 {
				return nil, errors.New("retry.attempts: must be 1 to 100")
			}
			j.Retry.Attempts = *f.Retry.Attempts
		}
		if f.Retry.MaxWait != nil {
			d, err := time.ParseDuration(*f.Retry.MaxWait)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("retry.max_wait: %q is not a duration like 120s or 2m", *f.Retry.MaxWait)
			}
			j.Retry.MaxWait = d
		}
	}
	if f.Reports != nil {
		j.Reports.BOM = f.Reports.BOM
	}
	rules, err := mapping.ParseRules(&f.Fields)
	if err != nil {
		return nil, err
	}
	j.Rules = rules
	return j, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${NAME} with the variable's value; only the braced form is
// read, so a password holding a bare $ stays as written.
func expand(s string, getenv func(string) string, unset map[string]bool) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" {
			unset[name] = true
		}
		return v
	})
}
