package scim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onboardhq/onboard/providers/scim/api"
)

// This file is the sandbox's filter (RFC 7644 §3.4.2.2): attribute
// expressions with eq ne co sw ew gt ge lt le pr, and/or/not and
// parentheses. Value filters (emails[type eq "work"]) are refused with
// invalidFilter, as a service that does not support them would.

// matcher tells whether a stored resource matches.
type matcher func(res map[string]any) bool

type token struct {
	text   string
	quoted bool // a string literal, already decoded
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			out = append(out, token{text: string(c)})
			i++
		case c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '"' {
					break
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string starting at %d", i)
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
				return nil, fmt.Errorf("invalid string %s: escape \" and \\ with a backslash", s[i:j+1])
			}
			out = append(out, token{text: v, quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()[]\"", rune(s[j])) {
				j++
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

type filterParser struct {
	toks []token
	pos  int
}

func (p *filterParser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *filterParser) isWord(w string) bool {
	t, ok := p.peek()
	return ok && !t.quoted && strings.EqualFold(t.text, w)
}

// parseFilter compiles a filter, or returns the reason it is invalid.
func parseFilter(s string) (matcher, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty filter")
	}
	p := &filterParser{toks: toks}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	return m, nil
}

func (p *filterParser) or() (matcher, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(res map[string]any) bool { return a(res) || b(res) }
	}
	return l, nil
}

func (p *filterParser) and() (matcher, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(res map[string]any) bool { return a(res) && b(res) }
	}
	return l, nil
}

func (p *filterParser) unary() (matcher, error) {
	if p.isWord("not") {
		p.pos++
		if t, ok := p.peek(); !ok || t.text != "(" || t.quoted {
			return nil, fmt.Errorf("'not' must be followed by '('")
		}
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(res map[string]any) bool { return !m(res) }, nil
	}
	if t, ok := p.peek(); ok && !t.quoted && t.text == "(" {
		p.pos++
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if t, ok := p.peek(); !ok || t.quoted || t.text != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return m, nil
	}
	return p.attrExpr()
}

var compareOps = []string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}

func (p *filterParser) attrExpr() (matcher, error) {
	t, ok := p.peek()
	if !ok || t.quoted || strings.ContainsAny(t.text, "()[]") {
		return nil, fmt.Errorf("expected an attribute name")
	}
	p.pos++
	if n, ok := p.peek(); ok && !n.quoted && n.text == "[" {
		return nil, fmt.Errorf("value filters (%s[...]) are not supported", t.text)
	}
	get, a, err := resolvePath(t.text)
	if err != nil {
		return nil, err
	}
	opTok, ok := p.peek()
	if !ok || opTok.quoted {
		return nil, fmt.Errorf("expected an operator after %s", t.text)
	}
	op := strings.ToLower(opTok.text)
	p.pos++
	if op == "pr" {
		return func(res map[string]any) bool { return len(get(res)) > 0 }, nil
	}
	if !contains(compareOps, op) {
		return nil, fmt.Errorf("unknown operator %q", opTok.text)
	}
	vt, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("expected a value after %s %s", t.text, op)
	}
	p.pos++
	var want any
	switch {
	case vt.quoted:
		want = vt.text
	case vt.text == "true" || vt.text == "false":
		want = vt.text == "true"
	case vt.text == "null":
		want = nil
	default:
		return nil, fmt.Errorf("value %s must be a quoted string, true, false or null", vt.text)
	}
	if a.typ == tBool {
		if _, ok := want.(bool); !ok || (op != "eq" && op != "ne") {
			return nil, fmt.Errorf("%s is a boolean: only eq and ne with true or false", t.text)
		}
	} else if _, ok := want.(bool); ok {
		return nil, fmt.Errorf("%s is not a boolean", t.text)
	}
	if want == nil && op != "eq" && op != "ne" {
		return nil, fmt.Errorf("null compares only with eq and ne")
	}
	if want == nil {
		present := op == "ne"
		return func(res map[string]any) bool { return (len(get(res)) > 0) == present }, nil
	}
	if op == "ne" {
		// ne holds when no value equals (an absent attribute included).
		return func(res map[string]any) bool {
			for _, v := range get(res) {
				if compare("eq", v, want, a.caseExact) {
					return false
				}
			}
			return true
		}, nil
	}
	return func(res map[string]any) bool {
		for _, v := range get(res) {
			if compare(op, v, want, a.caseExact) {
				return true
			}
		}
		return false
	}, nil
}

func compare(op string, v, want any, caseExact bool) bool {
	if b, ok := want.(bool); ok {
		vb, ok := v.(bool)
		return ok && vb == b
	}
	s, ok := v.(string)
	w, _ := want.(string)
	if !ok {
		return false
	}
	if !caseExact {
		s, w = strings.ToLower(s), strings.ToLower(w)
	}
	switch op {
	case "eq":
		return s == w
	case "co":
		return strings.Contains(s, w)
	case "sw":
		return strings.HasPrefix(s, w)
	case "ew":
		return strings.HasSuffix(s, w)
	case "gt":
		return s > w
	case "ge":
		return s >= w
	case "lt":
		return s < w
	case "le":
		return s <= w
	}
	return false
}

// resolvePath finds a filter's attribute in the schema (names are
// case-insensitive, and may carry their schema URN) and returns a getter of
// its values. The password is never filtered on (it is never returned).
func resolvePath(path string) (func(map[string]any) []any, *attr, error) {
	schema, top, rest := userSchema, path, ""
	switch {
	case len(path) > len(api.EnterpriseSchema) && strings.EqualFold(path[:len(api.EnterpriseSchema)+1], api.EnterpriseSchema+":"):
		schema, top = enterpriseSchema, path[len(api.EnterpriseSchema)+1:]
	case len(path) > len(api.UserSchema) && strings.EqualFold(path[:len(api.UserSchema)+1], api.UserSchema+":"):
		top = path[len(api.UserSchema)+1:]
	}
	if i := strings.IndexByte(top, '.'); i >= 0 {
		top, rest = top[:i], top[i+1:]
	}
	a := schema.child(top)
	if a == nil || a.mut == writeOnly {
		return nil, nil, fmt.Errorf("%s is not a filterable attribute of User", path)
	}
	leaf := a
	sub := ""
	if a.typ == tComplex {
		if rest == "" {
			rest = "value"
		}
		leaf = a.child(rest)
		if leaf == nil {
			return nil, nil, fmt.Errorf("%s has no sub-attribute %s", a.name, rest)
		}
		sub = leaf.name
	} else if rest != "" {
		return nil, nil, fmt.Errorf("%s has no sub-attributes", a.name)
	}
	get := func(res map[string]any) []any {
		scope := res
		if schema == enterpriseSchema {
			scope, _ = res[api.EnterpriseSchema].(map[string]any)
		}
		v, ok := scope[a.name]
		if !ok || v == nil {
			return nil
		}
		if sub == "" {
			return []any{v}
		}
		var out []any
		if a.multi {
			for _, m := range listOf(v) {
				if x, ok := m[sub]; ok {
					out = append(out, x)
				}
			}
			return out
		}
		if m, ok := v.(map[string]any); ok {
			if x, ok := m[sub]; ok {
				out = append(out, x)
			}
		}
		return out
	}
	return get, leaf, nil
}
