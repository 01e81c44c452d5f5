package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/progress"
	"github.com/onboardhq/onboard/batch/runner"
	"github.com/onboardhq/onboard/batch/source"
)

type runOptions struct {
	jobPath     string
	in          inputFlags
	out         string
	endpoint    string
	rate        string
	concurrency int
	sandbox     bool
	bom         bool
	ledger      string
	noLedger    bool
	recheck     bool
	failOn      string
	grace       time.Duration
	sbState     string
	cpuprofile  string
}

func (a *app) runCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run --job FILE",
		Short: "Create the users of a CSV on the vendor",
		Long: `run reads the input row by row, maps and validates each row, and creates the
user on the vendor with a bounded number of requests in flight and at most
the job's rate. Every row ends in success.csv or failures.csv in the out
folder; summary.json has the counts.

Exit codes: 0 every row created or already there; 1 finished, some rows
failed (only new failures with --fail-on new); 2 nothing was sent (usage, job
file, input, endpoint, credentials, reports folder); 3 stopped early
(interrupted, vendor unreachable or redirecting, credentials refused); 4
another run of this job is in progress (nothing was sent).`,
		Example: `  # rehearse against the built-in fake of the vendor (no account needed)
  onboard run --job samples/cognigy/job.yaml --sandbox

  # rehearse the nightly loop: run it twice, the second run skips everyone
  onboard run --job samples/cognigy/job.yaml --sandbox --sandbox-state /tmp/rehearsal.json

  # for real, with a new hire file and reports in a folder of your choice
  COGNIGY_USERNAME=admin@example.com COGNIGY_PASSWORD=... \
    onboard run --job job.yaml --input new-hires.csv --out reports/monday

  # feed the failures of a run back in once fixed
  onboard run --job job.yaml --input reports/monday/failures.csv

  # nightly: exit 1 only for failures not seen in earlier runs
  onboard run --job job.yaml --fail-on new --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// An in-process sandbox keeps every user: no memory limit then.
			tuneGC(runMemoryLimit(o.sandbox))
			return a.run(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.jobPath, "job", "", "job file (YAML)")
	f.StringVar(&o.in.input, "input", "", "input CSV, or - for standard input (overrides the job's input:)")
	f.StringVar(&o.in.encoding, "encoding", "", "input encoding: "+strings.Join(source.EncodingNames(), ", ")+" (default: detect)")
	f.StringVar(&o.in.delimiter, "delimiter", "", "input delimiter: , ; tab | (default: detect from the header)")
	f.StringVar(&o.in.sheet, "sheet", "", "the sheet to read when the input is an Excel workbook (default: the first)")
	f.StringVar(&o.out, "out", "", "folder for the reports (default: a new folder <job dir>/onboard-out/<UTC time>/)")
	f.StringVar(&o.endpoint, "endpoint", "", "vendor base URL (overrides the job's endpoint:)")
	f.StringVar(&o.rate, "rate", "", "most requests per second, all workers together, retries and lookups included, never exceeded; 0 means no limit; auto finds the vendor's limit (default: the job's rate:, which is 5 when the job sets none)")
	f.IntVar(&o.concurrency, "concurrency", 0, "requests in flight at once, 1 to 256 (default: the job's concurrency:, which is 4 when the job sets none)")
	f.BoolVar(&o.sandbox, "sandbox", false, "send everything to the provider's built-in sandbox on loopback, with its credentials")
	f.BoolVar(&o.bom, "bom", false, "start the report CSVs with a UTF-8 BOM so that Excel shows accents")
	f.StringVar(&o.ledger, "ledger", "", "ledger database (default: the job's ledger:, else <job>.ledger.db next to the job file)")
	f.BoolVar(&o.noLedger, "no-ledger", false, "run without a ledger: no resume, no skipping of users created by earlier runs, no lock (never overlap two such runs)")
	f.BoolVar(&o.recheck, "recheck", false, "ignore the ledger's answers and look each user up at the vendor instead")
	f.StringVar(&o.failOn, "fail-on", "", "what makes the exit code 1: any failed row, or only new ones (not seen unchanged by an earlier run) (default: the job's fail_on:, else any)")
	f.StringVar(&o.sbState, "sandbox-state", "", "with --sandbox: keep the fake's users in `FILE` between runs, to rehearse a nightly loop (its ledger is FILE.ledger.db)")
	f.DurationVar(&o.grace, "grace", 30*time.Second, "after Ctrl-C, how long requests already sent may take")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file (for make bench)")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

func (a *app) run(o *runOptions) error {
	if o.sbState != "" && !o.sandbox {
		return fail(exitNotSent, "--sandbox-state needs --sandbox (it keeps the built-in fake's users; a real vendor keeps its own)")
	}
	log := a.logger()
	if o.cpuprofile != "" {
		stop, err := startCPUProfile(o.cpuprofile)
		if err != nil {
			return fail(exitNotSent, "%v", err)
		}
		defer stop()
	}
	rate, auto := -1.0, false
	if o.rate != "" {
		var err error
		if rate, auto, err = job.ParseRate(o.rate); err != nil {
			return fail(exitNotSent, "--rate: %v", err)
		}
	}
	ctx, hard, stop := a.context()
	defer stop()
	var sending atomic.Bool
	if a.ctx == nil {
		// Real signals: an interrupt before anything is open to flush
		// (the input is a FIFO nobody writes yet, standard input that
		// never comes) ends the process, rather than waiting in a read
		// that a context cannot end.
		finished := make(chan struct{})
		defer close(finished)
		go func() {
			select {
			case <-ctx.Done():
			case <-finished:
				return
			}
			t := time.NewTimer(time.Second)
			defer t.Stop()
			select {
			case <-t.C:
				if !sending.Load() {
					fmt.Fprintln(a.stderr, "onboard: interrupted before anything was sent")
					os.Exit(exitStopped)
				}
			case <-finished:
			}
		}()
	}

	out := runner.Run(ctx, runner.Options{
		JobPath:     o.jobPath,
		Input:       o.in.runnerInput(),
		Out:         o.out,
		Endpoint:    o.endpoint,
		Rate:        rate,
		RateAuto:    auto,
		Concurrency: o.concurrency,
		BOM:         o.bom,
		Ledger:      o.ledger,
		NoLedger:    o.noLedger,
		Recheck:     o.recheck,
		FailOn:      o.failOn,
		Grace:       o.grace,
		Sandbox:     o.sandbox,
		Registry:    a.registry,
		Getenv:      a.getenv,
		Stdin:       a.stdin,
		UserAgent:   "onboard/" + version,
		Log:         log,
		Progress:    a.progressFor,
		Hard:        hard,
		Sending:     func() { sending.Store(true) },

		// With Sandbox: the fake keeps its users in this file.
		SandboxState: o.sbState,
	})
	s := out.Summary
	if s == nil || s.Stage != "" {
		// The run never started sending: the message is the whole story.
		if out.Err == nil {
			return nil
		}
		return &exitError{code: out.Code, err: out.Err}
	}
	c := s.Counts
	attrs := []any{"rows", c.Rows, "created", c.Created, "exists", c.Exists, "skipped", c.Skipped, "failed", c.Failed,
		"failed_new", c.FailedNew, "failed_known", c.FailedKnown, "not_attempted", c.NotAttempted,
		"requests", s.Requests, "retries", s.Retries, "throttled", s.Throttled, "settled_rate", s.SettledRate, "seconds", roundTenth(s.Seconds), "out", out.OutDir, "exit_code", out.Code}
	failures := s.Reports["failures"]
	switch {
	case out.Err != nil && out.Code == exitStopped:
		msg := "run stopped early: " + out.Err.Error()
		if c.NotAttempted > 0 {
			msg += fmt.Sprintf("; %d row(s) were not sent and are in %s as not_attempted: run the same command again to send them (nobody is created twice)", c.NotAttempted, failures)
		}
		log.Error(msg, attrs...)
	case out.Err != nil:
		log.Error("run ended: "+out.Err.Error(), attrs...)
	case out.Code != exitOK:
		msg := "run finished with failures; fix " + failures + " and feed it back with --input"
		if c.FailedKnown > 0 {
			msg += fmt.Sprintf(" (%d of them failed the same way in an earlier run; --fail-on new ignores those)", c.FailedKnown)
		}
		log.Warn(msg, attrs...)
	default:
		// The one line a cron job always wants, even with --quiet.
		a.leveled(a.stderr, slog.LevelInfo).Info("run finished", attrs...)
	}
	if out.Code != exitOK {
		return &exitError{code: out.Code, err: errors.New("")}
	}
	return nil
}

// progressFor is the progress display of a run: a bar on a terminal, log
// lines otherwise, nothing with --quiet. A file that is not a regular file
// (a FIFO, standard input) is never read ahead to count its lines.
func (a *app) progressFor(src *source.Reader, path string) (batch.Progress, *slog.Logger) {
	showBar := !a.quiet && (a.progress == "always" || a.progress == "auto" && a.isTerm())
	switch {
	case showBar:
		_, size := src.Progress()
		rows := 0
		if path != "" {
			rows = progress.CountLines(path, 32<<20)
		}
		bar := progress.NewBar(a.stderr, rows, size)
		return bar, a.newLogger(bar.Writer(a.stderr))
	case !a.quiet && a.progress != "never":
		return progress.NewTicker(a.logger(), 5*time.Second), nil
	}
	return nil, nil
}

// roundTenth keeps a duration in seconds readable in logs while staying a
// number in JSON logs.
func roundTenth(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
