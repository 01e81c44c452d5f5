package source_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/onboardhq/onboard/batch/source"
)

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// workbookBytes saves f, then applies edits (old, new) to its sheet XML:
// excelize writes no cached value for a formula, Excel does.
func workbookBytes(t testing.TB, f *excelize.File, edits ...string) []byte {
	t.Helper()
	buf, err := f.WriteToBuffer()
	must(t, err)
	if len(edits) == 0 {
		return buf.Bytes()
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	must(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		must(t, err)
		data, err := io.ReadAll(rc)
		must(t, err)
		rc.Close()
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			for i := 0; i+1 < len(edits); i += 2 {
				data = bytes.ReplaceAll(data, []byte(edits[i]), []byte(edits[i+1]))
			}
		}
		w, err := zw.Create(zf.Name)
		must(t, err)
		_, err = w.Write(data)
		must(t, err)
	}
	must(t, zw.Close())
	return out.Bytes()
}

// peopleWorkbook is what an HR system exports: a title-less sheet
// "People" whose header is on row 2, text with leading zeros, a
// date-styled column (built-in and a locale format), numbers, booleans,
// a formula, a blank row, a short row, merged cells; and a second sheet.
func peopleWorkbook(t testing.TB, date1904 bool) []byte {
	f := excelize.NewFile()
	defer f.Close()
	must(t, f.SetSheetName("Sheet1", "People"))
	_, err := f.NewSheet("Managers")
	must(t, err)
	must(t, f.SetCellStr("Managers", "A1", "Name"))
	if date1904 {
		yes := true
		must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
	}
	serial := 45306.0 // 2024-01-15 in the 1900 system
	if date1904 {
		serial -= 1462
	}
	short, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(t, err)
	german := "dd.mm.yyyy"
	local, err := f.NewStyle(&excelize.Style{CustomNumFmt: &german})
	must(t, err)
	stamp, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	must(t, err)
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	must(t, err)
	header := []string{"Name", "Employee ID", "Start", "Local Start", "Stamp", "Count", "Ratio", "Active", "Double"}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		must(t, f.SetCellStr("People", cell, h))
	}
	must(t, f.SetCellStr("People", "A3", "José Müller"))
	must(t, f.SetCellStr("People", "B3", "00123"))
	must(t, f.SetCellStyle("People", "B3", "B3", text))
	for _, c := range []struct {
		cell  string
		style int
		v     float64
	}{{"C3", short, serial}, {"D3", local, serial}, {"E3", stamp, serial + 0.5}} {
		must(t, f.SetCellFloat("People", c.cell, c.v, -1, 64))
		must(t, f.SetCellStyle("People", c.cell, c.cell, c.style))
	}
	must(t, f.SetCellInt("People", "F3", 42))
	must(t, f.SetCellFloat("People", "G3", 3.5, -1, 64))
	must(t, f.SetCellBool("People", "H3", true))
	must(t, f.SetCellFormula("People", "I3", "F3*2"))
	// row 4 is blank
	must(t, f.SetCellStr("People", "A5", "Zoë"))
	must(t, f.SetCellStr("People", "A6", "Łukasz"))
	must(t, f.SetCellStr("People", "B6", "merged"))
	must(t, f.MergeCell("People", "B6", "C6"))
	must(t, f.SetCellBool("People", "H6", false))
	return workbookBytes(t, f, "<f>F3*2</f></c>", "<f>F3*2</f><v>84</v></c>")
}

func TestWorkbook(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		name := "1900"
		if date1904 {
			name = "1904"
		}
		t.Run(name, func(t *testing.T) {
			r, rows, err := readAll(t, peopleWorkbook(t, date1904), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sheet() != "People" || !reflect.DeepEqual(r.OtherSheets(), []string{"Managers"}) || !r.ExcelStyle() {
				t.Errorf("sheet %q, others %q, Excel style %v", r.Sheet(), r.OtherSheets(), r.ExcelStyle())
			}
			wantHeader := []string{"Name", "Employee ID", "Start", "Local Start", "Stamp", "Count", "Ratio", "Active", "Double"}
			if !reflect.DeepEqual(r.Header(), wantHeader) {
				t.Errorf("header %q", r.Header())
			}
			want := []struct {
				num   int
				cells []string
			}{
				{3, []string{"José Müller", "00123", "2024-01-15", "2024-01-15", "2024-01-15 12:00:00", "42", "3.5", "TRUE", "84"}},
				{5, []string{"Zoë", "", "", "", "", "", "", "", ""}},
				{6, []string{"Łukasz", "merged", "", "", "", "", "", "FALSE", ""}},
			}
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i, w := range want {
				if rows[i].Num != w.num || rows[i].Err != nil || !reflect.DeepEqual(rows[i].Cells, w.cells) {
					t.Errorf("row %d (%v): %q, want row %d: %q", rows[i].Num, rows[i].Err, rows[i].Cells, w.num, w.cells)
				}
			}
		})
	}
}

func TestWorkbookSheetChoice(t *testing.T) {
	data := peopleWorkbook(t, false)
	r, rows, err := readAll(t, data, source.Options{Sheet: "managers"})
	if err == nil || r != nil {
		// Managers has a header and no rows: refused like a CSV.
		t.Fatalf("Managers read: %v rows, err %v", len(rows), err)
	}
	if !strings.Contains(err.Error(), "no rows under the header") {
		t.Errorf("err = %v", err)
	}
	_, _, err = readAll(t, data, source.Options{Sheet: "Staff"})
	if err == nil || !strings.Contains(err.Error(), `no sheet "Staff"`) || !strings.Contains(err.Error(), `"People", "Managers"`) {
		t.Errorf("err = %v, want one naming the sheets", err)
	}
	r, _, err = readAll(t, data, source.Options{Sheet: "People"})
	if err != nil || r.OtherSheets() != nil {
		t.Errorf("People named: %v, others %q", err, r.OtherSheets())
	}
}

// An export written by a streaming writer holds inline strings, not the
// shared table; a value under no header fails its row.
func TestWorkbookInlineStrings(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	must(t, err)
	must(t, sw.SetRow("A1", []any{"Email", "Name"}))
	must(t, sw.SetRow("A2", []any{"ann@example.com", "Ann Öberg"}))
	must(t, sw.SetRow("A3", []any{"bo@example.com", "Bo", "stray"}))
	must(t, sw.Flush())
	data := workbookBytes(t, f)
	if !bytes.Contains(data, []byte("PK")) {
		t.Fatal("not a zip")
	}
	_, rows, err := readAll(t, data, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0].Cells, []string{"ann@example.com", "Ann Öberg"}) || rows[0].Err != nil {
		t.Fatalf("rows %+v", rows)
	}
	if !errors.Is(rows[1].Err, source.ErrFieldCount) || !strings.Contains(rows[1].Err.Error(), "column C") {
		t.Errorf("row 3 err = %v, want one naming column C", rows[1].Err)
	}
}

func TestWorkbookRefused(t *testing.T) {
	var zipOnly bytes.Buffer
	zw := zip.NewWriter(&zipOnly)
	w, _ := zw.Create("readme.txt")
	w.Write([]byte("hello"))
	zw.Close()
	whole := peopleWorkbook(t, false)
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"legacy .xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), ".xls"},
		{"a zip that is no workbook", zipOnly.Bytes(), "not a CSV or an Excel workbook"},
		{"a cut workbook", whole[:len(whole)/2], "cannot be opened"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.data, source.Options{})
			var fe *source.FatalError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a *FatalError mentioning %q", err, tt.want)
			}
		})
	}
}

// Open finds a workbook by its content, whatever its name.
func TestOpenWorkbookByContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.dat")
	must(t, os.WriteFile(path, peopleWorkbook(t, false), 0o600))
	r, err := source.Open(path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Sheet() != "People" {
		t.Errorf("sheet %q", r.Sheet())
	}
}
