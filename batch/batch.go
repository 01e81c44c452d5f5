// Package batch runs an import: rows stream from the source through the
// mapping and offline validation into a bounded pool of workers that share
// one pacer; each worker creates one user at a time; one writer goroutine
// owns the reports. Data flows one way:
//
//	source ─► map ─► validate ─► pool (errgroup.SetLimit + pacer) ─► provider
//	                    │                                                │
//	                    └──────────────► outcomes ◄──────────────────────┘
//	                                        │
//	                               writer: reports, summary
//
// A row-level problem is a value (an outcome with a stage and a message),
// never an error that stops the group; only a fatal condition (reports that
// cannot be written, credentials refused again and again) stops the run.
package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/onboardhq/onboard/batch/keyset"
	"github.com/onboardhq/onboard/batch/pacer"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
)

// Config is everything a run needs, already opened and checked.
type Config struct {
	Provider providers.Provider
	Client   providers.Client
	Options  providers.Options
	Plan     *mapping.Plan
	Source   *source.Reader
	Reports  *report.Writer
	// Ledger remembers outcomes across runs; nil runs without one.
	Ledger Ledger
	// Recheck asks the vendor about keys the ledger says are done.
	Recheck bool

	Rate float64
	// RateAuto: no ceiling; the pacer starts at StartRate (default
	// 10/s), grows until the vendor throttles, then holds just under
	// its limit (see package pacer).
	RateAuto    bool
	StartRate   float64
	Concurrency int
	// Attempts is the most tries of one row (first try included).
	Attempts int
	// MaxWait caps one wait between tries, Retry-After included.
	MaxWait time.Duration
	// Grace is how long in-flight requests may take after an interrupt.
	Grace time.Duration
	// AuthStop is how many refusals of the credentials in a row stop the
	// run (default 3).
	AuthStop int
	// RowDeadline bounds the time one row may take, waits included
	// (default 10 minutes): throttled tries do not use up Attempts, so
	// this is what ends a row that is throttled for ever.
	RowDeadline time.Duration
	// BreakerAfter is how many unusable answers in a row (connection
	// refused, timeouts, 5xx) open the breaker (default: the larger of 5
	// and Concurrency); BreakerWindow how long it then probes before the
	// run stops (default 30s). See breaker.
	BreakerAfter  int
	BreakerWindow time.Duration
	// Hard, when done, ends requests in flight at once (a second Ctrl-C);
	// nil waits for Grace.
	Hard context.Context
	// Secrets are strings to redact from every message: the job's
	// credentials (see AuthSecrets).
	Secrets []string

	Log      *slog.Logger
	Progress Progress
	// TempDir holds scratch files (the keys of a large input); "" for the
	// system's temporary folder.
	TempDir string
}

// Progress is told about every finished row.
type Progress interface {
	Row(c report.Counts, bytesRead, size int64)
	Done(c report.Counts)
}

// Result is what a run did.
type Result struct {
	Counts    report.Counts
	Requests  int64
	Retries   int64
	Throttled int64
	Lookups   int64
	// Stopped says why the run ended early: "interrupted", "credentials
	// refused", "prepare failed: ...", or "" when it ran to the end.
	Stopped string
	// InFlight is how many requests were on the wire when the run was
	// told to stop.
	InFlight int64
	// SettledRate is the rate the run settled at (pacer.Stats.Settled): a
	// good `rate:` for the next run. Timeline is the run second by second.
	SettledRate float64
	Timeline    []pacer.Second
}

// ErrReports means a report could not be written: the run stops, since a
// row that cannot be accounted for must not be sent.
var ErrReports = errors.New("reports could not be written")

type outcome struct {
	seq      int    // place in the read order, from 1 (report.Success.Seq)
	input    string // the original input of a report fed back (source.Row.Input)
	row      int
	src      string
	cells    []string
	key      string
	stage    report.Stage // "" on success
	status   providers.Status
	vendorID string
	err      string
	http     int
	attempts int
	secrets  map[string]string
	login    string
	// credWritten: the generated secrets went to credentials.csv before
	// the request that sets them.
	credWritten bool
	// dup: a later row with a key seen before in this file; it must not
	// touch the ledger entry of the first.
	dup bool
	// pendingWritten: the ledger holds this row's key as pending (written
	// before its create could be sent); hadPrior: it knew the key before
	// this run.
	pendingWritten, hadPrior bool
	// unknownBefore: an earlier try of this row may have reached the
	// vendor; a user found afterwards may hold our password.
	unknownBefore bool
	// prior is what the ledger knew of the key before this run.
	prior Entry
}

// credRun says whose credentials.csv holds the password in effect for the
// row's user, for the ledger: this run's when a create carrying our
// password was acted on (or may have been); the earlier run's when the
// user was found after that run's create was lost in a crash; else none
// known.
func (o outcome) credRun() int64 {
	switch {
	case o.credWritten && len(o.secrets) > 0:
		return CredThisRun
	case o.stage == "" && o.status == providers.StatusExists && o.prior.Status == LedgerPending && o.prior.RunCredentials != "":
		return o.prior.RunID
	}
	return 0
}

// credFile is the credentials.csv holding the password in effect for the
// row's user, for its success row; "" when none of ours is known to be.
func (o outcome) credFile(thisRun string) string {
	switch {
	case o.stage != "":
		return ""
	case o.status == providers.StatusSkipped:
		return o.prior.Credentials
	}
	switch r := o.credRun(); {
	case r == CredThisRun:
		return thisRun
	case r != 0:
		return o.prior.RunCredentials
	}
	return ""
}

// intent asks the writer to make the pending state of a batch of rows
// durable (ledger entries, generated passwords) before any of their creates
// is sent: one commit for the whole batch.
type intent struct {
	jobs []job
	ack  chan error
}

// job is a row ready to be sent.
type job struct {
	o           outcome
	rec         providers.Record
	lookupFirst bool
}

// batchMax bounds a batch of rows made pending together (see batchSize). A crash leaves at
// most this many more keys pending (each costs a lookup on the next run).
const batchMax = 256

// batchSize is the batch of rows made pending in one commit, for a run at
// rate (0: no limit) with concurrency workers. Without a limit, large
// batches keep the commits few (one per 256 rows at full speed). With one,
// a batch is about a tenth of a second of sending, and never less than
// the workers: the rows queued ahead of the workers (up to three batches)
// are pending in the ledger, and after a crash each costs a lookup at the
// vendor's rate, so a slow run keeps few of them.
func batchSize(rate float64, concurrency int) int {
	if rate <= 0 {
		return batchMax
	}
	return min(batchMax, max(concurrency, int(rate/10)))
}

// stallAfterStop is how long a stopped run waits for the next row of an
// input that has stopped giving any.
const stallAfterStop = 2 * time.Second

// outBuffer is how many outcomes may wait for the writer. The writer stops
// to commit the ledger (every flushEvery, and before each batch is sent);
// a worker whose outcome finds the channel full waits with it, and the
// vendor sits idle. A second's worth of rows at full speed would be too
// much memory; two batches cover a commit.
const outBuffer = 2 * batchMax

// batchWait is the longest a row ready to send waits for its batch to fill.
const batchWait = time.Millisecond

type engine struct {
	cfg  Config
	desc *providers.Description
	// fields validates a mapped record, the job's literals checked once.
	fields  *providers.FieldChecker
	pace    *pacer.Pacer
	out     chan outcome
	intents chan intent
	auths   atomic.Int32

	requests, retries, throttled, lookups atomic.Int64
	// inflight counts requests on the wire, for the message on Ctrl-C.
	inflight, inflightAtStop atomic.Int64
	brk                      *breaker
	// ledgerErr is set by the writer when the ledger fails.
	ledgerErr error

	stopOnce sync.Once
	stopped  atomic.Pointer[string]
	halt     context.CancelFunc // stops new sends
}

// Run performs the import. It returns when every row read is in a report.
// The error is non-nil only when the run could not account for its rows
// (reports unwritable) or the input could not be read on.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Attempts < 1 {
		cfg.Attempts = 1
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 120 * time.Second
	}
	if cfg.AuthStop <= 0 {
		cfg.AuthStop = 3
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RowDeadline <= 0 {
		cfg.RowDeadline = 10 * time.Minute
	}
	if cfg.BreakerAfter <= 0 {
		cfg.BreakerAfter = max(5, cfg.Concurrency)
	}
	if cfg.BreakerWindow <= 0 {
		// 30s, or three requests' time at a slow rate: one 503 and then
		// the pacer's silence is not a vendor that is down.
		cfg.BreakerWindow = 30 * time.Second
		if cfg.Rate > 0 && !cfg.RateAuto {
			cfg.BreakerWindow = max(cfg.BreakerWindow, time.Duration(3*float64(time.Second)/cfg.Rate))
		}
	}
	e := &engine{cfg: cfg, desc: cfg.Provider.Describe(), pace: pacer.NewWith(pacer.Options{Rate: cfg.Rate, Auto: cfg.RateAuto, Start: cfg.StartRate, MaxPause: cfg.MaxWait}), out: make(chan outcome, max(4*cfg.Concurrency, outBuffer)), intents: make(chan intent, cfg.Concurrency)}
	e.brk = newBreaker(cfg.BreakerAfter, cfg.BreakerWindow)
	e.fields = providers.NewFieldChecker(e.desc, cfg.Plan.Fixed())
	defer e.pace.Close()

	// sendCtx ends new sends: on interrupt, or when the run must stop.
	sendCtx, halt := context.WithCancel(ctx)
	defer halt()
	e.halt = halt
	// reqCtx bounds requests already on the wire: they may finish after an
	// interrupt, for at most Grace.
	reqCtx, cancelReq := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReq()
	// Requests beyond the first of a row (a provider's second step) wait
	// for the same pacer, bounded by reqCtx.
	reqCtx = providers.WithPacer(reqCtx, e.pace.Wait)
	reqCtx = providers.WithRequestCounter(reqCtx, &e.requests)
	sendCtx = providers.WithRequestCounter(sendCtx, &e.requests) // Prepare's requests
	hard := cfg.Hard
	if hard == nil {
		hard = context.Background()
	}
	var res Result
	go func() {
		select {
		case <-sendCtx.Done():
		case <-reqCtx.Done():
			return
		}
		n := e.inflight.Load()
		e.inflightAtStop.Store(n)
		if ctx.Err() != nil {
			cfg.Log.Warn(fmt.Sprintf("stopping: %d request(s) in flight, waiting up to %s for their answers (press Ctrl-C again to stop at once); run the same command again to resume: nobody will be created twice", n, cfg.Grace),
				"in_flight", n, "grace_seconds", cfg.Grace.Seconds())
		}
		t := time.NewTimer(cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelReq()
		case <-hard.Done():
			cancelReq()
		case <-reqCtx.Done():
		}
	}()

	var writeErr error
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		writeErr = e.write(&res.Counts)
		if writeErr != nil {
			e.stop("reports or ledger could not be written: " + writeErr.Error())
		}
	}()

	if err := cfg.Client.Prepare(sendCtx); err != nil {
		if ctx.Err() != nil {
			e.stop("interrupted")
		} else if providers.KindOf(err) == providers.KindAuth {
			e.stop("credentials refused: " + e.redact(err.Error(), nil, nil))
		} else if pe, ok := providers.AsError(err); ok && pe.Kind == providers.KindEndpoint {
			e.stop(redirectStop(e.desc.Name, pe))
		} else if ok && !usable(pe) {
			e.stop(fmt.Sprintf("%s is unreachable or failing before the first row (%s); the endpoint or the vendor is down, not the data. Check the endpoint and the vendor's status page, then run the job again", e.desc.Name, e.redact(pe.Error(), nil, nil)))
		} else {
			e.stop("could not prepare: " + e.redact(err.Error(), nil, nil))
		}
		cfg.Log.Error("cannot start sending", "provider", e.desc.Name, "err", e.redact(err.Error(), nil, nil))
	}

	// The breaker's watchdog: workers may all be waiting (a long
	// Retry-After on every 503) when its window ends.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-sendCtx.Done():
				return
			case <-t.C:
				if e.brk.expired() {
					e.tripped()
					return
				}
			}
		}
	}()

	readErr := e.dispatch(ctx, sendCtx, reqCtx)
	close(e.out)
	<-writerDone

	res.Requests = e.requests.Load()
	res.Retries = e.retries.Load()
	res.Throttled = e.throttled.Load()
	res.Lookups = e.lookups.Load()
	res.InFlight = e.inflightAtStop.Load()
	ps := e.pace.Stats()
	res.SettledRate, res.Timeline = ps.Settled, e.pace.Timeline()
	if ps.Throttles > 0 || cfg.RateAuto {
		cfg.Log.Info("pacing", "vendor", e.desc.Name, "settled_rate", roundTenth(ps.Settled), "throttled", ps.Throttles, "paused_seconds", ps.Paused.Seconds())
	}
	if s := e.stopped.Load(); s != nil {
		res.Stopped = *s
	} else if ctx.Err() != nil {
		res.Stopped = "interrupted"
	}
	if cfg.Progress != nil {
		cfg.Progress.Done(res.Counts)
	}
	if writeErr != nil {
		return res, fmt.Errorf("%w: %v", ErrReports, writeErr)
	}
	return res, readErr
}

// stop ends new sends for reason; the first reason wins.
func (e *engine) stop(reason string) {
	e.stopOnce.Do(func() {
		e.stopped.Store(&reason)
		e.halt()
	})
}

// dispatch reads every row and sends each to exactly one place: the
// writer directly (a row that fails before the network, or is not
// attempted), or a worker. It keeps reading after a stop so that every row
// is accounted for as not_attempted.
func (e *engine) dispatch(ctx, sendCtx, reqCtx context.Context) error {
	// Long-lived workers, one per request in flight: no goroutine per row.
	size := batchSize(e.cfg.Rate, e.cfg.Concurrency)
	jobs := make(chan job, 2*size)
	g := &errgroup.Group{}
	g.SetLimit(e.cfg.Concurrency)
	for i := 0; i < e.cfg.Concurrency; i++ {
		g.Go(func() error {
			for j := range jobs {
				o := e.send(sendCtx, reqCtx, j.o, j.rec, j.lookupFirst)
				o.err = e.redact(o.err, j.rec, j.o.secrets)
				e.out <- o
			}
			return nil
		})
	}
	var ready []job
	// flush makes the ready rows pending in one commit, then hands them to
	// the workers; the send blocks while the pool is busy, which is the
	// back-pressure on the reading.
	flush := func() {
		if len(ready) == 0 {
			return
		}
		if err := e.intend(sendCtx, ready); err != nil {
			stopped := sendCtx.Err() != nil
			if !stopped {
				e.stop("reports could not be written")
			}
			for _, j := range ready {
				msg := e.notAttemptedMsg(j.o.row)
				if !stopped {
					msg = fmt.Sprintf("row %d: not sent: %v", j.o.row, err)
				}
				e.fail(j.o, report.StageNotAttempted, msg, 0, 0)
			}
			ready = ready[:0]
			return
		}
		for _, j := range ready {
			jobs <- j
		}
		ready = ready[:0]
	}
	defer func() {
		flush()
		close(jobs)
		g.Wait()
	}()

	src := e.cfg.Source
	keyIdx := e.cfg.Plan.KeyColumn()
	keyCol := src.Header()[keyIdx]
	seen := keyset.New(e.cfg.TempDir, 0)
	defer seen.Close()

	// The file is read in a goroutine of its own so that a partial batch
	// goes out after batchWait even while the input stalls (a slow feed
	// on standard input).
	type read struct {
		row *source.Row
		err error
	}
	rows := make(chan read, size)
	go func() {
		defer close(rows)
		for {
			row, err := src.Next()
			if err == io.EOF {
				return
			}
			rows <- read{row, err}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var readErr error
	seq := 0
	// Once the run stops, the rest of the input is read only to account
	// for its rows; an input that stalls then (a FIFO or a feed on
	// standard input whose writer waits) is not waited for.
	var stalled <-chan time.Time
	for {
		var r read
		var ok bool
		if stalled == nil && sendCtx.Err() != nil {
			stalled = time.After(stallAfterStop)
		}
		select {
		case r, ok = <-rows:
		case <-timer.C:
			flush()
			continue
		case <-stalled:
			e.cfg.Log.Warn("the input gave no more rows after the run stopped; rows not read yet are in no report", "after", stallAfterStop)
			return readErr
		}
		if !ok {
			return readErr
		}
		if stalled != nil {
			stalled = time.After(stallAfterStop)
		}
		row, err := r.row, r.err
		if err != nil {
			// The file cannot be read on: what was read is accounted for;
			// the rest is named in the error.
			e.cfg.Log.Error("input cannot be read on", "err", err)
			if sendCtx.Err() == nil {
				e.stop("input unreadable")
			}
			readErr = err
			continue
		}
		seq++
		o := outcome{row: row.Num, seq: seq, input: row.Input, cells: row.Cells, src: row.SourceRow}
		if keyIdx >= 0 {
			o.key = strings.TrimSpace(cellAt(row.Cells, keyIdx))
		}
		if row.Err != nil {
			e.fail(o, report.StageInput, fmt.Sprintf("row %d: %v", row.Num, row.Err), 0, 0)
			continue
		}
		if err := row.TextError(e.cfg.Plan.UsesColumn); err != nil {
			e.fail(o, report.StageInput, fmt.Sprintf("row %d: %s, %v", row.Num, src.Name(), err), 0, 0)
			continue
		}
		rec, probs, secrets := e.cfg.Plan.Apply(row.Cells)
		// Every problem of the row, as check lists them: a person fixes
		// the row once, not once per run.
		msgs, stage := e.problems(rec, probs)
		if o.key == "" {
			msgs = append(msgs, fmt.Sprintf("column %q (the key) is empty; every person needs one", keyCol))
			stage = cmp.Or(stage, report.StageValidation)
		}
		if len(msgs) > 0 {
			msg := e.redact(fmt.Sprintf("row %d: %s", row.Num, strings.Join(msgs, "; ")), rec, secrets)
			e.fail(o, stage, e.redactCells(msg, row.Cells), 0, 0)
			continue
		}
		first, dup, err := seen.Add(o.key, row.Num)
		if err != nil {
			e.cfg.Log.Error("cannot track duplicate keys", "err", err)
			e.stop("temporary files unwritable")
		}
		if dup {
			o.dup = true
			e.fail(o, report.StageValidation, fmt.Sprintf("row %d: same %s as row %d (%q); only the first is sent", row.Num, keyCol, first, o.key), 0, 0)
			continue
		}
		o.secrets = secrets
		o.login = rec.String(e.desc.KeyField)
		var prior *Entry
		if e.cfg.Ledger != nil {
			ent, ok, err := e.cfg.Ledger.Get(o.key)
			if err != nil {
				e.stop("ledger unreadable")
				e.cfg.Log.Error("ledger unreadable", "err", err)
			} else if ok {
				prior = &ent
			}
		}
		if prior != nil {
			o.prior = *prior
		}
		if prior != nil && prior.Done() && !e.cfg.Recheck {
			o.status = providers.StatusSkipped
			o.vendorID = prior.VendorID
			o.secrets = nil
			e.out <- o
			continue
		}
		if sendCtx.Err() != nil {
			e.fail(o, report.StageNotAttempted, e.notAttemptedMsg(row.Num), 0, 0)
			continue
		}
		o.hadPrior = prior != nil
		ready = append(ready, job{o: o, rec: rec, lookupFirst: prior != nil || e.cfg.Recheck})
		// A full batch goes at once; a partial one after batchWait, so that
		// a fast reader makes full batches and a slow one still
		// keeps the workers busy.
		switch {
		case len(ready) >= size:
			timer.Stop()
			flush()
		case len(ready) == 1:
			timer.Reset(batchWait)
		}
	}
}

func (e *engine) notAttemptedMsg(row int) string {
	reason := "the run stopped"
	if s := e.stopped.Load(); s != nil {
		reason = "the run stopped: " + *s
	}
	return fmt.Sprintf("row %d: not sent, %s; run the job again to send it", row, reason)
}

func (e *engine) fail(o outcome, stage report.Stage, msg string, status, attempts int) {
	o.stage, o.err, o.http, o.attempts = stage, msg, status, attempts
	o.secrets = nil
	e.out <- o
}

// problems returns every problem of a mapped row: the mapping's, then the
// offline validation's of the fields that mapped, and the stage of the
// first ("" when there is none).
func (e *engine) problems(rec providers.Record, probs []mapping.Problem) ([]string, report.Stage) {
	var msgs []string
	var stage report.Stage
	var bad map[string]bool // nil for the clean row: no map to allocate
	for _, p := range probs {
		if bad == nil {
			bad = map[string]bool{}
		}
		msgs = append(msgs, p.Error())
		bad[p.Field] = true
		stage = report.StageMapping
	}
	errs := e.fields.Check(rec)
	errs = append(errs, e.cfg.Provider.Validate(rec, e.cfg.Options)...)
	for _, fe := range errs {
		if bad[fe.Field] {
			continue // already said by the mapping
		}
		cols := e.cfg.Plan.Columns(fe.Field)
		p := mapping.Problem{Field: fe.Field, Columns: cols, Msg: fe.Msg}
		msgs = append(msgs, p.Error())
		stage = cmp.Or(stage, report.StageValidation)
	}
	return msgs, stage
}

// redactCells removes the row's secret cells (a password column) from a
// message about the row.
func (e *engine) redactCells(msg string, cells []string) string {
	for i := range e.cfg.Plan.SecretColumns() {
		if i < len(cells) {
			for _, f := range secretForms(strings.TrimSpace(cells[i])) {
				msg = strings.ReplaceAll(msg, f, redacted)
			}
		}
	}
	return msg
}

// send creates one user, retrying what is worth retrying. lookupFirst asks
// the vendor before creating (a key left pending by a crash, or --recheck).
//
// Every request of the row (lookups as well as creates) draws from one
// budget of Attempts tries and one RowDeadline, so nothing loops for ever;
// a throttled try (429, or 503 with Retry-After) costs time, not a try.
// Every answer also feeds the run's breaker, which stops the run when the
// vendor has stopped answering.
func (e *engine) send(sendCtx, reqCtx context.Context, o outcome, rec providers.Record, lookupFirst bool) outcome {
	vendor := e.desc.Name
	var lastErr *providers.Error
	deadline := time.Now().Add(e.cfg.RowDeadline)
	tries := 0 // failed requests that count against Attempts
	for tries < e.cfg.Attempts {
		if time.Now().After(deadline) {
			note := fmt.Sprintf("gave up after %s (the row deadline)", e.cfg.RowDeadline)
			if lastErr != nil && (lastErr.HTTPStatus == 429 || lastErr.HTTPStatus == 503) {
				note = fmt.Sprintf("throttled for %s; the run was held back, not the row: run the job again, at a lower rate", e.cfg.RowDeadline)
			}
			return e.vendorFailure(o, lastErr, note)
		}
		probe, err := e.brk.acquire(sendCtx)
		if errors.Is(err, errTripped) {
			e.tripped()
			return e.interrupted(o, lastErr)
		}
		if err != nil {
			return e.interrupted(o, lastErr)
		}
		if err := e.pace.Wait(sendCtx); err != nil {
			if probe {
				_ = e.brk.result(true, true, "") // give the probe back
			}
			return e.interrupted(o, lastErr)
		}
		var pe *providers.Error
		e.inflight.Add(1)
		if lookupFirst {
			e.lookups.Add(1)
			res, found, err := e.cfg.Client.Lookup(reqCtx, rec)
			e.inflight.Add(-1)
			if err == nil {
				e.answered(probe)
				if found {
					o.status, o.vendorID, o.http = providers.StatusExists, res.VendorID, res.HTTPStatus
					if !o.unknownBefore {
						o.secrets = nil // our password was never set
					}
					return o
				}
				lookupFirst = false
				continue
			}
			pe = asProviderError(vendor, "lookup", err)
		} else {
			o.attempts++
			res, err := e.cfg.Client.Create(reqCtx, rec)
			e.inflight.Add(-1)
			if err == nil {
				e.answered(probe)
				o.status, o.vendorID, o.http = res.Status, res.VendorID, res.HTTPStatus
				if res.Status != providers.StatusCreated && !o.unknownBefore {
					o.secrets = nil
				}
				return o
			}
			pe = asProviderError(vendor, "create", err)
			if pe.Kind == providers.KindUnknown {
				// The vendor may have acted: never re-send blindly.
				o.unknownBefore = true
				lookupFirst = true
			}
		}
		lastErr = pe
		if sendCtx.Err() == nil {
			if err := e.brk.result(usable(pe), probe, pe.Error()); err != nil {
				e.tripped()
				return e.vendorFailure(o, pe, "")
			}
		} else if probe {
			_ = e.brk.result(true, true, "")
		}
		switch {
		case pe.Kind == providers.KindEndpoint:
			e.stop(redirectStop(vendor, pe))
			return e.vendorFailure(o, pe, "")
		case e.afterError(pe):
			return e.vendorFailure(o, pe, "")
		case pe.Kind == providers.KindRejected, pe.Kind == providers.KindAuth:
			return e.vendorFailure(o, pe, "")
		}
		if e.throttle(pe) {
			// The whole run slows down and pauses (the pacer); the row
			// spends time, not a try.
			continue
		}
		tries++
		if tries >= e.cfg.Attempts {
			break
		}
		if !e.wait(sendCtx, pe, tries, deadline) {
			return e.interrupted(o, lastErr)
		}
	}
	return e.vendorFailure(o, lastErr, "")
}

// throttle handles a 429 (or a 503 with Retry-After): a signal to the
// whole run, not to one worker. The pacer pauses every worker for the
// vendor's Retry-After and lowers the rate. It reports whether pe was a
// throttle. Any other answer with a status still tells the pacer that the
// vendor answered without asking to slow down.
func (e *engine) throttle(pe *providers.Error) bool {
	if pe.HTTPStatus == 429 || pe.HTTPStatus == 503 && pe.RetryAfter > 0 {
		e.retries.Add(1)
		e.throttled.Add(1)
		e.pace.Throttled(pe.RetryAfter)
		e.cfg.Log.Debug("throttled", "vendor", e.desc.Name, "retry_after", pe.RetryAfter, "rate", roundTenth(e.pace.Rate()))
		return true
	}
	if pe.HTTPStatus != 0 {
		e.pace.OK()
	}
	return false
}

func roundTenth(f float64) float64 { return math.Round(f*10) / 10 }

// redirectStop is why a run stops on a redirect: the endpoint is wrong, not
// the row. pe's message names the Location and what to fix.
func redirectStop(vendor string, pe *providers.Error) string {
	return fmt.Sprintf("%s answered %d, a redirect (never followed): %s", vendor, pe.HTTPStatus, pe.Message)
}

// answered records a usable answer: the credentials work and the vendor is
// there.
func (e *engine) answered(probe bool) {
	e.auths.Store(0)
	e.pace.OK()
	_ = e.brk.result(true, probe, "")
}

// tripped stops the run because the vendor stopped answering.
func (e *engine) tripped() {
	e.stop(fmt.Sprintf("%s is unreachable or failing: no usable answer for %s (last: %s); the endpoint or the vendor is down, not the data. Check the endpoint and the vendor's status page, then run the job again",
		e.desc.Name, e.cfg.BreakerWindow, e.brk.lastAnswer()))
}

// intend waits until the writer has made the pending state of a batch of
// rows durable, and marks what it wrote in each.
func (e *engine) intend(ctx context.Context, jobs []job) error {
	needed := e.cfg.Ledger != nil
	for i := range jobs {
		needed = needed || len(jobs[i].o.secrets) > 0
	}
	if !needed {
		return nil
	}
	ack := make(chan error, 1)
	select {
	case e.intents <- intent{jobs: jobs, ack: ack}:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once the writer has the intent it always answers; wait for it even if
	// ctx ends, so that a password on disk and its request stay in step.
	if err := <-ack; err != nil {
		return err
	}
	for i := range jobs {
		o := &jobs[i].o
		o.credWritten = len(o.secrets) > 0
		o.pendingWritten = e.cfg.Ledger != nil
	}
	return nil
}

// afterError counts refusals of the credentials and stops the run after
// AuthStop of them in a row. It reports whether the run is stopping.
func (e *engine) afterError(pe *providers.Error) bool {
	if pe.Kind != providers.KindAuth {
		return false
	}
	if int(e.auths.Add(1)) >= e.cfg.AuthStop {
		e.stop("credentials refused by " + e.desc.Name + " " + fmt.Sprint(e.cfg.AuthStop) + " times in a row")
		return true
	}
	return false
}

// wait sleeps before another try: the vendor's Retry-After (capped), or an
// exponential backoff with full jitter, never past the row's deadline. It
// returns false when the run stops meanwhile.
func (e *engine) wait(ctx context.Context, pe *providers.Error, attempt int, deadline time.Time) bool {
	e.retries.Add(1)
	d := pe.RetryAfter
	if d <= 0 {
		base := 500 * time.Millisecond << min(max(attempt, 1)-1, 8)
		d = base/2 + rand.N(base/2+1)
	}
	d = min(d, e.cfg.MaxWait, max(time.Until(deadline), 0))
	e.cfg.Log.Debug("retrying", "vendor", e.desc.Name, "after", d, "attempt", attempt, "err", e.redact(pe.Error(), nil, nil))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (e *engine) interrupted(o outcome, last *providers.Error) outcome {
	if o.attempts == 0 && !o.unknownBefore {
		o.stage, o.err = report.StageNotAttempted, e.notAttemptedMsg(o.row)
		o.secrets = nil
		return o
	}
	o.stage = report.StageVendor
	o.err = fmt.Sprintf("row %d: stopped after %d attempt(s)", o.row, o.attempts)
	if last != nil {
		o.err += "; last answer: " + last.Error()
		o.http = last.HTTPStatus
	}
	if o.unknownBefore {
		o.err += "; the vendor may have created the user: run the job again, it looks the user up before creating"
	}
	return o
}

func (e *engine) vendorFailure(o outcome, pe *providers.Error, note string) outcome {
	o.stage = report.StageVendor
	if pe == nil {
		o.err = fmt.Sprintf("row %d: %s: gave up", o.row, e.desc.Name)
		if note != "" {
			o.err += " " + note
		}
		if o.unknownBefore {
			o.err += "; the vendor may have created the user: run the job again, it looks the user up before creating"
		}
		return o
	}
	o.err = fmt.Sprintf("row %d: %s", o.row, pe.Error())
	if note != "" {
		o.err += "; " + note
	}
	if o.attempts > 1 {
		o.err += fmt.Sprintf(" (after %d attempts)", o.attempts)
	}
	if pe.Kind == providers.KindUnknown || o.unknownBefore {
		o.err += "; the vendor may have created the user: run the job again, it looks the user up before creating"
	}
	o.http = pe.HTTPStatus
	if !o.unknownBefore {
		o.secrets = nil
	}
	return o
}

func asProviderError(vendor, op string, err error) *providers.Error {
	if pe, ok := providers.AsError(err); ok {
		return pe
	}
	return &providers.Error{Vendor: vendor, Op: op, Kind: providers.KindUnknown, Message: err.Error(), Err: err}
}

// flushEvery is how long a finished row may wait in memory before it is
// written to the reports and the ledger. Rows are written as they finish;
// batching them over a few milliseconds saves a system call and a commit per
// row at full speed. A crash may lose that much of the reports, never a
// user: the ledger entry written before the create stays pending, and the
// next run looks it up.
const flushEvery = 50 * time.Millisecond

// write is the writer goroutine: the only code that touches the reports
// and the ledger.
func (e *engine) write(c *report.Counts) error {
	var failed error
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	dirty := false
	for {
		select {
		case o, ok := <-e.out:
			if !ok {
				timer.Stop()
				if failed == nil {
					failed = e.flush()
				}
				return failed
			}
			if failed != nil {
				continue // drain so that senders never block
			}
			failed = e.record(c, o)
			if !dirty {
				dirty = true
				timer.Reset(flushEvery)
			}
		case <-timer.C:
			dirty = false
			if failed == nil {
				failed = e.flush()
			}
		case in := <-e.intents:
			// Group commit: take every intent waiting, make them durable
			// together (with the outcomes buffered so far), then let all
			// their requests go.
			batch := []intent{in}
			for len(batch) < cap(e.intents) {
				select {
				case more := <-e.intents:
					batch = append(batch, more)
					continue
				default:
				}
				break
			}
			err := failed
			if err == nil {
				err = e.pending(batch)
			}
			for _, b := range batch {
				b.ack <- err
			}
			var le *ledgerError
			if err != nil && failed == nil && !errors.As(err, &le) {
				failed = err
			}
		}
	}
}

func (e *engine) pending(batch []intent) error {
	w := e.cfg.Reports
	led := e.ledger()
	if e.ledgerErr != nil {
		return e.ledgerErr // nothing is sent that the ledger cannot remember
	}
	creds := false
	for _, b := range batch {
		for _, j := range b.jobs {
			o := j.o
			if led != nil {
				if err := led.Pending(o.key, o.row); err != nil {
					return e.ledgerFailed(err)
				}
			}
			if len(o.secrets) > 0 {
				creds = true
				if err := w.WriteCredential(report.Credential{Row: o.row, SourceRow: o.src, Key: o.key, Cells: o.cells, Login: o.login, Secrets: o.secrets}); err != nil {
					return err
				}
			}
		}
	}
	if creds {
		if err := w.SyncCredentials(); err != nil {
			return err
		}
	}
	if led != nil {
		if err := led.Flush(); err != nil {
			return e.ledgerFailed(err)
		}
	}
	return nil
}

func (e *engine) flush() error {
	if err := e.cfg.Reports.Flush(); err != nil {
		return err
	}
	if led := e.ledger(); led != nil {
		if err := led.Flush(); err != nil {
			e.ledgerFailed(err)
		}
	}
	return nil
}

// ledgerError is a failure of the ledger, not of the reports: the run
// stops sending, but every row still goes to the reports.
type ledgerError struct{ err error }

func (e *ledgerError) Error() string { return e.err.Error() }
func (e *ledgerError) Unwrap() error { return e.err }

// ledger returns the run's ledger, or nil when there is none or it failed.
// Writer goroutine only.
func (e *engine) ledger() Ledger {
	if e.ledgerErr != nil {
		return nil
	}
	return e.cfg.Ledger
}

// ledgerFailed stops the run: what the ledger cannot remember must not be
// sent. Writer goroutine only.
func (e *engine) ledgerFailed(err error) error {
	if e.ledgerErr == nil {
		e.ledgerErr = &ledgerError{err}
		e.cfg.Log.Error("ledger unwritable: stopping", "err", err)
		e.stop("the ledger could not be written: " + err.Error())
	}
	return e.ledgerErr
}

// record writes one finished row.
func (e *engine) record(c *report.Counts, o outcome) error {
	w := e.cfg.Reports
	c.Rows++
	var err error
	if o.credWritten && len(o.secrets) == 0 {
		// The password was written before sending but never set.
		w.DropCredential(o.row)
	}
	switch {
	case o.stage == "":
		switch o.status {
		case providers.StatusCreated:
			c.Created++
		case providers.StatusExists:
			c.Exists++
		case providers.StatusSkipped:
			c.Skipped++
		}
		err = w.WriteSuccess(report.Success{Row: o.row, Seq: o.seq, Input: o.input, Credentials: o.credFile(""), SourceRow: o.src, Cells: o.cells, Status: string(o.status), VendorID: o.vendorID, Attempts: o.attempts})
	default:
		known := false
		if o.stage == report.StageNotAttempted {
			c.NotAttempted++
		} else {
			c.Failed++
			if led := e.ledger(); led != nil {
				key := o.key
				if o.dup {
					key = "" // the key is the first row's, not this one's
				}
				var lerr error
				if known, lerr = led.Failure(key, o.cells, o.err); lerr != nil {
					e.ledgerFailed(lerr)
				}
			}
			if known {
				c.FailedKnown++
			} else {
				c.FailedNew++
			}
			e.cfg.Log.Warn("row failed", "row", o.row, "key", o.key, "stage", string(o.stage), "known", known, "err", o.err)
		}
		err = w.WriteFailure(report.Failure{Row: o.row, Seq: o.seq, Input: o.input, Known: known, SourceRow: o.src, Cells: o.cells, Stage: o.stage, Error: o.err, HTTPStatus: o.http, Attempts: o.attempts})
	}
	if led := e.ledger(); err == nil && led != nil && o.key != "" && !o.dup {
		var lerr error
		switch {
		case o.stage == report.StageNotAttempted:
			// Made pending in a batch but never sent: nothing to look up
			// next time, unless the key was pending before this run.
			if o.pendingWritten && !o.hadPrior && o.attempts == 0 && !o.unknownBefore {
				lerr = led.Forget(o.key)
			}
		case o.status != providers.StatusSkipped:
			lerr = led.Record(o.key, o.row, o.stage, o.status, o.vendorID, o.http, o.err, o.credRun())
		}
		if lerr != nil {
			e.ledgerFailed(lerr)
		}
	}
	if err == nil && e.cfg.Progress != nil {
		done, size := e.cfg.Source.Progress()
		e.cfg.Progress.Row(*c, done, size)
	}
	return err
}

func cellAt(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}
