package report

import (
	"strconv"
	"strings"
)

func stripRow(msg string) string {
	if !strings.HasPrefix(msg, "row ") {
		return msg
	}
	i := 4
	for i < len(msg) && msg[i] >= '0' && msg[i] <= '9' {
		i++
	}
	if i > 4 && strings.HasPrefix(msg[i:], ": ") {
		return msg[i+2:]
	}
	return msg
}

// Normalize turns an error message into its reason: the leading "row N: "
// goes, and what differs from row to row is replaced: quoted values by
// "…", e-mail addresses by …, ids (hexadecimal, UUIDs) and numbers by #.
// The vendor's HTTP status (status, when not 0) stays, so that "400 Bad
// Request" and "409 Conflict" are different reasons. One pass, no regular
// expressions: it runs for every failed row.
func Normalize(msg string, status int) string {
	s := stripRow(msg)
	code := ""
	if status != 0 {
		code = strconv.Itoa(status)
		s = strings.Replace(s, code, "\x01", 1)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if isSpace(c) {
			space = true
			i++
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if end := closingQuote(s, i); end > 0 {
			b.WriteString(`"…"`)
			i = end
			continue
		}
		if isDelim(c) {
			b.WriteByte(c)
			i++
			continue
		}
		j := i
		for j < len(s) && !isDelim(s[j]) && !isSpace(s[j]) {
			j++
		}
		writeWord(&b, s[i:j])
		i = j
	}
	out := b.String()
	if code != "" {
		out = strings.Replace(out, "\x01", code, 1)
	}
	if r := []rune(out); len(r) > maxReason {
		out = string(r[:maxReason]) + "…"
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isDelim ends a word: an address or an id never holds these. (“ and «
// start quoted values too; they are multi-byte and never inside a word
// that matters.)
func isDelim(c byte) bool {
	switch c {
	case '"', '\'', '<', '>', '(', ')', ',', ';', '[', ']', '{', '}', '`', 0x01:
		return true
	}
	return false
}

// closingQuote returns the index after the quoted value starting at i
// ("...", `...`, “...”, «...»), or -1 when none starts there or it is
// not closed.
func closingQuote(s string, i int) int {
	var open, close string
	switch {
	case s[i] == '"':
		open, close = `"`, `"`
	case s[i] == '`':
		open, close = "`", "`"
	case strings.HasPrefix(s[i:], "“"):
		open, close = "“", "”"
	case strings.HasPrefix(s[i:], "«"):
		open, close = "«", "»"
	default:
		return -1
	}
	for j := i + len(open); j < len(s); j++ {
		if s[j] == '\\' && open == `"` {
			j++
			continue
		}
		if strings.HasPrefix(s[j:], close) {
			return j + len(close)
		}
	}
	return -1
}

// writeWord writes one word of a message: an e-mail address as …, an id
// or a number as #, anything else as it is.
func writeWord(b *strings.Builder, w string) {
	if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 {
		b.WriteString("…")
		return
	}
	for i := 0; i < len(w); {
		if n := uuidAt(w[i:]); n > 0 {
			b.WriteByte('#')
			i += n
			continue
		}
		if !isWordChar(w[i]) {
			b.WriteByte(w[i])
			i++
			continue
		}
		j := i
		for j < len(w) && isWordChar(w[j]) {
			j++
		}
		if run := w[i:j]; hexID(run) {
			b.WriteByte('#')
		} else {
			digits := false
			for k := 0; k < len(run); k++ {
				isDigit := run[k] >= '0' && run[k] <= '9'
				if !isDigit {
					b.WriteByte(run[k])
				} else if !digits {
					b.WriteByte('#')
				}
				digits = isDigit
			}
		}
		i = j
	}
}

func isWordChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// hexID recognises an id: six or more hexadecimal digits, letters and
// digits both.
func hexID(s string) bool {
	if len(s) < 6 {
		return false
	}
	letter, digit := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case isHex(c):
			letter = true
		default:
			return false
		}
	}
	return letter && digit
}

// uuidAt returns 36 when s starts with a UUID, else 0.
func uuidAt(s string) int {
	if len(s) < 36 || len(s) > 36 && isWordChar(s[36]) {
		return 0
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return 0
			}
		default:
			if !isHex(s[i]) {
				return 0
			}
		}
	}
	return 36
}
