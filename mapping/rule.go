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
	// WhenEmpty is what a blank cell means: "skip" leaves the field out,
	// "error" fails the row, "default" uses Default. "" uses Default when
	// there is one and skips otherwise.
	WhenEmpty string

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
	// Region reads national numbers (ISO 3166 alpha-2 after ParseRules;
	// anything CountryCode accepts). With RegionColumn it is the fallback
	// for rows whose region cell is blank.
	Region string
	// RegionColumn names the row's column that holds the region, as a code
	// or a country name (see CountryCode).
	RegionColumn string
}

// PasswordPolicy shapes generated passwords. The zero policy means
// DefaultPasswordPolicy; any other is taken as written (ParseRules fills in
// the defaults for the keys a job leaves out).
type PasswordPolicy struct {
	Length     int // default 16, 8 to 128
	MinLower   int // default 2
	MinUpper   int // default 2
	MinDigits  int // default 2
	MinSymbols int // default 2 (1 with a symbols: set of the job's own; 0 with symbols: false)
	// Symbols is the set symbols are drawn from; "" (or "none") for none.
	Symbols string
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

// ParseRules reads the `fields:` mapping node of a job file, in order. It
// reports the first problem of every field: one *Error, or a *CompileError
// holding several.
func ParseRules(node *yaml.Node) ([]Rule, error) {
	node = deref(node)
	if node == nil || node.Kind == 0 || isNull(node) {
		return nil, &Error{Line: lineOf(node), Msg: "fields: missing; map each vendor field to a column, e.g. `name: Full Name`"}
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = deref(node.Content[0])
	}
	if node.Kind != yaml.MappingNode {
		return nil, errAt(node, "fields: must be a mapping of vendor field to rule")
	}
	var rules []Rule
	var errs []error
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := deref(node.Content[i]), deref(node.Content[i+1])
		if k.Kind != yaml.ScalarNode || strings.TrimSpace(k.Value) == "" {
			errs = append(errs, errAt(k, "fields: each key is a vendor field name"))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			errs = append(errs, errAt(k, "field %q is mapped twice (first on line %d)", k.Value, prev))
			continue
		}
		seen[k.Value] = k.Line
		r, err := parseRule(k.Value, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Line = k.Line
		rules = append(rules, r)
	}
	switch len(errs) {
	case 0:
		return rules, nil
	case 1:
		return nil, errs[0]
	}
	return nil, &CompileError{Errs: errs}
}

// deref follows YAML aliases (`*name`) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

var ruleKeys = []string{"column", "template", "value", "generate", "lower", "upper", "trim", "split", "map", "default", "when_empty", "phone", "length", "symbols", "min_lower", "min_upper", "min_digits", "min_symbols"}

// cellKeys shape text read from the input: they go with column and
// template only. passwordKeys go with generate only.
var (
	cellKeys     = []string{"lower", "upper", "trim", "split", "map", "default", "when_empty", "phone"}
	passwordKeys = []string{"length", "symbols", "min_lower", "min_upper", "min_digits", "min_symbols"}
)

func parseRule(field string, v *yaml.Node) (Rule, error) {
	r := Rule{Field: field}
	switch v.Kind {
	case yaml.ScalarNode:
		if isNull(v) || strings.TrimSpace(v.Value) == "" {
			return r, errAt(v, "field %q: empty rule; write a column name or { value: ... }", field)
		}
		r.Column = v.Value
		return r, nil
	case yaml.MappingNode:
	default:
		return r, errAt(v, "field %q: a rule is a column name or a mapping like { column: Email, lower: true }", field)
	}
	var sources []string
	given := map[string]*yaml.Node{}
	var pw struct{ length, lower, upper, digits, symbols *int }
	symbolsSet := false
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := deref(v.Content[i]), deref(v.Content[i+1])
		if prev, dup := given[k.Value]; dup {
			return r, errAt(k, "field %q: %s is given twice (first on line %d)", field, k.Value, prev.Line)
		}
		given[k.Value] = k
		var err error
		switch k.Value {
		case "column":
			r.Column, err = nonEmpty(field, k.Value, val)
			sources = append(sources, k.Value)
		case "template":
			r.Template, err = nonEmpty(field, k.Value, val)
			sources = append(sources, k.Value)
		case "value":
			r.Value, err = literal(field, k.Value, val)
			sources = append(sources, k.Value)
		case "generate":
			r.Generate, err = nonEmpty(field, k.Value, val)
			if err == nil && r.Generate != "password" {
				err = errAt(val, "field %q: generate: %q is not known (only: password)", field, r.Generate)
			}
			sources = append(sources, k.Value)
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
			r.Default, err = literal(field, k.Value, val)
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
				pw.length = &n
			case "min_lower":
				pw.lower = &n
			case "min_upper":
				pw.upper = &n
			case "min_digits":
				pw.digits = &n
			case "min_symbols":
				pw.symbols = &n
			}
		case "symbols":
			var s string
			s, err = scalar(field, k.Value, val)
			if err == nil {
				symbolsSet = true
				switch strings.ToLower(s) {
				case "true", "yes", "on":
					r.Password.Symbols = DefaultSymbols
				case "false", "no", "off", "none", "":
					r.Password.Symbols = ""
				default:
					r.Password.Symbols = dedupeBytes(s)
					err = checkSymbols(s)
					if err != nil {
						err = errAt(val, "field %q: %v", field, err)
					}
				}
			}
		default:
			err = errAt(k, "field %q: unknown rule key %q%s (known: %s)", field, k.Value, Suggest(k.Value, ruleKeys), strings.Join(ruleKeys, ", "))
		}
		if err != nil {
			return r, err
		}
	}
	switch {
	case len(sources) == 0:
		return r, errAt(v, "field %q: no source; give one of column, template, value or generate", field)
	case len(sources) > 1:
		return r, errAt(given[sources[1]], "field %q: give only one of column, template, value or generate (got %s)", field, strings.Join(sources, " and "))
	case r.Lower && r.Upper:
		return r, errAt(given["upper"], "field %q: give lower or upper, not both", field)
	case r.WhenEmpty == "default" && r.Default == nil:
		return r, errAt(given["when_empty"], "field %q: when_empty: default needs a default:", field)
	}
	if r.Value != nil || r.Generate != "" {
		for _, key := range cellKeys {
			if n := given[key]; n != nil {
				return r, errAt(n, "field %q: %s only shapes text read from the input; it does not go with %s:", field, key, sources[0])
			}
		}
	}
	if r.Generate == "" {
		for _, key := range passwordKeys {
			if n := given[key]; n != nil {
				return r, errAt(n, "field %q: %s only goes with generate: password", field, key)
			}
		}
		return r, nil
	}
	// generate: password. Fill in what the job leaves out, so that a 0 it
	// writes stays 0.
	p := DefaultPasswordPolicy()
	if symbolsSet {
		p.Symbols = r.Password.Symbols
		p.MinSymbols = 1
		if p.Symbols == "" {
			p.MinSymbols = 0
		}
	}
	for _, set := range []struct {
		from *int
		to   *int
	}{{pw.length, &p.Length}, {pw.lower, &p.MinLower}, {pw.upper, &p.MinUpper}, {pw.digits, &p.MinDigits}, {pw.symbols, &p.MinSymbols}} {
		if set.from != nil {
			*set.to = *set.from
		}
	}
	checked, err := p.check()
	if err != nil {
		at := v
		for _, key := range []string{"length", "min_symbols", "symbols"} {
			if n := given[key]; n != nil {
				at = n
				break
			}
		}
		return r, errAt(at, "field %q: %v", field, err)
	}
	r.Password = checked
	return r, nil
}

// Suggest returns ` (did you mean "x"?)` when x, one of known, is one or
// two edits away from s (a likely typo), and "" otherwise.
func Suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD >= len(s) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func dedupeBytes(s string) string {
	var seen [256]bool
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			out = append(out, s[i])
		}
	}
	return string(out)
}

func scalar(field, key string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, "field %q: %s must be a single value", field, key)
	}
	if isNull(n) {
		return "", nil
	}
	return n.Value, nil
}

// nonEmpty is scalar for names: blank is an error.
func nonEmpty(field, key string, n *yaml.Node) (string, error) {
	s, err := scalar(field, key, n)
	if err == nil && strings.TrimSpace(s) == "" {
		err = errAt(n, "field %q: %s is empty", field, key)
	}
	return s, err
}

func boolean(field, key string, n *yaml.Node) (bool, error) {
	s, err := scalar(field, key, n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
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

// literal reads a value written in the job file. A YAML null (`value:` with
// nothing after it, or ~) is an error: write "" for empty text.
func literal(field, key string, n *yaml.Node) (*Literal, error) {
	l := &Literal{Line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			return nil, errAt(n, "field %q: %s has no value (write \"\" for empty text)", field, key)
		}
		l.Scalar = n.Value
	case yaml.SequenceNode:
		l.IsList = true
		l.List = []string{}
		for _, it := range n.Content {
			it = deref(it)
			if it.Kind != yaml.ScalarNode || isNull(it) {
				return nil, errAt(it, "field %q: %s: list items must be single values", field, key)
			}
			l.List = append(l.List, it.Value)
		}
	case yaml.MappingNode:
		l.Pairs = map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := deref(n.Content[i]), deref(n.Content[i+1])
			if v.Kind != yaml.ScalarNode || isNull(v) {
				return nil, errAt(v, "field %q: %s: values must be single values", field, key)
			}
			if _, dup := l.Pairs[k.Value]; dup {
				return nil, errAt(k, "field %q: %s has %q twice", field, key, k.Value)
			}
			l.Pairs[k.Value] = v.Value
		}
	default:
		return nil, errAt(n, "field %q: %s: unsupported value", field, key)
	}
	return l, nil
}

func mapEntries(field string, n *yaml.Node) ([]MapEntry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "field %q: map must be a mapping like { Sales: base_role }", field)
	}
	if len(n.Content) == 0 {
		return nil, errAt(n, "field %q: map is empty", field)
	}
	var out []MapEntry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, "field %q: map keys must be single values", field)
		}
		key := strings.ToLower(strings.TrimSpace(k.Value))
		if prev, dup := seen[key]; dup {
			return nil, errAt(k, "field %q: map has %q twice (first on line %d; keys match case-insensitively)", field, k.Value, prev)
		}
		seen[key] = k.Line
		to, err := literal(field, fmt.Sprintf("map %q", k.Value), deref(n.Content[i+1]))
		if err != nil {
			return nil, err
		}
		out = append(out, MapEntry{From: k.Value, To: to})
	}
	return out, nil
}

func phoneRule(field string, n *yaml.Node) (*PhoneRule, error) {
	p := &PhoneRule{}
	region := func(v *yaml.Node, s string) error {
		code, err := CountryCode(s)
		if err != nil {
			return errAt(v, "field %q: phone region: %v", field, err)
		}
		p.Region = code
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if err := region(n, n.Value); err != nil {
			return nil, err
		}
		return p, nil
	case yaml.MappingNode:
	default:
		return nil, errAt(n, "field %q: phone must be { region: GB } or { region_column: Country }", field)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		s, err := scalar(field, "phone "+k.Value, v)
		if err != nil {
			return nil, err
		}
		switch k.Value {
		case "region":
			if err := region(v, s); err != nil {
				return nil, err
			}
		case "region_column":
			if strings.TrimSpace(s) == "" {
				return nil, errAt(v, "field %q: phone region_column is empty", field)
			}
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
