package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/source"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/progress"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
)

type runOptions struct {
	jobPath     string
	in          inputFlags
	out         string
	endpoint    string
	rate        float64
	concurrency int
	sandbox     bool
	bom         bool
	ledger      string
	noLedger    bool
	recheck     bool
	grace       time.Duration
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
failed; 2 nothing was sent (usage, job file, input, credentials); 3 stopped
early (interrupted, or the vendor refused the credentials).`,
		Example: `  # rehearse against the built-in fake of the vendor (no account needed)
  onboard run --job samples/cognigy/job.yaml --sandbox

  # for real, with a new hire file and reports in a folder of your choice
  COGNIGY_USERNAME=admin@example.com COGNIGY_PASSWORD=... \
    onboard run --job job.yaml --input new-hires.csv --out reports/monday

  # feed the failures of a run back in once fixed
  onboard run --job job.yaml --input reports/monday/failures.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// An in-process sandbox keeps every user: no memory limit then.
			tuneGC(!o.sandbox)
			return a.run(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.jobPath, "job", "", "job file (YAML)")
	f.StringVar(&o.in.input, "input", "", "input CSV, or - for standard input (overrides the job's input:)")
	f.StringVar(&o.in.encoding, "encoding", "", "input encoding: "+strings.Join(source.EncodingNames(), ", ")+" (default: detect)")
	f.StringVar(&o.in.delimiter, "delimiter", "", "input delimiter: , ; tab | (default: detect from the header)")
	f.StringVar(&o.in.sheet, "sheet", "", "the sheet to read when the input is an Excel workbook (default: the first)")
	f.StringVar(&o.out, "out", "", "folder for the reports (default: a new folder under ./onboard-out/)")
	f.StringVar(&o.endpoint, "endpoint", "", "vendor base URL (overrides the job's endpoint:)")
	f.Float64Var(&o.rate, "rate", -1, "requests per second, all workers together; 0 means no limit (overrides the job's rate:)")
	f.IntVar(&o.concurrency, "concurrency", 0, "requests in flight at once (overrides the job's concurrency:)")
	f.BoolVar(&o.sandbox, "sandbox", false, "send everything to the provider's built-in sandbox on loopback, with its credentials")
	f.BoolVar(&o.bom, "bom", false, "start the report CSVs with a UTF-8 BOM so that Excel shows accents")
	f.StringVar(&o.ledger, "ledger", "", "ledger database (default: the job's ledger:, else <job>.ledger.db next to the job file)")
	f.BoolVar(&o.noLedger, "no-ledger", false, "run without a ledger: no resume, no skipping of users created by earlier runs")
	f.BoolVar(&o.recheck, "recheck", false, "ignore the ledger's answers and look each user up at the vendor instead")
	f.DurationVar(&o.grace, "grace", 30*time.Second, "after Ctrl-C, how long requests already sent may take")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file (for make bench)")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

func (a *app) run(cmd *cobra.Command, o *runOptions) error {
	log := a.logger()
	started := time.Now()
	if o.cpuprofile != "" {
		stop, err := startCPUProfile(o.cpuprofile)
		if err != nil {
			return fail(exitNotSent, "%v", err)
		}
		defer stop()
	}
	p, err := a.prepare(o.jobPath, o.in)
	if err != nil {
		return err
	}
	defer p.src.Close()
	j := p.job
	if o.endpoint != "" {
		j.Endpoint = o.endpoint
	}
	if o.rate >= 0 {
		j.Rate = o.rate
	}
	if o.concurrency > 0 {
		j.Concurrency = o.concurrency
	}
	cfg := providers.Config{Endpoint: j.Endpoint, Auth: j.Auth, Options: j.Options, UserAgent: "onboard/" + version}

	ctx, cancel := a.context()
	defer cancel()

	if o.sandbox {
		sb := p.provider.NewSandbox(providers.SandboxOptions{})
		url, stop, err := serveSandbox(sb, "127.0.0.1:0")
		if err != nil {
			return fail(exitNotSent, "sandbox: %v", err)
		}
		defer stop()
		cfg.Endpoint = url
		cfg.Auth = sb.Credentials()
		for k, v := range sb.Options() {
			cfg.Options[k] = v
		}
		log.Info("sending to the built-in sandbox; no real vendor is called", "provider", p.desc.Name, "url", url)
	} else {
		if cfg.Endpoint == "" {
			return fail(exitNotSent, "%s: endpoint: missing (the vendor's base URL, e.g. %s), or pass --endpoint or --sandbox", j.Path, p.desc.DefaultEndpoint)
		}
		if _, err := p.desc.MatchAuth(cfg.Auth); err != nil {
			msg := err.Error()
			if len(j.Unset) > 0 {
				msg += fmt.Sprintf("; environment variables not set: %v", j.Unset)
			}
			return fail(exitNotSent, "%s: %s", j.Path, msg)
		}
	}
	client, err := p.provider.NewClient(cfg)
	if err != nil {
		return fail(exitNotSent, "%s: %v", j.Path, err)
	}

	outDir := o.out
	if outDir == "" {
		outDir = newOutDir(started)
	}
	rw, err := report.Create(outDir, report.Layout{
		Header:           p.src.Header(),
		SecretColumns:    p.plan.SecretColumns(),
		KeyName:          p.src.Header()[p.plan.KeyColumn()],
		LoginField:       p.desc.KeyField,
		CredentialFields: p.plan.Generates(),
	}, report.Options{BOM: o.bom || j.Reports.BOM, SourceRow: p.src.IsReport()})
	if err != nil {
		return fail(exitNotSent, "%v", err)
	}

	var ledger batch.Ledger
	var finishLedger func(report.Counts)
	ledgerPath := ""
	if !o.noLedger {
		ledgerPath = ledgerPathFor(j.Path, firstNonEmpty(o.ledger, j.Ledger))
		if o.sandbox && o.ledger == "" && j.Ledger == "" {
			// A sandbox starts empty every time: a ledger of real runs
			// must not be mixed with rehearsals.
			ledgerPath = filepath.Join(outDir, "sandbox.ledger.db")
		}
		l, err := openLedger(ledgerPath, p.desc.Name, cfg.Endpoint)
		if err != nil {
			rw.Close()
			return fail(exitNotSent, "%v", err)
		}
		defer l.Close()
		ledger = l
		finishLedger = func(c report.Counts) {
			if err := l.Finish(c); err != nil {
				log.Error("ledger: run not recorded", "err", err)
			}
		}
	}

	var prog batch.Progress
	runLog := log
	showBar := !a.quiet && (a.progress == "always" || a.progress == "auto" && a.isTerm())
	switch {
	case showBar:
		_, size := p.src.Progress()
		rows := 0
		if j.Input != "-" {
			rows = progress.CountLines(j.Input, 32<<20)
		}
		bar := progress.NewBar(a.stderr, rows, size)
		prog = bar
		runLog = a.newLogger(bar.Writer(a.stderr))
	case !a.quiet && a.progress != "never":
		prog = progress.NewTicker(log, 5*time.Second)
	}

	log.Info("run starting", "provider", p.desc.Name, "input", p.src.Name(), "encoding", p.src.Encoding(), "delimiter", string(p.src.Delimiter()),
		"rate", j.Rate, "concurrency", j.Concurrency, "out", outDir, "ledger", ledgerPath)
	res, runErr := batch.Run(ctx, batch.Config{
		Provider:    p.provider,
		Client:      client,
		Options:     cfg.Options,
		Plan:        p.plan,
		Source:      p.src,
		Reports:     rw,
		Ledger:      ledger,
		Recheck:     o.recheck,
		Rate:        j.Rate,
		Concurrency: j.Concurrency,
		Attempts:    j.Retry.Attempts,
		MaxWait:     j.Retry.MaxWait,
		Grace:       o.grace,
		Log:         runLog,
		Progress:    prog,
	})
	closeErr := rw.Close()
	if finishLedger != nil {
		finishLedger(res.Counts)
	}

	code := exitOK
	switch {
	case errors.Is(runErr, batch.ErrReports) || closeErr != nil:
		code = exitStopped
	case res.Stopped != "":
		code = exitStopped
	case runErr != nil || res.Counts.Failed > 0 || res.Counts.NotAttempted > 0:
		code = exitFailed
	}
	sum := report.Summary{
		Provider: p.desc.Name, Job: j.Path, Input: p.src.Name(), Endpoint: cfg.Endpoint, Sandbox: o.sandbox,
		Started: started, Finished: time.Now(), Counts: res.Counts,
		Requests: res.Requests, Retries: res.Retries, Throttled: res.Throttled, Lookups: res.Lookups,
		Stopped: res.Stopped, Reports: rw.Paths(), ExitCode: code,
	}
	if ledgerPath != "" {
		sum.Reports["ledger"] = ledgerPath
	}
	sum.Seconds = sum.Finished.Sub(started).Seconds()
	if err := report.WriteSummary(rw.Paths()["summary"], sum); err != nil {
		log.Error("summary.json could not be written", "err", err)
		code = exitStopped
	}
	c := res.Counts
	attrs := []any{"rows", c.Rows, "created", c.Created, "exists", c.Exists, "skipped", c.Skipped, "failed", c.Failed,
		"not_attempted", c.NotAttempted, "encoding", p.src.Encoding(), "requests", res.Requests, "retries", res.Retries, "seconds", fmt.Sprintf("%.1f", sum.Seconds),
		"out", outDir, "exit_code", code}
	switch {
	case runErr != nil:
		log.Error("run ended: "+runErr.Error(), attrs...)
	case closeErr != nil:
		log.Error("run ended: reports incomplete: "+closeErr.Error(), attrs...)
	case res.Stopped != "":
		log.Error("run stopped early: "+res.Stopped, attrs...)
	case code != exitOK:
		log.Warn("run finished with failures; fix failures.csv and feed it back with --input", attrs...)
	default:
		// The one line a cron job always wants, even with --quiet.
		a.leveled(a.stderr, slog.LevelInfo).Info("run finished", attrs...)
	}
	if code != exitOK {
		return &exitError{code: code, err: errors.New("")}
	}
	return nil
}

// newOutDir returns a new timestamped folder under ./onboard-out/.
func newOutDir(t time.Time) string {
	base := filepath.Join("onboard-out", t.Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return dir
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// serveSandbox serves sb on addr until stop is called.
func serveSandbox(sb http.Handler, addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

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
