package main

import (
	"errors"

	"github.com/onboardhq/onboard/batch/runner"
)

// inputFlags are the flags that say how to read the input.
type inputFlags struct {
	input     string
	encoding  string
	delimiter string
	sheet     string
}

func (f inputFlags) runnerInput() runner.Input {
	return runner.Input{Path: f.input, Encoding: f.encoding, Delimiter: f.delimiter, Sheet: f.sheet}
}

// prepare loads a job and binds it to its provider, input and mapping, for
// check (run does the same inside runner.Run).
func (a *app) prepare(jobPath string, in inputFlags) (*runner.Prepared, error) {
	j, err := runner.LoadJob(jobPath, a.getenv)
	if err != nil {
		return nil, asExit(err)
	}
	ctx, _, stop := a.context()
	defer stop()
	p, err := runner.Prepare(ctx, j, a.registry, in.runnerInput(), a.stdin)
	if err != nil {
		return nil, asExit(err)
	}
	return p, nil
}

// asExit turns a runner error into an exit code and its message.
func asExit(err error) error {
	var re *runner.Error
	if errors.As(err, &re) {
		return &exitError{code: re.Code, err: re.Err}
	}
	return &exitError{code: exitNotSent, err: err}
}
