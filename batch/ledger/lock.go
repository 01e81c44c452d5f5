package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Lock is the exclusive hold of one run on its job's ledger. It is an OS
// file lock (flock on Unix, LockFileEx on Windows) on a file beside the
// database, so it dies with the process: a run killed by SIGKILL or a power
// cut never blocks the next one, as a pid file would.
//
// The lock file also says who holds it (pid, host, start time), for the
// message a second run prints; that text is informative only, the OS lock
// is what excludes.
type Lock struct {
	fl   *flock.Flock
	path string
}

// Holder describes the run that holds a lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command,omitempty"`
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (its details could not be read)"
	}
	return fmt.Sprintf("pid %d on %s, started %s", h.PID, h.Host, h.Started.UTC().Format(time.RFC3339))
}

// LockedError is returned by Acquire when another run holds the lock.
type LockedError struct {
	Ledger string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another run of this job is in progress (%s) and holds the ledger %s; nothing was sent. Wait for it to finish, or stop it; a crashed run never holds the lock", e.Holder, e.Ledger)
}

// LockPath is the lock file of the ledger at path.
func LockPath(ledgerPath string) string { return ledgerPath + ".lock" }

// Acquire takes the exclusive lock of the ledger at ledgerPath without
// waiting. It returns a *LockedError when another process holds it.
func Acquire(ledgerPath string, now time.Time) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(ledgerPath), 0o700); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", ledgerPath, err)
	}
	path := LockPath(ledgerPath)
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("ledger %s: cannot lock %s: %w", ledgerPath, path, err)
	}
	if !ok {
		return nil, &LockedError{Ledger: ledgerPath, Holder: readHolder(path)}
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Started: now.UTC(), Command: strings.Join(os.Args, " ")}
	if b, err := json.Marshal(h); err == nil {
		// Best effort: the text only feeds the message of a second run.
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
			_, _ = f.Write(append(b, '\n'))
			f.Close()
		}
	}
	return &Lock{fl: fl, path: path}, nil
}

func readHolder(path string) Holder {
	var h Holder
	b, err := os.ReadFile(path)
	if err != nil {
		return h
	}
	if json.Unmarshal(b, &h) != nil {
		return Holder{}
	}
	return h
}

// Release gives the lock up. The file stays: removing it would let a third
// run lock a new file while a second one still waits on the old one.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return l.fl.Close()
}

// ErrReplaced means the ledger file was deleted or replaced while a run
// held it: outcomes written from then on would land nowhere.
var ErrReplaced = errors.New("the ledger file was deleted or replaced while this run held it")
