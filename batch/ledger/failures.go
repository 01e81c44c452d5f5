package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
)

// failuresSchema remembers the failed rows of earlier runs, so that a
// nightly run over the same export can tell a failure it has seen before
// (known: same person, same cells, same error) from a new one, and cron can
// go green with --fail-on new.
const failuresSchema = `
CREATE TABLE IF NOT EXISTS failures (
  id          TEXT PRIMARY KEY, -- "key:" and the key, or "cells:" and the fingerprint for a row without a usable key
  fingerprint TEXT NOT NULL,    -- hash of the row's cells
  error       TEXT NOT NULL,    -- the error, row numbers taken out
  run_id      INTEGER NOT NULL,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL
) WITHOUT ROWID;
`

const upsertFailureSQL = `
INSERT INTO failures(id, fingerprint, error, run_id, first_seen, last_seen) VALUES(?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET
  first_seen = CASE WHEN failures.fingerprint = excluded.fingerprint AND failures.error = excluded.error THEN failures.first_seen ELSE excluded.first_seen END,
  fingerprint = excluded.fingerprint, error = excluded.error, run_id = excluded.run_id, last_seen = excluded.last_seen`

type failure struct {
	id, fp, msg string
}

// rowNumbers matches the row and line numbers in a message: a new hire
// inserted above shifts them without making the failure new.
var rowNumbers = regexp.MustCompile(`(?i)\b(rows?|lines?) \d+`)

// normalizeError is the part of a failure message that says what is wrong.
func normalizeError(msg string) string { return rowNumbers.ReplaceAllString(msg, "$1 #") }

// Fingerprint returns a short hash of a row's cells.
func Fingerprint(cells []string) string {
	h := sha256.New()
	for _, c := range cells {
		h.Write([]byte(c))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func failureID(key string, fp string) string {
	if k := Key(key); k != "" {
		return "key:" + k
	}
	return "cells:" + fp
}

// Failure records that a row failed and reports whether earlier runs saw
// the same failure: the same key (or, with key "", the same cells) with
// the same cells and the same error. Pass key "" for a row whose key is not
// its own (empty, or a repeat of an earlier row's).
func (l *Ledger) Failure(key string, cells []string, msg string) (known bool, err error) {
	fp := Fingerprint(cells)
	f := failure{id: failureID(key, fp), fp: fp, msg: normalizeError(msg)}
	l.fails = append(l.fails, f)
	if l.noFailures {
		return false, nil
	}
	var oldFP, oldMsg string
	err = l.getFailure.QueryRow(f.id).Scan(&oldFP, &oldMsg)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return oldFP == f.fp && oldMsg == f.msg, nil
}

// flushFailures writes the buffered failures inside the caller's
// transaction.
func (l *Ledger) flushFailures(ctx context.Context, now string) error {
	for _, f := range l.fails {
		if _, err := l.conn.ExecContext(ctx, upsertFailureSQL, f.id, f.fp, f.msg, l.runID, now, now); err != nil {
			return err
		}
	}
	l.fails = l.fails[:0]
	return nil
}
