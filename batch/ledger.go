package batch

import (
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
)

// Ledger remembers, across runs, what happened to each key. The writer
// goroutine is its only user, so implementations need no locking of their
// own; they should buffer Record calls and make them durable in Flush
// (group commit).
type Ledger interface {
	// Get returns what earlier runs recorded of key. (The pipeline never
	// asks about a key it wrote itself in this run: a key repeated within
	// one file fails before it reaches the ledger.)
	Get(key string) (Entry, bool, error)
	// Pending records that a create for key is about to be sent. It must be
	// durable once Flush returns, before the request goes out: a crash then
	// leaves the key pending, and the next run looks it up first.
	Pending(key string, row int) error
	// Record records a row's outcome; credRun says whose credentials.csv
	// holds the password in effect (CredThisRun, an earlier run's id from
	// Entry.RunID, or 0 for none known).
	Record(key string, row int, stage report.Stage, status providers.Status, vendorID string, http int, msg string, credRun int64) error
	// Forget removes a key this run made pending but never sent.
	Forget(key string) error
	// Failure records that a row failed and reports whether an earlier run
	// saw the same failure (same key, or same cells when key is "", same
	// cells, same error): a known failure, which --fail-on new forgives.
	Failure(key string, cells []string, msg string) (known bool, err error)
	// Flush makes everything recorded so far durable.
	Flush() error
}

// Ledger statuses besides the providers' (created, exists).
const (
	LedgerPending = "pending"
	LedgerFailed  = "failed"
)

// Entry is what a ledger knows of one key.
type Entry struct {
	Status   string
	VendorID string
	Row      int
	// RunID is the run that last wrote the key; RunCredentials that run's
	// credentials.csv ("" if it generated no password). For a key left
	// pending by a crash, that file holds the password the lost create
	// may have set.
	RunID          int64
	RunCredentials string
	// Credentials is the credentials.csv holding the user's password in
	// effect, when a run of ours set it.
	Credentials string
}

// CredThisRun stands for the running run in Ledger.Record's credRun.
const CredThisRun = -1

// Done reports whether the key needs nothing more: the user is there.
func (e Entry) Done() bool {
	return e.Status == string(providers.StatusCreated) || e.Status == string(providers.StatusExists)
}
