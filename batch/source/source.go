// Package source reads an input CSV or Excel workbook (.xlsx) as a stream
// of numbered rows. It finds out what a spreadsheet or HR system wrote
// (encoding from a BOM or from the bytes, the delimiter from Excel's
// "sep=" line or the header line, any line ending) so that every later
// stage sees clean UTF-8 cells, and it numbers rows the way a spreadsheet
// shows them (the header is row 1).
//
// encoding/csv does the parsing: the input header is only known at run time,
// and a damaged row must fail alone, which gocsv cannot do. Workbooks are
// read with excelize (xlsx.go).
//
// Decisions worth knowing:
//
//   - Encoding. A BOM decides (UTF-8, UTF-16 LE/BE). A zip archive holding
//     xl/workbook.xml is a workbook; other binary formats (zip, xls, PDF,
//     gzip, NUL or control bytes) are refused at Open. Text whose valid
//     UTF-8 sequences are at least as many as its invalid bytes is UTF-8
//     (see looksUTF8); the cells holding the invalid bytes are marked in
//     Row.BadColumns and fail their row only if it uses them. Otherwise it
//     is one of the code pages Excel writes on Windows: Windows-1252
//     (western Europe, the Americas), Windows-1250 (Poland, Czechia,
//     Slovakia, Hungary, Croatia, Romania) or ISO-8859-2. Each is tried on
//     the first 64 KB and the text is scored (see plausibility): letters
//     that belong together in one language score, symbols such as ³ £ ¹ ¥
//     touching letters, bytes the code page does not define and words
//     mixing letters of unrelated languages (Dvoøák) cost. Ties go to
//     Windows-1252. When the first 64 KB are plain ASCII, the choice is
//     made at the first non-ASCII byte, on the 64 KB from there (1 MB when
//     those hold only stray bytes), so a file sorted by surname whose first
//     accent comes late is still read right. Options.Encoding overrides all
//     this (a BOM still wins over a single-byte code page).
//   - A header row with no data rows under it is a *FatalError from Open:
//     nothing could be sent, and saying so before anything starts is clearer
//     than a run that does nothing.
//   - An unclosed quote makes encoding/csv read every following line into
//     the quoted value until the next quote. The reader keeps the text it
//     handed to encoding/csv since the last record boundary (see tape), so
//     the line where the quote opened fails alone and the lines it swallowed
//     are read again as rows of their own. A record over MaxRecord fails
//     alone too (see tooLarge) and reading goes on after it.
package source

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/text/transform"
)

// MaxRecord bounds one row's size. An HR row is a few hundred bytes; a row
// larger than this is a damaged file (an unclosed quote swallowing the rest)
// or not a CSV at all, and reading on would only eat memory.
const MaxRecord = 4 << 20

// peekSize is how much of the file decides the encoding and the delimiter.
const peekSize = 64 << 10

// evidenceSize is how far the encoding is looked for when the first
// window holds bytes that are not UTF-8 but no UTF-8 letter either: one
// stray byte early in a file whose accents come later must not make the
// whole file a code page.
const evidenceSize = 1 << 20

// Options override what the reader would detect.
type Options struct {
	// Encoding is "" or "auto" to detect, or one of the names EncodingNames
	// returns (utf-8, utf-16le, utf-16be, windows-1252, windows-1250,
	// iso-8859-2, latin1, ...; case, "-" and "_" do not matter).
	Encoding string
	// Delimiter is 0 to sniff from the header line.
	Delimiter rune
	// MaxRecord bounds one row in bytes of text; 0 means MaxRecord.
	MaxRecord int
	// Sheet names the sheet to read when the input is an Excel workbook
	// (case does not matter); "" reads the first one.
	Sheet string
}

// Row is one data row.
type Row struct {
	// Num is the row number a spreadsheet shows (the header is row 1; blank
	// lines count, a quoted value over several lines is one row).
	Num int
	// SourceRow is the row number an earlier run gave this row, when the
	// input is one of onboard's reports fed back (its onboard_source_row,
	// else its onboard_row); "" otherwise.
	SourceRow string
	// Input is the original input's name of a report fed back (its
	// onboard_input), "" otherwise.
	Input string
	// Line is the file line the row starts on.
	Line int
	// Cells are the row's values, one per header column (padded with empty
	// cells when the row is short).
	Cells []string
	// Err is set when the row cannot be used as it is (wrong number of
	// fields, bad quoting, a NUL byte, too large); Cells then hold what
	// could be read. It is a *RowError.
	Err error
	// BadColumns lists the cells (indexes into Cells and Header) that held
	// bytes which are not text in the file's encoding; they show U+FFFD
	// there. The row is only unusable when it reads one of them: see
	// TextError.
	BadColumns []int

	textErrs []*RowError // one per BadColumns
}

// TextError returns a *RowError (wrapping ErrText, naming the column) for
// the first of the row's BadColumns that used reports as used, or nil
// when the row uses none of them. A nil used means every column is used.
// A row whose used cells hold invalid bytes must fail: its text would
// reach the vendor as mojibake or U+FFFD.
func (row *Row) TextError(used func(col int) bool) error {
	for i, col := range row.BadColumns {
		if used == nil || used(col) {
			return row.textErrs[i]
		}
	}
	return nil
}

// Errors a RowError wraps, for errors.Is.
var (
	// ErrFieldCount: the row has more or fewer values than the header.
	ErrFieldCount = csv.ErrFieldCount
	// ErrQuote: a quoted value is not closed or has a stray quote inside.
	ErrQuote = csv.ErrQuote
	// ErrBareQuote: a quote inside a value that is not quoted.
	ErrBareQuote = csv.ErrBareQuote
	// ErrText: a value is not valid text in the file's encoding, or holds
	// a NUL byte.
	ErrText = errors.New("invalid text")
)

// RowError is what is wrong with one row. Its message names the line and,
// where one is at fault, the column; it leaves out the row number because
// every caller prints the error after "row N: ".
type RowError struct {
	Row    int    // Row.Num
	Line   int    // the file line the problem is on
	Column string // the header name of the column at fault, "" for the row
	Msg    string
	Err    error // ErrFieldCount, ErrQuote, ErrBareQuote or ErrText
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func (e *RowError) Unwrap() error { return e.Err }

// FatalError stops the reading: the file cannot be read on.
type FatalError struct {
	File string
	Line int // 0 when no line is at fault
	Row  int // the row number a spreadsheet shows, 0 when not known
	Msg  string
	Err  error // the underlying error, if any
}

func (e *FatalError) Error() string {
	switch {
	case e.Line > 0 && e.Row > 0 && e.Row != e.Line:
		return fmt.Sprintf("%s: line %d (row %d): %s", e.File, e.Line, e.Row, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func (e *FatalError) Unwrap() error { return e.Err }

// Reader streams rows from one CSV.
type Reader struct {
	name      string
	closer    io.Closer
	raw       *countingReader
	size      int64
	encoding  atomic.Pointer[string]
	delimiter rune
	limit     int
	bom       bool      // the input started with a byte order mark
	sepLine   bool      // the input started with Excel's sep= line
	xl        *workbook // the sheet read, when the input is an .xlsx

	tape    *tape
	csv     *csv.Reader
	csvOff  int64 // csv.InputOffset() at tape.start
	lineOff int   // file line = csv line + lineOff

	fileHeader []string // every column, onboard_ ones included
	header     []string // visible columns
	width      int      // columns in the file, report columns included
	visible    []int    // indexes of the visible columns in the file
	srcRow     int      // index of the column holding SourceRow, or -1
	inputCol   int      // index of onboard_input, or -1
	isReport   bool
	extra      int // lines inside rows so far (file lines minus rows)

	pending *Row  // the first data row, read by New
	err     error // sticky: io.EOF or a *FatalError
}

func friendlyOpen(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// New reads from r, named name in messages. size (0 if unknown) is used for
// progress; closer (may be nil) is closed by Close. New reads the header
// and the first data row: a file that is empty, not a CSV, has a bad
// header or no data rows is a *FatalError here, before anything is sent.
func New(name string, r io.Reader, size int64, closer io.Closer, opts Options) (*Reader, error) {
	rd := &Reader{name: name, closer: closer, size: size, raw: &countingReader{r: r}, limit: opts.MaxRecord, srcRow: -1, inputCol: -1}
	if rd.limit <= 0 {
		rd.limit = MaxRecord
	}
	br := bufio.NewReaderSize(rd.raw, evidenceSize)
	peek, err := br.Peek(peekSize)
	if len(peek) == 0 {
		if err != nil && err != io.EOF {
			return nil, &FatalError{File: name, Msg: "cannot read: " + err.Error(), Err: err}
		}
		return nil, &FatalError{File: name, Msg: "the file is empty; it needs a header row and one row per person"}
	}
	if isZip(peek) {
		if err := rd.newWorkbook(br, opts); err != nil {
			rd.closeWorkbook()
			return nil, err
		}
		return rd.first()
	}
	dec, err := rd.chooseEncoding(br, peek, len(peek) < peekSize, opts.Encoding)
	if err != nil {
		return nil, &FatalError{File: name, Msg: err.Error()}
	}
	text := bufio.NewReaderSize(transform.NewReader(dec, lineEndings{}), peekSize)
	first, _ := text.Peek(peekSize)
	rd.delimiter = opts.Delimiter
	line := 1
	if d, n := sepLine(first); n > 0 {
		// Excel's "sep=;" line: it says the delimiter and is not the
		// header. A spreadsheet does not show it, so it is no row.
		text.Discard(n)
		rd.sepLine = true
		if rd.delimiter == 0 {
			rd.delimiter = d
		}
		line, rd.extra, rd.lineOff = 2, 1, 1
		first = first[n:]
	}
	if rd.delimiter == 0 {
		rd.delimiter = sniffDelimiter(first)
	} else if !validDelim(rd.delimiter) {
		return nil, &FatalError{File: name, Msg: fmt.Sprintf("%q cannot be the delimiter; use one of , ; tab |", rd.delimiter)}
	}
	rd.tape = &tape{src: text, line: line, limit: rd.limit}
	rd.csv = rd.newCSV()
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd.first()
}

// first reads the first data row: a file with none is refused at once.
func (r *Reader) first() (*Reader, error) {
	row, err := r.next()
	switch {
	case err == io.EOF:
		msg := "there are no rows under the header; the file needs one row per person"
		if r.isReport {
			msg = "this report has no rows under its header: the run that wrote it had nothing to list"
		}
		r.closeWorkbook()
		return nil, &FatalError{File: r.name, Msg: msg}
	case err != nil:
		r.closeWorkbook()
		return nil, err
	}
	r.pending = row
	return r, nil
}

// IsReport reports whether the input is one of onboard's reports fed back.
func (r *Reader) IsReport() bool { return r.isReport }

// HasBOM reports whether the file started with a byte order mark (UTF-8
// or UTF-16): Excel wrote it, and reads a CSV's accents right only with
// one (report.ExcelStyle).
func (r *Reader) HasBOM() bool { return r.bom }

// Header returns the column names, trimmed, in file order, without the
// onboard_ columns of a report fed back as input.
func (r *Reader) Header() []string { return r.header }

// Name returns the input's name for messages.
func (r *Reader) Name() string { return r.name }

// Encoding returns the detected (or given) encoding. When the start of the
// file is plain ASCII it says UTF-8 until the first other byte decides, so
// it can change once while rows are read.
func (r *Reader) Encoding() string {
	if p := r.encoding.Load(); p != nil {
		return *p
	}
	return ""
}

func (r *Reader) setEncoding(label string) { r.encoding.Store(&label) }

// ExcelStyle reports whether the input looks written by Excel on Windows
// for Excel: it is a workbook, it started with a byte order mark, or it
// is UTF-16 or a single-byte code page (Windows-1252 and the like). Reports written for
// such an input want a BOM for Excel to show their accents. Like Encoding
// it can change once while rows are read, when the start of the file is
// plain ASCII.
func (r *Reader) ExcelStyle() bool {
	return r.bom || r.xl != nil || !strings.HasPrefix(r.Encoding(), "UTF-8")
}

// SepLine reports whether the input started with Excel's "sep=X" line,
// which set the delimiter and was not read as the header.
func (r *Reader) SepLine() bool { return r.sepLine }

// Delimiter returns the detected (or given) delimiter.
func (r *Reader) Delimiter() rune { return r.delimiter }

// Progress returns the bytes read so far and the total (0 if unknown). It
// may be called from another goroutine than Next.
func (r *Reader) Progress() (int64, int64) { return r.raw.n.Load(), r.size }

// Close closes the underlying file.
func (r *Reader) Close() error {
	err := r.closeWorkbook()
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// closeWorkbook releases a workbook's temporary files.
func (r *Reader) closeWorkbook() error {
	if r.xl == nil {
		return nil
	}
	return r.xl.close()
}
