package source_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/batch/source"
)

// A UTF-8 export with a stray byte stays UTF-8: every other name arrives
// byte for byte, and only the cell with the stray byte is marked.
func TestStrayByteKeepsUTF8(t *testing.T) {
	names := func(n, bad int, badCell string) string {
		var b strings.Builder
		b.WriteString("Email,First,Last,Note\n")
		for i := 1; i <= n; i++ {
			first := "José"
			if i%3 == 0 {
				first = "Zoë"
			}
			note := "ok"
			if i == bad {
				note = badCell
			}
			fmt.Fprintf(&b, "p%d@example.com,%s,Müller,%s\n", i, first, note)
		}
		return b.String()
	}
	asciiHead := "Email,First,Last,Note\n" + strings.Repeat("a@example.com,Ann,Lee,ok\n", 3000) // over 64 KB
	tests := []struct {
		name    string
		data    string
		badRow  int // Row.Num of the row with the stray byte
		badCols []int
	}{
		{"row 150 of 200", names(200, 150, "caf\xe9"), 151, []int{3}},
		{"row 150 of 200, with a BOM", "\xEF\xBB\xBF" + names(200, 150, "caf\xe9"), 151, []int{3}},
		{"the stray byte is the first non-ASCII byte, after 64 KB of ASCII",
			asciiHead + "x@example.com,Ann,Lee,caf\xe9\n" + strings.TrimPrefix(names(200, 0, ""), "Email,First,Last,Note\n"), 3002, []int{3}},
		{"a stray byte in the first 64 KB, the accents after it",
			"Email,First,Last,Note\n" + strings.Repeat("a@example.com,Ann,Lee,ok\n", 100) + "x@example.com,Ann,Lee,caf\xe9\n" +
				strings.Repeat("a@example.com,Ann,Lee,ok\n", 3000) + strings.TrimPrefix(names(200, 0, ""), "Email,First,Last,Note\n"), 102, []int{3}},
		{"two stray bytes", names(200, 7, "caf\xe9\xff"), 8, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.data), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != "UTF-8" {
				t.Errorf("Encoding() = %q, want UTF-8", r.Encoding())
			}
			seen := false
			for _, row := range rows {
				if row.Num == tt.badRow {
					seen = true
					if !reflect.DeepEqual(row.BadColumns, tt.badCols) || row.Err != nil {
						t.Errorf("row %d: BadColumns %v, Err %v; want %v, nil", row.Num, row.BadColumns, row.Err, tt.badCols)
					}
					if row.TextError(func(c int) bool { return c != 3 }) != nil {
						t.Errorf("row %d fails though its bad cell is not used", row.Num)
					}
					if err := row.TextError(func(c int) bool { return c == 3 }); err == nil || !strings.Contains(err.Error(), `column "Note"`) {
						t.Errorf("row %d: TextError = %v, want one naming column Note", row.Num, err)
					}
					if strings.ContainsRune(row.Cells[1], '\uFFFD') {
						t.Errorf("row %d: %q", row.Num, row.Cells)
					}
					continue
				}
				if len(row.BadColumns) > 0 || row.Err != nil {
					t.Errorf("row %d: BadColumns %v, Err %v", row.Num, row.BadColumns, row.Err)
				}
				if f := row.Cells[1]; f != "José" && f != "Zoë" && f != "Ann" || row.Cells[2] != "Müller" && row.Cells[2] != "Lee" {
					t.Fatalf("row %d: names %q %q, not byte for byte", row.Num, row.Cells[1], row.Cells[2])
				}
			}
			if !seen {
				t.Errorf("no row %d", tt.badRow)
			}
		})
	}
}
