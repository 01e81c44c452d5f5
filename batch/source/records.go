package source

// Reading CSV records with encoding/csv, one damaged row failing alone.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

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
	if r.xl != nil {
		return r.nextSheetRow()
	}
	for {
		rec, from, text, err := r.read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return r.quoteRow(pe, rec, from, text), nil
		}
		if errors.Is(err, errTooLarge) {
			return r.tooLarge(from, text)
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
		if terr := r.checkText(row); rerr == nil {
			rerr = terr
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

// checkText looks for text that did not decode (shown as U+FFFD) and for
// NUL bytes. A NUL fails the row: the file is damaged. Text that did not
// decode marks its cells in BadColumns and is made valid UTF-8: only a row
// that uses such a cell fails (Row.TextError), so that one stray byte in
// a column nobody reads costs nothing.
func (r *Reader) checkText(row *Row) error {
	var err error
	for i, c := range row.Cells {
		switch {
		case strings.IndexByte(c, 0) >= 0:
			if err == nil {
				err = &RowError{Row: row.Num, Line: row.Line, Column: r.header[i], Err: ErrText,
					Msg: "holds a NUL byte; the file is damaged or not a CSV export"}
			}
		case strings.ContainsRune(c, utf8.RuneError):
			row.Cells[i] = strings.ToValidUTF8(c, "\uFFFD")
			row.BadColumns = append(row.BadColumns, i)
			row.textErrs = append(row.textErrs, &RowError{Row: row.Num, Line: row.Line, Column: r.header[i], Err: ErrText,
				Msg: fmt.Sprintf("is not valid %s text (shown as \uFFFD); fix the cell, or pass --encoding to say how the file was saved (%s)", r.Encoding(), strings.Join(EncodingNames(), ", "))})
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
			Msg: fmt.Sprintf("a row of over %s starts here; the file is damaged (a quoted value that is never closed?) or not a CSV export", sizeText(int64(r.limit)))}
	}
	return &FatalError{File: r.name, Line: line, Row: row, Err: err, Msg: "cannot read on: " + err.Error()}
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB (%d bytes)", float64(n)/(1<<20), n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// sniffDelimiter picks the delimiter the header line uses most, outside
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
