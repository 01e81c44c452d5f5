package source_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/onboardhq/onboard/batch/source"
)

// encode turns UTF-8 test text into the bytes another encoding writes.
func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

var (
	utf16LE = xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM)
	utf16BE = xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM)
	// noBOM16 writes UTF-16LE without a byte order mark.
	noBOM16 = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
)

// readAll opens data and reads every row. err is New's error, or the
// *FatalError that stopped Next.
func readAll(t testing.TB, data []byte, opts source.Options) (*source.Reader, []*source.Row, error) {
	t.Helper()
	r, err := source.New("in.csv", bytes.NewReader(data), int64(len(data)), nil, opts)
	if err != nil {
		if r != nil {
			t.Fatalf("New returned a reader and an error")
		}
		return nil, nil, err
	}
	var rows []*source.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r, rows, nil
		}
		if err != nil {
			return r, rows, err
		}
		if len(row.Cells) != len(r.Header()) {
			t.Fatalf("row %d has %d cells, header %d", row.Num, len(row.Cells), len(r.Header()))
		}
		rows = append(rows, row)
		if len(rows) > len(data)+1 {
			t.Fatalf("more rows than bytes: the reader does not move on")
		}
	}
}

func cells(rows []*source.Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.Cells
	}
	return out
}

func TestEncodings(t *testing.T) {
	const names = "Name,Email\nJosé,jose@example.com\nMüller,m@example.com\nØrsted,o@example.com\n名前,n@example.com\n"
	wantNames := [][]string{{"José", "jose@example.com"}, {"Müller", "m@example.com"}, {"Ørsted", "o@example.com"}, {"名前", "n@example.com"}}
	const unicodeText = "Name\tEmail\r\nJosé\tjose@example.com\r\nMüller\tm@example.com\r\nØrsted\to@example.com\r\n名前\tn@example.com\r\n"
	const western = "Vorname;Nachname\r\nJosé;Müller\r\nÅsa;Ørsted\r\nFrançois;Lefèvre\r\n"
	wantWestern := [][]string{{"José", "Müller"}, {"Åsa", "Ørsted"}, {"François", "Lefèvre"}}
	const polish = "Imię;Nazwisko\r\nŁukasz;Wiśniewski\r\nJosé;Müller\r\nŻaneta;Wałęsa\r\n"
	wantPolish := [][]string{{"Łukasz", "Wiśniewski"}, {"José", "Müller"}, {"Żaneta", "Wałęsa"}}
	const czech = "Jméno;Příjmení\r\nJiří;Dvořák\r\nRůžena;Kučerová\r\nTomáš;Pospíšil\r\n"
	wantCzech := [][]string{{"Jiří", "Dvořák"}, {"Růžena", "Kučerová"}, {"Tomáš", "Pospíšil"}}

	tests := []struct {
		name  string
		data  []byte
		opts  source.Options
		enc   string
		delim rune
		want  [][]string
	}{
		{"utf-8", []byte(names), source.Options{}, "UTF-8", ',', wantNames},
		{"utf-8 with BOM", append([]byte("\xEF\xBB\xBF"), names...), source.Options{}, "UTF-8", ',', wantNames},
		{"excel unicode text (utf-16le, BOM, tabs)", encode(t, utf16LE, unicodeText), source.Options{}, "UTF-16LE", '\t', wantNames},
		{"utf-16be with BOM", encode(t, utf16BE, unicodeText), source.Options{}, "UTF-16BE", '\t', wantNames},
		{"utf-16le without BOM", encode(t, noBOM16, unicodeText), source.Options{}, "UTF-16LE", '\t', wantNames},
		{"excel csv on western windows (1252)", encode(t, charmap.Windows1252, western), source.Options{}, "Windows-1252", ';', wantWestern},
		{"excel csv on polish windows (1250)", encode(t, charmap.Windows1250, polish), source.Options{}, "Windows-1250", ';', wantPolish},
		{"excel csv on czech windows (1250)", encode(t, charmap.Windows1250, czech), source.Options{}, "Windows-1250", ';', wantCzech},
		{"iso-8859-2", encode(t, charmap.ISO8859_2, czech), source.Options{}, "ISO-8859-2", ';', wantCzech},
		{"--encoding windows-1250", encode(t, charmap.Windows1250, "Name\nŘehoř\nĆsir\n"), source.Options{Encoding: "windows-1250"}, "Windows-1250", ',', [][]string{{"Řehoř"}, {"Ćsir"}}},
		{"--encoding cp1250", encode(t, charmap.Windows1250, "Name\nŁukasz\n"), source.Options{Encoding: "CP1250"}, "Windows-1250", ',', [][]string{{"Łukasz"}}},
		{"--encoding cp1252 over the guess", encode(t, charmap.Windows1252, "Name\nWa³êsa\n"), source.Options{Encoding: "cp1252"}, "Windows-1252", ',', [][]string{{"Wa³êsa"}}},
		{"--encoding latin1", encode(t, charmap.ISO8859_1, "Name\nJosé\n"), source.Options{Encoding: "latin1"}, "ISO-8859-1", ',', [][]string{{"José"}}},
		{"--encoding utf_16le", encode(t, noBOM16, unicodeText), source.Options{Encoding: "utf_16le"}, "UTF-16LE", '\t', wantNames},
		{"a BOM wins over a code page", append([]byte("\xEF\xBB\xBF"), names...), source.Options{Encoding: "windows-1252"}, "UTF-8 (the file starts with its byte order mark; --encoding windows-1252 ignored)", ',', wantNames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, tt.data, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tt.enc {
				t.Errorf("Encoding() = %q, want %q", got, tt.enc)
			}
			if got := r.Delimiter(); got != tt.delim {
				t.Errorf("Delimiter() = %q, want %q", got, tt.delim)
			}
			if got := cells(rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cells = %q, want %q", got, tt.want)
			}
			for _, row := range rows {
				if row.Err != nil {
					t.Errorf("row %d: %v", row.Num, row.Err)
				}
			}
			if done, size := r.Progress(); done != int64(len(tt.data)) || size != int64(len(tt.data)) {
				t.Errorf("Progress() = %d, %d; want %d, %d", done, size, len(tt.data), len(tt.data))
			}
		})
	}
}

func TestHeaderNames(t *testing.T) {
	// The header itself must come out right in every encoding: the
	// mapping binds to these names.
	const text = "Imię;Nazwisko;Miejscowość\r\nx;y;z\r\n"
	for _, tt := range []struct {
		enc  encoding.Encoding
		text string
		want []string
	}{
		{charmap.Windows1252, "Prénom;Straße\r\nx;y\r\n", []string{"Prénom", "Straße"}},
		{charmap.Windows1250, text, []string{"Imię", "Nazwisko", "Miejscowość"}},
		{utf16LE, text, []string{"Imię", "Nazwisko", "Miejscowość"}},
	} {
		r, _, err := readAll(t, encode(t, tt.enc, tt.text), source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Header(), tt.want) {
			t.Errorf("%s: Header() = %q, want %q", r.Encoding(), r.Header(), tt.want)
		}
	}
}

func TestUnknownEncoding(t *testing.T) {
	_, _, err := readAll(t, []byte("a\n1\n"), source.Options{Encoding: "ebcdic"})
	var fe *source.FatalError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `unknown encoding "ebcdic"`) || !strings.Contains(err.Error(), "windows-1250") {
		t.Fatalf("err = %v, want an unknown encoding listing windows-1250", err)
	}
}

// asciiRows makes n rows of plain ASCII, more than the reader peeks at.
func asciiRows(n int) string {
	var b strings.Builder
	b.WriteString("Name;Email\r\n")
	for i := range n {
		b.WriteString("Person Number ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(";person@example.com\r\n")
	}
	return b.String()
}

func TestEncodingDecidedLate(t *testing.T) {
	head := asciiRows(3000) // about 120 KB, twice what is peeked at
	if len(head) < 100<<10 {
		t.Fatalf("head too short: %d", len(head))
	}
	tail := "Łukasz;lukasz@example.com\r\nWałęsa;w@example.com\r\n"
	for _, tt := range []struct {
		name string
		data []byte
		enc  string
	}{
		{"windows-1250", append([]byte(head), encode(t, charmap.Windows1250, tail)...), "Windows-1250"},
		{"utf-8", []byte(head + tail), "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, tt.data, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3002 {
				t.Fatalf("%d rows", len(rows))
			}
			got := cells(rows[3000:])
			want := [][]string{{"Łukasz", "lukasz@example.com"}, {"Wałęsa", "w@example.com"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("cells = %q, want %q", got, want)
			}
			if r.Encoding() != tt.enc {
				t.Errorf("Encoding() = %q after reading, want %q", r.Encoding(), tt.enc)
			}
			if rows[3001].Err != nil {
				t.Error(rows[3001].Err)
			}
		})
	}
}

func TestInvalidText(t *testing.T) {
	// UTF-8 decided on the first 64 KB, or said with --encoding: a later
	// row with a Windows-1252 byte fails alone, its cells made valid.
	var long strings.Builder
	long.WriteString("Name,City\n")
	for long.Len() < 70<<10 {
		long.WriteString("José,Zürich\n")
	}
	rows := long.Len()/len("José,Zürich\n") + 1
	for _, tt := range []struct {
		name string
		head string
		opts source.Options
		row  int
	}{
		{"said", "Name,City\nJosé,Zürich\n", source.Options{Encoding: "utf-8"}, 3},
		{"detected", long.String(), source.Options{}, rows + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.head + "Ren\xe9,Paris\nAnn,Bern\n")
			r, rows, err := readAll(t, data, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != "UTF-8" {
				t.Errorf("Encoding() = %q", r.Encoding())
			}
			bad, last := rows[len(rows)-2], rows[len(rows)-1]
			if last.Err != nil || !reflect.DeepEqual(last.Cells, []string{"Ann", "Bern"}) {
				t.Errorf("last row = %q, %v", last.Cells, last.Err)
			}
			if bad.Err != nil || !reflect.DeepEqual(bad.BadColumns, []int{0}) {
				t.Fatalf("bad row: Err %v, BadColumns %v; want no Err, BadColumns [0]", bad.Err, bad.BadColumns)
			}
			if err := bad.TextError(func(col int) bool { return col == 1 }); err != nil {
				t.Errorf("TextError when only City is used = %v", err)
			}
			terr := bad.TextError(nil)
			var re *source.RowError
			if !errors.As(terr, &re) || !errors.Is(terr, source.ErrText) || re.Row != tt.row || re.Line != tt.row || re.Column != "Name" {
				t.Fatalf("TextError = %#v", terr)
			}
			for _, want := range []string{fmt.Sprintf("line %d", tt.row), `column "Name"`, "UTF-8", "--encoding"} {
				if !strings.Contains(terr.Error(), want) {
					t.Errorf("%q does not mention %q", terr, want)
				}
			}
			if got := bad.Cells[0]; got != "Ren\uFFFD" {
				t.Errorf("cell = %q", got)
			}
		})
	}
}

func TestMixedSmallFileIsACodePage(t *testing.T) {
	// Invalid UTF-8 in what was peeked means a code page, even when some
	// bytes happen to be valid UTF-8.
	r, rows, err := readAll(t, []byte("Name\nRen\xe9\n"), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Encoding() != "Windows-1252" || rows[0].Cells[0] != "René" {
		t.Errorf("%s: %q", r.Encoding(), rows[0].Cells)
	}
}

func TestNULInCell(t *testing.T) {
	data := []byte("Name,City\n" + strings.Repeat("Ann,Bern\n", 20) + "Bo\x00b,Rome\n")
	_, rows, err := readAll(t, data, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := rows[len(rows)-1]
	if !errors.Is(last.Err, source.ErrText) || !strings.Contains(last.Err.Error(), "NUL") {
		t.Fatalf("err = %v", last.Err)
	}
}

func TestDelimiters(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		opts  source.Options
		delim rune
		want  [][]string
	}{
		{"comma", "a,b\n1,2\n", source.Options{}, ',', [][]string{{"1", "2"}}},
		{"semicolon", "a;b\n1,5;2\n", source.Options{}, ';', [][]string{{"1,5", "2"}}},
		{"tab", "a\tb\n1\t2\n", source.Options{}, '\t', [][]string{{"1", "2"}}},
		{"pipe", "a|b|c\n1|2|3\n", source.Options{}, '|', [][]string{{"1", "2", "3"}}},
		{"quoted header hides delimiters", "\"a;x;y\",b\n1,2\n", source.Options{}, ',', [][]string{{"1", "2"}}},
		{"tie broken by the next line", "a;b,c\n1;2\n", source.Options{}, ';', nil},
		{"one column", "email\nx@example.com\n", source.Options{}, ',', [][]string{{"x@example.com"}}},
		{"override", "a;b\n1;2\n", source.Options{Delimiter: ','}, ',', [][]string{{"1;2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.data), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Delimiter() != tt.delim {
				t.Errorf("Delimiter() = %q, want %q", r.Delimiter(), tt.delim)
			}
			if tt.want != nil && !reflect.DeepEqual(cells(rows), tt.want) {
				t.Errorf("cells = %q, want %q", cells(rows), tt.want)
			}
		})
	}
}

func TestBadDelimiterOption(t *testing.T) {
	_, _, err := readAll(t, []byte("a,b\n1,2\n"), source.Options{Delimiter: '"'})
	var fe *source.FatalError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "delimiter") {
		t.Fatalf("err = %v", err)
	}
}

type numLine struct{ Num, Line int }

func numbers(rows []*source.Row) []numLine {
	out := make([]numLine, len(rows))
	for i, r := range rows {
		out[i] = numLine{r.Num, r.Line}
	}
	return out
}

func TestLinesAndRows(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		want  [][]string
		nums  []numLine
		width int
	}{
		{"LF", "a,b\n1,2\n3,4\n", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{2, 2}, {3, 3}}, 2},
		{"CRLF", "a,b\r\n1,2\r\n3,4\r\n", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{2, 2}, {3, 3}}, 2},
		{"lone CR", "a,b\r1,2\r3,4\r", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{2, 2}, {3, 3}}, 2},
		{"no final line break", "a,b\r\n1,2\r\n3,4", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{2, 2}, {3, 3}}, 2},
		{"blank lines count as rows", "a,b\n\n1,2\n\r\n\n3,4\n\n", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{3, 3}, {6, 6}}, 2},
		{"rows of empty cells are blank", "a,b\n1,2\n,\n \t, \n3,4\n", [][]string{{"1", "2"}, {"3", "4"}}, []numLine{{2, 2}, {5, 5}}, 2},
		{"blank lines before the header", "\n\na,b\n1,2\n", [][]string{{"1", "2"}}, []numLine{{4, 4}}, 2},
		{"quoted value over lines is one row", "a,b\n1,\"x\r\ny\r\nz\"\n3,\"say \"\"hi\"\", then, go\"\n5,6\n",
			[][]string{{"1", "x\ny\nz"}, {"3", `say "hi", then, go`}, {"5", "6"}}, []numLine{{2, 2}, {3, 5}, {4, 6}}, 2},
		{"quoted value over lines with lone CR", "a,b\r1,\"x\ry\"\r3,4\r", [][]string{{"1", "x\ny"}, {"3", "4"}}, []numLine{{2, 2}, {3, 4}}, 2},
		{"header over lines", "\"first\nname\",b\n1,2\n", [][]string{{"1", "2"}}, []numLine{{2, 3}}, 2},
		{"trailing empty columns", "a,b,,\n1,2,,\n3,4\n5,6,,,,\n", [][]string{{"1", "2"}, {"3", "4"}, {"5", "6"}}, []numLine{{2, 2}, {3, 3}, {4, 4}}, 2},
		{"cells keep their spaces", "a,b\n  1 ,\" 2 \"\n", [][]string{{"  1 ", " 2 "}}, []numLine{{2, 2}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.data), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Header()) != tt.width {
				t.Errorf("Header() = %q", r.Header())
			}
			if got := cells(rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cells = %q, want %q", got, tt.want)
			}
			if got := numbers(rows); !reflect.DeepEqual(got, tt.nums) {
				t.Errorf("Num/Line = %v, want %v", got, tt.nums)
			}
			for _, row := range rows {
				if row.Err != nil {
					t.Errorf("row %d: %v", row.Num, row.Err)
				}
			}
		})
	}
}

// wantRow is what a test expects of one row.
type wantRow struct {
	Num, Line int
	Cells     []string
	Err       error    // nil, or the sentinel the row's error wraps
	Msg       []string // strings the error must contain
}

func checkRows(t *testing.T, rows []*source.Row, want []wantRow) {
	t.Helper()
	if len(rows) != len(want) {
		for _, r := range rows {
			t.Logf("row %d line %d %q err %v", r.Num, r.Line, r.Cells, r.Err)
		}
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Num != w.Num || r.Line != w.Line {
			t.Errorf("row %d: Num, Line = %d, %d, want %d, %d", i, r.Num, r.Line, w.Num, w.Line)
		}
		if w.Cells != nil && !reflect.DeepEqual(r.Cells, w.Cells) {
			t.Errorf("row %d: cells = %q, want %q", w.Num, r.Cells, w.Cells)
		}
		if w.Err == nil {
			if r.Err != nil {
				t.Errorf("row %d: unexpected error %v", w.Num, r.Err)
			}
			continue
		}
		var re *source.RowError
		if !errors.Is(r.Err, w.Err) || !errors.As(r.Err, &re) {
			t.Errorf("row %d: err = %v, want %v", w.Num, r.Err, w.Err)
			continue
		}
		if re.Row != r.Num {
			t.Errorf("row %d: RowError.Row = %d", w.Num, re.Row)
		}
		for _, m := range w.Msg {
			if !strings.Contains(r.Err.Error(), m) {
				t.Errorf("row %d: %q does not mention %q", w.Num, r.Err, m)
			}
		}
	}
}

func TestDamagedRows(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []wantRow
	}{
		{"too few fields", "id,name,email\n1,Ann,a@x\n2,Bob\n3,Cy,c@x\n", []wantRow{
			{Num: 2, Line: 2},
			{Num: 3, Line: 3, Cells: []string{"2", "Bob", ""}, Err: source.ErrFieldCount, Msg: []string{"line 3", "2 values", "3 columns", `column "email" missing`}},
			{Num: 4, Line: 4},
		}},
		{"too many fields", "id,name,email\n1,Smith, Ann,a@x\n2,Bob,b@x\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", "Smith", " Ann"}, Err: source.ErrFieldCount, Msg: []string{"line 2", "4 values", `extra value "a@x" after column "email"`}},
			{Num: 3, Line: 3},
		}},
		{"unclosed quote swallows the lines after it", "id,name,email\n1,\"Ann,a@x\n2,Bob,b@x\n3,Cy,c@x\n4,\"Di\",d@x\n5,Ed,e@x\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", "Ann,a@x", ""}, Err: source.ErrQuote, Msg: []string{"line 2", `column "name"`, "not closed", "lines 3 to 5"}},
			{Num: 3, Line: 3, Cells: []string{"2", "Bob", "b@x"}},
			{Num: 4, Line: 4, Cells: []string{"3", "Cy", "c@x"}},
			{Num: 5, Line: 5, Cells: []string{"4", "Di", "d@x"}},
			{Num: 6, Line: 6, Cells: []string{"5", "Ed", "e@x"}},
		}},
		{"unclosed quote to the end of the file", "id,name\n1,Ann\n2,\"Bob\n3,Cy\n4,Di", []wantRow{
			{Num: 2, Line: 2},
			{Num: 3, Line: 3, Cells: []string{"2", "Bob"}, Err: source.ErrQuote, Msg: []string{"line 3", `column "name"`}},
			{Num: 4, Line: 4, Cells: []string{"3", "Cy"}},
			{Num: 5, Line: 5, Cells: []string{"4", "Di"}},
		}},
		{"unclosed quotes one after the other", "id,name\n1,\"Ann\n2,\"Bob\n3,\"Cy\n4,Di\n", []wantRow{
			{Num: 2, Line: 2, Err: source.ErrQuote, Msg: []string{"line 2"}},
			{Num: 3, Line: 3, Err: source.ErrQuote, Msg: []string{"line 3"}},
			{Num: 4, Line: 4, Err: source.ErrQuote, Msg: []string{"line 4"}},
			{Num: 5, Line: 5, Cells: []string{"4", "Di"}},
		}},
		{"swallow after a quoted value over lines", "id,note\n1,\"a\nb\"\n2,\"open\n3,x\n4,y\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", "a\nb"}},
			{Num: 3, Line: 4, Err: source.ErrQuote, Msg: []string{"line 4"}},
			{Num: 4, Line: 5, Cells: []string{"3", "x"}},
			{Num: 5, Line: 6, Cells: []string{"4", "y"}},
		}},
		{"unclosed quote swallowing one line", "id,name\n1,\"open\n2,x\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", "open"}, Err: source.ErrQuote, Msg: []string{"line 2,", "line 3, which it swallowed, is read again as a row of its own"}},
			{Num: 3, Line: 3, Cells: []string{"2", "x"}},
		}},
		{"stray quote in a quoted value", "id,name\n1,\"Ann\"x\n2,Bob\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", `Ann"x`}, Err: source.ErrQuote, Msg: []string{"line 2", `column "name"`}},
			{Num: 3, Line: 3},
		}},
		{"bare quote", "id,name\n1,Ann \"Jo\" Smith\n2,Bob\n", []wantRow{
			{Num: 2, Line: 2, Cells: []string{"1", `Ann "Jo" Smith`}, Err: source.ErrBareQuote, Msg: []string{"line 2", `column "name"`, "not quoted"}},
			{Num: 3, Line: 3},
		}},
		{"error after a quoted value over lines fails that row only", "id,note,x\n1,\"a\nb\",c\"d\n2,e,f\n", []wantRow{
			{Num: 2, Line: 2, Err: source.ErrBareQuote, Msg: []string{"line 2", "on line 3", `column "x"`}},
			{Num: 3, Line: 4, Cells: []string{"2", "e", "f"}},
		}},
		{"line numbers after a swallow", "id,note,x\n1,\"open,y\n2,a,b\n3,\"c\nd\",\"e\"f\"\n4,g\"h,i\n5,j,k\n", []wantRow{
			{Num: 2, Line: 2, Err: source.ErrQuote, Msg: []string{"line 2,", `column "note"`, "lines 3 to 4, which it swallowed, are read again"}},
			{Num: 3, Line: 3, Cells: []string{"2", "a", "b"}},
			{Num: 4, Line: 4, Err: source.ErrQuote, Msg: []string{"line 4,", "on line 5", `column "x"`}},
			{Num: 5, Line: 6, Cells: []string{"4", `g"h`, "i"}, Err: source.ErrBareQuote, Msg: []string{"line 6,", `column "note"`}},
			{Num: 6, Line: 7, Cells: []string{"5", "j", "k"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, []byte(tt.data), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, tt.want)
		})
	}
}

// fatal asserts err is a *FatalError whose message holds every want.
func fatal(t *testing.T, err error, line int, want ...string) *source.FatalError {
	t.Helper()
	var fe *source.FatalError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want a *FatalError", err, err)
	}
	if fe.Line != line {
		t.Errorf("Line = %d, want %d (%v)", fe.Line, line, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not mention %q", err, w)
		}
	}
	return fe
}

func TestNotACSV(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	tests := []struct {
		name string
		data []byte
		line int
		want string
	}{
		{"empty", nil, 0, "the file is empty"},
		{"only a BOM", []byte("\xEF\xBB\xBF"), 0, "no rows"},
		{"only blank lines", []byte("\r\n\r\n  \n,,\n"), 0, "no rows"},
		{"header only", []byte("name,email\r\n"), 0, "no rows under the header"},
		{"header and blank lines", []byte("name,email\r\n\r\n,\r\n"), 0, "no rows under the header"},
		{"report with no rows", []byte("name,onboard_row,onboard_error\n"), 0, "report has no rows"},
		{"xlsx", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"), 0, "Excel workbook (.xlsx)"},
		{"xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), 0, "old Excel workbook"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), 0, "PDF"},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), 0, "gzip"},
		{"html", []byte("\n<!DOCTYPE html><html><body>Users</body></html>"), 0, "HTML"},
		{"json", []byte(`[{"name":"Ann"}]`), 0, "JSON"},
		{"random bytes", random, 0, "binary"},
		{"NUL bytes", bytes.Repeat([]byte("ab\x00\x00\x01\x00"), 100), 0, "binary"},
		{"control bytes", []byte("a,b\n\x01\x02\x03\x04,\x05\x06\n"), 0, "binary"},
		{"duplicate column", []byte("Name,Email,name\n1,2,3\n"), 1, `column "name" twice (columns 1 and 3)`},
		{"empty column name", []byte("Name,,Email\n1,2,3\n"), 1, "header column 2 has no name"},
		{"blank column name", []byte("\nName, ,Email\n1,2,3\n"), 2, "header column 2 has no name"},
		{"unclosed quote in the header", []byte("Name,\"Email\n1,2\n"), 1, "header row"},
		{"only onboard columns", []byte("onboard_row,onboard_error\n1,x\n"), 1, "no columns besides onboard_"},
		{"header not valid text", []byte("Na\x81me\n1\n"), 1, "header column 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, tt.data, source.Options{})
			if len(rows) > 0 {
				t.Errorf("%d rows read", len(rows))
			}
			fatal(t, err, tt.line, "in.csv: ", tt.want)
		})
	}
}

func TestReportFedBack(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		header []string
		want   [][]string
		src    []string
	}{
		{
			"failures.csv",
			"Name,Phone,Email,onboard_row,onboard_stage,onboard_error,onboard_http_status,onboard_attempts\r\n" +
				"\"'=HYPERLINK(\"\"x\"\")\",'+4930123,a@x,7,validation,\"row 7: bad\",,0\r\n" +
				"'-minus,'@at,'plain,9,vendor,\"409 Conflict\",409,1\r\n",
			[]string{"Name", "Phone", "Email"},
			[][]string{{`=HYPERLINK("x")`, "+4930123", "a@x"}, {"-minus", "@at", "'plain"}},
			[]string{"7", "9"},
		},
		{
			"failures.csv of a retry keeps the first row numbers",
			"Name,onboard_row,onboard_source_row,onboard_stage\n'=x,2,17,vendor\n",
			[]string{"Name"}, [][]string{{"=x"}}, []string{"17"},
		},
		{
			"not a report: quotes stay",
			"Name,Phone\n'=x,'+1\n",
			[]string{"Name", "Phone"}, [][]string{{"'=x", "'+1"}}, []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.data), source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.IsReport() != (tt.src[0] != "") {
				t.Errorf("IsReport() = %v", r.IsReport())
			}
			if !reflect.DeepEqual(r.Header(), tt.header) {
				t.Errorf("Header() = %q, want %q", r.Header(), tt.header)
			}
			if !reflect.DeepEqual(cells(rows), tt.want) {
				t.Errorf("cells = %q, want %q", cells(rows), tt.want)
			}
			for i, row := range rows {
				if row.SourceRow != tt.src[i] || row.Err != nil {
					t.Errorf("row %d: SourceRow %q (want %q), err %v", row.Num, row.SourceRow, tt.src[i], row.Err)
				}
			}
		})
	}
}

// A report of this version fed back: each row keeps the original input's
// name; phone numbers were never defused and stay as they are.
func TestReportFedBackKeepsInput(t *testing.T) {
	data := "Name,Phone,onboard_row,onboard_stage,onboard_error,onboard_http_status,onboard_attempts,onboard_failure,onboard_input\n" +
		"Ann,+353 85 123 4567,17,vendor,no,400,1,new,hr-march.csv\n" +
		"'=x,'-2+3,41,vendor,no,400,1,known,'=evil.csv\n"
	_, rows, err := readAll(t, []byte(data), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, row := range rows {
		got = append(got, append([]string{row.SourceRow, row.Input}, row.Cells...))
	}
	want := [][]string{{"17", "hr-march.csv", "Ann", "+353 85 123 4567"}, {"41", "=evil.csv", "=x", "-2+3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestHasBOM(t *testing.T) {
	for name, tt := range map[string]struct {
		data []byte
		want bool
	}{
		"utf-8 bom":  {[]byte("\xEF\xBB\xBFName\nAnn\n"), true},
		"utf-16 bom": {[]byte("\xFF\xFEN\x00a\x00m\x00e\x00\n\x00A\x00n\x00n\x00\n\x00"), true},
		"none":       {[]byte("Name\nAnn\n"), false},
	} {
		r, _, err := readAll(t, tt.data, source.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.HasBOM() != tt.want {
			t.Errorf("%s: HasBOM() = %v", name, r.HasBOM())
		}
	}
}

func TestReportFedBackFromTestdata(t *testing.T) {
	r, err := source.Open(filepath.Join("testdata", "failures.csv"), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.IsReport() || !reflect.DeepEqual(r.Header(), []string{"employee_id", "first_name", "last_name", "email", "phone"}) {
		t.Fatalf("IsReport %v, Header %q", r.IsReport(), r.Header())
	}
	var got [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]string{row.SourceRow}, row.Cells...))
	}
	want := [][]string{
		{"3", "E003", "Łukasz", "Wiśniewski", "=cmd|' /C calc'!A0", "+48 600 100 200"},
		{"5", "E005", "José", "Müller", "jose@example.com", "-"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	data := encode(t, charmap.Windows1252, "Name;City\r\nJosé;Zürich\r\n")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := source.Open(path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || !reflect.DeepEqual(row.Cells, []string{"José", "Zürich"}) {
		t.Fatalf("row = %+v, %v", row, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("err = %v, want EOF", err)
	}
	if done, size := r.Progress(); done != size || size != int64(len(data)) {
		t.Errorf("Progress() = %d, %d", done, size)
	}
	if r.Name() != path {
		t.Errorf("Name() = %q", r.Name())
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}

	_, err = source.Open(filepath.Join(dir, "missing.csv"), source.Options{})
	if fe := fatal(t, err, 0, "no such file"); !errors.Is(fe, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", err)
	}
	_, err = source.Open(dir, source.Options{})
	fatal(t, err, 0, "is a folder")
}

func TestFatalErrorText(t *testing.T) {
	for _, tt := range []struct {
		err  source.FatalError
		want string
	}{
		{source.FatalError{File: "f.csv", Msg: "m"}, "f.csv: m"},
		{source.FatalError{File: "f.csv", Line: 3, Msg: "m"}, "f.csv: line 3: m"},
		{source.FatalError{File: "f.csv", Line: 3, Row: 3, Msg: "m"}, "f.csv: line 3: m"},
		{source.FatalError{File: "f.csv", Line: 5, Row: 3, Msg: "m"}, "f.csv: line 5 (row 3): m"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestCellsAreValidUTF8(t *testing.T) {
	// Whatever the damage, cells reach the pipeline as valid UTF-8.
	data := []byte("a,b\nx,\"\xff\ny\xfe,z\n")
	_, rows, err := readAll(t, data, source.Options{Encoding: "utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, c := range row.Cells {
			if !utf8.ValidString(c) {
				t.Errorf("row %d: invalid cell %q", row.Num, c)
			}
		}
	}
}
