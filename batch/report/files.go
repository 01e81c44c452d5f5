package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/onboardhq/onboard/batch/formula"
)

// ErrOutInUse is wrapped by Create's error when the out folder already
// holds a file onboard would write: an earlier run's reports are never
// overwritten or mixed with this run's. The caller exits 2 and writes
// nothing into that folder (no summary.json either).
var ErrOutInUse = errors.New("the folder already holds reports")

// fileMode is the mode of every file onboard writes in the out folder:
// success.csv and failures.csv hold names and addresses, credentials.csv
// passwords, report.html and summary.json row numbers and error messages.
// Nobody else on the machine needs any of them.
const fileMode = 0o600

// tmpSuffix marks a file being written that is renamed into place when
// whole.
const tmpSuffix = ".tmp"

// ownedNames are every name onboard writes in the out folder, temporary
// ones included: Create refuses a folder holding any of them.
var ownedNames = []string{
	SuccessFile, FailuresFile, CredentialsFile, SummaryFile, HTMLFile,
	CredentialsFile + tmpSuffix, SummaryFile + tmpSuffix, HTMLFile + tmpSuffix,
}

// PrepareDir makes dir, and any missing parent, with mode 0700: reports
// hold personal data and passwords. A folder that exists keeps its mode.
// Then it refuses a folder that already holds any file onboard writes
// (ErrOutInUse), naming the file.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	for _, name := range ownedNames {
		path := filepath.Join(dir, name)
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("reports: %s already exists (an earlier run's, or put there by someone else): %w; choose another --out, or move the folder's contents away", path, ErrOutInUse)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reports: %w", err)
		}
	}
	return nil
}

// createNew creates path for writing. It fails when the name exists in
// any form (a file, a symlink, even a dangling one): a name onboard
// writes is never reused and never followed elsewhere.
func createNew(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, fileMode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("reports: %s appeared while onboard was writing reports; nothing of it was read or changed: %w", path, ErrOutInUse)
		}
		return nil, fmt.Errorf("reports: %w", err)
	}
	return f, nil
}

// publish writes data to dir/name: under a temporary name created as
// createNew does, synced, then linked to its name, which must not exist
// (an earlier run's summary is never replaced). Where the file system has
// no hard links it is renamed, after checking that the name is free.
func publish(path string, data []byte) error {
	tmp := path + tmpSuffix
	f, err := createNew(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reports: writing %s: %w", path, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("reports: %s already exists; it was left as it was: %w", path, ErrOutInUse)
		}
		if _, serr := os.Lstat(path); !errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("reports: %s: %w", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename or link in dir durable, where the system allows
// opening a folder (not on Windows: there it is best left alone).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// csvFile buffers whole rows and writes only whole rows, so that a crash
// leaves valid CSV up to the last whole row.
type csvFile struct {
	f      *os.File
	path   string
	header []string
	comma  rune
	buf    bytes.Buffer
	row    bytes.Buffer
	enc    *csv.Writer
}

const flushAt = 64 << 10

// newCSV creates path (see createNew) and writes its header, after a BOM
// when asked. A nil header writes nothing.
func newCSV(path string, header []string, d dialect) (*csvFile, error) {
	f, err := createNew(path)
	if err != nil {
		return nil, err
	}
	c := &csvFile{f: f, path: path, header: header, comma: d.comma}
	c.enc = csv.NewWriter(&c.row)
	c.enc.Comma = d.comma
	if d.bom {
		c.buf.WriteString("\uFEFF")
	}
	if header != nil {
		if err := c.write(header); err == nil {
			err = c.flush()
		}
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return c, nil
}

// dialect is how the CSV reports are spelled.
type dialect struct {
	comma rune
	bom   bool
}

// write adds one record, each cell defused.
func (c *csvFile) write(rec []string) error {
	safe := make([]string, len(rec))
	for i, s := range rec {
		safe[i] = formula.Defuse(s)
	}
	return c.writeRaw(safe)
}

// writeRaw adds a record as it is (read back from a report: already
// defused).
func (c *csvFile) writeRaw(rec []string) error {
	c.row.Reset()
	if err := c.enc.Write(rec); err != nil {
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

func (c *csvFile) sync() error {
	if err := c.flush(); err != nil {
		return err
	}
	return c.f.Sync()
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

// filterCSV rewrites the CSV at path without the data records whose index
// (0 for the first under the header) drop holds: into a temporary file
// created as createNew does, synced, then renamed over path, so that a
// crash leaves one whole file, the old or the new. It streams: memory does
// not grow with the file.
func filterCSV(path string, header []string, d dialect, drop map[int]bool) error {
	in, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return fmt.Errorf("reports: re-reading %s: %w", path, err)
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.Comma = d.comma
	r.FieldsPerRecord = -1
	tmp := path + tmpSuffix
	out, err := newCSV(tmp, header, d)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		out.f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := r.Read(); err != nil { // the header, written afresh above
		return fail(fmt.Errorf("reports: re-reading %s: %w", path, err))
	}
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("reports: re-reading %s: record %s: %w", path, strconv.Itoa(i+1), err))
		}
		if drop[i] {
			continue
		}
		if err := out.writeRaw(rec); err != nil {
			return fail(err)
		}
	}
	if err := out.close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reports: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}
