// Package runner owns one run of a job from start to end, as one sequence
// in the order of what can fail: load the job, compile the plan against the
// input, check the endpoint and the credentials, take the ledger's lock,
// then create the reports, send, and close. Each step that fails leaves
// nothing half-made behind it but a summary.json that says where and why
// (once the job could be read), so a wrapper always has one file to read.
//
// The command line (cmd/onboard) keeps flags, signals, progress display and
// exit codes; everything between "the job file" and "the exit code" is here.
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/ledger"
	"github.com/onboardhq/onboard/batch/pacer"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/providers"
)

// Exit codes, for cron: each says what happened and what to do next.
const (
	ExitOK      = 0 // every row created or already there
	ExitFailed  = 1 // finished, at least one row failed (new ones only, with fail_on: new)
	ExitNotSent = 2 // nothing was sent: usage, job file, input, endpoint, credentials, reports folder
	ExitStopped = 3 // stopped early: interrupted, vendor unreachable or redirecting, credentials refused, reports or ledger unwritable
	ExitLocked  = 4 // another run of this job holds its ledger; nothing was sent
)

// Stages at which a run can end before sending (summary.json's stage).
const (
	StageJob         = "job"
	StageInput       = "input"
	StageMapping     = "mapping"
	StageEndpoint    = "endpoint"
	StageCredentials = "credentials"
	StageLock        = "lock"
	StageLedger      = "ledger"
	StageReports     = "reports"
)

// Error is why a run could not start (or could not finish cleanly): its
// exit code, the stage, and a message for the person.
type Error struct {
	Code  int
	Stage string
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Options is one run as the command line asks for it. Zero values take the
// job file's settings.
type Options struct {
	JobPath string
	Input   Input
	// Out is the reports folder; "" for <job dir>/onboard-out/<UTC time>/.
	Out         string
	Endpoint    string
	Rate        float64 // < 0: the job's
	RateAuto    bool    // rate: auto, overriding the job's
	Concurrency int     // 0: the job's
	BOM         bool
	Ledger      string
	NoLedger    bool
	Recheck     bool
	FailOn      string // "": the job's
	Grace       time.Duration
	// Sandbox sends to the provider's built-in fake on loopback.
	Sandbox bool
	// SandboxState, with Sandbox, is a file that keeps the fake's users
	// between runs (loaded before, saved after), so that rehearsals of a
	// nightly loop meet the users of the previous one.
	SandboxState string
	// SandboxReady, when set, is told the sandbox's URL.
	SandboxReady func(url string)

	Registry  *providers.Registry
	Getenv    func(string) string
	Stdin     io.Reader
	UserAgent string
	Log       *slog.Logger
	// Progress, when set, returns the display for the open input and the
	// logger to use while it shows (nil keeps Log). path is the input's
	// path when it is a regular file, "" otherwise (standard input, a
	// FIFO): such an input must never be read ahead.
	Progress func(src *source.Reader, path string) (batch.Progress, *slog.Logger)
	// Hard, when done, ends requests in flight at once.
	Hard context.Context
	// Sending, when set, is called once everything is open and the first
	// row is about to be read: from then on an interrupt has reports to
	// flush; before, the run can simply end.
	Sending func()
	Now     func() time.Time
}

// Outcome is what a run did.
type Outcome struct {
	Code    int
	Err     error           // why it ended early or could not start; nil otherwise
	Summary *report.Summary // nil when the job could not be read
	Result  batch.Result
	OutDir  string
}

// Run performs one run of a job.
func Run(ctx context.Context, o Options) Outcome {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	r := &run{o: o, started: o.Now()}
	return r.run(ctx)
}

type run struct {
	o       Options
	started time.Time
	sum     report.Summary
	outDir  string
	// outUntouchable: the out folder holds files of another run; nothing
	// may be written there, not even summary.json.
	outUntouchable bool
}

// fail ends a run that could not start: summary.json (when the job was
// read and the folder is ours to write), and the outcome.
func (r *run) fail(e *Error) Outcome {
	out := Outcome{Code: e.Code, Err: e, OutDir: r.outDir}
	if r.sum.Job == "" || r.outUntouchable {
		return out
	}
	r.sum.ExitCode, r.sum.Stage, r.sum.Error = e.Code, e.Stage, e.Err.Error()
	r.sum.Finished = r.o.Now()
	r.sum.Seconds = r.sum.Finished.Sub(r.started).Seconds()
	path := filepath.Join(r.outDir, report.SummaryFile)
	r.sum.Reports = map[string]string{"summary": path}
	if err := os.MkdirAll(r.outDir, 0o700); err == nil {
		if err := report.WriteSummary(path, r.sum); err == nil {
			out.Summary = &r.sum
		}
	}
	return out
}

func (r *run) run(ctx context.Context) Outcome {
	o := r.o
	// 1. The job file.
	j, err := LoadJob(o.JobPath, o.Getenv)
	if err != nil {
		if fi, serr := os.Stat(o.JobPath); serr == nil && fi.Mode().IsRegular() {
			// The job file was read but is wrong (a typo, a bad value): a
			// wrapper still gets its summary.json, next to the job or in
			// --out.
			r.outDir = o.Out
			if r.outDir == "" {
				r.outDir = DefaultOutDir(filepath.Dir(o.JobPath), r.started)
			}
			r.sum = report.Summary{Job: o.JobPath, Started: r.started, Sandbox: o.Sandbox}
			if e := r.checkOut(); e != nil {
				return r.fail(e)
			}
		}
		return r.fail(asError(err))
	}
	r.outDir = o.Out
	if r.outDir == "" {
		r.outDir = DefaultOutDir(j.Dir, r.started)
	}
	failOn := j.FailOn
	if o.FailOn != "" {
		if failOn, err = job.ParseFailOn(o.FailOn); err != nil {
			return r.fail(&Error{Code: ExitNotSent, Stage: StageJob, Err: fmt.Errorf("--fail-on must be any or new, not %q", o.FailOn)})
		}
	}
	r.sum = report.Summary{Provider: j.Provider, Job: j.Path, Started: r.started, Sandbox: o.Sandbox, FailOn: failOn}
	if o.Endpoint != "" {
		j.Endpoint = o.Endpoint
	}
	if o.RateAuto {
		j.Rate, j.RateAuto = 0, true
	} else if o.Rate >= 0 {
		j.Rate, j.RateAuto = o.Rate, false
	}
	if o.Concurrency > 0 {
		j.Concurrency = o.Concurrency
	}
	if o.SandboxState != "" && !o.Sandbox {
		return r.fail(&Error{Code: ExitNotSent, Stage: StageJob, Err: errors.New("--sandbox-state needs --sandbox")})
	}
	if err := r.checkOut(); err != nil {
		return r.fail(err)
	}

	// 2. The plan against the input's header.
	p, err := Prepare(ctx, j, o.Registry, o.Input, o.Stdin)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted while waiting for the input (a FIFO nobody
			// writes): a stop, not a broken job.
			return r.fail(&Error{Code: ExitStopped, Stage: StageInput, Err: fmt.Errorf("interrupted while waiting for the input; nothing was sent: %w", err)})
		}
		return r.fail(asError(err))
	}
	defer p.Src.Close()
	r.sum.Input = p.Src.Name()
	if sheet := p.Src.Sheet(); sheet != "" {
		o.Log.Info("reading an Excel workbook", "input", p.Src.Name(), "sheet", sheet)
		if others := p.Src.OtherSheets(); len(others) > 0 {
			o.Log.Warn("the workbook has other sheets; pass --sheet (or sheet: in the job) to read another", "sheet", sheet, "others", strings.Join(others, ", "))
		}
	}

	// 3. Where to send, with which credentials.
	cfg := providers.Config{Endpoint: j.Endpoint, Auth: j.Auth, Options: j.Options, UserAgent: o.UserAgent}
	var state providers.StatefulSandbox
	if o.Sandbox {
		sb := p.Provider.NewSandbox(providers.SandboxOptions{})
		if o.SandboxState != "" {
			if state, err = loadSandboxState(sb, p.Desc.Name, o.SandboxState); err != nil {
				return r.fail(&Error{Code: ExitNotSent, Stage: StageEndpoint, Err: err})
			}
		}
		u, stop, err := Serve(sb, "127.0.0.1:0")
		if err != nil {
			return r.fail(&Error{Code: ExitNotSent, Stage: StageEndpoint, Err: fmt.Errorf("sandbox: %w", err)})
		}
		defer stop()
		if o.SandboxReady != nil {
			o.SandboxReady(u)
		}
		cfg.Endpoint, cfg.Auth = u, sb.Credentials()
		cfg.Options = providers.Options{}
		for k, v := range j.Options {
			cfg.Options[k] = v
		}
		for k, v := range sb.Options() {
			cfg.Options[k] = v
		}
		o.Log.Info("sending to the built-in sandbox; no real vendor is called", "provider", p.Desc.Name, "url", u, "state", o.SandboxState)
	} else {
		if err := checkEndpoint(j, p.Desc); err != nil {
			return r.fail(err)
		}
		if _, err := p.Desc.MatchAuth(cfg.Auth); err != nil {
			msg := err.Error()
			if len(j.Unset) > 0 {
				msg += fmt.Sprintf("; environment variables not set: %v", j.Unset)
			}
			return r.fail(&Error{Code: ExitNotSent, Stage: StageCredentials, Err: fmt.Errorf("%s: %s", j.Path, msg)})
		}
	}
	r.sum.Endpoint = cfg.Endpoint
	client, err := p.Provider.NewClient(cfg)
	if err != nil {
		return r.fail(&Error{Code: ExitNotSent, Stage: StageEndpoint, Err: fmt.Errorf("%s: %w", j.Path, err)})
	}

	// 4. The ledger: one run per job at a time.
	var led *ledger.Ledger
	ledgerPath := ""
	if !o.NoLedger {
		ledgerPath = LedgerPath(j.Path, firstNonEmpty(o.Ledger, j.Ledger))
		if o.Sandbox && o.Ledger == "" && j.Ledger == "" {
			// A sandbox starts empty every time: a ledger of real runs
			// must not be mixed with rehearsals. A kept sandbox keeps
			// its ledger beside it, as production keeps both.
			ledgerPath = filepath.Join(r.outDir, "sandbox.ledger.db")
			if o.SandboxState != "" {
				ledgerPath = SandboxLedgerPath(o.SandboxState)
			}
		}
		lock, err := ledger.Acquire(ledgerPath, r.started)
		if err != nil {
			var le *ledger.LockedError
			if errors.As(err, &le) {
				return r.fail(&Error{Code: ExitLocked, Stage: StageLock, Err: err})
			}
			return r.fail(&Error{Code: ExitNotSent, Stage: StageLedger, Err: err})
		}
		defer lock.Release()
		if led, err = ledger.Open(ledgerPath, p.Desc.Name, cfg.Endpoint); err != nil {
			return r.fail(&Error{Code: ExitNotSent, Stage: StageLedger, Err: err})
		}
		if len(p.Plan.Generates()) > 0 {
			if err := led.SetCredentialsFile(filepath.Join(r.outDir, report.CredentialsFile)); err != nil {
				led.Close()
				return r.fail(&Error{Code: ExitNotSent, Stage: StageLedger, Err: err})
			}
		}
	}

	// 5. The reports.
	rw, err := report.Create(r.outDir, report.Layout{
		Header:           p.Src.Header(),
		SecretColumns:    p.Plan.SecretColumns(),
		KeyName:          p.Src.Header()[p.Plan.KeyColumn()],
		NameColumns:      p.Plan.NameColumns(),
		LoginField:       p.Desc.KeyField,
		CredentialFields: p.Plan.Generates(),
	}, report.Options{
		BOM:       report.WantBOM(o.BOM, j.Reports.BOM, j.Reports.BOMSet, report.ExcelStyle(p.Src.Encoding(), p.Src.HasBOM())),
		Delimiter: cmp.Or(j.Reports.Delimiter, p.Src.Delimiter()),
		Input:     p.Src.Name(),
	})
	if err != nil {
		if led != nil {
			led.Close()
		}
		return r.fail(&Error{Code: ExitNotSent, Stage: StageReports, Err: err})
	}

	// 6. Send.
	var prog batch.Progress
	runLog := o.Log
	if o.Progress != nil {
		var l *slog.Logger
		path := ""
		if j.Input != "-" && isRegular(j.Input) {
			path = j.Input
		}
		prog, l = o.Progress(p.Src, path)
		if l != nil {
			runLog = l
		}
	}
	o.Log.Info("run starting", "provider", p.Desc.Name, "input", p.Src.Name(), "encoding", p.Src.Encoding(), "delimiter", string(p.Src.Delimiter()),
		"rate", rateText(j), "concurrency", j.Concurrency, "out", r.outDir, "ledger", ledgerPath)
	var bl batch.Ledger
	if led != nil {
		bl = led
	}
	if o.Sending != nil {
		o.Sending()
	}
	res, runErr := batch.Run(ctx, batch.Config{
		Provider:    p.Provider,
		Client:      client,
		Options:     cfg.Options,
		Plan:        p.Plan,
		Source:      p.Src,
		Reports:     rw,
		Ledger:      bl,
		Recheck:     o.Recheck,
		Rate:        j.Rate,
		RateAuto:    j.RateAuto,
		Concurrency: j.Concurrency,
		Attempts:    j.Retry.Attempts,
		MaxWait:     j.Retry.MaxWait,
		Grace:       o.Grace,
		Hard:        o.Hard,
		Secrets:     batch.AuthSecrets(p.Desc, cfg.Auth),
		Log:         runLog,
		Progress:    prog,
	})

	// 7. Close: reports first, then the ledger's fold.
	closeErr := rw.Close()
	var ledgerErr error
	if led != nil {
		if err := led.Finish(res.Counts); err != nil {
			ledgerErr = err
		}
		if err := led.Close(); err != nil && ledgerErr == nil {
			ledgerErr = err
		}
	}

	var stateErr error
	if state != nil {
		stateErr = saveSandboxState(state, o.SandboxState)
	}

	code := ExitOK
	c := res.Counts
	failed := c.Failed
	if failOn == job.FailOnNew {
		failed = c.FailedNew
	}
	var endErr error
	switch {
	case runErr != nil && errors.Is(runErr, batch.ErrReports):
		code, endErr = ExitStopped, runErr
	case closeErr != nil:
		code, endErr = ExitStopped, fmt.Errorf("reports incomplete: %w", closeErr)
	case res.Stopped != "":
		code, endErr = ExitStopped, errors.New(res.Stopped)
	case ledgerErr != nil:
		code, endErr = ExitStopped, fmt.Errorf("the ledger could not record this run: %w", ledgerErr)
	case stateErr != nil:
		code, endErr = ExitStopped, fmt.Errorf("the sandbox's users were not kept: %w", stateErr)
	case runErr != nil:
		code, endErr = ExitFailed, runErr
	case failed > 0 || c.NotAttempted > 0:
		code = ExitFailed
	}
	s := &r.sum
	s.Finished = r.o.Now()
	s.Seconds = s.Finished.Sub(r.started).Seconds()
	s.Counts = c
	s.Requests, s.Retries, s.Throttled, s.Lookups = res.Requests, res.Retries, res.Throttled, res.Lookups
	s.Stopped, s.InFlight = res.Stopped, res.InFlight
	s.Reports = rw.Paths()
	s.Encoding, s.Delimiter = p.Src.Encoding(), string(p.Src.Delimiter())
	s.Rate, s.RateAuto, s.Concurrency = j.Rate, j.RateAuto, j.Concurrency
	s.SettledRate = math.Round(res.SettledRate*10) / 10
	if ledgerPath != "" {
		s.Reports["ledger"] = ledgerPath
	}
	s.ExitCode = code
	if err := report.WriteSummary(rw.Paths()["summary"], *s); err != nil {
		code = ExitStopped
		s.ExitCode = code
		if endErr == nil {
			endErr = fmt.Errorf("summary.json could not be written: %w", err)
		}
	}
	if err := rw.WriteHTML(*s, timeline(res.Timeline)); err != nil {
		o.Log.Error("report.html could not be written", "err", err)
	}
	return Outcome{Code: code, Err: endErr, Summary: s, Result: res, OutDir: r.outDir}
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: ExitNotSent, Stage: StageJob, Err: err}
}

// checkOut refuses an out folder that holds files of another run. A
// summary.json alone, of a run that sent nothing (exit 2 or 4), is not a
// run's reports: it is removed, so that fixing a typo and running the
// same command again works.
func (r *run) checkOut() *Error {
	entries, err := os.ReadDir(r.outDir)
	if err != nil {
		return nil // absent: report.Create makes it
	}
	var ours []string
	for _, e := range entries {
		if report.IsReportFile(e.Name()) {
			ours = append(ours, e.Name())
		}
	}
	if len(ours) == 1 && ours[0] == report.SummaryFile {
		if code, err := report.ReadExitCode(filepath.Join(r.outDir, report.SummaryFile)); err == nil && (code == ExitNotSent || code == ExitLocked) {
			if os.Remove(filepath.Join(r.outDir, report.SummaryFile)) == nil {
				return nil
			}
		}
	}
	if len(ours) > 0 {
		r.outUntouchable = true
		return &Error{Code: ExitNotSent, Stage: StageReports, Err: fmt.Errorf("reports: %s already holds %s from another run; nothing was sent and nothing there was touched. Choose another --out, or leave --out out for a new folder", r.outDir, strings.Join(ours, ", "))}
	}
	return nil
}

// DefaultOutDir is a new folder for the reports of a run started at t:
// <job dir>/onboard-out/<UTC time>/, with a suffix when two runs start in
// the same second.
func DefaultOutDir(jobDir string, t time.Time) string {
	base := filepath.Join(jobDir, "onboard-out", t.UTC().Format("20060102T150405Z"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dir); os.IsNotExist(err) {
			return dir
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// LedgerPath returns the ledger of a job: the one given, else
// <job>.ledger.db next to the job file.
func LedgerPath(jobPath, given string) string {
	if given != "" {
		return given
	}
	base := strings.TrimSuffix(filepath.Base(jobPath), filepath.Ext(jobPath))
	return filepath.Join(filepath.Dir(jobPath), base+".ledger.db")
}

// checkEndpoint refuses a missing endpoint, and one that would send
// credentials and passwords in clear text across a network.
func checkEndpoint(j *job.Job, d *providers.Description) *Error {
	if j.Endpoint == "" {
		return &Error{Code: ExitNotSent, Stage: StageEndpoint, Err: fmt.Errorf("%s: endpoint: missing (the vendor's base URL, e.g. %s), or pass --endpoint or --sandbox", j.Path, d.DefaultEndpoint)}
	}
	u, err := url.Parse(j.Endpoint)
	if err != nil || j.AllowHTTP || !strings.EqualFold(u.Scheme, "http") || IsLoopback(u.Hostname()) {
		return nil // a malformed URL is the client's to explain
	}
	return &Error{Code: ExitNotSent, Stage: StageEndpoint, Err: fmt.Errorf("%s: endpoint %s is http://, not https://: credentials and passwords would cross the network in clear text. Use the vendor's https:// URL, or set allow_http: true in the job file if this network is trusted", j.Path, u.Redacted())}
}

// IsLoopback reports whether host names this machine only.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves h on addr until stop is called.
func Serve(h http.Handler, addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func isRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// rateText is the job's rate as a person wrote it.
func rateText(j *job.Job) string {
	if j.RateAuto {
		return "auto"
	}
	return strconv.FormatFloat(j.Rate, 'f', -1, 64)
}

// timeline turns the pacer's record into the report page's chart.
func timeline(ps []pacer.Second) report.Timeline {
	t := make(report.Timeline, 0, len(ps))
	for _, p := range ps {
		t = append(t, report.Second{At: p.At, Requests: p.Granted, Throttled: p.Throttled})
	}
	return t
}
