package source

// Excel workbooks (.xlsx): rows streamed from one sheet with excelize, cells
// as Excel shows them to a person.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// workbook is the sheet a Reader reads when its input is an .xlsx.
type workbook struct {
	file   *excelize.File
	rows   *excelize.Rows
	sheet  string
	others []string // the sheets not read, when the first was taken by default
	num    int      // the sheet's row number of the last row read
}

// isZip reports whether p starts like a zip archive, as an .xlsx does.
func isZip(p []byte) bool {
	return bytes.HasPrefix(p, []byte("PK\x03\x04")) || bytes.HasPrefix(p, []byte("PK\x05\x06"))
}

// newWorkbook reads the input as an .xlsx. A zip archive keeps its
// directory at its end, so the (compressed) workbook is read whole; the
// sheet itself is then streamed row by row (excelize keeps a large sheet
// in a temporary file, not in memory).
func (r *Reader) newWorkbook(src io.Reader, opts Options) error {
	fatal := func(format string, args ...any) error {
		return &FatalError{File: r.name, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := io.ReadAll(src)
	if err != nil {
		return &FatalError{File: r.name, Msg: "cannot read: " + err.Error(), Err: err}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fatal("this is a zip file or an Excel workbook (.xlsx) that cannot be opened (%v); is it complete? In Excel use File > Save As > Excel Workbook (.xlsx) or CSV UTF-8", err)
	}
	if !slices.ContainsFunc(zr.File, func(f *zip.File) bool { return f.Name == "xl/workbook.xml" }) {
		return fatal("this is a zip file, not a CSV or an Excel workbook (.xlsx)")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return fatal("the Excel workbook cannot be read: %v; in Excel use File > Save As > Excel Workbook (.xlsx) or CSV UTF-8", err)
	}
	wb := &workbook{file: f}
	r.xl = wb
	r.setEncoding("Excel workbook")
	r.delimiter = ','
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fatal("the Excel workbook has no sheets")
	}
	if want := strings.TrimSpace(opts.Sheet); want != "" {
		i := slices.IndexFunc(sheets, func(s string) bool { return strings.EqualFold(s, want) })
		if i < 0 {
			return fatal("the workbook has no sheet %q (its sheets: %s)", want, quoteAll(sheets))
		}
		wb.sheet = sheets[i]
	} else {
		wb.sheet = sheets[0]
		for _, s := range sheets { // the first one a person sees
			if visible, err := f.GetSheetVisible(s); err == nil && visible {
				wb.sheet = s
				break
			}
		}
		for _, s := range sheets {
			if s != wb.sheet {
				wb.others = append(wb.others, s)
			}
		}
	}
	if err := isoDates(f); err != nil {
		return fatal("the Excel workbook's styles cannot be read: %v", err)
	}
	if wb.rows, err = f.Rows(wb.sheet); err != nil {
		return fatal("sheet %q cannot be read: %v", wb.sheet, err)
	}
	for {
		rec, err := wb.nextRecord()
		if err == io.EOF {
			return fatal("sheet %q is empty; it needs a header row and one row per person", wb.sheet)
		}
		if err != nil {
			return r.sheetError(err)
		}
		if !blank(rec) {
			return r.setHeader(rec, wb.num, wb.num)
		}
	}
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// nextRecord returns the cells of the sheet's next row (none for an empty
// row), or io.EOF.
func (w *workbook) nextRecord() ([]string, error) {
	if !w.rows.Next() {
		if err := w.rows.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	w.num++ // Next visits every row number, empty rows included
	return w.rows.Columns()
}

func (r *Reader) sheetError(err error) error {
	return &FatalError{File: r.name, Line: r.xl.num, Row: r.xl.num, Err: err,
		Msg: fmt.Sprintf("sheet %q cannot be read on: %v", r.xl.sheet, err)}
}

// nextSheetRow is next for a workbook: rows are numbered as the sheet
// numbers them, and empty rows are skipped.
func (r *Reader) nextSheetRow() (*Row, error) {
	w := r.xl
	for {
		rec, err := w.nextRecord()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, r.sheetError(err)
		}
		if blank(rec) {
			continue
		}
		row := &Row{Num: w.num, Line: w.num}
		full, rerr := r.fitSheet(row, rec)
		r.project(row, full)
		if terr := r.checkText(row); rerr == nil {
			rerr = terr
		}
		row.Err = rerr
		return row, nil
	}
}

// fitSheet makes a sheet row as wide as the header: blank cells at the end
// of a row are not stored, so a short row is padded; a value in a column
// with no header is the row's error.
func (r *Reader) fitSheet(row *Row, rec []string) ([]string, error) {
	n := len(rec)
	for n > r.width && strings.TrimSpace(rec[n-1]) == "" {
		n--
	}
	if n <= r.width {
		out := make([]string, r.width)
		copy(out, rec)
		return out, nil
	}
	col, _ := excelize.ColumnNumberToName(n)
	return rec[:r.width], &RowError{Row: row.Num, Line: row.Line, Err: ErrFieldCount,
		Msg: fmt.Sprintf("a value in column %s, which has no header (%s)", col, quoteRange(rec[r.width:n], "values"))}
}

// Sheet returns the name of the sheet read, "" when the input is not a
// workbook.
func (r *Reader) Sheet() string {
	if r.xl == nil {
		return ""
	}
	return r.xl.sheet
}

// OtherSheets returns the workbook's other sheets when the sheet read was
// chosen by default (Options.Sheet empty), for a notice that names them;
// nil otherwise.
func (r *Reader) OtherSheets() []string {
	if r.xl == nil {
		return nil
	}
	return r.xl.others
}

func (w *workbook) close() error {
	var err error
	if w.rows != nil {
		err = w.rows.Close()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// isoDates makes every date format of the workbook show dates as ISO
// YYYY-MM-DD (and date-times as YYYY-MM-DD hh:mm:ss): formatted as the
// workbook says, a date would come out in the author's locale (1/15/24,
// 15.01.2024), which no vendor reads right. excelize formats a cell by
// its style's number format, so the styles are changed in memory (never
// saved) before the sheet is read; the 1900 and 1904 date systems are
// excelize's to apply.
func isoDates(f *excelize.File) error {
	if _, err := f.GetStyle(0); err != nil || f.Styles == nil || f.Styles.CellXfs == nil {
		return nil // no styles: no dates either
	}
	ss := f.Styles
	custom := map[int]string{}
	if ss.NumFmts != nil {
		for _, nf := range ss.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	kinds := make([]dateKind, len(ss.CellXfs.Xf))
	any := false
	for i, xf := range ss.CellXfs.Xf {
		if xf.NumFmtID != nil {
			kinds[i] = numFmtKind(*xf.NumFmtID, custom)
			any = any || kinds[i] != notDate
		}
	}
	if !any {
		return nil
	}
	ids := map[dateKind]int{}
	for kind, code := range map[dateKind]string{dateOnly: "yyyy-mm-dd", dateTime: "yyyy-mm-dd hh:mm:ss"} {
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		ids[kind] = *ss.CellXfs.Xf[style].NumFmtID
	}
	for i, kind := range kinds {
		if kind != notDate {
			id := ids[kind]
			ss.CellXfs.Xf[i].NumFmtID = &id
		}
	}
	return nil
}

type dateKind int

const (
	notDate dateKind = iota
	dateOnly
	dateTime
)

// numFmtKind tells whether number format id shows a date, a date and a
// time, or neither (a time of day alone is left as Excel shows it).
func numFmtKind(id int, custom map[int]string) dateKind {
	if code, ok := custom[id]; ok {
		return formatKind(code)
	}
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58:
		return dateOnly
	case id == 22:
		return dateTime
	}
	return notDate
}

// formatKind reads a custom number format code: a date has a year or day
// part (d, y) outside quoted text, escapes and [brackets]; a time has an
// hour or second part.
func formatKind(code string) dateKind {
	var b strings.Builder
	inQuote, inBracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case inQuote:
			inQuote = c != '"'
		case inBracket:
			inBracket = c != ']'
		case c == '"':
			inQuote = true
		case c == '[':
			inBracket = true
		case c == '\\' || c == '_' || c == '*':
			i++ // the next character is literal (or a fill/space width)
		case c == ';':
			i = len(code) // the first section decides
		default:
			b.WriteByte(c | 0x20)
		}
	}
	s := b.String()
	if s == "general" || !strings.ContainsAny(s, "dy") {
		return notDate
	}
	if strings.ContainsAny(s, "hs") {
		return dateTime
	}
	return dateOnly
}
