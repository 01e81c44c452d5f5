package source_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/batch/source"
)

// bigRow is what a test expects of one row: its number, its first cell,
// and a text its error mentions ("" for a good row).
type bigRow struct {
	num   int
	first string
	err   string
}

func checkBigRows(t *testing.T, rows []*source.Row, want []bigRow) {
	t.Helper()
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for i := range min(len(rows), len(want)) {
		got, w := rows[i], want[i]
		if got.Num != w.num || got.Cells[0] != w.first {
			t.Errorf("row %d: num %d, first cell %.40q; want %d, %q", i, got.Num, got.Cells[0], w.num, w.first)
		}
		switch {
		case w.err == "" && got.Err != nil:
			t.Errorf("row %d: unexpected error %v", got.Num, got.Err)
		case w.err != "" && (got.Err == nil || !strings.Contains(got.Err.Error(), w.err)):
			t.Errorf("row %d: error %v, want one mentioning %q", got.Num, got.Err, w.err)
		case w.err != "" && !errors.Is(got.Err, source.ErrTooLarge) && !errors.Is(got.Err, source.ErrQuote):
			t.Errorf("row %d: error %v wraps neither ErrTooLarge nor ErrQuote", got.Num, got.Err)
		}
	}
}

func TestOversizedRowFailsAlone(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	four := strings.Repeat("4,5\n", 10000)
	tests := []struct {
		name string
		data string
		opts source.Options
		want []bigRow
	}{
		{"10 MB quoted cell in the first row", "a,b\n1,\"" + big + "\"\n2,3\n", source.Options{},
			[]bigRow{{2, "1", "is 10.0 MB"}, {3, "2", ""}}},
		{"10 MB unquoted cell later, after a blank line", "a,b\n1,2\n\n3," + big + "\n4,5\n", source.Options{},
			[]bigRow{{2, "1", ""}, {4, "3", "over the limit of 4 MB"}, {5, "4", ""}}},
		{"10 MB quoted cell over three lines", "a,b\n1,\"" + big + "\nmore\n\"\"end\"\"\"\n2,3\n", source.Options{},
			[]bigRow{{2, "1", "lines 2 to 4"}, {3, "2", ""}}},
		{"a huge quoted cell with a doubled quote and the delimiter", "a,b\n\"" + strings.Repeat(`x"",`, 3000) + "\",1\n2,3\n", source.Options{MaxRecord: 1000},
			[]bigRow{{2, strings.Repeat(`x",`, 100)[:200] + "…", "is 12005 bytes"}, {3, "2", ""}}},
		{"last row too large, no line break", "a,b\n1,2\n3," + strings.Repeat("y", 12000), source.Options{MaxRecord: 1000},
			[]bigRow{{2, "1", ""}, {3, "3", "is 12002 bytes"}}},
		{"unclosed quote over too many lines: the lines are read again", "a,b\n1,2\n3,\"x\n" + four, source.Options{MaxRecord: 16 << 10},
			append([]bigRow{{2, "1", ""}, {3, "3", "quoted value opened on this line runs on for over 16384 bytes"}}, rowsOf(4, 10000, "4")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, []byte(tt.data), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkBigRows(t, rows, tt.want)
		})
	}
}

func rowsOf(from, n int, first string) []bigRow {
	out := make([]bigRow, n)
	for i := range out {
		out[i] = bigRow{from + i, first, ""}
	}
	return out
}

// TestOversizedRowInTheMiddle is the case from the field: a 5 MB row at
// position 500 of 1,500 once ended the run and lost the 1,000 rows after
// it. Every row is read, the big one fails alone, numbers stay right.
func TestOversizedRowInTheMiddle(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("id,name,email\r\n")
	for i := 1; i <= 1500; i++ {
		if i == 500 {
			fmt.Fprintf(&b, "%d,\"%s\",big@example.com\r\n", i, strings.Repeat("Z", 5<<20))
			continue
		}
		fmt.Fprintf(&b, "%d,Person %d,p%d@example.com\r\n", i, i, i)
	}
	_, rows, err := readAll(t, b.Bytes(), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]bigRow, 1500)
	for i := range want {
		want[i] = bigRow{i + 2, fmt.Sprint(i + 1), ""}
	}
	want[499].err = "5.0 MB"
	checkBigRows(t, rows, want)
	if len(rows) == 1500 {
		var re *source.RowError
		if !errors.As(rows[499].Err, &re) || re.Row != 501 || re.Line != 501 {
			t.Errorf("row error %#v, want row and line 501", rows[499].Err)
		}
		for _, c := range rows[499].Cells {
			if len(c) > 1000 {
				t.Errorf("the failed row keeps a cell of %d bytes", len(c))
			}
		}
		if !strings.Contains(rows[499].Err.Error(), "4 MB") {
			t.Errorf("%v does not name the limit", rows[499].Err)
		}
	}
}

// endless is a file that never ends: a header, a line that opens a quote,
// then the same line for ever.
type endless struct {
	head []byte
	line []byte
	n    int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.head) > 0 {
			c := copy(p[n:], e.head)
			e.head = e.head[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.line[e.n%int64(len(e.line)):])
		e.n += int64(c)
		n += c
	}
	return n, nil
}

// An unclosed quote in an endless feed fails its line once it has held
// MaxRecord, and the lines it swallowed come back as rows: memory stays
// bounded and reading goes on.
func TestEndlessUnclosedQuoteMovesOn(t *testing.T) {
	in := &endless{head: []byte("a,b\n1,2\n3,\"open\n"), line: []byte("4,5\n")}
	r, err := source.New("endless", in, 0, nil, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Num != 2 {
		t.Fatalf("first row = %v, %v", row, err)
	}
	row, err := r.Next()
	if err != nil || row.Num != 3 || !errors.Is(row.Err, source.ErrTooLarge) {
		t.Fatalf("row 3 = %+v, %v; want it failed as too large", row, err)
	}
	for i := range 1000 {
		row, err := r.Next()
		if err != nil || row.Num != 4+i || row.Err != nil || row.Cells[0] != "4" {
			t.Fatalf("row %d = %+v, %v", 4+i, row, err)
		}
	}
	if done, _ := r.Progress(); done > 3*source.MaxRecord {
		t.Errorf("read %d bytes for 1003 rows", done)
	}
}

// A header over the limit is still the end: there is nothing to read rows
// by.
func TestOversizedHeaderIsFatal(t *testing.T) {
	_, _, err := readAll(t, []byte("a,"+strings.Repeat("b", 9000)+"\n1,2\n"), source.Options{MaxRecord: 1000})
	fatal(t, err, 1, "over 1000 bytes")
	if _, _, err = readAll(t, []byte("a,b\n1,2\n"), source.Options{MaxRecord: 1000}); err != nil && err != io.EOF {
		t.Fatal(err)
	}
}
