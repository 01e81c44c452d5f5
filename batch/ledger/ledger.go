// Package ledger keeps, per job, what happened to every key across runs, in
// an SQLite database (pure Go, WAL mode) that any SQLite tool can read. It is
// the source of truth for resuming after a crash and for nightly runs that
// must create only the new hires.
//
// Writes are buffered and committed together (group commit): the pipeline
// calls Flush whenever its queue is empty and before any create is sent, so
// a run at full speed commits many rows per transaction.
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

// Ledger is an open ledger database. Get may be called from any goroutine;
// Pending, Record and Flush from one (the pipeline's writer).
type Ledger struct {
	db    *sql.DB
	path  string
	runID int64
	get   *sql.Stmt
	// empty: the ledger held no key when opened, so Get needs no query
	// (a first run reads nothing but its own writes, which it never asks
	// about: duplicate keys within a file are caught before).
	empty bool
	// conn is the one connection that writes, with its statements
	// prepared once.
	conn   *sql.Conn
	upsert *sql.Stmt // one entry
	bulk   *sql.Stmt // chunk entries
	forget *sql.Stmt
	buf    []entry
	now    func() time.Time
}

type entry struct {
	key, status, vendorID, msg string
	row, http                  int
	forget                     bool
}

// chunk is how many entries one upsert statement writes: one statement
// per 32 rows instead of one per row.
const chunk = 32

func upsertSQL(rows int) string {
	vals := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
	return `INSERT INTO users(key, status, vendor_id, row, run_id, http_status, error, updated_at)
VALUES ` + vals + `
ON CONFLICT(key) DO UPDATE SET
  status = CASE WHEN users.status IN ('created', 'exists') AND excluded.status IN ('failed', 'pending') THEN users.status ELSE excluded.status END,
  vendor_id = CASE WHEN excluded.vendor_id <> '' THEN excluded.vendor_id ELSE users.vendor_id END,
  row = excluded.row, run_id = excluded.run_id, http_status = excluded.http_status,
  error = excluded.error, updated_at = excluded.updated_at`
}

// Open opens (creating if needed) the ledger at path and starts a run.
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
	if _, err := db.Exec(Schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w (is it an onboard ledger?)", path, err)
	}
	l := &Ledger{db: db, path: path, now: time.Now}
	res, err := db.Exec(`INSERT INTO runs(provider, endpoint, started_at) VALUES(?, ?, ?)`, provider, endpoint, l.stamp())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	l.runID, _ = res.LastInsertId()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1)`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	l.empty = n == 0
	if err := l.prepare(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

func (l *Ledger) prepare() error {
	var err error
	if l.get, err = l.db.Prepare(`SELECT status, vendor_id, row FROM users WHERE key = ?`); err != nil {
		return err
	}
	if l.conn, err = l.db.Conn(context.Background()); err != nil {
		return err
	}
	if l.upsert, err = l.conn.PrepareContext(context.Background(), upsertSQL(1)); err != nil {
		return err
	}
	if l.bulk, err = l.conn.PrepareContext(context.Background(), upsertSQL(chunk)); err != nil {
		return err
	}
	l.forget, err = l.conn.PrepareContext(context.Background(), `DELETE FROM users WHERE key = ? AND status = 'pending' AND run_id = ?`)
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

// Get returns what earlier runs recorded of key (see batch.Ledger).
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

// Record buffers a row's outcome. A failure never overwrites a user known
// to exist, and a row failed before the network (mapping, validation) is
// not recorded over a pending create.
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
// sent (it only removes a pending entry of this run).
func (l *Ledger) Forget(key string) error {
	l.buf = append(l.buf, entry{key: Key(key), forget: true})
	return nil
}

// Flush commits the buffered entries in one transaction.
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
		e := l.buf[i]
		switch {
		case e.forget:
			_, err = l.forget.ExecContext(ctx, e.key, l.runID)
			i++
		case i+chunk <= len(l.buf) && noForget(l.buf[i:i+chunk]):
			args = args[:0]
			for _, e := range l.buf[i : i+chunk] {
				args = append(args, e.key, e.status, e.vendorID, e.row, l.runID, e.http, e.msg, now)
			}
			_, err = l.bulk.ExecContext(ctx, args...)
			i += chunk
		default:
			_, err = l.upsert.ExecContext(ctx, e.key, e.status, e.vendorID, e.row, l.runID, e.http, e.msg, now)
			i++
		}
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

func noForget(es []entry) bool {
	for _, e := range es {
		if e.forget {
			return false
		}
	}
	return true
}

// Finish records the run's counts.
func (l *Ledger) Finish(c report.Counts) error {
	_, err := l.db.Exec(`UPDATE runs SET finished_at = ?, created = ?, existed = ?, skipped = ?, failed = ?, not_attempted = ? WHERE id = ?`,
		l.stamp(), c.Created, c.Exists, c.Skipped, c.Failed, c.NotAttempted, l.runID)
	return err
}

// Close flushes and closes the database.
func (l *Ledger) Close() error {
	err := l.Flush()
	for _, st := range []*sql.Stmt{l.get, l.upsert, l.bulk, l.forget} {
		if st != nil {
			st.Close()
		}
	}
	if l.conn != nil {
		l.conn.Close()
	}
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	return err
}
