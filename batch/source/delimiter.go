package source

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// sniffDelimiter picks the delimiter the header line uses most, outside
// quotes: Excel in much of Europe writes `;`, "Unicode Text" writes tabs.
// Ties go to the one the next line uses as often, then to , ; tab |.
func sniffDelimiter(p []byte) rune {
	candidates := []rune{',', ';', '\t', '|'}
	head, rest := countDelims(p)
	second, _ := countDelims(rest)
	best, n := ',', 0
	for i, c := range candidates {
		switch {
		case head[i] > n:
			best, n = c, head[i]
		case head[i] == n && n > 0 && second[i] == n:
			if j := indexRune(candidates, best); second[j] != n {
				best = c
			}
		}
	}
	return best
}

func indexRune(l []rune, r rune) int {
	for i, c := range l {
		if c == r {
			return i
		}
	}
	return -1
}

// countDelims counts , ; tab | outside quotes in the first record of p and
// returns the rest.
func countDelims(p []byte) ([4]int, []byte) {
	var counts [4]int
	inQuote := false
	for i, c := range p {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			return counts, p[i+1:]
		case c == ',':
			counts[0]++
		case c == ';':
			counts[1]++
		case c == '\t':
			counts[2]++
		case c == '|':
			counts[3]++
		}
	}
	return counts, nil
}

// lineEndings turns lone CR line endings (old Mac exports) into LF; CRLF and
// LF pass through for encoding/csv.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// sepLine recognises the line "sep=X" that Excel writes at the top of a
// CSV (File > Save As does not, but many tools do, for Excel to split the
// columns whatever the locale) and reads: it returns X and the length of
// the line with its line break, or 0 when p does not start with one. The
// line may end in more of X (a sheet with empty cells after A1).
func sepLine(p []byte) (rune, int) {
	if len(p) < 5 || !strings.EqualFold(string(p[:4]), "sep=") {
		return 0, 0
	}
	d, size := utf8.DecodeRune(p[4:])
	if !validDelim(d) || d == utf8.RuneError {
		return 0, 0
	}
	i := 4 + size
	for bytes.HasPrefix(p[i:], p[4:4+size]) {
		i += size
	}
	switch {
	case i == len(p):
		return d, i
	case p[i] == '\n':
		return d, i + 1
	case p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n':
		return d, i + 2
	}
	return 0, 0
}
