// Package report writes the files a run leaves behind: success.csv,
// failures.csv, credentials.csv and summary.json. One goroutine (the
// pipeline's writer) owns a Writer; nothing here is safe for concurrent use,
// and nothing needs to be.
//
// Rows are written as they finish, and only whole rows reach the disk, so a
// crash leaves valid CSV up to the last whole row.
package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File names inside the out directory.
const (
	SuccessFile     = "success.csv"
	FailuresFile    = "failures.csv"
	CredentialsFile = "credentials.csv"
	SummaryFile     = "summary.json"
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
	// accented names right.
	BOM bool
	// SourceRow adds onboard_source_row: the input was itself a report, and
	// this keeps the original row numbers.
	SourceRow bool
}

// Writer writes the CSV reports.
type Writer struct {
	dir        string
	opts       Options
	header     []string
	keep       []int // input columns copied into success.csv
	success    *csvFile
	failures   *csvFile
	creds      *csvFile
	credFields []string
	keyName    string
	dropCreds  map[int]bool
}

// Layout describes the input and what the reports carry.
type Layout struct {
	// Header is the input header without onboard_ columns.
	Header []string
	// SecretColumns are indexes in Header left out of success.csv.
	SecretColumns map[int]bool
	// KeyName is the key column's name, for credentials.csv.
	KeyName string
	// LoginField is the vendor's login field, for credentials.csv.
	LoginField string
	// CredentialFields are the generated secret fields (credentials.csv is
	// only created when there is one).
	CredentialFields []string
}

// Create makes dir (0700) and the report files in it (0600: they hold
// personal data). It refuses to overwrite reports of an earlier run.
func Create(dir string, l Layout, opts Options) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	for _, name := range []string{SuccessFile, FailuresFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("reports: %s already holds %s from an earlier run; choose another --out", dir, name)
		}
	}
	w := &Writer{dir: dir, opts: opts, header: l.Header, keyName: l.KeyName, credFields: l.CredentialFields}
	var sh []string
	for i, h := range l.Header {
		if !l.SecretColumns[i] {
			w.keep = append(w.keep, i)
			sh = append(sh, h)
		}
	}
	extra := func(cols ...string) []string {
		if opts.SourceRow {
			cols = append([]string{"onboard_row", "onboard_source_row"}, cols[1:]...)
		}
		return cols
	}
	sh = append(sh, extra("onboard_row", "onboard_status", "onboard_vendor_id", "onboard_attempts")...)
	fh := append(append([]string(nil), l.Header...), extra("onboard_row", "onboard_stage", "onboard_error", "onboard_http_status", "onboard_attempts")...)
	var err error
	if w.success, err = newCSV(filepath.Join(dir, SuccessFile), sh, opts.BOM); err != nil {
		return nil, err
	}
	if w.failures, err = newCSV(filepath.Join(dir, FailuresFile), fh, opts.BOM); err != nil {
		w.success.close()
		return nil, err
	}
	if len(l.CredentialFields) > 0 {
		ch := []string{"onboard_row", l.KeyName}
		if l.LoginField != "" {
			ch = append(ch, l.LoginField)
		}
		ch = append(ch, l.CredentialFields...)
		if w.creds, err = newCSV(filepath.Join(dir, CredentialsFile), ch, opts.BOM); err != nil {
			w.success.close()
			w.failures.close()
			return nil, err
		}
	}
	return w, nil
}

// Dir returns the out directory.
func (w *Writer) Dir() string { return w.dir }

// Paths returns the report paths by kind.
func (w *Writer) Paths() map[string]string {
	p := map[string]string{
		"success":  filepath.Join(w.dir, SuccessFile),
		"failures": filepath.Join(w.dir, FailuresFile),
		"summary":  filepath.Join(w.dir, SummaryFile),
	}
	if w.creds != nil {
		p["credentials"] = filepath.Join(w.dir, CredentialsFile)
	}
	return p
}

// Success is one row for success.csv.
type Success struct {
	Row       int
	SourceRow string
	Cells     []string
	Status    string
	VendorID  string
	Attempts  int
}

// Failure is one row for failures.csv.
type Failure struct {
	Row        int
	SourceRow  string
	Cells      []string
	Stage      Stage
	Error      string
	HTTPStatus int
	Attempts   int
}

// Credential is one generated secret to hand over.
type Credential struct {
	Row     int
	Key     string
	Login   string
	Secrets map[string]string
}

func (w *Writer) tail(row int, src string, cols ...string) []string {
	out := []string{strconv.Itoa(row)}
	if w.opts.SourceRow {
		out = append(out, src)
	}
	return append(out, cols...)
}

// WriteSuccess adds a row to success.csv.
func (w *Writer) WriteSuccess(s Success) error {
	rec := make([]string, 0, len(w.keep)+5)
	for _, i := range w.keep {
		rec = append(rec, cellAt(s.Cells, i))
	}
	rec = append(rec, w.tail(s.Row, s.SourceRow, s.Status, s.VendorID, attempts(s.Attempts))...)
	return w.success.write(rec)
}

// WriteFailure adds a row to failures.csv, with the input cells exactly as
// read so that the file can be fixed and fed back.
func (w *Writer) WriteFailure(f Failure) error {
	rec := make([]string, 0, len(w.header)+6)
	for i := range w.header {
		rec = append(rec, cellAt(f.Cells, i))
	}
	status := ""
	if f.HTTPStatus != 0 {
		status = strconv.Itoa(f.HTTPStatus)
	}
	rec = append(rec, w.tail(f.Row, f.SourceRow, string(f.Stage), f.Error, status, attempts(f.Attempts))...)
	return w.failures.write(rec)
}

// WriteCredential adds a row to credentials.csv. The pipeline writes it
// before the request that sets the password, then calls SyncCredentials: a
// crash must never leave a user whose password nobody knows.
func (w *Writer) WriteCredential(c Credential) error {
	if w.creds == nil {
		return errors.New("reports: no credentials file (nothing is generated)")
	}
	rec := []string{strconv.Itoa(c.Row), c.Key}
	if len(w.creds.header) > 2+len(w.credFields) {
		rec = append(rec, c.Login)
	}
	for _, f := range w.credFields {
		rec = append(rec, c.Secrets[f])
	}
	return w.creds.write(rec)
}

// SyncCredentials puts every credential written so far on disk.
func (w *Writer) SyncCredentials() error {
	if w.creds == nil {
		return nil
	}
	if err := w.creds.flush(); err != nil {
		return err
	}
	return w.creds.f.Sync()
}

// DropCredential marks a credential row whose password was never set (the
// create failed, or the user already existed); Close removes such rows, so
// that a finished run's credentials.csv holds one row per created user.
func (w *Writer) DropCredential(row int) {
	if w.dropCreds == nil {
		w.dropCreds = map[int]bool{}
	}
	w.dropCreds[row] = true
}

func attempts(n int) string {
	if n == 0 {
		return "0"
	}
	return strconv.Itoa(n)
}

func cellAt(cells []string, i int) string {
	if i < len(cells) {
		return cells[i]
	}
	return ""
}

// Flush writes buffered rows to the files. The pipeline calls it whenever
// it has nothing else to do, so rows reach the disk as they finish without
// a system call per row under load.
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

// Close flushes, syncs and closes every file.
func (w *Writer) Close() error {
	var errs []error
	for _, f := range []*csvFile{w.success, w.failures, w.creds} {
		if f != nil {
			errs = append(errs, f.close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if w.creds != nil && len(w.dropCreds) > 0 {
		return w.filterCredentials()
	}
	return nil
}

// filterCredentials rewrites credentials.csv without the dropped rows, into
// a temporary file renamed over it, so a crash leaves one whole file.
func (w *Writer) filterCredentials() error {
	in, err := os.Open(w.creds.path)
	if err != nil {
		return err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return fmt.Errorf("reports: re-reading %s: %w", w.creds.path, err)
	}
	tmp := w.creds.path + ".tmp"
	out, err := newCSV(tmp, nil, false)
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if i > 0 {
			if n, err := strconv.Atoi(rec[0]); err == nil && w.dropCreds[n] {
				continue
			}
		}
		out.buf.WriteString(encodeRaw(rec))
	}
	if err := out.close(); err != nil {
		return err
	}
	return os.Rename(tmp, w.creds.path)
}

// encodeRaw encodes a record read back from a report as it was written
// (already defused).
func encodeRaw(rec []string) string {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write(rec)
	cw.Flush()
	return b.String()
}

// csvFile buffers whole rows and writes only whole rows.
type csvFile struct {
	f      *os.File
	path   string
	header []string
	buf    bytes.Buffer
	row    bytes.Buffer
	enc    *csv.Writer
}

const flushAt = 64 << 10

func newCSV(path string, header []string, bom bool) (*csvFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	c := &csvFile{f: f, path: path, header: header}
	c.enc = csv.NewWriter(&c.row)
	if bom {
		c.buf.WriteString("\uFEFF")
	}
	if header == nil {
		return c, nil
	}
	if err := c.write(header); err != nil {
		f.Close()
		return nil, err
	}
	if err := c.flush(); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *csvFile) write(rec []string) error {
	c.row.Reset()
	safe := make([]string, len(rec))
	for i, s := range rec {
		safe[i] = Defuse(s)
	}
	if err := c.enc.Write(safe); err != nil {
		return err
	}
	c.enc.Flush()
	if c.buf.Len()+c.row.Len() > flushAt {
		if err := c.flush(); err != nil {
			return err
		}
	}
	c.buf.Write(c.row.Bytes())
	return nil
}

func (c *csvFile) flush() error {
	if c.buf.Len() == 0 {
		return nil
	}
	_, err := c.f.Write(c.buf.Bytes())
	c.buf.Reset()
	if err != nil {
		return fmt.Errorf("reports: writing %s: %w", c.path, err)
	}
	return nil
}

func (c *csvFile) close() error {
	err := c.flush()
	if serr := c.f.Sync(); err == nil {
		err = serr
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Defuse keeps a spreadsheet from running a value as a formula (CSV
// injection): a value starting with = + - @ (or tab, CR) gets a leading '.
// The input reader strips that quote again, so a report fed back as input
// reads the value the person typed.
func Defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Undefuse reverses Defuse for a cell read from a report.
func Undefuse(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

// Counts are the row totals of a run.
type Counts struct {
	Rows         int `json:"rows"`
	Created      int `json:"created"`
	Exists       int `json:"exists"`
	Skipped      int `json:"skipped"`
	Failed       int `json:"failed"`
	NotAttempted int `json:"not_attempted"`
}

// Summary is summary.json: what a cron job or a script reads.
type Summary struct {
	Provider  string    `json:"provider"`
	Job       string    `json:"job,omitempty"`
	Input     string    `json:"input"`
	Endpoint  string    `json:"endpoint,omitempty"`
	Sandbox   bool      `json:"sandbox"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Seconds   float64   `json:"seconds"`
	Counts    Counts    `json:"counts"`
	Requests  int64     `json:"requests"`
	Retries   int64     `json:"retries"`
	Throttled int64     `json:"throttled"`
	Lookups   int64     `json:"lookups"`
	// Rate is the job's rate ("auto", or requests per second, 0 for no
	// limit); SettledRate the rate the run settled at (a good rate for the
	// next run).
	Rate        string            `json:"rate,omitempty"`
	SettledRate float64           `json:"settled_rate,omitempty"`
	Stopped     string            `json:"stopped,omitempty"`
	Reports     map[string]string `json:"reports"`
	ExitCode    int               `json:"exit_code"`
}

// WriteSummary writes summary.json atomically (a temporary file renamed).
func WriteSummary(path string, s Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return os.Rename(tmp, path)
}

// IsReportColumn reports whether an input column was written by onboard.
func IsReportColumn(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), "onboard_")
}
