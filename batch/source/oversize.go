package source

// Rows over the size limit: a failed row each, and reading goes on.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrTooLarge: a row is larger than Options.MaxRecord. A RowError wraps it.
var ErrTooLarge = errors.New("row too large")

// salvageBytes bounds what of an oversized row is parsed for the failure
// report, and salvageCell what of each of its cells is kept: enough for a
// person to recognise the row, not megabytes in failures.csv.
const (
	salvageBytes = 64 << 10
	salvageCell  = 200
)

// tooLarge turns a record that grew past the limit into a failed row and
// moves the reading to the record after it. text is what encoding/csv
// consumed of it, from file line from.
//
// Two cases. When the held text already runs over a line break, the record
// spans lines: a quoted value opened on its first line is not closed (a
// real HR value is never megabytes over many lines). That line fails and
// the lines after it are read again as rows, as quoteRow does for a
// smaller record. Otherwise one line is over the limit: it is skipped to
// the end of its record (quotes respected) without being held, its size
// counted on the way.
func (r *Reader) tooLarge(from int, text []byte) (*Row, error) {
	t := r.tape
	t.start -= len(text) // the record again, from its first byte
	t.line = from
	held := t.buf[t.start:]
	line := from
	for { // encoding/csv skips empty lines before a record
		i := bytes.IndexByte(held, '\n')
		if i < 0 || i > 1 || i == 1 && held[0] != '\r' {
			break
		}
		held = held[i+1:]
		line++
	}
	row := &Row{Line: line, Num: line - r.extra}
	rowErr := &RowError{Row: row.Num, Line: line, Err: ErrTooLarge}
	full := make([]string, r.width)
	copy(full, r.salvage(held[:min(len(held), salvageBytes)]))
	for i, c := range full {
		full[i] = clip(strings.ToValidUTF8(c, "\uFFFD"), salvageCell)
	}
	r.project(row, full)
	row.Err = rowErr

	if i := bytes.IndexByte(held, '\n'); i >= 0 {
		rest := held[i+1:]
		t.start = len(t.buf)
		rowErr.Msg = fmt.Sprintf("a quoted value opened on this line runs on for over %s (the limit of one row): its closing quote mark is missing, or a quote mark inside it is not doubled; the lines after it are read again as rows of their own", sizeText(int64(r.limit)))
		r.restart(rest, line+1)
		return row, nil
	}

	scan := quoteScan{delim: lastByte(r.delimiter), fieldStart: true}
	size, lines, err := t.skipRecord(held, &scan)
	t.start = len(t.buf)
	if err != nil && err != io.EOF {
		return nil, &FatalError{File: r.name, Line: line, Row: row.Num, Err: err, Msg: "cannot read on: " + err.Error()}
	}
	where := ""
	if lines > 0 {
		where = fmt.Sprintf(" (lines %d to %d)", line, line+lines)
	}
	rowErr.Msg = fmt.Sprintf("the row%s is %s, over the limit of %s for one row; it is skipped (a damaged file, or not an export of people?)", where, sizeText(size), sizeText(int64(r.limit)))
	r.extra += lines
	r.restart(nil, line+lines+1)
	return row, nil
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

// lastByte is the byte that ends the delimiter as encoded in UTF-8: what
// the scan takes for the end of a field (exact for the one-byte
// delimiters files use).
func lastByte(d rune) byte {
	b := utf8.AppendRune(nil, d)
	return b[len(b)-1]
}

// quoteScan follows a CSV record byte by byte, as encoding/csv would
// parse it, to find where it ends: at a line break outside a quoted
// value.
type quoteScan struct {
	delim      byte
	inQuote    bool
	quoteSeen  bool // a quote inside a quoted value: closing, or the first of a pair
	fieldStart bool
}

// feed scans p. It returns the index of the line break ending the record,
// or -1, and the line breaks inside the record in p.
func (s *quoteScan) feed(p []byte) (end, lines int) {
	for i, c := range p {
		if s.inQuote {
			if s.quoteSeen {
				s.quoteSeen = false
				if c == '"' {
					continue // "" inside a quoted value
				}
				s.inQuote = false // the closing quote; c is read outside
			} else {
				switch c {
				case '"':
					s.quoteSeen = true
				case '\n':
					lines++
				}
				continue
			}
		}
		switch c {
		case '\n':
			return i, lines
		case '"':
			if s.fieldStart {
				s.inQuote = true
			}
		}
		s.fieldStart = c == s.delim
	}
	return -1, lines
}

// skipRecord reads past the rest of a record whose first bytes are held
// (the tape's text from the record's start), without keeping it. What
// follows the record is left in pending for the next read. It returns the
// record's size in bytes and the line breaks inside it.
func (t *tape) skipRecord(held []byte, s *quoteScan) (size int64, lines int, err error) {
	step := func(p []byte) ([]byte, bool) {
		end, n := s.feed(p)
		lines += n
		if end < 0 {
			size += int64(len(p))
			return nil, false
		}
		size += int64(end + 1)
		return p[end+1:], true
	}
	if rest, done := step(held); done {
		t.pending = append(append([]byte(nil), rest...), t.pending...)
		return size, lines, nil
	}
	if rest, done := step(t.pending); done {
		t.pending = rest
		return size, lines, nil
	}
	t.pending = nil
	buf := make([]byte, 64<<10)
	for {
		n, err := t.src.Read(buf)
		if rest, done := step(buf[:n]); done {
			t.pending = append([]byte(nil), rest...)
			return size, lines, nil
		}
		if err != nil {
			return size, lines, err
		}
	}
}
