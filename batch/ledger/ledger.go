// Package ledger keeps, per job, what happened to every key across runs, in
// an SQLite database (pure Go, WAL mode) that any SQLite tool can read. It is
// the source of truth for resuming after a crash and for nightly runs that
// must create only the new hires.
//
// A run never writes the users table while it goes: a table keyed by e-mail
// address would take nearly every row to a different page. It appends
// instead, in two shapes:
//
//   - "about to send" (pending) goes into the pending table, one row per
//     commit holding the whole batch's keys as a JSON array. It is only read
//     after a crash, so it costs one insert per commit, not one per key.
//   - Outcomes (and "never sent after all") go into the events table, one
//     row each.
//
// A clean Close folds the events into users, in key order, and drops the
// pending batches: by then every pending key has an outcome (or is written
// as a pending event, when it has none). The next Open after a crash folds
// both, pending batches first.
//
// Writes are buffered and committed together (group commit): the pipeline
// commits before any create is sent, and otherwise every few milliseconds.
package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
  updated_at  TEXT NOT NULL,    -- RFC 3339, UTC
  cred_run    INTEGER NOT NULL DEFAULT 0 -- the run whose credentials.csv holds the password in effect; 0: none known
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending ( -- the running run's "about to send", one row per commit
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  updated_at  TEXT NOT NULL,
  keys        TEXT NOT NULL     -- JSON: [[row, "key"], ...]
);
CREATE TABLE IF NOT EXISTS events (  -- the running run's outcomes, folded into users
  id          INTEGER PRIMARY KEY,
  key         TEXT NOT NULL,
  status      TEXT NOT NULL,    -- as users.status, or forget
  vendor_id   TEXT NOT NULL DEFAULT '',
  row         INTEGER NOT NULL,
  run_id      INTEGER NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL,
  cred_run    INTEGER NOT NULL DEFAULT 0
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
  not_attempted INTEGER NOT NULL DEFAULT 0,
  credentials TEXT NOT NULL DEFAULT '' -- this run's credentials.csv, '' when it generated no password
);
`

// upsertSQL is how an entry lands on a key users already holds: a failure
// or a pending create never hides that a user exists.
const upsertSQL = `
ON CONFLICT(key) DO UPDATE SET
  status = CASE WHEN users.status IN ('created', 'exists') AND excluded.status IN ('failed', 'pending') THEN users.status ELSE excluded.status END,
  vendor_id = CASE WHEN excluded.vendor_id <> '' THEN excluded.vendor_id ELSE users.vendor_id END,
  row = excluded.row, run_id = excluded.run_id, http_status = excluded.http_status,
  error = excluded.error, updated_at = excluded.updated_at,
  cred_run = CASE WHEN excluded.cred_run <> 0 THEN excluded.cred_run ELSE users.cred_run END;
`

// recoverSQL makes the keys of a crashed run's pending batches pending in
// users; the events folded after it then say what became of them.
const recoverSQL = `
INSERT INTO users(key, status, vendor_id, row, run_id, http_status, error, updated_at)
  SELECT k.value ->> 1, 'pending', '', k.value ->> 0, p.run_id, 0, '', p.updated_at
  FROM pending p, json_each(p.keys) k WHERE true ORDER BY 1, p.id
` + upsertSQL + `
DELETE FROM pending;
`

// foldSQL moves the events into users, per key in the order they happened,
// and removes the pending entries of keys this run never sent.
const foldSQL = `
INSERT INTO users(key, status, vendor_id, row, run_id, http_status, error, updated_at, cred_run)
  SELECT key, status, vendor_id, row, run_id, http_status, error, updated_at, cred_run
  FROM events WHERE status <> 'forget' ORDER BY key, id
` + upsertSQL + `
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
	conn    *sql.Conn
	append  *sql.Stmt // one event
	bulk    *sql.Stmt // chunk events
	pending *sql.Stmt // one batch of pending keys
	buf     []entry   // outcomes and forgets not yet committed
	keys    []byte    // pending keys not yet committed, as a JSON array under way
	// inflight holds the keys made pending and not yet given an outcome (at
	// most the rows in flight): Close writes them as pending events, so
	// the pending batches can be dropped.
	inflight map[string]int
	now      func() time.Time

	// fails are failures not yet committed; noFailures: the failures table
	// was empty when opened, so no failure can be known.
	fails      []failure
	noFailures bool
	getFailure *sql.Stmt
	// file is the database file as opened: a file deleted or replaced
	// under a running run is noticed at the next commit.
	file os.FileInfo
}

type entry struct {
	key, status, vendorID, msg string
	row, http                  int
	credRun                    int64
}

// chunk is how many events one statement appends.
const chunk = 32

func appendSQL(rows int, runID int64) string {
	// The run id is a literal: one value fewer to bind per row. (Sharing
	// one numbered parameter for the time costs more than it saves: the
	// driver then looks every parameter up by name.)
	var b strings.Builder
	b.WriteString(`INSERT INTO events(key, status, vendor_id, row, http_status, error, cred_run, run_id, updated_at) VALUES `)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(?, ?, ?, ?, ?, ?, ?, %d, ?)", runID)
	}
	return b.String()
}

// perEvent is how many values one event binds.
const perEvent = 8

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
	l := &Ledger{db: db, path: path, now: time.Now, inflight: make(map[string]int)}
	if err := l.open(provider, endpoint); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

func (l *Ledger) open(provider, endpoint string) error {
	ctx := context.Background()
	if _, err := l.db.Exec(Schema + failuresSchema); err != nil {
		return fmt.Errorf("%w (is it an onboard ledger?)", err)
	}
	if err := l.migrate(); err != nil {
		return err
	}
	var err error
	if l.conn, err = l.db.Conn(ctx); err != nil {
		return err
	}
	if err := l.fold(ctx, recoverSQL+foldSQL); err != nil {
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
	if err := l.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM failures LIMIT 1)`).Scan(&n); err != nil {
		return err
	}
	l.noFailures = n == 0
	if l.getFailure, err = l.db.Prepare(`SELECT fingerprint, error FROM failures WHERE id = ?`); err != nil {
		return err
	}
	if l.file, err = os.Stat(l.path); err != nil {
		return err
	}
	if l.get, err = l.db.Prepare(`SELECT u.status, u.vendor_id, u.row, u.run_id, COALESCE(c.credentials, ''), COALESCE(r.credentials, '')
  FROM users u LEFT JOIN runs c ON c.id = u.cred_run LEFT JOIN runs r ON r.id = u.run_id WHERE u.key = ?`); err != nil {
		return err
	}
	if l.append, err = l.conn.PrepareContext(ctx, appendSQL(1, l.runID)); err != nil {
		return err
	}
	if l.bulk, err = l.conn.PrepareContext(ctx, appendSQL(chunk, l.runID)); err != nil {
		return err
	}
	l.pending, err = l.conn.PrepareContext(ctx, `INSERT INTO pending(run_id, updated_at, keys) VALUES(?, ?, ?)`)
	return err
}

// fold runs the folding statements in one transaction.
func (l *Ledger) fold(ctx context.Context, stmts string) error {
	if _, err := l.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := l.conn.ExecContext(ctx, stmts); err != nil {
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
	err := l.get.QueryRow(Key(key)).Scan(&e.Status, &e.VendorID, &e.Row, &e.RunID, &e.Credentials, &e.RunCredentials)
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
	key = Key(key)
	l.inflight[key] = row
	if len(l.keys) == 0 {
		l.keys = append(l.keys, '[')
	} else {
		l.keys = append(l.keys, ',')
	}
	l.keys = append(l.keys, '[')
	l.keys = strconv.AppendInt(l.keys, int64(row), 10)
	l.keys = append(l.keys, ',')
	l.keys = appendJSONString(l.keys, key)
	l.keys = append(l.keys, ']')
	return nil
}

// appendJSONString appends s as a JSON string. encoding/json is used only
// for the rare key that needs escaping.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // cannot fail for a string
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Record buffers a row's outcome. A row failed before the network
// (mapping, validation) is not recorded: it never reached the vendor.
// credRun says whose credentials.csv holds the user's password in effect:
// batch.CredThisRun, an earlier run's id, or 0 (none of ours, or not
// known).
func (l *Ledger) Record(key string, row int, stage report.Stage, status providers.Status, vendorID string, http int, msg string, credRun int64) error {
	if credRun == batch.CredThisRun {
		credRun = l.runID
	}
	e := entry{key: Key(key), row: row, vendorID: vendorID, http: http, credRun: credRun}
	delete(l.inflight, e.key)
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
	key = Key(key)
	delete(l.inflight, key)
	l.buf = append(l.buf, entry{key: key, status: "forget"})
	return nil
}

// Flush commits the buffered entries in one transaction of appends. It
// fails with ErrReplaced when the database file is no longer the one
// opened (deleted, or replaced by another file).
func (l *Ledger) Flush() error {
	if len(l.buf) == 0 && len(l.keys) == 0 && len(l.fails) == 0 {
		return nil
	}
	if err := l.checkFile(); err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := l.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	now := l.stamp()
	var err error
	if len(l.keys) > 0 {
		l.keys = append(l.keys, ']')
		_, err = l.pending.ExecContext(ctx, l.runID, now, l.keys)
	}
	args := make([]any, 0, perEvent*chunk)
	for i := 0; i < len(l.buf) && err == nil; {
		n := 1
		st := l.append
		if i+chunk <= len(l.buf) {
			n, st = chunk, l.bulk
		}
		args = args[:0]
		for _, e := range l.buf[i : i+n] {
			args = append(args, e.key, e.status, e.vendorID, e.row, e.http, e.msg, e.credRun, now)
		}
		_, err = st.ExecContext(ctx, args...)
		i += n
	}
	if err == nil && len(l.fails) > 0 {
		err = l.flushFailures(ctx, now)
	}
	if err != nil {
		_, _ = l.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if _, err := l.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	l.buf = l.buf[:0]
	l.keys = l.keys[:0]
	return nil
}

// SetCredentialsFile records where this run writes the passwords it
// generates, so that a later run (and onboard status) can name the file
// whose password is in effect for each user.
func (l *Ledger) SetCredentialsFile(path string) error {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	_, err := l.conn.ExecContext(context.Background(), `UPDATE runs SET credentials = ? WHERE id = ?`, path, l.runID)
	return err
}

// migrate adds the columns a ledger of an older onboard lacks.
func (l *Ledger) migrate() error {
	for _, c := range []struct{ table, column, def string }{
		{"users", "cred_run", "INTEGER NOT NULL DEFAULT 0"},
		{"events", "cred_run", "INTEGER NOT NULL DEFAULT 0"},
		{"runs", "credentials", "TEXT NOT NULL DEFAULT ''"},
	} {
		var n int
		if err := l.db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := l.db.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.column + ` ` + c.def); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFile reports ErrReplaced when the path no longer names the file
// this ledger opened.
func (l *Ledger) checkFile() error {
	fi, err := os.Stat(l.path)
	if err != nil || !os.SameFile(fi, l.file) {
		return fmt.Errorf("ledger %s: %w", l.path, ErrReplaced)
	}
	return nil
}

// Finish records the run's counts.
func (l *Ledger) Finish(c report.Counts) error {
	_, err := l.conn.ExecContext(context.Background(), `UPDATE runs SET finished_at = ?, created = ?, existed = ?, skipped = ?, failed = ?, not_attempted = ? WHERE id = ?`,
		l.stamp(), c.Created, c.Exists, c.Skipped, c.Failed, c.NotAttempted, l.runID)
	return err
}

// Close flushes, folds this run's events into users and closes the
// database. A key still pending (sent, no outcome recorded) becomes a
// pending event first, so this run's pending batches can be dropped
// unread. Closing without folding (a crash) loses nothing: the next Open
// folds.
func (l *Ledger) Close() error {
	open := make([]string, 0, len(l.inflight))
	for k := range l.inflight {
		open = append(open, k)
	}
	sort.Strings(open)
	for _, k := range open {
		l.buf = append(l.buf, entry{key: k, status: batch.LedgerPending, row: l.inflight[k]})
	}
	err := l.Flush()
	for _, st := range []*sql.Stmt{l.get, l.append, l.bulk, l.pending, l.getFailure} {
		if st != nil {
			st.Close()
		}
	}
	if err == nil && l.conn != nil {
		err = l.fold(context.Background(), `DELETE FROM pending WHERE run_id = `+strconv.FormatInt(l.runID, 10)+`;`+foldSQL)
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
