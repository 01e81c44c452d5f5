package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/onboardhq/onboard/batch/formula"
)

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
	return r.setHeader(rec, line, num)
}

// setHeader checks and keeps the header row rec, read on file line line
// (row num).
func (r *Reader) setHeader(rec []string, line, num int) error {
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
