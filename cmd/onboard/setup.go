package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
)

// inputFlags are the flags that say how to read the input.
type inputFlags struct {
	input     string
	encoding  string
	delimiter string
	sheet     string
}

// prepared is a job bound to its provider, input and mapping: everything
// that can be checked without the network.
type prepared struct {
	job      *job.Job
	provider providers.Provider
	desc     *providers.Description
	src      *source.Reader
	plan     *mapping.Plan
}

func (a *app) prepare(jobPath string, in inputFlags) (*prepared, error) {
	if jobPath == "" {
		return nil, fail(exitNotSent, "--job is required (onboard init PROVIDER writes a job file)")
	}
	j, err := job.Load(jobPath, a.getenv)
	if err != nil {
		return nil, fail(exitNotSent, "%v", err)
	}
	p, err := a.registry.Get(j.Provider)
	if err != nil {
		return nil, fail(exitNotSent, "%s: %v", jobPath, err)
	}
	d := p.Describe()
	if err := checkJobOptions(d, j.Options); err != nil {
		return nil, fail(exitNotSent, "%s: %v", jobPath, err)
	}
	if in.input != "" {
		j.Input = in.input
	}
	if j.Input == "" {
		return nil, fail(exitNotSent, "%s: no input: set input: in the job file or pass --input FILE", jobPath)
	}
	opts := source.Options{Encoding: firstNonEmpty(in.encoding, j.Reading.Encoding), Sheet: firstNonEmpty(in.sheet, j.Reading.Sheet)}
	delim := firstNonEmpty(in.delimiter, j.Reading.Delimiter)
	if delim != "" {
		r, err := parseDelimiter(delim)
		if err != nil {
			return nil, fail(exitNotSent, "%v", err)
		}
		opts.Delimiter = r
	}
	var src *source.Reader
	if j.Input == "-" {
		src, err = source.New("standard input", a.stdin, 0, nil, opts)
	} else {
		src, err = source.Open(j.Input, opts)
	}
	if err != nil {
		return nil, fail(exitNotSent, "%v", err)
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
			return nil, fail(exitNotSent, "%s: the mapping does not fit %s (nothing was sent):\n%s", jobPath, src.Name(), strings.Join(msgs, "\n"))
		}
		return nil, fail(exitNotSent, "%s: %v", jobPath, err)
	}
	return &prepared{job: j, provider: p, desc: d, src: src, plan: plan}, nil
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

func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", `\t`, "tab":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, fmt.Errorf("--delimiter must be one of , ; tab | (not %q)", s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
