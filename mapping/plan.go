package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
	mapTo    map[string]any // normal(From) to typed value (item type for lists)
	mapKeys  []string
	def      any
	regionIx int
	region   string   // the region column's name
	columns  []string // the input columns it reads, header spelling, for messages
	inputs   []int    // their indexes
	// sample is a password of the policy's shape that ApplyOfflineInto puts
	// in a generated field; it is never sent.
	sample string
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
	dups  map[string][]int // names that appear more than once
}

// NewHeader indexes names.
func NewHeader(names []string) Header {
	h := Header{names: names, index: map[string]int{}}
	for i, n := range names {
		k := normal(n)
		if strings.HasPrefix(k, "onboard_") {
			continue
		}
		first, dup := h.index[k]
		if !dup {
			h.index[k] = i
			continue
		}
		if h.dups == nil {
			h.dups = map[string][]int{}
		}
		if len(h.dups[k]) == 0 {
			h.dups[k] = []int{first}
		}
		h.dups[k] = append(h.dups[k], i)
	}
	return h
}

// Index returns the position of column name (the first, if the header
// has it twice), or -1.
func (h Header) Index(name string) int {
	if i, ok := h.index[normal(name)]; ok {
		return i
	}
	return -1
}

// Name returns the header's spelling of column i, trimmed.
func (h Header) Name(i int) string {
	if i < 0 || i >= len(h.names) {
		return ""
	}
	return strings.TrimSpace(h.names[i])
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

// resolve returns column name's index, or a *ColumnError when the header
// lacks it, or an *Error when the header has it twice (which one is meant
// cannot be guessed). what and line are for the message.
func (h Header) resolve(name, what string, line int) (int, error) {
	i := h.Index(name)
	if i < 0 {
		return -1, &ColumnError{Line: line, What: what, Column: strings.TrimSpace(name), Columns: h.Visible()}
	}
	if at := h.dups[normal(name)]; len(at) > 0 {
		pos := make([]string, len(at))
		for j, n := range at {
			pos[j] = fmt.Sprint(n + 1)
		}
		return -1, &Error{Line: line, Msg: fmt.Sprintf("%s: column %q appears %d times in the input (columns %s); rename all but one", what, h.Name(i), len(at), strings.Join(pos, ", "))}
	}
	return i, nil
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
	if strings.TrimSpace(key) == "" {
		errs = append(errs, &Error{Msg: "key: missing; name the column that identifies a person, e.g. key: Work Email"})
	} else if i, err := h.resolve(key, "key", 0); err != nil {
		errs = append(errs, err)
	} else {
		p.keyIdx = i
	}
	mapped := map[string]bool{}
	for _, r := range rules {
		f := d.Field(r.Field)
		if f == nil {
			names := make([]string, len(d.Fields))
			for i, f := range d.Fields {
				names[i] = f.Name
			}
			errs = append(errs, &Error{Line: r.Line, Msg: fmt.Sprintf("%q is not a %s field%s (fields: %s)", r.Field, d.Name, Suggest(r.Field, names), strings.Join(names, ", "))})
			continue
		}
		if mapped[r.Field] {
			errs = append(errs, &Error{Line: r.Line, Msg: fmt.Sprintf("field %q is mapped twice", r.Field)})
			continue
		}
		mapped[r.Field] = true
		c, cerrs := compileRule(r, f, h)
		errs = append(errs, cerrs...)
		if len(cerrs) > 0 {
			continue
		}
		if f.Secret {
			for _, i := range c.inputs {
				p.secret[i] = true
			}
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

// CompileError gathers every problem of a job's mapping: *Error,
// *ColumnError.
type CompileError struct{ Errs []error }

func (e *CompileError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the problems, for errors.As.
func (e *CompileError) Unwrap() []error { return e.Errs }

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
	use := func(name, what string) int {
		i, err := h.resolve(name, what, r.Line)
		if err != nil {
			errs = append(errs, err)
			return -1
		}
		if !slices.Contains(c.inputs, i) {
			c.inputs = append(c.inputs, i)
			c.columns = append(c.columns, h.Name(i))
		}
		return i
	}
	itemType := f.Type
	if f.Type == providers.StringList {
		itemType = providers.String
	}
	switch {
	case r.Column != "":
		c.col = use(r.Column, what)
	case r.Template != "":
		parts, cols, err := parseTemplate(r.Template)
		if err != nil {
			bad(nil, "%v", err)
		}
		for i := range parts {
			if parts[i].col == -2 {
				parts[i].col = use(cols[i], what+" template")
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
		if !f.Secret {
			bad(nil, "generate: password only fits a secret field; %s would show the password in previews and reports", f.Name)
		}
		pol, err := r.Password.check()
		switch {
		case err != nil:
			bad(nil, "%v", err)
		case f.MinLen > 0 && pol.Length < f.MinLen:
			bad(nil, "password length %d is shorter than the %d characters %s asks for; set length:", pol.Length, f.MinLen, f.Name)
		case f.MaxLen > 0 && pol.Length > f.MaxLen:
			bad(nil, "password length %d is longer than the %d characters %s allows; set length:", pol.Length, f.MaxLen, f.Name)
		}
		c.Password = pol
		if err == nil {
			// One password of the policy's shape, for ApplyOfflineInto.
			if c.sample, err = generatePassword(pol); err != nil {
				bad(nil, "%v", err)
			}
		}
	default:
		bad(nil, "no source; give one of column, template, value or generate")
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
	switch {
	case r.Split == "":
	case f.Type == providers.SkillMap && strings.ContainsAny(r.Split, ":="):
		bad(nil, "split %q would cut skills apart; : and = separate a skill from its level", r.Split)
	case f.Type != providers.StringList && f.Type != providers.SkillMap:
		bad(nil, "split only fits a list field, and %s is a %s", f.Name, f.Type)
	}
	if r.Phone != nil {
		if f.Type != providers.String {
			bad(nil, "phone only fits a text field, and %s is a %s", f.Name, f.Type)
		}
		if r.Phone.Region != "" {
			if code, err := CountryCode(r.Phone.Region); err != nil {
				bad(nil, "phone region: %v", err)
			} else {
				c.Phone = &PhoneRule{Region: code, RegionColumn: r.Phone.RegionColumn}
			}
		}
		if r.Phone.RegionColumn != "" {
			c.regionIx = use(r.Phone.RegionColumn, what+" phone region_column")
			c.region = h.Name(c.regionIx)
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

// UsesColumn reports whether the plan reads input column i: the key
// column or a column any field reads. A cell that no one reads can hold
// anything without failing its row.
func (p *Plan) UsesColumn(i int) bool {
	if i == p.keyIdx {
		return true
	}
	for _, c := range p.rules {
		if slices.Contains(c.inputs, i) {
			return true
		}
	}
	return false
}

// SecretColumns returns the input columns that feed secret fields (as a
// column, in a template or as a phone region); they are left out of the
// success report.
func (p *Plan) SecretColumns() map[int]bool { return p.secret }

// NameColumns returns the input columns that feed the fields naming the
// person (first, last, given, family, full or display name: a field named
// name, or whose name ends so, such as firstName or name.givenName), in
// rule order, each once, key and secret columns left out. credentials.csv
// copies them so that HR can hand each password to its owner.
func (p *Plan) NameColumns() []int {
	var out []int
	for _, c := range p.rules {
		if c.field.Secret || !isNameField(c.Field) {
			continue
		}
		for _, i := range c.inputs {
			if i != p.keyIdx && !p.secret[i] && !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	return out
}

// isNameField recognises a vendor field that names a person.
func isNameField(field string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(field) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	f := b.String()
	if f == "name" {
		return true
	}
	for _, suffix := range []string{"firstname", "lastname", "givenname", "familyname", "surname", "fullname", "displayname", "middlename"} {
		if strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}

// Columns returns the input columns a field reads, for messages.
func (p *Plan) Columns(field string) []string {
	for _, c := range p.rules {
		if c.Field == field {
			return c.columns
		}
	}
	return nil
}

// Generates returns the fields whose values the plan generates
// (passwords), in rule order.
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
// field at most), and the generated secrets by field. A field whose cell is
// blank and that has no default (or says when_empty: skip) is left out of
// the record.
func (p *Plan) Apply(cells []string) (providers.Record, []Problem, map[string]string) {
	return p.apply(nil, cells, false)
}

// ApplyOfflineInto maps one row as Apply does, for check, which validates
// but never sends: a generated field holds the same password of the
// policy's shape on every row instead of a fresh one (generating a password
// costs more than mapping the rest of the row). Validation sees a value of
// the right length and characters; the record must not be sent. It fills
// rec, emptied first (nil for a new one), so that check can reuse the
// records of rows it is done with.
func (p *Plan) ApplyOfflineInto(rec providers.Record, cells []string) (providers.Record, []Problem) {
	clear(rec)
	rec, probs, _ := p.apply(rec, cells, true)
	return rec, probs
}

// Fixed returns the fields that Apply sets to the same value on every row
// (literals of the job), with that value, so that a caller can validate
// them once (providers.NewFieldChecker) instead of once a row.
func (p *Plan) Fixed() map[string]any {
	out := map[string]any{}
	for i := range p.rules {
		if c := &p.rules[i]; c.value != nil {
			out[c.Field] = c.value
		}
	}
	return out
}

// OfflineFixed is Fixed for ApplyOfflineInto, which also sets every generated
// password to one placeholder.
func (p *Plan) OfflineFixed() map[string]any {
	out := p.Fixed()
	for i := range p.rules {
		if c := &p.rules[i]; c.value == nil && c.Generate != "" {
			out[c.Field] = c.sample
		}
	}
	return out
}

func (p *Plan) apply(rec providers.Record, cells []string, offline bool) (providers.Record, []Problem, map[string]string) {
	if rec == nil {
		rec = make(providers.Record, len(p.rules))
	}
	var probs []Problem
	var gen map[string]string
	for i := range p.rules {
		c := &p.rules[i]
		var v any
		var err error
		if offline && c.Generate != "" {
			v = c.sample
		} else {
			v, err = c.apply(cells)
		}
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
	if c.tmpl != nil {
		raw = c.fill(cells)
	} else {
		raw = cell(cells, c.col)
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
	if strings.TrimSpace(raw) == "" {
		return c.empty()
	}
	if c.Phone != nil {
		region := c.Phone.Region
		if c.regionIx >= 0 {
			if r := strings.TrimSpace(cell(cells, c.regionIx)); r != "" {
				region = r
			} else if region == "" && !strings.HasPrefix(strings.TrimSpace(raw), "+") {
				return nil, fmt.Errorf("phone %q has no +country code and column %q is blank", raw, c.region)
			}
		}
		e164, err := NormalizePhone(raw, region)
		if err != nil {
			return nil, err
		}
		raw = e164
	}
	switch c.field.Type {
	case providers.StringList:
		return c.list(raw)
	case providers.SkillMap:
		if c.mapTo != nil {
			return c.lookup(raw)
		}
		if c.Split != "" {
			raw = strings.ReplaceAll(raw, c.Split, ";")
		}
		return providers.ParseSkills(raw)
	}
	if c.mapTo != nil {
		return c.lookup(raw)
	}
	return providers.ParseValue(c.field.Type, raw)
}

// empty is the value of a blank cell: when_empty decides; without it a
// default is used when there is one, else the field is left out.
func (c *compiled) empty() (any, error) {
	switch c.WhenEmpty {
	case "error":
		return nil, errors.New("is empty, and when_empty: error asks for a value")
	case "skip":
		return nil, nil
	}
	return c.defaultValue(), nil
}

// fill renders the template with the row's cells, trimmed, and runs of
// white space collapsed to one space, so a blank cell leaves no gap. A
// template whose cells are all blank renders as "", whatever its literal
// text, so that when_empty applies.
func (c *compiled) fill(cells []string) string {
	n, blank := 0, true
	for _, part := range c.tmpl {
		if part.col == -1 {
			n += len(part.text)
			continue
		}
		s := cell(cells, part.col)
		n += len(s)
		if blank && strings.TrimSpace(s) != "" {
			blank = false
		}
	}
	if blank {
		return ""
	}
	var b strings.Builder
	b.Grow(n)
	space := false
	for _, part := range c.tmpl {
		s := part.text
		if part.col != -1 {
			s = cell(cells, part.col)
		}
		for i := 0; i < len(s); {
			// ASCII, nearly every byte of a name, needs no decoding.
			r, size := rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:]) // an invalid byte is U+FFFD, as range gives
			}
			i += size
			if isSpace(r) {
				space = b.Len() > 0
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSpace is unicode.IsSpace with a table for ASCII.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	return unicode.IsSpace(r)
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// list splits raw into items (trimmed, blanks dropped), maps each, and
// drops repeats. A cell with no items is blank.
func (c *compiled) list(raw string) (any, error) {
	if c.Split == "" && c.mapTo == nil {
		return []string{raw}, nil
	}
	var out []string
	var err error
	if c.Split == "" {
		if out, err = c.addItem(out, raw); err != nil {
			return nil, err
		}
	} else {
		out = make([]string, 0, min(strings.Count(raw, c.Split)+1, 8))
		for item := range strings.SplitSeq(raw, c.Split) {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			if out, err = c.addItem(out, item); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return c.empty()
	}
	return out, nil
}

// addItem appends item to out, mapped through map: when there is one.
func (c *compiled) addItem(out []string, item string) ([]string, error) {
	if c.mapTo == nil {
		return appendNew(out, item), nil
	}
	v, err := c.lookup(item)
	if err != nil {
		return out, err
	}
	switch x := v.(type) {
	case string:
		if x != "" { // map: { Contractor: "" } adds nothing
			out = appendNew(out, x)
		}
	case []string:
		for _, s := range x {
			if s != "" {
				out = appendNew(out, s)
			}
		}
	}
	return out, nil
}

// appendNew appends s unless l holds it already (lists are short: a scan
// beats a map).
func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// defaultValue returns the default as the field's type (a single default
// item of a list field becomes a one-item list), or nil for none.
func (c *compiled) defaultValue() any {
	if s, ok := c.def.(string); ok && c.field.Type == providers.StringList {
		return []string{s}
	}
	return c.def
}

// lookup maps s through map:, case-insensitively, falling back to the
// default.
func (c *compiled) lookup(s string) (any, error) {
	if v, ok := c.find(s); ok {
		return v, nil
	}
	if c.def != nil {
		return c.def, nil
	}
	return nil, fmt.Errorf("no map entry for %q (map has: %s); add it to the map or set a default", s, quoteAll(c.mapKeys))
}

// find is c.mapTo[normal(s)]; short ASCII keys are lowered in a stack
// buffer, which the compiler does not copy for a map index.
func (c *compiled) find(s string) (any, bool) {
	s = strings.TrimSpace(s)
	var buf [64]byte
	if len(s) <= len(buf) {
		ascii := true
		for i := 0; i < len(s) && ascii; i++ {
			ch := s[i]
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			buf[i] = ch
			ascii = ch < 0x80
		}
		if ascii {
			v, ok := c.mapTo[string(buf[:len(s)])]
			return v, ok
		}
	}
	v, ok := c.mapTo[normal(s)]
	return v, ok
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
