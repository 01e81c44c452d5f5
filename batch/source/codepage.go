package source

// Telling the single-byte code pages apart by how plausible the text is.

import (
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// codePages are the single-byte encodings Excel writes on Windows in the
// places onboard's users are, most common first (ties go to the first).
var codePages = []namedEncoding{
	{enc: charmap.Windows1252, label: "Windows-1252"},
	{enc: charmap.Windows1250, label: "Windows-1250"},
	{enc: charmap.ISO8859_2, label: "ISO-8859-2"},
}

// guessCodePage decodes p with each code page and keeps the most plausible
// text.
func guessCodePage(p []byte) namedEncoding {
	best, bestScore := codePages[0], 0
	for i, c := range codePages {
		text, err := c.enc.NewDecoder().Bytes(p)
		if err != nil {
			continue
		}
		if s := plausibility(text); i == 0 || s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// Languages, for the letters of the code pages.
const (
	de = 1 << iota
	fr
	es
	pt
	it
	ca
	nl
	da // Danish, Norwegian
	sv
	fi
	is
	et
	pl
	cs
	sk
	hu
	hr // Croatian, Bosnian, Slovenian, Serbian in Latin letters
	ro
	tr
	lt
)

type letterInfo struct {
	langs  uint32 // languages that write this letter
	weight int    // how common it is in names, 1 to 3
}

// letters are the lower-case letters of Windows-1252, Windows-1250 and
// ISO-8859-2 above ASCII (TestLetterTable checks none is missing).
var letters = map[rune]letterInfo{
	'à': {fr | it | pt | ca, 3}, 'á': {es | pt | cs | sk | hu | is, 3}, 'â': {fr | pt | ro | tr, 2},
	'ã': {pt, 3}, 'ä': {de | sv | fi | et | sk, 3}, 'å': {da | sv | fi, 3}, 'æ': {da | is, 3},
	'ç': {fr | pt | ca | tr, 3}, 'è': {fr | it | ca, 3},
	'é': {fr | es | pt | it | ca | nl | cs | sk | hu | is | de | da | sv, 3},
	'ê': {fr | pt, 2}, 'ë': {fr | nl, 2}, 'ì': {it, 1}, 'í': {es | pt | ca | cs | sk | hu | is | it, 3},
	'î': {fr | ro, 2}, 'ï': {fr | nl | ca, 1}, 'ð': {is, 2}, 'ñ': {es, 3}, 'ò': {it | ca, 2},
	'ó': {es | pt | ca | pl | cs | sk | hu | is | it, 3}, 'ô': {fr | pt | sk, 2}, 'õ': {pt | et, 2},
	'ö': {de | sv | fi | et | hu | is | tr, 3}, 'ø': {da, 3}, 'ù': {fr | it, 1},
	'ú': {es | pt | cs | sk | hu | is, 2}, 'û': {fr, 1}, 'ü': {de | es | fr | ca | hu | et | tr, 3},
	'ý': {cs | sk | is, 3}, 'þ': {is, 2}, 'ÿ': {fr, 1}, 'ß': {de, 3}, 'œ': {fr, 1},
	'š': {cs | sk | hr | et | fi | lt, 3}, 'ž': {cs | sk | hr | et | fi | lt, 3},
	'ą': {pl, 3}, 'ę': {pl, 3}, 'ł': {pl, 3}, 'ń': {pl, 3}, 'ś': {pl, 3}, 'ź': {pl, 2}, 'ż': {pl, 3},
	'ć': {pl | hr, 3}, 'č': {cs | sk | hr | lt, 3}, 'ď': {cs | sk, 2}, 'ť': {cs | sk, 2}, 'ň': {cs | sk, 2},
	'ě': {cs, 3}, 'ř': {cs, 3}, 'ů': {cs, 3}, 'ĺ': {sk, 1}, 'ľ': {sk, 2}, 'ŕ': {sk, 1},
	'ő': {hu, 2}, 'ű': {hu, 2}, 'ă': {ro, 3}, 'ş': {ro | tr, 3}, 'ţ': {ro, 2}, 'đ': {hr, 2},
}

// plausibility scores decoded text as names and words. The right code page
// gives letters that one language writes (the score is the weight of the
// non-ASCII letters that the best-explained language writes); a wrong one
// scatters them over unrelated languages, mixes them within one word
// (Dvoøák), puts symbols against letters (£ukasz, Wa³êsa), upper case after
// lower case (ódŸ) or bytes the code page does not define, and each of
// those costs.
func plausibility(text []byte) int {
	var explained [32]int // by language bit
	score := 0
	mask, weight := ^uint32(0), 0
	endWord := func() {
		if weight > 0 && mask == 0 {
			score -= weight
		}
		mask, weight = ^uint32(0), 0
	}
	prev := ' '
	for i := 0; i < len(text); {
		c, size := utf8.DecodeRune(text[i:])
		i += size
		switch {
		case c == utf8.RuneError || c >= 0x80 && c < 0xA0:
			endWord()
			score -= 10
		case c < 0x80:
			if !isASCIILetter(c) {
				endWord()
			}
		case unicode.IsLetter(c) && !unicode.Is(unicode.Lm, c) && c != 'ª' && c != 'º':
			if unicode.IsUpper(c) && unicode.IsLower(prev) {
				score -= 3
			}
			info, ok := letters[unicode.ToLower(c)]
			if !ok {
				info = letterInfo{0, 1}
			}
			mask &= info.langs
			weight += info.weight
			for l := info.langs; l != 0; l &= l - 1 {
				explained[bits.TrailingZeros32(l)] += info.weight
			}
		default:
			endWord()
			next, _ := utf8.DecodeRune(text[i:])
			if !unicode.IsSpace(c) && (unicode.IsLetter(prev) || unicode.IsLetter(next)) {
				score -= 3
			}
		}
		prev = c
	}
	endWord()
	return score + slices.Max(explained[:])
}

func isASCIILetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
