package source

import (
	"io"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/encoding/charmap"
)

// TestLetterTable checks that every letter the code pages can decode to
// has a place in the letters table: a missing one would count as a word
// of no language.
func TestLetterTable(t *testing.T) {
	for _, c := range codePages {
		for b := 0x80; b <= 0xFF; b++ {
			s, err := c.enc.NewDecoder().Bytes([]byte{byte(b)})
			if err != nil {
				t.Fatal(err)
			}
			r := []rune(string(s))[0]
			switch {
			case !unicode.IsLetter(r), unicode.Is(unicode.Lm, r), r == 'ª', r == 'º', r == 'µ', r == 'ƒ':
				continue
			}
			if _, ok := letters[unicode.ToLower(r)]; !ok {
				t.Errorf("%s: byte %#x decodes to %q, not in letters", c.label, b, r)
			}
		}
	}
	for r, info := range letters {
		if r != unicode.ToLower(r) || info.langs == 0 || info.weight < 1 || info.weight > 3 {
			t.Errorf("letters[%q] = %+v", r, info)
		}
	}
}

// TestGuessCodePage runs the heuristic on the kind of names each code page
// carries. Every sample is a few names, as short as a first file may be.
func TestGuessCodePage(t *testing.T) {
	tests := []struct {
		lang string
		text string
		want *charmap.Charmap
	}{
		{"German", "Vorname;Nachname\nJürgen;Müller\nGünther;Groß\nÄnne;Schäfer\n", charmap.Windows1252},
		{"French", "prénom;nom\nFrançois;Lefèvre\nHélène;Gaëlle\nJérôme;Cœur\n", charmap.Windows1252},
		{"Spanish", "nombre;apellido\nJosé;Muñoz\nMaría;Pérez\nÁngel;Núñez\n", charmap.Windows1252},
		{"Portuguese", "nome;apelido\nJoão;Gonçalves\nInês;Simões\n", charmap.Windows1252},
		{"Danish", "fornavn;efternavn\nSøren;Ørsted\nÆbelø;Håkansson\n", charmap.Windows1252},
		{"Swedish", "förnamn;efternamn\nÅsa;Öberg\nBjörn;Ångström\n", charmap.Windows1252},
		{"Icelandic", "nafn\nÞórður\nGuðrún\n", charmap.Windows1252},
		{"Danish, one letter", "navn\nØrsted\n", charmap.Windows1252},
		{"Polish", "imię;nazwisko\nŁukasz;Wiśniewski\nŻaneta;Wałęsa\n", charmap.Windows1250},
		{"Polish, one word", "Name\nŁukasz\n", charmap.Windows1250},
		{"Polish, ś alone", "Name\nWiśniewski\n", charmap.Windows1250},
		{"Polish city", "miasto\nŁódź\n", charmap.Windows1250},
		{"Czech", "jméno;příjmení\nJiří;Dvořák\nRůžena;Kučerová\n", charmap.Windows1250},
		{"Czech, ť", "Name\nŤukal Šťastný\n", charmap.Windows1250},
		{"Slovak", "meno\nĽubomír Ďurčo\n", charmap.Windows1250},
		{"Hungarian", "név\nŐrsi Gyűrű Kovács\n", charmap.Windows1250},
		{"Croatian", "ime\nKovačević\nĐurđa Marić\n", charmap.Windows1250},
		{"Romanian", "nume\nŞtefan Ţăranu\nBălan\n", charmap.Windows1250},
		{"western names of many origins", "name\nJosé Müller\nFrançois Lefèvre\nSøren Ørsted\nÁngel Núñez\nÅsa Öberg\n", charmap.Windows1252},
		{"polish firm, foreign names", "name\nJosé Müller\nŁukasz Wiśniewski\nMałgorzata Żółć\nRenée Dubois\n", charmap.Windows1250},
		{"Czech in ISO-8859-2", "jméno;příjmení\nTomáš;Pospíšil\nŠárka;Žáková\n", charmap.ISO8859_2},
		{"Polish in ISO-8859-2", "imię;nazwisko\nŁukasz;Świątek\nZbigniew;Ząbkowski\n", charmap.ISO8859_2},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			b, err := tt.want.NewEncoder().Bytes([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			got := guessCodePage(b)
			if got.enc != tt.want {
				t.Errorf("guessed %s, want %s", got.label, tt.want)
				for _, c := range codePages {
					s, _ := c.enc.NewDecoder().Bytes(b)
					t.Logf("%s: %d %q", c.label, plausibility(s), s)
				}
			}
		})
	}
}

func TestPlausibility(t *testing.T) {
	// Each pair: the first is the text a code page got right, the second
	// what another made of the same bytes.
	for _, tt := range [][2]string{
		{"Łukasz", "£ukasz"},
		{"Wałęsa", "Wa³êsa"},
		{"Dvořák", "Dvoøák"},
		{"Łódź", "£ódŸ"},
		{"Kovačević", "Kovaèeviæ"},
		{"Pospíšil", "Pospíąil"},
		{"José Müller", "Jos\uFFFD M\uFFFDller"},
	} {
		if good, bad := plausibility([]byte(tt[0])), plausibility([]byte(tt[1])); good <= bad {
			t.Errorf("plausibility(%q) = %d, not above plausibility(%q) = %d", tt[0], good, tt[1], bad)
		}
	}
}

func TestLooksUTF8(t *testing.T) {
	for _, tt := range []struct {
		p     string
		atEOF bool
		want  bool
	}{
		{"abc", true, true},
		{"ab\xc3", false, true}, // é cut by the peek
		{"ab\xc3", true, false},
		{"ab\xe2\x82", false, true},
		{"ab\xff", false, false},
		{"a\xe9b", false, false},
		{"", false, true},
		{"Jos\xc3\xa9\nJos\xe9\n", true, true},                  // one stray byte in UTF-8
		{"Jos\xe9 M\xfcller Fran\xe7ois \xc3\xa9", true, false}, // a code page, one sequence by chance
		{strings.Repeat("\xc3\xa9", 5) + strings.Repeat("\xe9", 5), true, true}, // a tie goes to UTF-8
		{strings.Repeat("\xc3\xa9", 5) + strings.Repeat("\xe9", 6), true, false},
	} {
		if got := looksUTF8([]byte(tt.p), tt.atEOF); got != tt.want {
			t.Errorf("looksUTF8(%q, %v) = %v", tt.p, tt.atEOF, got)
		}
	}
}

// rowsReader makes an input of n rows without holding it.
type rowsReader struct {
	head bool
	n    int
	line []byte
	buf  []byte
}

func (g *rowsReader) Read(p []byte) (int, error) {
	if len(g.buf) == 0 {
		switch {
		case !g.head:
			g.head = true
			g.buf = []byte("id;name;email\r\n")
		case g.n > 0:
			g.n--
			g.buf = g.line
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// TestStreaming reads 200 000 rows (about 10 MB) and checks that what the
// reader holds stays the size of a few rows and its buffers.
func TestStreaming(t *testing.T) {
	const n = 200_000
	in := &rowsReader{n: n, line: []byte("12345;Łukasz Wiśniewski;lukasz@example.com\r\n")}
	r, err := New("big", in, 0, nil, Options{Encoding: "utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	rows, most := 0, 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err != nil || row.Cells[1] != "Łukasz Wiśniewski" {
			t.Fatalf("row %d: %q %v", row.Num, row.Cells, row.Err)
		}
		rows++
		most = max(most, cap(r.tape.buf))
	}
	if rows != n {
		t.Fatalf("%d rows", rows)
	}
	if most > 64<<10 {
		t.Errorf("the tape grew to %d bytes", most)
	}
	if done, _ := r.Progress(); done != int64(15+n*len(in.line)) {
		t.Errorf("Progress() = %d", done)
	}
}

func TestTapeRestartKeepsReadAhead(t *testing.T) {
	// Three unclosed quotes in one buffer: each restart must hand over
	// what encoding/csv had read ahead, and nothing twice.
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range 50 {
		if i%10 == 3 {
			b.WriteString("x,\"open\n")
		} else {
			b.WriteString("y,z\n")
		}
	}
	r, err := New("t", strings.NewReader(b.String()), 0, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	bad := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, row.Line)
		if row.Err != nil {
			bad++
		}
	}
	if len(lines) != 50 || bad != 5 {
		t.Fatalf("%d rows, %d bad: %v", len(lines), bad, lines)
	}
	for i, l := range lines {
		if l != i+2 {
			t.Fatalf("lines = %v", lines)
		}
	}
	if len(r.tape.pending) != 0 {
		t.Errorf("%d bytes left pending", len(r.tape.pending))
	}
}

func TestFormatKind(t *testing.T) {
	for _, tt := range []struct {
		code string
		want dateKind
	}{
		{"General", notDate},
		{"0.00", notDate},
		{"00000", notDate},
		{"dd.mm.yyyy", dateOnly},
		{"[$-407]d. mmmm yyyy;@", dateOnly},
		{"m/d/yy h:mm", dateTime},
		{"yyyy-mm-dd\\ hh:mm:ss", dateTime},
		{"h:mm AM/PM", notDate},
		{"[h]:mm:ss", notDate},
		{`"Day "0`, notDate},
		{"[Red]0.00;[Blue]-0.00", notDate},
		{"mmm-yy", dateOnly},
	} {
		if got := formatKind(tt.code); got != tt.want {
			t.Errorf("formatKind(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
	for id, want := range map[int]dateKind{0: notDate, 14: dateOnly, 17: dateOnly, 20: notDate, 22: dateTime, 49: notDate, 57: dateOnly} {
		if got := numFmtKind(id, nil); got != want {
			t.Errorf("numFmtKind(%d) = %v, want %v", id, got, want)
		}
	}
}
