package source_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/onboardhq/onboard/batch/source"
)

// fuzzOptions are the reader settings a fuzz input runs with, chosen by its
// mode byte.
var fuzzOptions = []source.Options{
	{},
	{MaxRecord: 64},
	{Encoding: "windows-1250"},
	{Encoding: "utf-16le"},
	{Delimiter: ';'},
	{Encoding: "utf-8", Delimiter: '\t', MaxRecord: 200},
}

// FuzzReader feeds arbitrary bytes to the reader: it must not panic, must
// end (io.EOF or a *FatalError, each Next moving on by at least a line),
// and every row must have exactly one valid UTF-8 cell per header column,
// with row and line numbers that only go up.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"a,b\n1,2\n",
		"a;b\r\n1;2\r\n\r\n3;4",
		"a\tb\r1\t2\r",
		"id,name\n1,\"Ann\n2,Bob\n3,\"Cy\"x\n4,\"a\nb\",c\"d\n",
		"\xEF\xBB\xBFName,onboard_row,onboard_source_row\n'=x,2,3\n",
		"\xFF\xFEa\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00",
		"Name,,x\n",
		"Name,name\n1,2\n",
		"n\n\"" + strings.Repeat("x\n", 40) + "\"\n",
		"a,b\n1,2,3,,\n4\n",
		"sep=;\r\nName;City\r\nAnn;Bern\r\n",
		"\xEF\xBB\xBFsep=|\nName|City\nJos\xc3\xa9|Caf\xe9\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Add(encodeOrDie(charmap.Windows1250, "Imię;Nazwisko\r\nŁukasz;Wałęsa\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := fuzzOptions[int(mode)%len(fuzzOptions)]
		r, err := source.New("fuzz", bytes.NewReader(data), int64(len(data)), nil, opts)
		if err != nil {
			var fe *source.FatalError
			if r != nil || !errors.As(err, &fe) {
				t.Fatalf("New = %v, %v (%T)", r, err, err)
			}
			return
		}
		width := len(r.Header())
		if width == 0 {
			t.Fatal("no header columns")
		}
		for _, h := range r.Header() {
			if h == "" || !utf8.ValidString(h) {
				t.Fatalf("header %q", r.Header())
			}
		}
		lastNum, lastLine := 0, 0
		// A row takes at least one line, a line at least one byte (2 for
		// UTF-16); the +2 allows for a last line without a break.
		for n := 0; ; n++ {
			if n > len(data)+2 {
				t.Fatalf("more than %d rows from %d bytes", n, len(data))
			}
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var fe *source.FatalError
				if !errors.As(err, &fe) {
					t.Fatalf("Next: %v (%T)", err, err)
				}
				if _, again := r.Next(); again != err {
					t.Fatalf("Next after a fatal error = %v", again)
				}
				break
			}
			if len(row.Cells) != width {
				t.Fatalf("row %d: %d cells, header has %d", row.Num, len(row.Cells), width)
			}
			for _, c := range row.Cells {
				if !utf8.ValidString(c) {
					t.Fatalf("row %d: invalid UTF-8 cell %q", row.Num, c)
				}
			}
			if row.Num <= lastNum || row.Line <= lastLine || row.Num < 2 || row.Line < row.Num {
				t.Fatalf("row %d line %d after row %d line %d", row.Num, row.Line, lastNum, lastLine)
			}
			lastNum, lastLine = row.Num, row.Line
			if row.Err != nil {
				var re *source.RowError
				if !errors.As(row.Err, &re) || re.Row != row.Num || !strings.HasPrefix(row.Err.Error(), fmt.Sprintf("line %d", re.Line)) {
					t.Fatalf("row %d: err %v (%T)", row.Num, row.Err, row.Err)
				}
			}
		}
	})
}

func encodeOrDie(enc encoding.Encoding, s string) []byte {
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}
