package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
)

// Input says how to read the input; empty fields take the job's values.
type Input struct {
	Path      string // a file, or "-" for Stdin
	Encoding  string
	Delimiter string
	Sheet     string // the sheet of an Excel workbook; "" for the first
}

// Prepared is a job bound to its provider, input and mapping: everything
// that can be checked without the network.
type Prepared struct {
	Job      *job.Job
	Provider providers.Provider
	Desc     *providers.Description
	Src      *source.Reader
	Plan     *mapping.Plan
}

// LoadJob reads the job file; an error is the person's to fix (exit 2).
func LoadJob(path string, getenv func(string) string) (*job.Job, error) {
	if path == "" {
		return nil, &Error{Code: ExitNotSent, Stage: StageJob, Err: errors.New("--job is required (onboard init PROVIDER writes a job file)")}
	}
	j, err := job.Load(path, getenv)
	if err != nil {
		return nil, &Error{Code: ExitNotSent, Stage: StageJob, Err: err}
	}
	return j, nil
}

// Prepare resolves j's provider, opens the input and compiles the mapping
// against its header. The caller closes Src.
// ctx bounds the wait for an input that is not ready (a FIFO without a
// writer).
func Prepare(ctx context.Context, j *job.Job, reg *providers.Registry, in Input, stdin io.Reader) (*Prepared, error) {
	p, err := reg.Get(j.Provider)
	if err != nil {
		return nil, &Error{Code: ExitNotSent, Stage: StageJob, Err: fmt.Errorf("%s: %w", j.Path, err)}
	}
	d := p.Describe()
	if err := checkJobOptions(d, j.Options); err != nil {
		return nil, &Error{Code: ExitNotSent, Stage: StageJob, Err: fmt.Errorf("%s: %w", j.Path, err)}
	}
	if in.Path != "" {
		j.Input = in.Path
	}
	if j.Input == "" {
		return nil, &Error{Code: ExitNotSent, Stage: StageInput, Err: fmt.Errorf("%s: no input: set input: in the job file or pass --input FILE", j.Path)}
	}
	opts := source.Options{Encoding: firstNonEmpty(in.Encoding, j.Reading.Encoding), Sheet: firstNonEmpty(in.Sheet, j.Reading.Sheet)}
	if delim := firstNonEmpty(in.Delimiter, j.Reading.Delimiter); delim != "" {
		r, err := report.ParseDelimiter(delim)
		if err != nil {
			return nil, &Error{Code: ExitNotSent, Stage: StageInput, Err: fmt.Errorf("--delimiter (or delimiter: in the job) %w", err)}
		}
		opts.Delimiter = r
	}
	var src *source.Reader
	if j.Input == "-" {
		src, err = source.New("standard input", stdin, 0, nil, opts)
	} else {
		src, err = source.OpenContext(ctx, j.Input, opts)
	}
	if err != nil {
		return nil, &Error{Code: ExitNotSent, Stage: StageInput, Err: err}
	}
	plan, err := mapping.Compile(j.Rules, d, src.Header(), j.Key)
	if err != nil {
		src.Close()
		var ce *mapping.CompileError
		if errors.As(err, &ce) {
			msgs := make([]string, len(ce.Errs))
			for i, e := range ce.Errs {
				msgs[i] = "  " + e.Error()
			}
			return nil, &Error{Code: ExitNotSent, Stage: StageMapping, Err: fmt.Errorf("%s: the mapping does not fit %s (nothing was sent):\n%s", j.Path, src.Name(), strings.Join(msgs, "\n"))}
		}
		return nil, &Error{Code: ExitNotSent, Stage: StageMapping, Err: fmt.Errorf("%s: %w", j.Path, err)}
	}
	return &Prepared{Job: j, Provider: p, Desc: d, Src: src, Plan: plan}, nil
}

func checkJobOptions(d *providers.Description, opts map[string]string) error {
	known := map[string]bool{}
	var names []string
	for _, o := range d.Options {
		known[o.Name] = true
		names = append(names, o.Name)
	}
	var unknown []string
	for k := range opts {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	if len(names) == 0 {
		return fmt.Errorf("options: %s takes no options (got %s)", d.Name, strings.Join(unknown, ", "))
	}
	return fmt.Errorf("options: unknown %s (known for %s: %s)", strings.Join(unknown, ", "), d.Name, strings.Join(names, ", "))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
