// Package formula keeps report cells from running as spreadsheet formulas
// (CSV injection, OWASP) and undoes that when a report is read back as
// input. It is its own package so that the reader (batch/source) and the
// writer (batch/report) share one rule without depending on each other.
//
// The rule defuses what a spreadsheet would evaluate, and only that, so
// that phone numbers and signed numbers stay as the person typed them:
//
//   - a value starting with = or @ (a formula, or Lotus-style @SUM), or
//     with a tab or a carriage return (OWASP: some spreadsheets skip them
//     and read the formula after);
//   - a value starting with + or - that is a formula: anything besides
//     digits, spaces, parentheses, '.', '/' and '-' after the sign (a
//     letter may be a function or a cell reference, + * ^ & % ! | " : $
//     are operators or references), or digits joined by operators into
//     an expression a spreadsheet computes (-2-3, +1-415-892-1931, -(2)).
//
// Kept verbatim: a lone signed number (-5, +5, -5.25), a lone sign (-), and values a
// spreadsheet cannot parse as a formula because two numbers stand side by
// side with only a space between them (+353 85 123 4567, +1 (415)
// 892-1931); those are text to every spreadsheet.
//
// A defused value gets a leading apostrophe. A value that already starts
// with an apostrophe that Undefuse would strip gets one more, so that
// Undefuse(Defuse(s)) == s for every s.
package formula

// Defuse returns s, with a leading apostrophe when a spreadsheet would
// evaluate it (see the package comment).
func Defuse(s string) string {
	if evaluates(s) || len(s) > 1 && s[0] == '\'' && strippable(s[1:]) {
		return "'" + s
	}
	return s
}

// Undefuse reverses Defuse for a cell read from a report. It also reads
// reports written before the rule spared phone numbers ('+44 20 ...).
func Undefuse(s string) string {
	if len(s) > 1 && s[0] == '\'' && strippable(s[1:]) {
		return s[1:]
	}
	return s
}

// strippable reports whether t, found after an apostrophe, is what Defuse
// (this one or an earlier, stricter one) puts an apostrophe before.
func strippable(t string) bool {
	switch {
	case t == "":
		return false
	case t[0] == '=', t[0] == '+', t[0] == '-', t[0] == '@', t[0] == '\t', t[0] == '\r':
		return true
	case t[0] == '\'':
		return strippable(t[1:])
	}
	return false
}

// evaluates reports whether a spreadsheet would read s as a formula.
func evaluates(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return signedFormula(s)
	}
	return false
}

// signedFormula decides a value that starts with + or -.
func signedFormula(s string) bool {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == ' ', c == '(', c == ')', c == '.', c == '/', c == '-':
		default:
			return true // a letter, another operator, a reference: a formula
		}
	}
	if loneNumber(s) {
		return false
	}
	p := parser{s: s}
	// Not a formula a spreadsheet accepts (two operands side by side with
	// a space between them, an unclosed parenthesis): text.
	return p.expr() && p.end()
}

// loneNumber reports whether s is a sign and one number (-5, +5, -5.25),
// trailing spaces allowed.
func loneNumber(s string) bool {
	i := 1
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return digits > 0 && i == len(s)
}

// parser recognises the arithmetic the characters above allow:
//
//	expr    = unary { ("-" | "/") unary }
//	unary   = { "+" | "-" } primary
//	primary = number | "(" expr ")"
//
// with spaces between tokens.
type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) end() bool { return p.peek() == 0 }

func (p *parser) expr() bool {
	if !p.unary() {
		return false
	}
	for c := p.peek(); c == '-' || c == '/'; c = p.peek() {
		p.i++
		if !p.unary() {
			return false
		}
	}
	return true
}

func (p *parser) unary() bool {
	for c := p.peek(); c == '+' || c == '-'; c = p.peek() {
		p.i++
	}
	return p.primary()
}

func (p *parser) primary() bool {
	switch c := p.peek(); {
	case c == '(':
		p.i++
		if !p.expr() || p.peek() != ')' {
			return false
		}
		p.i++
		return true
	case c >= '0' && c <= '9' || c == '.':
		digits := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i, digits = p.i+1, digits+1
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i, digits = p.i+1, digits+1
			}
		}
		return digits > 0
	}
	return false
}
