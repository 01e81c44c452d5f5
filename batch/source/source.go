// Package source reads an input CSV as a stream of numbered rows. It finds
// out what a spreadsheet or HR system wrote (encoding from a BOM or from
// invalid UTF-8, the delimiter from the header line, any line ending) so
// that every later stage sees clean UTF-8 cells, and it numbers rows the way
// a spreadsheet shows them (the header is row 1).
//
// encoding/csv does the parsing: the input header is only known at run time,
// and a damaged row must fail alone, which gocsv cannot do.
//
// Decisions worth knowing:
//
//   - Encoding. A BOM decides (UTF-8, UTF-16 LE/BE). Known binary formats
//     (xlsx/zip, xls, PDF, gzip, NUL or control bytes) are refused at Open.
//     Text that is valid UTF-8 is UTF-8. Otherwise it is one of the code
//     pages Excel writes on Windows: Windows-1252 (western Europe, the
//     Americas), Windows-1250 (Poland, Czechia, Slovakia, Hungary, Croatia,
//     Romania) or ISO-8859-2. Each is tried on the first 64 KB and the text
//     is scored (see plausibility): letters that belong together in one
//     language score, symbols such as ³ £ ¹ ¥ touching letters, bytes the
//     code page does not define and words mixing letters of unrelated
//     languages (Dvoøák) cost. Ties go to Windows-1252. When the first 64 KB
//     are plain ASCII, the choice is made at the first non-ASCII byte, on
//     the 64 KB from there, so a file sorted by surname whose first accent
//     comes late is still read right. Options.Encoding overrides all this
//     (a BOM still wins over a single-byte code page).
//   - A header row with no data rows under it is a *FatalError from Open:
//     nothing could be sent, and saying so before anything starts is clearer
//     than a run that does nothing.
//   - An unclosed quote makes encoding/csv read every following line into
//     the quoted value until the next quote. The reader keeps the text it
//     handed to encoding/csv since the last record boundary (see tape), so
//     the line where the quote opened fails alone and the lines it swallowed
//     are read again as rows of their own. When a record grows past
//     MaxRecord the reading stops with the line it started on.
package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/onboardhq/onboard/batch/formula"
)

// MaxRecord bounds one row's size. An HR row is a few hundred bytes; a row
// larger than this is a damaged file (an unclosed quote swallowing the rest)
// or not a CSV at all, and reading on would only eat memory.
const MaxRecord = 4 << 20

// peekSize is how much of the file decides the encoding and the delimiter.
const peekSize = 64 << 10

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
	// fields, bad quoting, invalid text); Cells then hold what could be
	// read. It is a *RowError.
	Err error
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
	bom        bool     // the file started with a byte order mark
	isReport   bool
	extra      int // lines inside rows so far (file lines minus rows)

	pending *Row  // the first data row, read by New
	err     error // sticky: io.EOF or a *FatalError
}

// Open opens path ("-" for standard input) and reads its header and first
// row.
func Open(path string, opts Options) (*Reader, error) {
	if path == "-" {
		return New("standard input", os.Stdin, 0, nil, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FatalError{File: path, Msg: friendlyOpen(err), Err: err}
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			f.Close()
			return nil, &FatalError{File: path, Msg: "is a folder, not a CSV file"}
		}
		size = st.Size()
	}
	r, err := New(path, f, size, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
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
	br := bufio.NewReaderSize(rd.raw, peekSize)
	peek, err := br.Peek(peekSize)
	if len(peek) == 0 {
		if err != nil && err != io.EOF {
			return nil, &FatalError{File: name, Msg: "cannot read: " + err.Error(), Err: err}
		}
		return nil, &FatalError{File: name, Msg: "the file is empty; it needs a header row and one row per person"}
	}
	dec, err := rd.chooseEncoding(br, peek, len(peek) < peekSize, opts.Encoding)
	if err != nil {
		return nil, &FatalError{File: name, Msg: err.Error()}
	}
	text := bufio.NewReaderSize(transform.NewReader(dec, lineEndings{}), peekSize)
	first, _ := text.Peek(peekSize)
	rd.delimiter = opts.Delimiter
	if rd.delimiter == 0 {
		rd.delimiter = sniffDelimiter(first)
	} else if !validDelim(rd.delimiter) {
		return nil, &FatalError{File: name, Msg: fmt.Sprintf("%q cannot be the delimiter; use one of , ; tab |", rd.delimiter)}
	}
	rd.tape = &tape{src: text, line: 1, limit: rd.limit}
	rd.csv = rd.newCSV()
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	row, err := rd.next()
	switch {
	case err == io.EOF:
		msg := "there are no rows under the header; the file needs one row per person"
		if rd.isReport {
			msg = "this report has no rows under its header: the run that wrote it had nothing to list"
		}
		return nil, &FatalError{File: name, Msg: msg}
	case err != nil:
		return nil, err
	}
	rd.pending = row
	return rd, nil
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

func (r *Reader) newCSV() *csv.Reader {
	c := csv.NewReader(r.tape)
	c.Comma = r.delimiter
	c.FieldsPerRecord = -1
	return c
}

// read reads one record from encoding/csv and moves the tape past it. It
// returns the file line the consumed text started on and that text (valid
// until the next read).
func (r *Reader) read() (rec []string, from int, text []byte, err error) {
	from = r.tape.line
	rec, err = r.csv.Read()
	off := r.csv.InputOffset()
	text = r.tape.consume(int(off - r.csvOff))
	r.csvOff = off
	return rec, from, text, err
}

// restart reads text (which starts on file line line) again, then whatever
// encoding/csv had read ahead, then the rest of the input.
func (r *Reader) restart(text []byte, line int) {
	t := r.tape
	pending := make([]byte, 0, len(text)+len(t.buf)-t.start+len(t.pending))
	pending = append(pending, text...)
	pending = append(pending, t.buf[t.start:]...)
	pending = append(pending, t.pending...)
	t.pending = pending
	t.buf = t.buf[:0]
	t.start = 0
	t.line = line
	r.csv = r.newCSV()
	r.csvOff = 0
	r.lineOff = line - 1
}

func (r *Reader) readHeader() error {
	var rec []string
	line, num := 0, 0
	for {
		var (
			from int
			text []byte
			err  error
		)
		rec, from, text, err = r.read()
		if err == io.EOF {
			return &FatalError{File: r.name, Msg: "the file has no rows; it needs a header row and one row per person"}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &FatalError{File: r.name, Line: pe.StartLine + r.lineOff, Msg: "the header row: " + describeParse(pe, pe.Line > pe.StartLine)}
		}
		if err != nil {
			return r.fatal(err, from, text)
		}
		line, _ = r.csv.FieldPos(0)
		line += r.lineOff
		num = line - r.extra
		r.extra += lineBreaks(rec)
		if !blank(rec) {
			break
		}
	}
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1] // trailing empty columns, as spreadsheets write them
	}
	fatal := func(format string, args ...any) error {
		return &FatalError{File: r.name, Line: line, Row: num, Msg: fmt.Sprintf(format, args...)}
	}
	seen := map[string]int{}
	for i, h := range rec {
		h = strings.TrimSpace(h)
		rec[i] = h
		switch {
		case strings.ContainsFunc(h, isControl):
			return fatal("the header has control characters; this does not look like a CSV file (export the sheet as CSV)")
		case strings.ContainsRune(h, utf8.RuneError):
			return fatal("header column %d (%q) is not valid %s text; pass --encoding to say how the file was saved (%s)", i+1, strings.ToValidUTF8(h, "\uFFFD"), r.Encoding(), strings.Join(EncodingNames(), ", "))
		case h == "":
			return fatal("header column %d has no name; give every column a name in row 1", i+1)
		}
		k := strings.ToLower(h)
		if j, dup := seen[k]; dup {
			return fatal("the header has column %q twice (columns %d and %d); rename one", h, j+1, i+1)
		}
		seen[k] = i
	}
	r.fileHeader = rec
	r.width = len(rec)
	for i, h := range rec {
		switch k := strings.ToLower(h); {
		case k == "onboard_source_row":
			r.srcRow = i
			r.isReport = true
		case k == "onboard_row":
			if r.srcRow < 0 {
				r.srcRow = i
			}
			r.isReport = true
		case k == "onboard_input":
			r.inputCol = i
			r.isReport = true
		case strings.HasPrefix(k, "onboard_"):
			r.isReport = true
		default:
			r.visible = append(r.visible, i)
			r.header = append(r.header, h)
		}
	}
	if len(r.header) == 0 {
		return fatal("the header has no columns besides onboard_ ones")
	}
	return nil
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
}

// project keeps the visible columns of a full-width row and reads its
// source row. Cells of a report fed back lose the quote that kept a
// spreadsheet from running them as formulas.
func (r *Reader) project(row *Row, full []string) {
	if r.srcRow >= 0 && r.srcRow < len(full) {
		row.SourceRow = strings.TrimSpace(full[r.srcRow])
	}
	if r.inputCol >= 0 && r.inputCol < len(full) {
		row.Input = formula.Undefuse(full[r.inputCol])
	}
	if !r.isReport {
		row.Cells = full
		return
	}
	cells := make([]string, len(r.visible))
	for i, j := range r.visible {
		if j < len(full) {
			cells[i] = formula.Undefuse(full[j])
		}
	}
	row.Cells = cells
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

// Delimiter returns the detected (or given) delimiter.
func (r *Reader) Delimiter() rune { return r.delimiter }

// Progress returns the bytes read so far and the total (0 if unknown). It
// may be called from another goroutine than Next.
func (r *Reader) Progress() (int64, int64) { return r.raw.n.Load(), r.size }

// Close closes the underlying file.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Next returns the next data row, or io.EOF after the last one, or a
// *FatalError when the file cannot be read on (and again on every later
// call). Rows with damage come back with Err set; reading goes on after
// them.
func (r *Reader) Next() (*Row, error) {
	if row := r.pending; row != nil {
		r.pending = nil
		return row, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	row, err := r.next()
	if err != nil {
		r.err = err
	}
	return row, err
}

func (r *Reader) next() (*Row, error) {
	for {
		rec, from, text, err := r.read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return r.quoteRow(pe, rec, from, text), nil
		}
		if err != nil {
			return nil, r.fatal(err, from, text)
		}
		line, _ := r.csv.FieldPos(0)
		line += r.lineOff
		row := &Row{Line: line, Num: line - r.extra}
		r.extra += lineBreaks(rec)
		if blank(rec) {
			continue
		}
		full, rerr := r.fit(row, rec)
		r.project(row, full)
		if rerr == nil {
			rerr = r.checkText(row)
		}
		if rerr != nil {
			row.Err = rerr
		}
		return row, nil
	}
}

// quoteRow turns a quoting problem into a failed row. When a quoted value
// opened on the row's first line swallowed the lines after it, those lines
// are read again as rows of their own.
func (r *Reader) quoteRow(pe *csv.ParseError, partial []string, from int, text []byte) *Row {
	start, end := pe.StartLine+r.lineOff, pe.Line+r.lineOff
	rec := skipLines(text, start-from)
	first, rest := rec, []byte(nil)
	if i := bytes.IndexByte(rec, '\n'); i >= 0 {
		first, rest = rec[:i+1], rec[i+1:]
	}
	// The value at fault opened on the first line when no value read
	// before it spans lines.
	split := end > start && len(rest) > 0 && lineBreaks(partial) == 0
	row := &Row{Line: start, Num: start - r.extra}
	rowErr := &RowError{Row: row.Num, Line: start, Err: pe.Err}
	if k := len(partial); k < len(r.fileHeader) {
		rowErr.Column = r.fileHeader[k]
	}
	if !split {
		first = rec
		r.extra += end - start
	}
	full := make([]string, r.width)
	copy(full, r.salvage(first))
	r.project(row, full)
	for i, c := range row.Cells {
		row.Cells[i] = strings.ToValidUTF8(c, "\uFFFD")
	}
	rowErr.Msg = describeParse(pe, split)
	if end != start && !split {
		rowErr.Msg = fmt.Sprintf("on line %d: %s", end, rowErr.Msg)
	}
	if split {
		if end == start+1 {
			rowErr.Msg += fmt.Sprintf("; line %d, which it swallowed, is read again as a row of its own", end)
		} else {
			rowErr.Msg += fmt.Sprintf("; lines %d to %d, which it swallowed, are read again as rows of their own", start+1, end)
		}
		r.restart(rest, start+1)
	}
	row.Err = rowErr
	return row
}

// salvage reads what it can of a damaged record, quotes taken loosely, so
// that the failure report still shows the person's data.
func (r *Reader) salvage(text []byte) []string {
	c := csv.NewReader(bytes.NewReader(text))
	c.Comma = r.delimiter
	c.FieldsPerRecord = -1
	c.LazyQuotes = true
	rec, _ := c.Read()
	for len(rec) > r.width && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	if n := len(rec); n > 0 {
		rec[n-1] = strings.TrimRight(rec[n-1], "\r\n")
	}
	if len(rec) > r.width {
		rec = rec[:r.width]
	}
	return rec
}

// skipLines returns b after its first n lines.
func skipLines(b []byte, n int) []byte {
	for ; n > 0; n-- {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return b[len(b):]
		}
		b = b[i+1:]
	}
	return b
}

// fit makes rec exactly as wide as the header. Trailing empty fields are
// tolerated; any other difference is the row's error.
func (r *Reader) fit(row *Row, rec []string) ([]string, error) {
	n := len(rec)
	for n > r.width && strings.TrimSpace(rec[n-1]) == "" {
		n--
	}
	switch {
	case n == r.width:
		return rec[:n], nil
	case n < r.width:
		out := make([]string, r.width)
		copy(out, rec)
		missing := r.fileHeader[n:]
		return out, &RowError{Row: row.Num, Line: row.Line, Err: ErrFieldCount,
			Msg: fmt.Sprintf("%d values but the header has %d columns; %s missing (a missing delimiter, or a row cut short?)", n, r.width, quoteRange(missing, "columns"))}
	}
	return rec[:r.width], &RowError{Row: row.Num, Line: row.Line, Err: ErrFieldCount,
		Msg: fmt.Sprintf("%d values but the header has %d columns; extra %s after column %q (an unquoted delimiter inside a value?)", n, r.width, quoteRange(rec[r.width:n], "values"), r.fileHeader[r.width-1])}
}

// checkText fails a row holding text that did not decode (shown as U+FFFD)
// or a NUL byte, and makes its cells valid UTF-8.
func (r *Reader) checkText(row *Row) error {
	var err error
	for i, c := range row.Cells {
		bad := ""
		switch {
		case strings.ContainsRune(c, utf8.RuneError):
			bad = fmt.Sprintf("is not valid %s text (shown as \uFFFD); pass --encoding to say how the file was saved (%s)", r.Encoding(), strings.Join(EncodingNames(), ", "))
			row.Cells[i] = strings.ToValidUTF8(c, "\uFFFD")
		case strings.IndexByte(c, 0) >= 0:
			bad = "holds a NUL byte; the file is damaged or not a CSV export"
		}
		if bad != "" && err == nil {
			err = &RowError{Row: row.Num, Line: row.Line, Column: r.header[i], Msg: bad, Err: ErrText}
		}
	}
	return err
}

func quoteRange(l []string, what string) string {
	more := ""
	if len(l) > 4 {
		more = fmt.Sprintf(" and %d more", len(l)-4)
		l = l[:4]
	}
	q := make([]string, len(l))
	for i, s := range l {
		if len(s) > 40 {
			s = string([]rune(s)[:min(40, utf8.RuneCountInString(s))]) + "…"
		}
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(l) == 1 && more == "" {
		what = strings.TrimSuffix(what, "s")
	}
	return what + " " + strings.Join(q, ", ") + more
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// lineBreaks counts the line breaks inside a record's values: a record
// spans that many lines more than one.
func lineBreaks(rec []string) int {
	n := 0
	for _, c := range rec {
		n += strings.Count(c, "\n")
	}
	return n
}

// describeParse words a CSV parse error for a person fixing the file in a
// spreadsheet. It names quote marks in words: a message holds raw double
// quotes only around values (written with %q), so that check can group
// messages by kind.
func describeParse(pe *csv.ParseError, swallowed bool) string {
	switch {
	case errors.Is(pe.Err, csv.ErrQuote) && swallowed:
		return `a quoted value opened on this line is not closed: its closing quote mark is missing, or a quote mark inside it is not doubled`
	case errors.Is(pe.Err, csv.ErrQuote):
		return `a quoted value is not closed, or a quote mark inside it is not doubled`
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `a quote mark inside a value that is not quoted (quote the whole value and double the quote mark)`
	}
	return pe.Err.Error()
}

// fatal describes an error that stops the reading. text is what encoding/csv
// consumed for the record, from file line from.
func (r *Reader) fatal(err error, from int, text []byte) error {
	// The record starts after any blank lines.
	line := from
	rest := r.tape.buf[r.tape.start-len(text):]
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 || i > 1 || i == 1 && rest[0] != '\r' {
			break // encoding/csv skips empty lines only
		}
		rest = rest[i+1:]
		line++
	}
	row := line - r.extra
	if errors.Is(err, errTooLarge) {
		return &FatalError{File: r.name, Line: line, Row: row, Err: err,
			Msg: fmt.Sprintf("a row of over %s starts here; the file is damaged (a quoted value that is never closed?) or not a CSV export", sizeText(r.limit))}
	}
	return &FatalError{File: r.name, Line: line, Row: row, Err: err, Msg: "cannot read on: " + err.Error()}
}

func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// sniffDelimiter picks the delimiter the header line uses most, outside
// quotes: Excel in much of Europe writes `;`, "Unicode Text" writes tabs.
// Ties go to the one the next line uses as often, then to , ; tab |.
func sniffDelimiter(p []byte) rune {
	candidates := []rune{',', ';', '\t', '|'}
	head, rest := countDelims(p)
	second, _ := countDelims(rest)
	best, n := ',', 0
	for i, c := range candidates {
		switch {
		case head[i] > n:
			best, n = c, head[i]
		case head[i] == n && n > 0 && second[i] == n:
			if j := indexRune(candidates, best); second[j] != n {
				best = c
			}
		}
	}
	return best
}

func indexRune(l []rune, r rune) int {
	for i, c := range l {
		if c == r {
			return i
		}
	}
	return -1
}

// countDelims counts , ; tab | outside quotes in the first record of p and
// returns the rest.
func countDelims(p []byte) ([4]int, []byte) {
	var counts [4]int
	inQuote := false
	for i, c := range p {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			return counts, p[i+1:]
		case c == ',':
			counts[0]++
		case c == ';':
			counts[1]++
		case c == '\t':
			counts[2]++
		case c == '|':
			counts[3]++
		}
	}
	return counts, nil
}

// lineEndings turns lone CR line endings (old Mac exports) into LF; CRLF and
// LF pass through for encoding/csv.
type lineEndings struct{ transform.NopResetter }

func (lineEndings) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c == '\r' {
			if nSrc+1 >= len(src) && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if nSrc+1 >= len(src) || src[nSrc+1] != '\n' {
				c = '\n'
			}
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = c
		nDst++
		nSrc++
	}
	return nDst, nSrc, nil
}

// countingReader counts the bytes read, for Progress from another
// goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

var errTooLarge = errors.New("record too large")

// tape sits between the decoded text and encoding/csv and keeps every byte
// it handed over since the last record boundary, so that a record that
// went wrong can be read again (Reader.restart). It also bounds a record:
// once more than limit bytes are held, reads fail with errTooLarge, so an
// unclosed quote cannot pull a whole file into memory.
type tape struct {
	src     io.Reader
	pending []byte // text to hand over before src (see Reader.restart)
	buf     []byte // text handed over; buf[:start] is consumed
	start   int
	line    int // file line of buf[start]
	limit   int
}

// csvBuffer is the size of encoding/csv's read buffer: the tape may hold
// that much of the next records besides the current one.
const csvBuffer = 4096

func (t *tape) Read(p []byte) (int, error) {
	if len(t.buf)-t.start > t.limit+csvBuffer {
		return 0, errTooLarge
	}
	var n int
	var err error
	if len(t.pending) > 0 {
		n = copy(p, t.pending)
		t.pending = t.pending[n:]
	} else {
		n, err = t.src.Read(p)
	}
	if t.start > 0 && len(t.buf)+n > cap(t.buf) {
		t.buf = t.buf[:copy(t.buf, t.buf[t.start:])]
		t.start = 0
	}
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// consume marks the next n bytes as read into a record and returns them.
func (t *tape) consume(n int) []byte {
	n = max(0, min(n, len(t.buf)-t.start))
	b := t.buf[t.start : t.start+n]
	t.start += n
	t.line += bytes.Count(b, []byte{'\n'})
	return b
}

// ---- encodings ----

type namedEncoding struct {
	names []string // normalised: lower case, no "-" or "_"
	enc   encoding.Encoding
	label string
}

var encodings = []namedEncoding{
	{[]string{"utf8", "utf8sig", "ascii", "usascii"}, xunicode.UTF8BOM, "UTF-8"},
	{[]string{"utf16le"}, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "UTF-16LE"},
	{[]string{"utf16be"}, xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM), "UTF-16BE"},
	{[]string{"utf16", "unicode"}, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "UTF-16"},
	{[]string{"windows1252", "cp1252", "win1252"}, charmap.Windows1252, "Windows-1252"},
	{[]string{"windows1250", "cp1250", "win1250"}, charmap.Windows1250, "Windows-1250"},
	{[]string{"iso88592", "latin2"}, charmap.ISO8859_2, "ISO-8859-2"},
	{[]string{"iso88591", "latin1"}, charmap.ISO8859_1, "ISO-8859-1"},
	{[]string{"iso885915", "latin9"}, charmap.ISO8859_15, "ISO-8859-15"},
}

// EncodingNames lists the usual names Options.Encoding accepts.
func EncodingNames() []string {
	return []string{"utf-8", "utf-16le", "utf-16be", "windows-1252", "windows-1250", "iso-8859-2", "latin1", "iso-8859-15"}
}

func lookupEncoding(name string) (namedEncoding, bool) {
	k := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(name))
	for _, e := range encodings {
		for _, n := range e.names {
			if n == k {
				return e, true
			}
		}
	}
	return namedEncoding{}, false
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// chooseEncoding decides how to decode the file and returns the decoded
// text. atEOF says peek holds the whole file.
func (r *Reader) chooseEncoding(br *bufio.Reader, peek []byte, atEOF bool, want string) (io.Reader, error) {
	decode := func(enc encoding.Encoding, label string) io.Reader {
		r.setEncoding(label)
		return transform.NewReader(br, enc.NewDecoder())
	}
	bom := ""
	switch {
	case bytes.HasPrefix(peek, bomUTF8):
		bom = "UTF-8"
	case bytes.HasPrefix(peek, bomUTF16LE):
		bom = "UTF-16LE"
	case bytes.HasPrefix(peek, bomUTF16BE):
		bom = "UTF-16BE"
	}
	r.bom = bom != ""
	if w := strings.ToLower(strings.TrimSpace(want)); w != "" && w != "auto" {
		e, ok := lookupEncoding(want)
		if !ok {
			return nil, fmt.Errorf("unknown encoding %q (known: %s)", want, strings.Join(EncodingNames(), ", "))
		}
		if _, single := e.enc.(*charmap.Charmap); !single || bom == "" {
			return decode(e.enc, e.label), nil
		}
		// A BOM is never text in a code page: it tells what the file is.
		be, _ := lookupEncoding(bom)
		return decode(be.enc, fmt.Sprintf("%s (the file starts with its byte order mark; --encoding %s ignored)", be.label, want)), nil
	}
	switch bom {
	case "UTF-8":
		return decode(xunicode.UTF8BOM, "UTF-8"), nil
	case "UTF-16LE":
		return decode(xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM), "UTF-16LE"), nil
	case "UTF-16BE":
		return decode(xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM), "UTF-16BE"), nil
	}
	if err := notText(peek); err != nil {
		return nil, err
	}
	switch utf16NoBOM(peek) {
	case 'L':
		return decode(xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), "UTF-16LE"), nil
	case 'B':
		return decode(xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), "UTF-16BE"), nil
	}
	// A stray NUL or control byte fails its row; many mean a binary file.
	if controls(peek)*100 > len(peek) {
		return nil, errors.New("this looks like a binary file, not a CSV (it holds NUL or control bytes); export the sheet as CSV")
	}
	late := &lateDecoder{br: br, setLabel: r.setEncoding}
	r.setEncoding("UTF-8")
	if indexNonASCII(peek) >= 0 || atEOF {
		late.decide(peek, atEOF)
	}
	return late, nil
}

// notText recognises files that are plainly something else.
func notText(p []byte) error {
	head := bytes.ToLower(bytes.TrimLeft(p[:min(len(p), 512)], " \t\r\n"))
	switch {
	case bytes.HasPrefix(p, []byte("PK\x03\x04")), bytes.HasPrefix(p, []byte("PK\x05\x06")):
		return errors.New("this is an Excel workbook (.xlsx) or another zip file, not a CSV; in Excel use File > Save As > CSV UTF-8")
	case bytes.HasPrefix(p, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return errors.New("this is an old Excel workbook (.xls), not a CSV; in Excel use File > Save As > CSV UTF-8")
	case bytes.HasPrefix(p, []byte("%PDF")):
		return errors.New("this is a PDF, not a CSV")
	case bytes.HasPrefix(p, []byte{0x1F, 0x8B}):
		return errors.New("this is a gzip-compressed file, not a CSV; uncompress it first")
	case bytes.HasPrefix(head, []byte("<?xml")), bytes.HasPrefix(head, []byte("<!doctype")), bytes.HasPrefix(head, []byte("<html")):
		return errors.New("this is an XML or HTML file, not a CSV; export the sheet as CSV")
	case bytes.HasPrefix(head, []byte("{")), bytes.HasPrefix(head, []byte("[{")), bytes.HasPrefix(head, []byte("[\n")):
		return errors.New("this looks like JSON, not a CSV")
	}
	return nil
}

// controls counts the bytes no text file holds: NUL and the other C0
// controls but tab, line breaks, form feed and the ^Z some DOS tools append.
func controls(p []byte) int {
	n := 0
	for _, c := range p {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1A {
			n++
		}
	}
	return n
}

// utf16NoBOM recognises UTF-16 text without a BOM: every other byte of
// ASCII text is zero. It returns 'L' or 'B' for the byte order, or 0.
func utf16NoBOM(p []byte) byte {
	p = p[:min(len(p), 1024)&^1]
	if len(p) < 8 {
		return 0
	}
	var even, odd int
	for i := 0; i < len(p); i += 2 {
		if p[i] == 0 {
			even++
		}
		if p[i+1] == 0 {
			odd++
		}
	}
	half := len(p) / 2
	switch {
	case odd*10 >= half*9 && even*10 < half:
		return 'L'
	case even*10 >= half*9 && odd*10 < half:
		return 'B'
	}
	return 0
}

// indexNonASCII returns the index of the first byte >= 0x80, or -1.
func indexNonASCII(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// validUTF8 reports whether p is UTF-8, a rune cut at the end of a peek
// (not atEOF) allowed.
func validUTF8(p []byte, atEOF bool) bool {
	if utf8.Valid(p) {
		return true
	}
	if atEOF {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(p); i++ {
		if utf8.RuneStart(p[len(p)-i]) {
			return !utf8.FullRune(p[len(p)-i:]) && utf8.Valid(p[:len(p)-i])
		}
	}
	return false
}

// lateDecoder passes ASCII through until the first other byte, then
// decides, on up to 64 KB from there, between UTF-8 and the code pages and
// decodes the rest so.
type lateDecoder struct {
	br       *bufio.Reader
	r        io.Reader // nil until decided
	setLabel func(string)
}

func (d *lateDecoder) Read(p []byte) (int, error) {
	if d.r != nil {
		return d.r.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := d.br.Peek(min(len(p), d.br.Buffered()))
	i := indexNonASCII(buf)
	if i < 0 {
		i = len(buf)
	}
	if i > 0 {
		n := copy(p, buf[:i])
		d.br.Discard(n)
		return n, nil
	}
	window, err := d.br.Peek(peekSize)
	d.decide(window, err != nil)
	return d.r.Read(p)
}

func (d *lateDecoder) decide(window []byte, atEOF bool) {
	if validUTF8(window, atEOF) {
		d.r = d.br
		d.setLabel("UTF-8")
		return
	}
	c := guessCodePage(window)
	d.r = transform.NewReader(d.br, c.enc.NewDecoder())
	d.setLabel(c.label)
}

// codePages are the single-byte encodings Excel writes on Windows in the
// places onboard's users are, most common first (ties go to the first).
var codePages = []namedEncoding{
	{enc: charmap.Windows1252, label: "Windows-1252"},
	{enc: charmap.Windows1250, label: "Windows-1250"},
	{enc: charmap.ISO8859_2, label: "ISO-8859-2"},
}

// guessCodePage decodes p with each code page and keeps the most plausible
// text.
func guessCodePage(p []byte) namedEncoding {
	best, bestScore := codePages[0], 0
	for i, c := range codePages {
		text, err := c.enc.NewDecoder().Bytes(p)
		if err != nil {
			continue
		}
		if s := plausibility(text); i == 0 || s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// Languages, for the letters of the code pages.
const (
	de = 1 << iota
	fr
	es
	pt
	it
	ca
	nl
	da // Danish, Norwegian
	sv
	fi
	is
	et
	pl
	cs
	sk
	hu
	hr // Croatian, Bosnian, Slovenian, Serbian in Latin letters
	ro
	tr
	lt
)

type letterInfo struct {
	langs  uint32 // languages that write this letter
	weight int    // how common it is in names, 1 to 3
}

// letters are the lower-case letters of Windows-1252, Windows-1250 and
// ISO-8859-2 above ASCII (TestLetterTable checks none is missing).
var letters = map[rune]letterInfo{
	'à': {fr | it | pt | ca, 3}, 'á': {es | pt | cs | sk | hu | is, 3}, 'â': {fr | pt | ro | tr, 2},
	'ã': {pt, 3}, 'ä': {de | sv | fi | et | sk, 3}, 'å': {da | sv | fi, 3}, 'æ': {da | is, 3},
	'ç': {fr | pt | ca | tr, 3}, 'è': {fr | it | ca, 3},
	'é': {fr | es | pt | it | ca | nl | cs | sk | hu | is | de | da | sv, 3},
	'ê': {fr | pt, 2}, 'ë': {fr | nl, 2}, 'ì': {it, 1}, 'í': {es | pt | ca | cs | sk | hu | is | it, 3},
	'î': {fr | ro, 2}, 'ï': {fr | nl | ca, 1}, 'ð': {is, 2}, 'ñ': {es, 3}, 'ò': {it | ca, 2},
	'ó': {es | pt | ca | pl | cs | sk | hu | is | it, 3}, 'ô': {fr | pt | sk, 2}, 'õ': {pt | et, 2},
	'ö': {de | sv | fi | et | hu | is | tr, 3}, 'ø': {da, 3}, 'ù': {fr | it, 1},
	'ú': {es | pt | cs | sk | hu | is, 2}, 'û': {fr, 1}, 'ü': {de | es | fr | ca | hu | et | tr, 3},
	'ý': {cs | sk | is, 3}, 'þ': {is, 2}, 'ÿ': {fr, 1}, 'ß': {de, 3}, 'œ': {fr, 1},
	'š': {cs | sk | hr | et | fi | lt, 3}, 'ž': {cs | sk | hr | et | fi | lt, 3},
	'ą': {pl, 3}, 'ę': {pl, 3}, 'ł': {pl, 3}, 'ń': {pl, 3}, 'ś': {pl, 3}, 'ź': {pl, 2}, 'ż': {pl, 3},
	'ć': {pl | hr, 3}, 'č': {cs | sk | hr | lt, 3}, 'ď': {cs | sk, 2}, 'ť': {cs | sk, 2}, 'ň': {cs | sk, 2},
	'ě': {cs, 3}, 'ř': {cs, 3}, 'ů': {cs, 3}, 'ĺ': {sk, 1}, 'ľ': {sk, 2}, 'ŕ': {sk, 1},
	'ő': {hu, 2}, 'ű': {hu, 2}, 'ă': {ro, 3}, 'ş': {ro | tr, 3}, 'ţ': {ro, 2}, 'đ': {hr, 2},
}

// plausibility scores decoded text as names and words. The right code page
// gives letters that one language writes (the score is the weight of the
// non-ASCII letters that the best-explained language writes); a wrong one
// scatters them over unrelated languages, mixes them within one word
// (Dvoøák), puts symbols against letters (£ukasz, Wa³êsa), upper case after
// lower case (ódŸ) or bytes the code page does not define, and each of
// those costs.
func plausibility(text []byte) int {
	var explained [32]int // by language bit
	score := 0
	mask, weight := ^uint32(0), 0
	endWord := func() {
		if weight > 0 && mask == 0 {
			score -= weight
		}
		mask, weight = ^uint32(0), 0
	}
	prev := ' '
	for i := 0; i < len(text); {
		c, size := utf8.DecodeRune(text[i:])
		i += size
		switch {
		case c == utf8.RuneError || c >= 0x80 && c < 0xA0:
			endWord()
			score -= 10
		case c < 0x80:
			if !isASCIILetter(c) {
				endWord()
			}
		case unicode.IsLetter(c) && !unicode.Is(unicode.Lm, c) && c != 'ª' && c != 'º':
			if unicode.IsUpper(c) && unicode.IsLower(prev) {
				score -= 3
			}
			info, ok := letters[unicode.ToLower(c)]
			if !ok {
				info = letterInfo{0, 1}
			}
			mask &= info.langs
			weight += info.weight
			for l := info.langs; l != 0; l &= l - 1 {
				explained[bits.TrailingZeros32(l)] += info.weight
			}
		default:
			endWord()
			next, _ := utf8.DecodeRune(text[i:])
			if !unicode.IsSpace(c) && (unicode.IsLetter(prev) || unicode.IsLetter(next)) {
				score -= 3
			}
		}
		prev = c
	}
	endWord()
	return score + slices.Max(explained[:])
}

func isASCIILetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
