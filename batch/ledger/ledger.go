// Package ledger keeps, per job, what happened to every key across runs, in
// an SQLite database (pure Go, WAL mode) that any SQLite tool can read. It is
// the source of truth for resuming after a crash and for nightly runs that
// must create only the new hires.
//
// A run appends what happens to an events table: appends touch only the
// last pages of the file, so a commit of 64 rows writes a few pages instead
// of one page per row (a table keyed by e-mail address would take each row
// to a different page). The events are folded into the users table, in key
// order, when the run closes the ledger, and by the next Open after a crash.
// Writes are buffered and committed together (group commit): the pipeline
// commits before any create is sent, and otherwise every few milliseconds.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/onboardhq/onboard/batch"
	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
)

// Schema is the ledger's layout; the README documents it.
const Schema = `
CREATE TABLE IF NOT EXISTS users (
  key         TEXT PRIMARY KEY, -- the job's key column, trimmed and lower-cased
  status      TEXT NOT NULL,    -- pending, created, exists, failed
  vendor_id   TEXT NOT NULL DEFAULT '',
  row         INTEGER NOT NULL, -- spreadsheet row in the run that wrote it
  run_id      INTEGER NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL     -- RFC 3339, UTC
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (  -- the running run's writes, folded into users
  id          INTEGER PRIMARY KEY,
  key         TEXT NOT NULL,
  status      TEXT NOT NULL,    -- as users.status, or forget
  vendor_id   TEXT NOT NULL DEFAULT '',
  row         INTEGER NOT NULL,
  run_id      INTEGER NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id          INTEGER PRIMARY KEY,
  provider    TEXT NOT NULL,
  endpoint    TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  created     INTEGER NOT NULL DEFAULT 0,
  existed     INTEGER NOT NULL DEFAULT 0,
  skipped     INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  not_attempted INTEGER NOT NULL DEFAULT 0
);
`

// foldSQL moves the events into users, per key in the order they happened.
// A failure or a pending create never hides that a user exists.
const foldSQL = `
INSERT INTO users(key, status, vendor_id, row, run_id, http_status, error, updated_at)
  SELECT key, status, vendor_id, row, run_id, http_status, error, updated_at
  FROM events WHERE status <> 'forget' ORDER BY key, id
ON CONFLICT(key) DO UPDATE SET
  status = CASE WHEN users.status IN ('created', 'exists') AND excluded.status IN ('failed', 'pending') THEN users.status ELSE excluded.status END,
  vendor_id = CASE WHEN excluded.vendor_id <> '' THEN excluded.vendor_id ELSE users.vendor_id END,
  row = excluded.row, run_id = excluded.run_id, http_status = excluded.http_status,
  error = excluded.error, updated_at = excluded.updated_at;
DELETE FROM users WHERE status = 'pending' AND EXISTS (
  SELECT 1 FROM events f WHERE f.status = 'forget' AND f.key = users.key AND f.run_id = users.run_id);
DELETE FROM events;
`

// Ledger is an open ledger database. Get may be called from any goroutine;
// Pending, Record, Forget and Flush from one (the pipeline's writer).
type Ledger struct {
	db    *sql.DB
	path  string
	runID int64
	get   *sql.Stmt
	// empty: the ledger held no key when opened, so Get needs no query.
	empty bool
	// conn is the one connection that writes, with its statements
	// prepared once.
	conn   *sql.Conn
	append *sql.Stmt // one event
	bulk   *sql.Stmt // chunk events
	buf    []entry
	now    func() time.Time
}

type entry struct {
	key, status, vendorID, msg string
	row, http                  int
}

// chunk is how many events one statement appends.
const chunk = 32

func appendSQL(rows int) string {
	vals := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
	return `INSERT INTO events(key, status, vendor_id, row, run_id, http_status, error, updated_at) VALUES ` + vals
}

// Open opens (creating if needed) the ledger at path, folds in what a
// crashed run left, and starts a run.
func Open(path, provider, endpoint string) (*Ledger, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("ledger %s: %w", path, err)
		}
	}
	// Create the file 0600 before SQLite does: it holds personal data.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	l := &Ledger{db: db, path: path, now: time.Now}
	if err := l.open(provider, endpoint); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

func (l *Ledger) open(provider, endpoint string) error {
	ctx := context.Background()
	if _, err := l.db.Exec(Schema); err != nil {
		return fmt.Errorf("%w (is it an onboard ledger?)", err)
	}
	var err error
	if l.conn, err = l.db.Conn(ctx); err != nil {
		return err
	}
	if err := l.fold(ctx); err != nil {
		return err
	}
	res, err := l.conn.ExecContext(ctx, `INSERT INTO runs(provider, endpoint, started_at) VALUES(?, ?, ?)`, provider, endpoint, l.stamp())
	if err != nil {
		return err
	}
	l.runID, _ = res.LastInsertId()
	var n int
	if err := l.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1)`).Scan(&n); err != nil {
		return err
	}
	l.empty = n == 0
	if l.get, err = l.db.Prepare(`SELECT status, vendor_id, row FROM users WHERE key = ?`); err != nil {
		return err
	}
	if l.append, err = l.conn.PrepareContext(ctx, appendSQL(1)); err != nil {
		return err
	}
	l.bulk, err = l.conn.PrepareContext(ctx, appendSQL(chunk))
	return err
}

// fold moves the events into users in one transaction.
func (l *Ledger) fold(ctx context.Context) error {
	if _, err := l.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := l.conn.ExecContext(ctx, foldSQL); err != nil {
		_, _ = l.conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err := l.conn.ExecContext(ctx, "COMMIT")
	return err
}

// OpenReadOnly opens an existing ledger for `onboard status`.
func OpenReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no ledger at %s (a run creates it)", path)
	}
	return sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
}

func (l *Ledger) stamp() string { return l.now().UTC().Format(time.RFC3339) }

// Path returns the database file.
func (l *Ledger) Path() string { return l.path }

// Key normalises a key the way the ledger stores it.
func Key(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

// Get returns what earlier runs recorded of key (see batch.Ledger): the
// users table, which this run's events reach only when it closes.
func (l *Ledger) Get(key string) (batch.Entry, bool, error) {
	var e batch.Entry
	if l.empty {
		return e, false, nil
	}
	err := l.get.QueryRow(Key(key)).Scan(&e.Status, &e.VendorID, &e.Row)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return e, true, nil
}

// Pending buffers "a create for key is about to be sent".
func (l *Ledger) Pending(key string, row int) error {
	l.buf = append(l.buf, entry{key: Key(key), status: batch.LedgerPending, row: row})
	return nil
}

// Record buffers a row's outcome. A row failed before the network
// (mapping, validation) is not recorded: it never reached the vendor.
func (l *Ledger) Record(key string, row int, stage report.Stage, status providers.Status, vendorID string, http int, msg string) error {
	e := entry{key: Key(key), row: row, vendorID: vendorID, http: http}
	switch {
	case stage == "":
		e.status = string(status)
	case stage == report.StageVendor:
		e.status = batch.LedgerFailed
		e.msg = msg
		if strings.Contains(msg, "may have created the user") {
			e.status = batch.LedgerPending // outcome unknown: look it up next time
		}
	default:
		return nil
	}
	l.buf = append(l.buf, e)
	return nil
}

// Forget buffers the removal of a key this run made pending but never
// sent (only a pending entry of this run is removed).
func (l *Ledger) Forget(key string) error {
	l.buf = append(l.buf, entry{key: Key(key), status: "forget"})
	return nil
}

// Flush commits the buffered entries in one transaction of appends.
func (l *Ledger) Flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	ctx := context.Background()
	if _, err := l.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	now := l.stamp()
	args := make([]any, 0, 8*chunk)
	var err error
	for i := 0; i < len(l.buf) && err == nil; {
		n := 1
		st := l.append
		if i+chunk <= len(l.buf) {
			n, st = chunk, l.bulk
		}
		args = args[:0]
		for _, e := range l.buf[i : i+n] {
			args = append(args, e.key, e.status, e.vendorID, e.row, l.runID, e.http, e.msg, now)
		}
		_, err = st.ExecContext(ctx, args...)
		i += n
	}
	if err != nil {
		_, _ = l.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if _, err := l.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	l.buf = l.buf[:0]
	return nil
}

// Finish records the run's counts.
func (l *Ledger) Finish(c report.Counts) error {
	_, err := l.conn.ExecContext(context.Background(), `UPDATE runs SET finished_at = ?, created = ?, existed = ?, skipped = ?, failed = ?, not_attempted = ? WHERE id = ?`,
		l.stamp(), c.Created, c.Exists, c.Skipped, c.Failed, c.NotAttempted, l.runID)
	return err
}

// Close flushes, folds this run's events into users and closes the
// database. Closing without folding (a crash) loses nothing: the next Open
// folds.
func (l *Ledger) Close() error {
	err := l.Flush()
	for _, st := range []*sql.Stmt{l.get, l.append, l.bulk} {
		if st != nil {
			st.Close()
		}
	}
	if err == nil && l.conn != nil {
		err = l.fold(context.Background())
	}
	if l.conn != nil {
		l.conn.Close()
	}
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}
