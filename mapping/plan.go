package mapping

import (
	"fmt"
	"strings"

	"github.com/onboardhq/onboard/providers"
)

// Plan is a set of rules bound to one input header: column names are
// resolved to indexes and literals to typed values once, so that applying
// it to a row does no lookups by name.
type Plan struct {
	desc    *providers.Description
	rules   []compiled
	keyIdx  int
	keyName string
	secret  map[int]bool // input columns that feed secret fields
}

type compiled struct {
	Rule
	field    *providers.Field
	col      int
	tmpl     []tmplPart
	value    any
	mapTo    map[string]any // lower-cased key to typed value (item type for lists)
	mapKeys  []string
	def      any
	regionIx int
	columns  []string // the input columns it reads, for messages
}

type tmplPart struct {
	text string
	col  int // -1 for literal text
}

// Problem is a row that cannot be mapped: which field, from which columns.
type Problem struct {
	Field   string
	Columns []string
	Msg     string
}

func (p Problem) Error() string { return describe(p.Field, p.Columns) + ": " + p.Msg }

func describe(field string, columns []string) string {
	switch len(columns) {
	case 0:
		return "field " + field
	case 1:
		return fmt.Sprintf("column %q (field %s)", columns[0], field)
	}
	return fmt.Sprintf("columns %s (field %s)", quoteAll(columns), field)
}

// Header resolves column names the way a person expects: case-insensitive,
// surrounding spaces ignored. Columns starting with onboard_ (from a report
// fed back as input) are not visible to the mapping.
type Header struct {
	names []string
	index map[string]int
}

// NewHeader indexes names.
func NewHeader(names []string) Header {
	h := Header{names: names, index: map[string]int{}}
	for i, n := range names {
		k := normal(n)
		if strings.HasPrefix(k, "onboard_") {
			continue
		}
		if _, dup := h.index[k]; !dup {
			h.index[k] = i
		}
	}
	return h
}

// Index returns the position of column name, or -1.
func (h Header) Index(name string) int {
	if i, ok := h.index[normal(name)]; ok {
		return i
	}
	return -1
}

// Visible returns the column names a mapping can use.
func (h Header) Visible() []string {
	var out []string
	for _, n := range h.names {
		if !strings.HasPrefix(normal(n), "onboard_") {
			out = append(out, strings.TrimSpace(n))
		}
	}
	return out
}

func normal(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ColumnError is a rule or key that names a column the input lacks.
type ColumnError struct {
	Line    int
	What    string // `field "id"`, `key`
	Column  string
	Columns []string
}

func (e *ColumnError) Error() string {
	s := fmt.Sprintf("%s: column %q is not in the input (its columns: %s)", e.What, e.Column, quoteAll(e.Columns))
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// Compile binds rules to header for the provider described by d. key names
// the column that identifies a person. Every problem found is returned
// together, so a person fixes the job file in one go.
func Compile(rules []Rule, d *providers.Description, header []string, key string) (*Plan, error) {
	h := NewHeader(header)
	p := &Plan{desc: d, keyIdx: -1, keyName: key, secret: map[int]bool{}}
	var errs []error
	colErr := func(line int, what, col string) {
		errs = append(errs, &ColumnError{Line: line, What: what, Column: col, Columns: h.Visible()})
	}
	if strings.TrimSpace(key) == "" {
		errs = append(errs, &Error{Msg: "key: missing; name the column that identifies a person, e.g. key: Work Email"})
	} else if p.keyIdx = h.Index(key); p.keyIdx < 0 {
		colErr(0, "key", key)
	}
	mapped := map[string]bool{}
	for _, r := range rules {
		f := d.Field(r.Field)
		if f == nil {
			names := make([]string, len(d.Fields))
			for i, f := range d.Fields {
				names[i] = f.Name
			}
			errs = append(errs, &Error{Line: r.Line, Msg: fmt.Sprintf("%q is not a %s field (fields: %s)", r.Field, d.Name, strings.Join(names, ", "))})
			continue
		}
		mapped[r.Field] = true
		c, cerrs := compileRule(r, f, h)
		for _, e := range cerrs {
			if ce, ok := e.(*ColumnError); ok {
				colErr(ce.Line, ce.What, ce.Column)
				continue
			}
			errs = append(errs, e)
		}
		if len(cerrs) > 0 {
			continue
		}
		if f.Secret && c.col >= 0 {
			p.secret[c.col] = true
		}
		p.rules = append(p.rules, c)
	}
	for _, f := range d.Fields {
		if f.Required && !mapped[f.Name] {
			errs = append(errs, &Error{Msg: fmt.Sprintf("%s field %q is required but not mapped under fields:", d.Name, f.Name)})
		}
	}
	if len(errs) > 0 {
		return nil, &CompileError{Errs: errs}
	}
	return p, nil
}

// CompileError gathers every problem of a job's mapping.
type CompileError struct{ Errs []error }

func (e *CompileError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

func compileRule(r Rule, f *providers.Field, h Header) (compiled, []error) {
	c := compiled{Rule: r, field: f, col: -1, regionIx: -1}
	var errs []error
	what := fmt.Sprintf("field %q", r.Field)
	bad := func(l *Literal, format string, args ...any) {
		line := r.Line
		if l != nil && l.Line > 0 {
			line = l.Line
		}
		errs = append(errs, &Error{Line: line, Msg: what + ": " + fmt.Sprintf(format, args...)})
	}
	itemType := f.Type
	if f.Type == providers.StringList {
		itemType = providers.String
	}
	switch {
	case r.Column != "":
		if c.col = h.Index(r.Column); c.col < 0 {
			errs = append(errs, &ColumnError{Line: r.Line, What: what, Column: r.Column})
		}
		c.columns = []string{strings.TrimSpace(r.Column)}
	case r.Template != "":
		parts, cols, err := parseTemplate(r.Template)
		if err != nil {
			bad(nil, "%v", err)
		}
		for i := range parts {
			if parts[i].col == -2 {
				name := cols[i]
				if parts[i].col = h.Index(name); parts[i].col < 0 {
					errs = append(errs, &ColumnError{Line: r.Line, What: what + " template", Column: name})
				}
				c.columns = append(c.columns, strings.TrimSpace(name))
			}
		}
		c.tmpl = parts
	case r.Value != nil:
		v, err := convertLiteral(f.Type, r.Value)
		if err != nil {
			bad(r.Value, "value: %v", err)
		}
		c.value = v
	case r.Generate != "":
		if f.Type != providers.String {
			bad(nil, "generate: password only fits a text field, and %s is a %s", f.Name, f.Type)
		}
		pol, err := r.Password.withDefaults()
		if err != nil {
			bad(nil, "%v", err)
		}
		c.Password = pol
	}
	if len(r.Map) > 0 {
		c.mapTo = map[string]any{}
		for _, e := range r.Map {
			t := itemType
			if f.Type == providers.StringList && e.To.IsList {
				t = providers.StringList
			}
			v, err := convertLiteral(t, e.To)
			if err != nil {
				bad(e.To, "map %q: %v", e.From, err)
				continue
			}
			c.mapTo[normal(e.From)] = v
			c.mapKeys = append(c.mapKeys, e.From)
		}
	}
	if r.Default != nil {
		t := f.Type
		if len(r.Map) > 0 && f.Type == providers.StringList && !r.Default.IsList {
			t = providers.String
		}
		v, err := convertLiteral(t, r.Default)
		if err != nil {
			bad(r.Default, "default: %v", err)
		}
		c.def = v
	}
	if r.Split != "" && f.Type != providers.StringList && f.Type != providers.SkillMap {
		bad(nil, "split only fits a list field, and %s is a %s", f.Name, f.Type)
	}
	if r.Phone != nil {
		if f.Type != providers.String {
			bad(nil, "phone only fits a text field")
		}
		if r.Phone.RegionColumn != "" {
			if c.regionIx = h.Index(r.Phone.RegionColumn); c.regionIx < 0 {
				errs = append(errs, &ColumnError{Line: r.Line, What: what + " phone region_column", Column: r.Phone.RegionColumn})
			}
		} else if !validRegion(r.Phone.Region) {
			bad(nil, "phone region %q is not a known ISO 3166 country code (e.g. GB, US, DE)", r.Phone.Region)
		}
	}
	return c, errs
}

func convertLiteral(t providers.FieldType, l *Literal) (any, error) {
	switch {
	case l.IsList:
		if t != providers.StringList {
			return nil, fmt.Errorf("a list was given but the field is a %s", t)
		}
		return append([]string(nil), l.List...), nil
	case l.Pairs != nil:
		if t != providers.SkillMap {
			return nil, fmt.Errorf("a mapping was given but the field is a %s", t)
		}
		parts := make([]string, 0, len(l.Pairs))
		for k, v := range l.Pairs {
			parts = append(parts, k+":"+v)
		}
		return providers.ParseSkills(strings.Join(parts, ";"))
	}
	if t == providers.StringList {
		return []string{l.Scalar}, nil
	}
	return providers.ParseValue(t, l.Scalar)
}

// parseTemplate splits "{First Name} {Last Name}" into parts. Column parts
// get col -2 until resolved; cols holds their names by part index. `{{` and
// `}}` are literal braces.
func parseTemplate(s string) ([]tmplPart, map[int]string, error) {
	var parts []tmplPart
	cols := map[int]string{}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case ch == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, nil, fmt.Errorf("template %q: unclosed {", s)
			}
			name := s[i+1 : i+end]
			if strings.TrimSpace(name) == "" {
				return nil, nil, fmt.Errorf("template %q: empty {}", s)
			}
			if lit.Len() > 0 {
				parts = append(parts, tmplPart{text: lit.String(), col: -1})
				lit.Reset()
			}
			cols[len(parts)] = name
			parts = append(parts, tmplPart{col: -2})
			i += end
		case ch == '}':
			return nil, nil, fmt.Errorf("template %q: } without {", s)
		default:
			lit.WriteByte(ch)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, tmplPart{text: lit.String(), col: -1})
	}
	if len(cols) == 0 {
		return nil, nil, fmt.Errorf("template %q names no column; write columns as {Column Name}, or use value: for fixed text", s)
	}
	return parts, cols, nil
}

// KeyColumn returns the key column's index in the header.
func (p *Plan) KeyColumn() int { return p.keyIdx }

// SecretColumns returns the input columns that feed secret fields; they are
// left out of the success report.
func (p *Plan) SecretColumns() map[int]bool { return p.secret }

// Columns returns the input columns a field reads, for messages.
func (p *Plan) Columns(field string) []string {
	for _, c := range p.rules {
		if c.Field == field {
			return c.columns
		}
	}
	return nil
}

// Generates reports whether the plan generates passwords.
func (p *Plan) Generates() []string {
	var out []string
	for _, c := range p.rules {
		if c.Generate != "" {
			out = append(out, c.Field)
		}
	}
	return out
}

// Apply maps one row. It returns the record, every problem found (one per
// field at most), and the generated secrets by field.
func (p *Plan) Apply(cells []string) (providers.Record, []Problem, map[string]string) {
	rec := make(providers.Record, len(p.rules))
	var probs []Problem
	var gen map[string]string
	for i := range p.rules {
		c := &p.rules[i]
		v, err := c.apply(cells)
		if err != nil {
			probs = append(probs, Problem{Field: c.Field, Columns: c.columns, Msg: err.Error()})
			continue
		}
		if v == nil {
			continue
		}
		if c.Generate != "" {
			if gen == nil {
				gen = map[string]string{}
			}
			gen[c.Field] = v.(string)
		}
		rec[c.Field] = v
	}
	return rec, probs, gen
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

// apply returns the field's typed value, nil to leave the field out, or an
// error that a person can act on.
func (c *compiled) apply(cells []string) (any, error) {
	switch {
	case c.value != nil:
		return c.value, nil
	case c.Generate != "":
		return generatePassword(c.Password)
	}
	var raw string
	if c.col >= 0 {
		raw = cell(cells, c.col)
	} else {
		var b strings.Builder
		for _, part := range c.tmpl {
			if part.col == -1 {
				b.WriteString(part.text)
			} else {
				b.WriteString(strings.TrimSpace(cell(cells, part.col)))
			}
		}
		raw = strings.Join(strings.Fields(b.String()), " ")
	}
	if !c.NoTrim {
		raw = strings.TrimSpace(raw)
	}
	if c.Lower {
		raw = strings.ToLower(raw)
	}
	if c.Upper {
		raw = strings.ToUpper(raw)
	}
	if raw == "" {
		switch c.WhenEmpty {
		case "error":
			return nil, fmt.Errorf("is empty (when_empty: error)")
		case "default":
			return c.defaultValue(), nil
		case "skip":
			return nil, nil
		}
		return c.defaultValue(), nil // nil without a default: the field is left out
	}
	if c.Phone != nil {
		region := c.Phone.Region
		if c.regionIx >= 0 {
			region = strings.TrimSpace(cell(cells, c.regionIx))
		}
		e164, err := NormalizePhone(raw, region)
		if err != nil {
			return nil, err
		}
		raw = e164
	}
	t := c.field.Type
	if t == providers.SkillMap {
		return providers.ParseSkills(raw)
	}
	if t == providers.StringList {
		items := []string{raw}
		if c.Split != "" {
			items = items[:0]
			for _, it := range strings.Split(raw, c.Split) {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
		}
		if c.mapTo == nil {
			return items, nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			v, err := c.lookup(it)
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case string:
				out = append(out, x)
			case []string:
				out = append(out, x...)
			}
		}
		return dedupe(out), nil
	}
	if c.mapTo != nil {
		return c.lookup(raw)
	}
	v, err := providers.ParseValue(t, raw)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// defaultValue returns the default as the field's type (a single default
// item of a list field becomes a one-item list).
func (c *compiled) defaultValue() any {
	if s, ok := c.def.(string); ok && c.field.Type == providers.StringList {
		return []string{s}
	}
	return c.def
}

func (c *compiled) lookup(s string) (any, error) {
	if v, ok := c.mapTo[normal(s)]; ok {
		return v, nil
	}
	if c.def != nil {
		return c.def, nil
	}
	return nil, fmt.Errorf("no map entry for %q (map has: %s); add it to map: or set default:", s, quoteAll(c.mapKeys))
}

func dedupe(l []string) []string {
	seen := make(map[string]bool, len(l))
	out := l[:0]
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
