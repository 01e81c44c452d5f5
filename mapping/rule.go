// Package mapping turns one CSV row into one vendor record. A job file's
// `fields:` section is parsed into Rules (ParseRules), bound once to the
// input's header (Compile, which fails before anything is sent when a
// column does not exist), then applied to every row (Plan.Apply).
package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule says where one vendor field's value comes from and how it is
// transformed. Exactly one source is set: Column, Template, Value or
// Generate.
type Rule struct {
	Field string
	Line  int // line of the field in the job file, for messages

	Column   string
	Template string
	Value    *Literal
	Generate string // "password"

	Lower, Upper bool
	NoTrim       bool   // trim: false keeps surrounding spaces
	Split        string // split the cell into a list on this separator
	Map          []MapEntry
	Default      *Literal
	WhenEmpty    string // skip (default), error, default

	Phone *PhoneRule

	Password PasswordPolicy // for generate: password
}

// MapEntry is one `map:` entry, in job file order.
type MapEntry struct {
	From string
	To   *Literal
}

// Literal is a value written in the job file, kept as raw text so that YAML
// typing (NO as false, 0123 as 83) never changes what the user wrote. It is
// converted to the vendor field's type at Compile time.
type Literal struct {
	Scalar string
	List   []string
	IsList bool
	Pairs  map[string]string // a mapping literal (skills)
	Line   int
}

// PhoneRule normalises phone numbers to E.164.
type PhoneRule struct {
	Region       string // default region (ISO 3166 alpha-2)
	RegionColumn string // or the row's column that holds the region
}

// PasswordPolicy shapes generated passwords.
type PasswordPolicy struct {
	Length     int // default 16
	MinLower   int // default 2
	MinUpper   int // default 2
	MinDigits  int // default 2
	MinSymbols int // default 2; 0 with symbols: false
	Symbols    string
}

// Error is a job file problem with its line.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func errAt(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// ParseRules reads the `fields:` mapping node of a job file, in order.
func ParseRules(node *yaml.Node) ([]Rule, error) {
	if node == nil || node.Kind == 0 {
		return nil, &Error{Msg: "fields: missing; map each vendor field to a column, e.g. `name: Full Name`"}
	}
	if node.Kind != yaml.MappingNode {
		return nil, errAt(node, "fields: must be a mapping of vendor field to rule")
	}
	var rules []Rule
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			return nil, errAt(k, "field %q is mapped twice (first on line %d)", k.Value, prev)
		}
		seen[k.Value] = k.Line
		r, err := parseRule(k.Value, v)
		if err != nil {
			return nil, err
		}
		r.Line = k.Line
		rules = append(rules, r)
	}
	return rules, nil
}

var ruleKeys = []string{"column", "template", "value", "generate", "lower", "upper", "trim", "split", "map", "default", "when_empty", "phone", "length", "symbols", "min_lower", "min_upper", "min_digits", "min_symbols"}

func parseRule(field string, v *yaml.Node) (Rule, error) {
	r := Rule{Field: field}
	switch v.Kind {
	case yaml.ScalarNode:
		if strings.TrimSpace(v.Value) == "" {
			return r, errAt(v, "field %q: empty rule; write a column name or { value: ... }", field)
		}
		r.Column = v.Value
		return r, nil
	case yaml.MappingNode:
	default:
		return r, errAt(v, "field %q: a rule is a column name or a mapping like { column: Email, lower: true }", field)
	}
	sources := 0
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		var err error
		switch k.Value {
		case "column":
			r.Column, err = scalar(field, k.Value, val)
			sources++
		case "template":
			r.Template, err = scalar(field, k.Value, val)
			sources++
		case "value":
			r.Value, err = literal(field, val)
			sources++
		case "generate":
			r.Generate, err = scalar(field, k.Value, val)
			if err == nil && r.Generate != "password" {
				err = errAt(val, "field %q: generate: %q is not known (only: password)", field, r.Generate)
			}
			sources++
		case "lower":
			r.Lower, err = boolean(field, k.Value, val)
		case "upper":
			r.Upper, err = boolean(field, k.Value, val)
		case "trim":
			var t bool
			t, err = boolean(field, k.Value, val)
			r.NoTrim = !t
		case "split":
			r.Split, err = scalar(field, k.Value, val)
			if err == nil && r.Split == "" {
				err = errAt(val, "field %q: split needs a separator, e.g. split: \";\"", field)
			}
		case "map":
			r.Map, err = mapEntries(field, val)
		case "default":
			r.Default, err = literal(field, val)
		case "when_empty":
			r.WhenEmpty, err = scalar(field, k.Value, val)
			if err == nil && r.WhenEmpty != "skip" && r.WhenEmpty != "error" && r.WhenEmpty != "default" {
				err = errAt(val, "field %q: when_empty must be skip, error or default, not %q", field, r.WhenEmpty)
			}
		case "phone":
			r.Phone, err = phoneRule(field, val)
		case "length", "min_lower", "min_upper", "min_digits", "min_symbols":
			var n int
			n, err = number(field, k.Value, val)
			switch k.Value {
			case "length":
				r.Password.Length = n
			case "min_lower":
				r.Password.MinLower = n
			case "min_upper":
				r.Password.MinUpper = n
			case "min_digits":
				r.Password.MinDigits = n
			case "min_symbols":
				r.Password.MinSymbols = n
			}
		case "symbols":
			var s string
			s, err = scalar(field, k.Value, val)
			if err == nil {
				switch s {
				case "true":
				case "false", "":
					r.Password.Symbols = "none"
				default:
					r.Password.Symbols = s
				}
			}
		default:
			err = errAt(k, "field %q: unknown rule key %q (known: %s)", field, k.Value, strings.Join(ruleKeys, ", "))
		}
		if err != nil {
			return r, err
		}
	}
	switch {
	case sources == 0:
		return r, errAt(v, "field %q: no source; give one of column, template, value or generate", field)
	case sources > 1:
		return r, errAt(v, "field %q: give only one of column, template, value or generate", field)
	case r.WhenEmpty == "default" && r.Default == nil:
		return r, errAt(v, "field %q: when_empty: default needs a default:", field)
	case r.Generate == "" && (r.Password != PasswordPolicy{}):
		return r, errAt(v, "field %q: length, symbols and min_* only go with generate: password", field)
	}
	return r, nil
}

func scalar(field, key string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, "field %q: %s must be a single value", field, key)
	}
	return n.Value, nil
}

func boolean(field, key string, n *yaml.Node) (bool, error) {
	s, err := scalar(field, key, n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, errAt(n, "field %q: %s must be true or false, not %q", field, key, s)
}

func number(field, key string, n *yaml.Node) (int, error) {
	s, err := scalar(field, key, n)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, errAt(n, "field %q: %s must be a whole number, not %q", field, key, s)
	}
	return v, nil
}

func literal(field string, n *yaml.Node) (*Literal, error) {
	l := &Literal{Line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		l.Scalar = n.Value
	case yaml.SequenceNode:
		l.IsList = true
		l.List = []string{}
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				return nil, errAt(it, "field %q: list items must be single values", field)
			}
			l.List = append(l.List, it.Value)
		}
	case yaml.MappingNode:
		l.Pairs = map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1].Kind != yaml.ScalarNode {
				return nil, errAt(n.Content[i+1], "field %q: values must be single values", field)
			}
			l.Pairs[n.Content[i].Value] = n.Content[i+1].Value
		}
	default:
		return nil, errAt(n, "field %q: unsupported value", field)
	}
	return l, nil
}

func mapEntries(field string, n *yaml.Node) ([]MapEntry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "field %q: map must be a mapping like { Sales: base_role }", field)
	}
	var out []MapEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		key := strings.ToLower(strings.TrimSpace(k.Value))
		if seen[key] {
			return nil, errAt(k, "field %q: map has %q twice (keys match case-insensitively)", field, k.Value)
		}
		seen[key] = true
		to, err := literal(field, n.Content[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, MapEntry{From: k.Value, To: to})
	}
	return out, nil
}

func phoneRule(field string, n *yaml.Node) (*PhoneRule, error) {
	p := &PhoneRule{}
	if n.Kind == yaml.ScalarNode {
		p.Region = strings.ToUpper(n.Value)
		return p, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "field %q: phone must be { region: GB } or { region_column: Country }", field)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		s, err := scalar(field, "phone."+k.Value, v)
		if err != nil {
			return nil, err
		}
		switch k.Value {
		case "region":
			p.Region = strings.ToUpper(strings.TrimSpace(s))
		case "region_column":
			p.RegionColumn = s
		default:
			return nil, errAt(k, "field %q: phone: unknown key %q (known: region, region_column)", field, k.Value)
		}
	}
	if p.Region == "" && p.RegionColumn == "" {
		return nil, errAt(n, "field %q: phone needs region or region_column", field)
	}
	return p, nil
}
