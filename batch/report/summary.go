package report

import (
	"encoding/json"
	"time"
)

// Counts are the row totals of a run.
type Counts struct {
	Rows         int `json:"rows"`
	Created      int `json:"created"`
	Exists       int `json:"exists"`
	Skipped      int `json:"skipped"`
	Failed       int `json:"failed"`
	NotAttempted int `json:"not_attempted"`
	// FailedNew and FailedKnown split Failed: a known failure is one an
	// earlier run of the job saw unchanged (same person, same cells, same
	// error); without a ledger every failure is new. WriteSummary makes
	// FailedNew Failed - FailedKnown, so an engine may count only the
	// known ones.
	FailedNew   int `json:"failed_new"`
	FailedKnown int `json:"failed_known"`
}

// Summary is summary.json: what a cron job or a script reads. It is
// written for every run that got as far as reading its job, the runs that
// sent nothing (exit 2) included, so that a wrapper always has one file to
// read. The JSON names are stable; fields may be added, never renamed.
type Summary struct {
	// Provider is the vendor's provider name (cognigy, scim, ...).
	Provider string `json:"provider"`
	// Job is the job file's path.
	Job string `json:"job,omitempty"`
	// Input is the input's name as given (a path, or "standard input").
	Input string `json:"input"`
	// Encoding and Delimiter are the input's, as read or as given.
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	// Endpoint is the vendor's base URL.
	Endpoint string `json:"endpoint,omitempty"`
	// Sandbox: the run talked to the built-in fake, not to the vendor.
	Sandbox bool `json:"sandbox"`
	// Rate is the job's rate (requests per second for all workers; 0 no
	// limit) and Concurrency its requests in flight.
	Rate        float64 `json:"rate"`
	RateAuto    bool    `json:"rate_auto,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// SettledRate is the rate the adaptive pacer settled at, below Rate
	// when the vendor throttled; 0 when not measured.
	SettledRate float64   `json:"settled_rate,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Seconds     float64   `json:"seconds"`
	Counts      Counts    `json:"counts"`
	// FailedNew and FailedKnown repeat counts.failed_new and
	// counts.failed_known at the top, where a wrapper deciding on
	// --fail-on new looks first. WriteSummary fills them.
	FailedNew   int `json:"failed_new"`
	FailedKnown int `json:"failed_known"`
	// Requests are the HTTP requests sent; Retries the tries after a
	// row's first; Throttled the answers that asked to slow down (429, or
	// 503 with Retry-After); Lookups the requests asking whether a user
	// exists.
	Requests  int64 `json:"requests"`
	Retries   int64 `json:"retries"`
	Throttled int64 `json:"throttled"`
	Lookups   int64 `json:"lookups"`
	// Stopped says why a run that sent requests ended early
	// ("interrupted", "credentials refused", "vendor unreachable", ...).
	Stopped string `json:"stopped,omitempty"`
	// Stage and Error say where and why a run ended before sending
	// anything (exit 2 or 4): "job", "input", "mapping", "endpoint",
	// "credentials", "ledger", "lock", "reports".
	Stage string `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	// FailOn is the failure policy the exit code followed: "any" or "new".
	FailOn string `json:"fail_on,omitempty"`
	// InFlight is how many requests were on the wire when the run was
	// told to stop (interrupted, or the vendor down).
	InFlight int64 `json:"in_flight,omitempty"`
	// Reports maps a kind (success, failures, credentials, summary, html,
	// ledger) to its path.
	Reports map[string]string `json:"reports"`
	// ExitCode is the process's exit code: 0 every row created or already
	// there, 1 some rows failed, 2 nothing sent, 3 stopped early, 4
	// another run of the job was in progress.
	ExitCode int `json:"exit_code"`
}

// Second is one second of a run's sending, for report.html's chart.
type Second struct {
	// At is the start of the second.
	At time.Time
	// Requests are the requests sent in it, Throttled the answers that
	// asked to slow down, Retries the requests that were a row's retry.
	Requests, Throttled, Retries int
}

// Timeline is a run's sending, one Second per second from the first
// request (seconds without a request may be left out).
type Timeline []Second

// WriteSummary writes summary.json at path: whole (a temporary file
// synced, then linked into place), mode 0600, never over an existing file
// and never through a symlink. It fills Counts.FailedNew and Seconds.
func WriteSummary(path string, s Summary) error {
	s.Counts.FailedNew = max(0, s.Counts.Failed-s.Counts.FailedKnown)
	s.FailedNew, s.FailedKnown = s.Counts.FailedNew, s.Counts.FailedKnown
	if s.Seconds == 0 && !s.Started.IsZero() && s.Finished.After(s.Started) {
		s.Seconds = s.Finished.Sub(s.Started).Seconds()
	}
	if s.Reports == nil {
		s.Reports = map[string]string{}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return publish(path, append(data, '\n'))
}
