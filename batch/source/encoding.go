package source

// Encoding detection: BOMs, binary formats, UTF-16 without a BOM, and
// UTF-8 against the code pages Excel writes.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ---- encodings ----

type namedEncoding struct {
	names []string // normalised: lower case, no "-" or "_"
	enc   encoding.Encoding
	label string
}

var encodings = []namedEncoding{
	{[]string{"utf8", "utf8sig", "ascii", "usascii"}, xunicode.UTF8BOM, "UTF-8"},
	{[]string{"utf16le"}, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "UTF-16LE"},
	{[]string{"utf16be"}, xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM), "UTF-16BE"},
	{[]string{"utf16", "unicode"}, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "UTF-16"},
	{[]string{"windows1252", "cp1252", "win1252"}, charmap.Windows1252, "Windows-1252"},
	{[]string{"windows1250", "cp1250", "win1250"}, charmap.Windows1250, "Windows-1250"},
	{[]string{"iso88592", "latin2"}, charmap.ISO8859_2, "ISO-8859-2"},
	{[]string{"iso88591", "latin1"}, charmap.ISO8859_1, "ISO-8859-1"},
	{[]string{"iso885915", "latin9"}, charmap.ISO8859_15, "ISO-8859-15"},
}

// EncodingNames lists the usual names Options.Encoding accepts.
func EncodingNames() []string {
	return []string{"utf-8", "utf-16le", "utf-16be", "windows-1252", "windows-1250", "iso-8859-2", "latin1", "iso-8859-15"}
}

func lookupEncoding(name string) (namedEncoding, bool) {
	k := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(name))
	for _, e := range encodings {
		for _, n := range e.names {
			if n == k {
				return e, true
			}
		}
	}
	return namedEncoding{}, false
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// chooseEncoding decides how to decode the file and returns the decoded
// text. atEOF says peek holds the whole file.
func (r *Reader) chooseEncoding(br *bufio.Reader, peek []byte, atEOF bool, want string) (io.Reader, error) {
	decode := func(enc encoding.Encoding, label string) io.Reader {
		r.setEncoding(label)
		return transform.NewReader(br, enc.NewDecoder())
	}
	bom := ""
	switch {
	case bytes.HasPrefix(peek, bomUTF8):
		bom = "UTF-8"
	case bytes.HasPrefix(peek, bomUTF16LE):
		bom = "UTF-16LE"
	case bytes.HasPrefix(peek, bomUTF16BE):
		bom = "UTF-16BE"
	}
	r.bom = bom != ""
	if w := strings.ToLower(strings.TrimSpace(want)); w != "" && w != "auto" {
		e, ok := lookupEncoding(want)
		if !ok {
			return nil, fmt.Errorf("unknown encoding %q (known: %s)", want, strings.Join(EncodingNames(), ", "))
		}
		if _, single := e.enc.(*charmap.Charmap); !single || bom == "" {
			return decode(e.enc, e.label), nil
		}
		// A BOM is never text in a code page: it tells what the file is.
		be, _ := lookupEncoding(bom)
		return decode(be.enc, fmt.Sprintf("%s (the file starts with its byte order mark; --encoding %s ignored)", be.label, want)), nil
	}
	switch bom {
	case "UTF-8":
		return decode(xunicode.UTF8BOM, "UTF-8"), nil
	case "UTF-16LE":
		return decode(xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM), "UTF-16LE"), nil
	case "UTF-16BE":
		return decode(xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM), "UTF-16BE"), nil
	}
	if err := notText(peek); err != nil {
		return nil, err
	}
	switch utf16NoBOM(peek) {
	case 'L':
		return decode(xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), "UTF-16LE"), nil
	case 'B':
		return decode(xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), "UTF-16BE"), nil
	}
	// A stray NUL or control byte fails its row; many mean a binary file.
	if controls(peek)*100 > len(peek) {
		return nil, errors.New("this looks like a binary file, not a CSV (it holds NUL or control bytes); export the sheet as CSV")
	}
	late := &lateDecoder{br: br, setLabel: r.setEncoding}
	r.setEncoding("UTF-8")
	if indexNonASCII(peek) >= 0 || atEOF {
		late.decide(peek, atEOF)
	}
	return late, nil
}

// notText recognises files that are plainly something else.
func notText(p []byte) error {
	head := bytes.ToLower(bytes.TrimLeft(p[:min(len(p), 512)], " \t\r\n"))
	switch {
	case bytes.HasPrefix(p, []byte("PK\x03\x04")), bytes.HasPrefix(p, []byte("PK\x05\x06")):
		return errors.New("this is an Excel workbook (.xlsx) or another zip file, not a CSV; in Excel use File > Save As > CSV UTF-8")
	case bytes.HasPrefix(p, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return errors.New("this is an old Excel workbook (.xls) or a password-protected one, which onboard cannot read; in Excel use File > Save As > Excel Workbook (.xlsx), without a password, or CSV UTF-8")
	case bytes.HasPrefix(p, []byte("%PDF")):
		return errors.New("this is a PDF, not a CSV")
	case bytes.HasPrefix(p, []byte{0x1F, 0x8B}):
		return errors.New("this is a gzip-compressed file, not a CSV; uncompress it first")
	case bytes.HasPrefix(head, []byte("<?xml")), bytes.HasPrefix(head, []byte("<!doctype")), bytes.HasPrefix(head, []byte("<html")):
		return errors.New("this is an XML or HTML file, not a CSV; export the sheet as CSV")
	case bytes.HasPrefix(head, []byte("{")), bytes.HasPrefix(head, []byte("[{")), bytes.HasPrefix(head, []byte("[\n")):
		return errors.New("this looks like JSON, not a CSV")
	}
	return nil
}

// controls counts the bytes no text file holds: NUL and the other C0
// controls but tab, line breaks, form feed and the ^Z some DOS tools append.
func controls(p []byte) int {
	n := 0
	for _, c := range p {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1A {
			n++
		}
	}
	return n
}

// utf16NoBOM recognises UTF-16 text without a BOM: every other byte of
// ASCII text is zero. It returns 'L' or 'B' for the byte order, or 0.
func utf16NoBOM(p []byte) byte {
	p = p[:min(len(p), 1024)&^1]
	if len(p) < 8 {
		return 0
	}
	var even, odd int
	for i := 0; i < len(p); i += 2 {
		if p[i] == 0 {
			even++
		}
		if p[i+1] == 0 {
			odd++
		}
	}
	half := len(p) / 2
	switch {
	case odd*10 >= half*9 && even*10 < half:
		return 'L'
	case even*10 >= half*9 && odd*10 < half:
		return 'B'
	}
	return 0
}

// indexNonASCII returns the index of the first byte >= 0x80, or -1.
func indexNonASCII(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// looksUTF8 weighs the evidence of p for UTF-8: the valid multi-byte
// sequences it holds against its bytes that are not UTF-8 (a rune cut at
// the end of a peek, not atEOF, is neither). A code page's accented
// letters are almost never valid UTF-8 by chance (that needs an accented
// capital followed by a symbol), while one stray byte in a UTF-8 export
// is common: a pasted name, a damaged cell. So valid sequences win unless
// the invalid bytes outnumber them; rows holding the invalid bytes then
// fail on their own (see Row.BadColumns), and no name is read as mojibake.
func looksUTF8(p []byte, atEOF bool) bool {
	valid, invalid := utf8Evidence(p, atEOF)
	return invalid == 0 || valid > 0 && valid >= invalid
}

// utf8Evidence counts p's valid multi-byte sequences and its bytes that
// are not part of one.
func utf8Evidence(p []byte, atEOF bool) (valid, invalid int) {
	for i := 0; i < len(p); {
		j := indexNonASCII(p[i:])
		if j < 0 {
			break
		}
		i += j
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r != utf8.RuneError || size > 1:
			valid++
		case !atEOF && !utf8.FullRune(p[i:]):
			return valid, invalid // cut by the peek
		default:
			invalid++
		}
		i += size
	}
	return valid, invalid
}

// lateDecoder passes ASCII through until the first other byte, then
// decides, on up to 64 KB from there, between UTF-8 and the code pages and
// decodes the rest so.
type lateDecoder struct {
	br       *bufio.Reader
	r        io.Reader // nil until decided
	setLabel func(string)
}

func (d *lateDecoder) Read(p []byte) (int, error) {
	if d.r != nil {
		return d.r.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := d.br.Peek(min(len(p), d.br.Buffered()))
	i := indexNonASCII(buf)
	if i < 0 {
		i = len(buf)
	}
	if i > 0 {
		n := copy(p, buf[:i])
		d.br.Discard(n)
		return n, nil
	}
	window, err := d.br.Peek(peekSize)
	d.decide(window, err != nil)
	return d.r.Read(p)
}

func (d *lateDecoder) decide(window []byte, atEOF bool) {
	if valid, invalid := utf8Evidence(window, atEOF); valid == 0 && invalid > 0 && !atEOF {
		// Only stray bytes so far: read on for evidence either way.
		if more, err := d.br.Peek(evidenceSize); len(more) > len(window) {
			window, atEOF = more, err != nil
		}
	}
	if looksUTF8(window, atEOF) {
		d.r = d.br
		d.setLabel("UTF-8")
		return
	}
	c := guessCodePage(window)
	d.r = transform.NewReader(d.br, c.enc.NewDecoder())
	d.setLabel(c.label)
}
