package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/onboardhq/onboard/batch/runner"
	"github.com/onboardhq/onboard/providers"
)

// Exit codes, for cron (runner documents each).
const (
	exitOK      = runner.ExitOK
	exitFailed  = runner.ExitFailed
	exitNotSent = runner.ExitNotSent
	exitStopped = runner.ExitStopped
	exitLocked  = runner.ExitLocked
)

// app holds what the commands share; tests build one with buffers.
type app struct {
	registry *providers.Registry
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	isTerm   func() bool
	// ctx and hard, when set, replace the signal-bound contexts (tests).
	ctx, hard context.Context
	// ready, when set, is told the sandbox URL once it serves (tests).
	ready func(url string)

	logFormat string
	quiet     bool
	verbose   bool
	progress  string
	log       *slog.Logger
}

// exitError carries an exit code up through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

func (a *app) main(args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			if a.logFormat == "json" {
				a.logger().Error(ee.err.Error(), "exit_code", ee.code)
			} else {
				// Plain text: a person reads this, and slog's quoting of a
				// message full of quoted column names is hard to read.
				fmt.Fprintf(a.stderr, "onboard: %s\n", ee.err.Error())
			}
		}
		return ee.code
	}
	// cobra's own usage errors (unknown flag, missing argument).
	fmt.Fprintf(a.stderr, "onboard: %v\nRun 'onboard --help' for usage.\n", err)
	return exitNotSent
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "onboard",
		Short: "Create user accounts on contact-centre platforms from an HR spreadsheet",
		Long: `onboard reads a CSV of people (an Excel export, an HR-system dump, a nightly
feed), maps its columns to a vendor's user fields as a job file says, and
creates each person on the vendor's platform at a rate the vendor accepts.
Every row ends in success.csv or failures.csv; summary.json tells a script
what happened.

Start with 'onboard init PROVIDER', check the job offline with 'onboard
check', rehearse with 'onboard run --sandbox', then run it for real.`,
		Example: `  onboard init cognigy --dir myjob
  onboard check --job myjob/job.yaml
  onboard run --job myjob/job.yaml --sandbox
  onboard run --job myjob/job.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version, as gh and kubectl have it; the text is the version
		// command's, whole (the template prints it as is).
		Version: versionText(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print the version and exit (the same as onboard version)")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	pf := root.PersistentFlags()
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "only warnings and errors on stderr, no progress")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "debug logging (retries, waits)")
	pf.StringVar(&a.progress, "progress", "auto", "progress display: auto (a bar on a terminal, log lines otherwise), always, never")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if a.logFormat != "text" && a.logFormat != "json" {
			return fail(exitNotSent, "--log-format must be text or json, not %q", a.logFormat)
		}
		switch a.progress {
		case "auto", "always", "never":
		default:
			return fail(exitNotSent, "--progress must be auto, always or never, not %q", a.progress)
		}
		a.log = nil
		return nil
	}
	root.AddCommand(a.runCmd(), a.checkCmd(), a.initCmd(), a.providersCmd(), a.sandboxCmd(), a.statusCmd(), a.versionCmd())
	a.registerCompletions(root)
	return root
}

// logger returns the logger for stderr, as the flags ask.
func (a *app) logger() *slog.Logger {
	if a.log == nil {
		a.log = a.newLogger(a.stderr)
	}
	return a.log
}

func (a *app) newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	if a.quiet {
		level = slog.LevelWarn
	}
	return a.leveled(w, level)
}

// leveled returns a logger in the chosen format at level.
func (a *app) leveled(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if a.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// context returns the command's context, which ends on the first Ctrl-C
// or SIGTERM, and one that ends on the second.
func (a *app) context() (ctx, hard context.Context, stop func()) {
	if a.ctx != nil {
		ctx, cancel := context.WithCancel(a.ctx)
		hard := a.hard
		if hard == nil {
			hard = context.Background()
		}
		return ctx, hard, cancel
	}
	return signalContexts()
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
