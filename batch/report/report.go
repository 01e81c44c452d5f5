// Package report writes the files a run leaves behind: success.csv,
// failures.csv, credentials.csv, summary.json and report.html. One
// goroutine (the pipeline's writer) owns a Writer; nothing here is safe for
// concurrent use, and nothing needs to be.
//
// What a person opening the reports can count on:
//
//   - Rows are in input order (onboard_row ascending) in success.csv and
//     failures.csv, though workers finish them out of order: a bounded
//     reorder window holds finished rows until the rows before them are in
//     (see reorder).
//   - Only whole rows reach the disk, so a crash leaves valid CSV up to the
//     last whole row written.
//   - The CSVs speak the input's dialect (its delimiter, and a UTF-8 BOM
//     when the input came from Excel), so a double click in Excel shows
//     columns and accents. Cells a spreadsheet would run as formulas are
//     defused (package formula); the reader undoes it when a report is fed
//     back.
//   - A report fed back as input keeps the HR file's row numbers
//     (onboard_row) and the original input's name (onboard_input), through
//     any number of refeeds.
//   - Files are created, never reused: the folder is 0700 when onboard
//     makes it, every file 0600, opened with O_EXCL and never through a
//     symlink; a folder holding any file onboard writes is refused.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File names inside the out directory.
const (
	SuccessFile     = "success.csv"
	FailuresFile    = "failures.csv"
	CredentialsFile = "credentials.csv"
	SummaryFile     = "summary.json"
	HTMLFile        = "report.html"
)

// Stage says where a row failed.
type Stage string

// The stages of failures.csv.
const (
	StageInput        Stage = "input"
	StageMapping      Stage = "mapping"
	StageValidation   Stage = "validation"
	StageVendor       Stage = "vendor"
	StageNotAttempted Stage = "not_attempted"
)

// Options shape the reports.
type Options struct {
	// BOM starts each CSV with a UTF-8 byte order mark so that Excel shows
	// accented names right (see WantBOM for the usual choice).
	BOM bool
	// Delimiter separates the CSV columns; 0 means ','. Pass the input's,
	// so that the reports open like the input did.
	Delimiter rune
	// Input names this run's input (source.Reader.Name) for onboard_input,
	// used for rows that carry no name of their own (Success.Input).
	Input string
	// Window bounds the reorder window in rows; 0 means DefaultWindow.
	Window int
	// SourceRow is no longer used: a row of a report fed back reports its
	// original row number in onboard_row (Success.SourceRow) whatever this
	// says. Kept so that callers still compile.
	SourceRow bool
}

// Layout describes the input and what the reports carry.
type Layout struct {
	// Header is the input header without onboard_ columns.
	Header []string
	// SecretColumns are indexes in Header left out of success.csv.
	SecretColumns map[int]bool
	// KeyName is the key column's name, for credentials.csv.
	KeyName string
	// NameColumns are indexes in Header of the columns that name the
	// person (first, last, display name: mapping.Plan.NameColumns), copied
	// into credentials.csv so that HR can hand each line to its owner.
	NameColumns []int
	// LoginField is the vendor's login field, for credentials.csv.
	LoginField string
	// CredentialFields are the generated secret fields (credentials.csv is
	// only created when there is one).
	CredentialFields []string
}

// Writer writes the CSV reports.
type Writer struct {
	dir      string
	opts     Options
	dialect  dialect
	header   []string
	keep     []int // input columns copied into success.csv
	success  *csvFile
	failures *csvFile
	order    *reorder
	groups   failureGroups

	creds      *csvFile
	credsAbs   string // credentials.csv's absolute path, for onboard_credentials
	credFields []string
	nameCols   []int
	login      bool
	credCount  int               // data rows written to credentials.csv
	credLive   map[int]*liveCred // by row, until the row is reported
	credDrop   map[int]bool      // records of passwords never set
	closed     bool
}

// Create prepares dir (PrepareDir: made 0700 if missing, refused if it
// holds any file onboard writes) and creates the report files in it. On an
// error it leaves nothing of its own behind.
func Create(dir string, l Layout, opts Options) (*Writer, error) {
	d := dialect{comma: opts.Delimiter, bom: opts.BOM}
	if d.comma == 0 {
		d.comma = ','
	}
	if !validDelimiter(d.comma) {
		return nil, fmt.Errorf("reports: %q cannot separate CSV columns; use one of , ; tab |", d.comma)
	}
	if err := PrepareDir(dir); err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, opts: opts, dialect: d, header: l.Header, credFields: l.CredentialFields}
	var sh []string
	for i, h := range l.Header {
		if !l.SecretColumns[i] {
			w.keep = append(w.keep, i)
			sh = append(sh, h)
		}
	}
	sh = append(sh, "onboard_row", "onboard_status", "onboard_vendor_id", "onboard_attempts")
	if len(l.CredentialFields) > 0 {
		sh = append(sh, "onboard_credentials")
	}
	sh = append(sh, "onboard_input")
	fh := append(append([]string(nil), l.Header...),
		"onboard_row", "onboard_stage", "onboard_error", "onboard_http_status", "onboard_attempts", "onboard_failure", "onboard_input")

	var made []*csvFile
	undo := func(err error) (*Writer, error) {
		for _, f := range made {
			f.f.Close()
			os.Remove(f.path)
		}
		return nil, err
	}
	var err error
	if w.success, err = newCSV(filepath.Join(dir, SuccessFile), sh, d); err != nil {
		return undo(err)
	}
	made = append(made, w.success)
	if w.failures, err = newCSV(filepath.Join(dir, FailuresFile), fh, d); err != nil {
		return undo(err)
	}
	made = append(made, w.failures)
	if len(l.CredentialFields) > 0 {
		ch := []string{"onboard_row", l.KeyName}
		for _, i := range l.NameColumns {
			if i >= 0 && i < len(l.Header) && !l.SecretColumns[i] && l.Header[i] != l.KeyName && !slicesContains(w.nameCols, i) {
				w.nameCols = append(w.nameCols, i)
				ch = append(ch, l.Header[i])
			}
		}
		if l.LoginField != "" {
			w.login = true
			ch = append(ch, l.LoginField)
		}
		ch = append(ch, l.CredentialFields...)
		path := filepath.Join(dir, CredentialsFile)
		if w.creds, err = newCSV(path, ch, d); err != nil {
			return undo(err)
		}
		if w.credsAbs, err = filepath.Abs(path); err != nil {
			w.credsAbs = path
		}
		w.credLive = map[int]*liveCred{}
	}
	w.order = newReorder(opts.Window, w.emit)
	return w, nil
}

func slicesContains(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// Dir returns the out directory.
func (w *Writer) Dir() string { return w.dir }

// Paths returns the report paths by kind: success, failures, summary,
// html, and credentials when there is one.
func (w *Writer) Paths() map[string]string {
	p := map[string]string{
		"success":  filepath.Join(w.dir, SuccessFile),
		"failures": filepath.Join(w.dir, FailuresFile),
		"summary":  filepath.Join(w.dir, SummaryFile),
		"html":     filepath.Join(w.dir, HTMLFile),
	}
	if w.creds != nil {
		p["credentials"] = filepath.Join(w.dir, CredentialsFile)
	}
	return p
}

// CredentialsPath returns the absolute path of this run's credentials.csv,
// "" when nothing is generated. The engine stores it in the ledger with a
// key made pending with a password, so that a later run that finds the
// user (after a crash) can name the file whose password is in effect
// (Success.Credentials).
func (w *Writer) CredentialsPath() string { return w.credsAbs }

// Success is one row for success.csv.
type Success struct {
	// Row is the row's number in this run's input (source.Row.Num).
	Row int
	// Seq is the row's place in the order the input was read: 1 for the
	// first row, then 2, 3, ... with no gaps. The rows are written in
	// that order. 0 orders by Row instead, which has gaps where the
	// input has blank lines (rows after a gap then wait until the window
	// is full).
	Seq int
	// SourceRow is the original row number of a report fed back
	// (source.Row.SourceRow): onboard_row shows it instead of Row.
	SourceRow string
	// Input is the original input's name of a report fed back
	// (source.Row.Input); "" uses Options.Input.
	Input    string
	Cells    []string
	Status   string
	VendorID string
	Attempts int
	// Credentials is the credentials.csv that holds the password in
	// effect for this user when an earlier run generated it (the ledger
	// knows the file: a user skipped, or found after a crash). The
	// writer names this run's credentials.csv instead when this run
	// wrote the row's password and did not drop it (DropCredential).
	Credentials string
}

// Failure is one row for failures.csv.
type Failure struct {
	Row       int    // as Success.Row
	Seq       int    // as Success.Seq
	SourceRow string // as Success.SourceRow
	Input     string // as Success.Input
	// Cells are the input cells exactly as read, so that the file can be
	// fixed and fed back.
	Cells      []string
	Stage      Stage
	Error      string
	HTTPStatus int
	Attempts   int
	// Known says an earlier run failed this row the same way (the ledger
	// remembers): onboard_failure is "known", else "new" ("" for rows not
	// attempted).
	Known bool
}

// Credential is one generated secret to hand over.
type Credential struct {
	Row       int    // as Success.Row
	SourceRow string // as Success.SourceRow: the row number shown
	Key       string
	// Cells are the row's input cells; the name columns (Layout) are
	// copied from them.
	Cells   []string
	Login   string
	Secrets map[string]string
}

func shownRow(row int, src string) string {
	if src != "" {
		return src
	}
	return strconv.Itoa(row)
}

func (w *Writer) input(given string) string {
	if given != "" {
		return given
	}
	return w.opts.Input
}

func orderKey(seq, row int) (key, first int) {
	if seq > 0 {
		return seq, 1
	}
	return row, 2 // the header is row 1
}

// WriteSuccess adds a row to success.csv (once the rows before it are in).
func (w *Writer) WriteSuccess(s Success) error {
	if w.closed {
		return errors.New("reports: WriteSuccess after Close")
	}
	rec := make([]string, 0, len(w.keep)+7)
	for _, i := range w.keep {
		rec = append(rec, cellAt(s.Cells, i))
	}
	rec = append(rec, shownRow(s.Row, s.SourceRow), s.Status, s.VendorID, strconv.Itoa(s.Attempts))
	if w.creds != nil {
		cred := s.Credentials
		if lc := w.credLive[s.Row]; lc != nil && !lc.dropped && (s.Status == "created" || s.Status == "exists") {
			cred = w.credsAbs // this run set the password: it is in effect
		}
		delete(w.credLive, s.Row)
		rec = append(rec, cred)
	}
	rec = append(rec, w.input(s.Input))
	key, first := orderKey(s.Seq, s.Row)
	return w.order.put(&held{key: key, file: w.success, rec: rec}, first)
}

// WriteFailure adds a row to failures.csv (once the rows before it are
// in), with the input cells exactly as read.
func (w *Writer) WriteFailure(f Failure) error {
	if w.closed {
		return errors.New("reports: WriteFailure after Close")
	}
	if lc := w.credLive[f.Row]; lc != nil {
		f.Error = redact(f.Error, lc.secrets)
		delete(w.credLive, f.Row)
	}
	rec := make([]string, 0, len(w.header)+7)
	for i := range w.header {
		rec = append(rec, cellAt(f.Cells, i))
	}
	status := ""
	if f.HTTPStatus != 0 {
		status = strconv.Itoa(f.HTTPStatus)
	}
	kind := "new"
	switch {
	case f.Stage == StageNotAttempted:
		kind = ""
	case f.Known:
		kind = "known"
	}
	rec = append(rec, shownRow(f.Row, f.SourceRow), string(f.Stage), f.Error, status, strconv.Itoa(f.Attempts), kind, w.input(f.Input))
	key, first := orderKey(f.Seq, f.Row)
	row := f.Row
	if n, err := strconv.Atoi(strings.TrimSpace(f.SourceRow)); err == nil {
		row = n
	}
	fc := f
	fc.Cells = nil
	return w.order.put(&held{key: key, file: w.failures, rec: rec, row: row, fail: &fc}, first)
}

// emit writes a row whose turn has come.
func (w *Writer) emit(h *held) error {
	if h.fail != nil {
		w.groups.add(h.fail, h.row)
	}
	return h.file.write(h.rec)
}

// WriteCredential adds a row to credentials.csv. The pipeline writes it
// before the request that sets the password, then calls SyncCredentials: a
// crash must never leave a user whose password nobody knows. It is
// written at once, not reordered: rows are made pending in input order.
func (w *Writer) WriteCredential(c Credential) error {
	if w.creds == nil {
		return errors.New("reports: no credentials file (nothing is generated)")
	}
	rec := []string{shownRow(c.Row, c.SourceRow), c.Key}
	for _, i := range w.nameCols {
		rec = append(rec, cellAt(c.Cells, i))
	}
	if w.login {
		rec = append(rec, c.Login)
	}
	for _, f := range w.credFields {
		rec = append(rec, c.Secrets[f])
	}
	if err := w.creds.write(rec); err != nil {
		return err
	}
	lc := &liveCred{record: w.credCount}
	if prev := w.credLive[c.Row]; prev != nil {
		w.dropRecord(prev.record) // a second password for the row replaces the first
		lc.secrets = prev.secrets
	}
	for _, f := range w.credFields {
		lc.secrets = append(lc.secrets, c.Secrets[f])
	}
	w.credLive[c.Row] = lc
	w.credCount++
	return nil
}

// SyncCredentials puts every credential written so far on disk.
func (w *Writer) SyncCredentials() error {
	if w.creds == nil {
		return nil
	}
	return w.creds.sync()
}

// DropCredential marks the credential of a row whose password was never
// set (the create failed, was never sent, or the user already existed);
// Close removes such rows, so that a finished run's credentials.csv holds
// only passwords that are in effect. Call it before the row's
// WriteSuccess or WriteFailure.
func (w *Writer) DropCredential(row int) {
	if w.creds == nil {
		return
	}
	if lc := w.credLive[row]; lc != nil && !lc.dropped {
		w.dropRecord(lc.record)
		lc.dropped = true
	}
}

// liveCred is a row's password in credentials.csv while the row is in
// flight: its record (to drop it), and the secrets themselves, kept out of
// the row's error message should a vendor echo the request.
type liveCred struct {
	record  int
	secrets []string
	dropped bool
}

// redact removes secrets from msg, as written and as JSON would escape
// them. Very short values are left: they would match ordinary words.
func redact(msg string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		msg = strings.ReplaceAll(msg, sec, "[redacted]")
		if b, err := json.Marshal(sec); err == nil {
			if esc := string(b[1 : len(b)-1]); esc != sec {
				msg = strings.ReplaceAll(msg, esc, "[redacted]")
			}
		}
	}
	return msg
}

func (w *Writer) dropRecord(i int) {
	if w.credDrop == nil {
		w.credDrop = map[int]bool{}
	}
	w.credDrop[i] = true
}

func cellAt(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}

// Flush writes buffered rows to the files. The pipeline calls it whenever
// it has nothing else to do, so rows reach the disk as they finish without
// a system call per row under load. Rows waiting in the reorder window for
// an earlier row stay there.
func (w *Writer) Flush() error {
	for _, f := range []*csvFile{w.success, w.failures, w.creds} {
		if f != nil {
			if err := f.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close writes the rows still waiting, in order, then syncs and closes
// every file, and removes the dropped credentials from credentials.csv.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	errs := []error{w.order.flushAll()}
	for _, f := range []*csvFile{w.success, w.failures, w.creds} {
		if f != nil {
			errs = append(errs, f.close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if w.creds != nil && len(w.credDrop) > 0 {
		return filterCSV(w.creds.path, w.creds.header, w.dialect, w.credDrop)
	}
	return nil
}

// IsReportColumn reports whether an input column was written by onboard.
func IsReportColumn(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), "onboard_")
}
