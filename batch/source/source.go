// Package source reads an input CSV as a stream of numbered rows. It finds
// out what a spreadsheet or HR system wrote (encoding from a BOM or from
// invalid UTF-8, the delimiter from the header line, any line ending) so
// that every later stage sees clean UTF-8 cells, and it numbers rows the way
// a spreadsheet shows them (the header is row 1).
//
// encoding/csv does the parsing: the input header is only known at run time,
// and a damaged row must fail alone, which gocsv cannot do.
package source

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// MaxRecord bounds one row's size. An HR row is a few hundred bytes; a row
// larger than this is a damaged file (an unclosed quote swallowing the rest)
// or not a CSV at all, and reading on would only eat memory.
const MaxRecord = 4 << 20

// Options override what the reader would detect.
type Options struct {
	// Encoding is "" or "auto" to detect, or one of utf-8, utf-16le,
	// utf-16be, windows-1252, latin1 (iso-8859-1).
	Encoding string
	// Delimiter is 0 to sniff from the header line.
	Delimiter rune
}

// Row is one data row.
type Row struct {
	// Num is the row number a spreadsheet shows (the header is row 1).
	Num int
	// SourceRow is the row number an earlier run gave this row, when the
	// input is one of onboard's reports fed back (its onboard_source_row,
	// else its onboard_row); "" otherwise.
	SourceRow string
	// Line is the file line the row starts on.
	Line int
	// Cells are the row's values, one per header column (padded with empty
	// cells when the row is short).
	Cells []string
	// Err is set when the row cannot be used as it is (wrong number of
	// fields, bad quoting, invalid text); Cells then hold what could be read.
	Err error
}

// FatalError stops the reading: the file cannot be read on.
type FatalError struct {
	File string
	Line int
	Msg  string
}

func (e *FatalError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Reader streams rows from one CSV.
type Reader struct {
	name      string
	closer    io.Closer
	raw       *countingReader
	size      int64
	guard     *guardReader
	csv       *csv.Reader
	header    []string // visible columns
	width     int      // columns in the file, report columns included
	visible   []int    // indexes of the visible columns in the file
	srcRow    int      // index of the column holding SourceRow, or -1
	isReport  bool
	extra     int // newlines inside quoted cells so far (rows vs lines)
	encoding  string
	delimiter rune
	last      int
}

// Open opens path ("-" for standard input) and reads its header.
func Open(path string, opts Options) (*Reader, error) {
	if path == "-" {
		return New("standard input", os.Stdin, 0, nil, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FatalError{File: path, Msg: friendlyOpen(err)}
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
// progress; closer (may be nil) is closed by Close.
func New(name string, r io.Reader, size int64, closer io.Closer, opts Options) (*Reader, error) {
	rd := &Reader{name: name, closer: closer, size: size, raw: &countingReader{r: r}}
	br := bufio.NewReaderSize(rd.raw, 64<<10)
	peek, _ := br.Peek(64 << 10)
	if len(peek) == 0 {
		return nil, &FatalError{File: name, Msg: "the file is empty; it needs a header row and one row per person"}
	}
	enc, label, err := chooseEncoding(peek, opts.Encoding)
	if err != nil {
		return nil, &FatalError{File: name, Msg: err.Error()}
	}
	rd.encoding = label
	var decoded io.Reader = br
	if enc != nil {
		decoded = transform.NewReader(br, enc.NewDecoder())
	}
	decoded = transform.NewReader(decoded, lineEndings{})
	dbr := bufio.NewReaderSize(decoded, 64<<10)
	first, _ := dbr.Peek(64 << 10)
	rd.delimiter = opts.Delimiter
	if rd.delimiter == 0 {
		rd.delimiter = sniffDelimiter(first)
	}
	rd.guard = &guardReader{r: dbr, limit: MaxRecord}
	c := csv.NewReader(rd.guard)
	c.Comma = rd.delimiter
	c.FieldsPerRecord = -1
	c.ReuseRecord = false
	rd.csv = c
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

func (r *Reader) readHeader() error {
	rec, err := r.csv.Read()
	r.guard.reset()
	if err == io.EOF {
		return &FatalError{File: r.name, Msg: "the file has no rows; it needs a header row and one row per person"}
	}
	if err != nil {
		return r.fatal(err, 1)
	}
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1] // trailing empty columns, as spreadsheets write them
	}
	seen := map[string]int{}
	for i, h := range rec {
		rec[i] = strings.TrimSpace(h)
		if !utf8.ValidString(rec[i]) {
			return &FatalError{File: r.name, Line: 1, Msg: fmt.Sprintf("header column %d is not valid %s text; pass --encoding to say how the file was saved", i+1, r.encoding)}
		}
		if rec[i] == "" {
			return &FatalError{File: r.name, Line: 1, Msg: fmt.Sprintf("header column %d has no name; give every column a name in row 1", i+1)}
		}
		k := strings.ToLower(rec[i])
		if j, dup := seen[k]; dup {
			return &FatalError{File: r.name, Line: 1, Msg: fmt.Sprintf("header has column %q twice (columns %d and %d); rename one", rec[i], j+1, i+1)}
		}
		seen[k] = i
	}
	if len(rec) < 2 && r.delimiter == ',' && looksBinary(rec) {
		return &FatalError{File: r.name, Line: 1, Msg: "this does not look like a CSV file"}
	}
	r.width = len(rec)
	r.srcRow = -1
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
		case strings.HasPrefix(k, "onboard_"):
			r.isReport = true
		default:
			r.visible = append(r.visible, i)
			r.header = append(r.header, h)
		}
	}
	if len(r.header) == 0 {
		return &FatalError{File: r.name, Line: 1, Msg: "the header has no columns besides onboard_ ones"}
	}
	r.last = 1
	return nil
}

// project keeps the visible columns of a full-width row and reads its
// source row. Cells of a report fed back lose the quote that kept a
// spreadsheet from running them as formulas.
func (r *Reader) project(row *Row, full []string) {
	if r.srcRow >= 0 && r.srcRow < len(full) {
		row.SourceRow = strings.TrimSpace(full[r.srcRow])
	}
	if !r.isReport {
		row.Cells = full
		return
	}
	cells := make([]string, len(r.visible))
	for i, j := range r.visible {
		if j < len(full) {
			cells[i] = undefuse(full[j])
		}
	}
	row.Cells = cells
}

// undefuse reverses report.Defuse (kept here so that the reader does not
// depend on the writer).
func undefuse(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

func looksBinary(rec []string) bool {
	for _, s := range rec {
		if strings.ContainsRune(s, utf8.RuneError) || strings.ContainsRune(s, 0) {
			return true
		}
	}
	return false
}

// IsReport reports whether the input is one of onboard's reports fed back.
func (r *Reader) IsReport() bool { return r.isReport }

// Header returns the column names, trimmed, in file order, without the
// onboard_ columns of a report fed back as input.
func (r *Reader) Header() []string { return r.header }

// Name returns the input's name for messages.
func (r *Reader) Name() string { return r.name }

// Encoding returns the detected (or given) encoding.
func (r *Reader) Encoding() string { return r.encoding }

// Delimiter returns the detected (or given) delimiter.
func (r *Reader) Delimiter() rune { return r.delimiter }

// Progress returns the bytes read so far and the total (0 if unknown).
func (r *Reader) Progress() (int64, int64) { return r.raw.n, r.size }

// Close closes the underlying file.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Next returns the next data row, or io.EOF after the last one, or a
// *FatalError when the file cannot be read on. Rows with damage come back
// with Err set; reading goes on after them.
func (r *Reader) Next() (*Row, error) {
	for {
		rec, err := r.csv.Read()
		r.guard.reset()
		if err == io.EOF {
			return nil, io.EOF
		}
		line, _ := r.csv.FieldPos(0)
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil, r.fatal(err, line)
		}
		if err != nil {
			// A quoting problem: the row fails alone and reading goes on.
			row := &Row{Line: pe.StartLine, Num: pe.StartLine - r.extra}
			r.project(row, make([]string, r.width))
			msg := describeParse(pe)
			if pe.Line > pe.StartLine {
				r.extra += pe.Line - pe.StartLine
				msg += fmt.Sprintf(" (lines %d to %d were read as this one row)", pe.StartLine, pe.Line)
			}
			row.Err = fmt.Errorf("%s", msg)
			r.last = row.Num
			return row, nil
		}
		if blank(rec) {
			continue
		}
		row := &Row{Line: line, Num: line - r.extra}
		for _, c := range rec {
			r.extra += strings.Count(c, "\n")
		}
		r.last = row.Num
		full, err := r.fit(rec)
		row.Err = err
		r.project(row, full)
		if row.Err == nil {
			for i, c := range row.Cells {
				if !utf8.ValidString(c) {
					row.Err = fmt.Errorf("column %q is not valid %s text; pass --encoding (e.g. windows-1252) to say how the file was saved", r.header[i], r.encoding)
					row.Cells[i] = strings.ToValidUTF8(c, "\uFFFD")
				}
			}
		}
		return row, nil
	}
}

// fit makes rec exactly as wide as the header. Trailing empty fields are
// tolerated; any other difference is the row's error.
func (r *Reader) fit(rec []string) ([]string, error) {
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
		return out, fmt.Errorf("has %d fields but the header has %d columns; the last %d are missing (a missing delimiter?)", n, r.width, r.width-n)
	}
	return rec[:r.width], fmt.Errorf("has %d fields but the header has %d columns; extra values %s (an unquoted delimiter inside a value?)", n, r.width, quoteRange(rec[r.width:n]))
}

func quoteRange(l []string) string {
	if len(l) > 4 {
		l = append(l[:4:4], "…")
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func describeParse(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("a quoted value starting on line %d is not closed, or has a stray \" inside (write \"\" for a quote inside a quoted value)", pe.StartLine)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("line %d, column %d: a \" inside a value that is not quoted (quote the whole value and double the \")", pe.Line, pe.Column)
	}
	return pe.Error()
}

func (r *Reader) fatal(err error, line int) error {
	if errors.Is(err, errTooLarge) {
		return &FatalError{File: r.name, Line: line, Msg: fmt.Sprintf("a row of over %d MB starts here; the file is damaged (an unclosed quote?) or not a CSV export", MaxRecord>>20)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FatalError{File: r.name, Line: pe.StartLine, Msg: describeParse(pe)}
	}
	return &FatalError{File: r.name, Line: line, Msg: "cannot read on: " + err.Error()}
}

// chooseEncoding decides how to decode the file: a BOM says it, an explicit
// option overrides, valid UTF-8 is UTF-8, and anything else is Excel's
// Windows-1252. NUL bytes without a UTF-16 BOM mean a binary file.
func chooseEncoding(peek []byte, want string) (encoding.Encoding, string, error) {
	switch strings.ToLower(strings.ReplaceAll(want, "_", "-")) {
	case "", "auto":
	case "utf-8", "utf8":
		return unicode.UTF8BOM, "UTF-8", nil
	case "utf-16le", "utf16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "UTF-16LE", nil
	case "utf-16be", "utf16be":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "UTF-16BE", nil
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16", nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, "Windows-1252", nil
	case "latin1", "iso-8859-1":
		return charmap.ISO8859_1, "ISO-8859-1", nil
	case "iso-8859-15", "latin9":
		return charmap.ISO8859_15, "ISO-8859-15", nil
	default:
		return nil, "", fmt.Errorf("unknown encoding %q (known: utf-8, utf-16le, utf-16be, windows-1252, latin1, iso-8859-15)", want)
	}
	switch {
	case bytes.HasPrefix(peek, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM, "UTF-8", nil
	case bytes.HasPrefix(peek, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16LE", nil
	case bytes.HasPrefix(peek, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "UTF-16BE", nil
	case bytes.HasPrefix(peek, []byte("PK\x03\x04")):
		return nil, "", errors.New("this is an Excel workbook (.xlsx) or another zip file, not a CSV; in Excel use File > Save As > CSV UTF-8")
	case bytes.HasPrefix(peek, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, "", errors.New("this is an old Excel workbook (.xls), not a CSV; in Excel use File > Save As > CSV UTF-8")
	case bytes.HasPrefix(peek, []byte("%PDF")):
		return nil, "", errors.New("this is a PDF, not a CSV")
	}
	if bytes.IndexByte(peek, 0) >= 0 {
		if utf16NoBOM(peek) {
			return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "UTF-16LE", nil
		}
		return nil, "", errors.New("this looks like a binary file, not a CSV; export the sheet as CSV")
	}
	// Cut a rune split at the end of the peek before checking.
	check := peek
	for i := 0; i < 3 && len(check) > 0 && !utf8.Valid(check); i++ {
		check = check[:len(check)-1]
	}
	if utf8.Valid(check) {
		return nil, "UTF-8", nil
	}
	return charmap.Windows1252, "Windows-1252", nil
}

// utf16NoBOM recognises little-endian UTF-16 text without a BOM: every odd
// byte of ASCII text is zero.
func utf16NoBOM(p []byte) bool {
	if len(p) < 8 {
		return false
	}
	zeros := 0
	for i := 1; i < len(p) && i < 512; i += 2 {
		if p[i] == 0 {
			zeros++
		}
	}
	return zeros*10 >= min(len(p), 512)/2*9
}

// sniffDelimiter picks the delimiter the header line uses most, outside
// quotes: Excel in much of Europe writes `;`, "Unicode Text" writes tabs.
func sniffDelimiter(p []byte) rune {
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		p = p[:i]
	}
	counts := map[rune]int{}
	inQuote := false
	for _, c := range string(p) {
		switch {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == ';' || c == '\t' || c == '|'):
			counts[c]++
		}
	}
	best, n := ',', 0
	for _, c := range []rune{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return best
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

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var errTooLarge = errors.New("record too large")

// guardReader fails once more than limit bytes are read for one record, so
// an unclosed quote cannot pull a whole file into memory.
type guardReader struct {
	r     io.Reader
	n     int
	limit int
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.n > g.limit {
		return 0, errTooLarge
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

func (g *guardReader) reset() { g.n = 0 }
