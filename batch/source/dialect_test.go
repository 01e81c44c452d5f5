package source_test

import (
	"reflect"
	"testing"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/onboardhq/onboard/batch/source"
)

// Excel's "sep=X" first line sets the delimiter and is not the header; the
// header is still row 1, as a spreadsheet shows it.
func TestSepLine(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		opts  source.Options
		delim rune
		head  []string
		cells []string
		line  int // file line of the first data row
	}{
		{"semicolon", "sep=;\nName;City\nAnn;Bern\n", source.Options{}, ';', []string{"Name", "City"}, []string{"Ann", "Bern"}, 3},
		{"CRLF and a BOM", "\xEF\xBB\xBFsep=;\r\nName;City\r\nAnn;Bern\r\n", source.Options{}, ';', []string{"Name", "City"}, []string{"Ann", "Bern"}, 3},
		{"comma although the header has more semicolons", "sep=,\nName;x,City\nAnn;y,Bern\n", source.Options{}, ',', []string{"Name;x", "City"}, []string{"Ann;y", "Bern"}, 3},
		{"tab", "SEP=\t\nName\tCity\nAnn\tBern\n", source.Options{}, '\t', []string{"Name", "City"}, []string{"Ann", "Bern"}, 3},
		{"pipe, trailing empty cells", "sep=|||\nName|City\nAnn|Bern\n", source.Options{}, '|', []string{"Name", "City"}, []string{"Ann", "Bern"}, 3},
		{"a given delimiter wins, the line still goes", "sep=,\nName;City\nAnn;Bern\n", source.Options{Delimiter: ';'}, ';', []string{"Name", "City"}, []string{"Ann", "Bern"}, 3},
		{"not a sep line", "sep=;x,y\n1,2\n", source.Options{}, ',', []string{"sep=;x", "y"}, []string{"1", "2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.data), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Delimiter() != tt.delim || !reflect.DeepEqual(r.Header(), tt.head) {
				t.Errorf("delimiter %q, header %q; want %q, %q", r.Delimiter(), r.Header(), tt.delim, tt.head)
			}
			if len(rows) != 1 || !reflect.DeepEqual(rows[0].Cells, tt.cells) || rows[0].Num != 2 || rows[0].Line != tt.line {
				t.Fatalf("rows %+v, want one: row 2 on line %d, %q", rows, tt.line, tt.cells)
			}
			if r.SepLine() != (tt.line == 3) {
				t.Errorf("SepLine() = %v", r.SepLine())
			}
		})
	}
}

func TestExcelStyle(t *testing.T) {
	utf16 := func(s string) string {
		b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cp1252 := func(s string) string {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tt := range []struct {
		name string
		data string
		want bool
	}{
		{"plain UTF-8", "Name\nJosé\n", false},
		{"ASCII", "Name\nAnn\n", false},
		{"UTF-8 with a BOM", "\xEF\xBB\xBFName\nJosé\n", true},
		{"UTF-16 with a BOM", utf16("Name\tCity\nJosé\tZürich\n"), true},
		{"Windows-1252", cp1252("Name;City\nJosé;Zürich\n"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := readAll(t, []byte(tt.data), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.ExcelStyle(); got != tt.want {
				t.Errorf("ExcelStyle() = %v (encoding %s), want %v", got, r.Encoding(), tt.want)
			}
		})
	}
}
