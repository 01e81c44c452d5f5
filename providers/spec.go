package providers

import (
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Description is what a provider says about itself: enough for `onboard
// providers` to document it, `onboard init` to write a starting job, the
// mapping to type values, and CheckFields to validate them.
type Description struct {
	// Name is the job file's `provider:` value, lower case.
	Name string
	// Title is the vendor's product name.
	Title string
	// API names the call that creates a user, for help texts.
	API string
	// DefaultEndpoint is a plausible base URL, shown in help and templates.
	DefaultEndpoint string
	// KeyField is the vendor field that identifies a user (used for lookups).
	KeyField string
	// Fields lists the vendor fields a job can map, in display order.
	Fields []Field
	// Auth lists the credential schemes the vendor accepts; a job's `auth:`
	// must satisfy one of them.
	Auth []AuthScheme
	// Options lists the provider-specific job settings (`options:`).
	Options []Setting
	// Notes are extra lines for `onboard providers` (unconfirmed vendor
	// behaviour, say).
	Notes []string
	// SandboxVariants lists the alternative answers the sandbox can play
	// (SandboxOptions.Variants): each name with its possible values, the
	// first being the default.
	SandboxVariants []Variant
	// InitJob is the commented job.yaml that `onboard init` writes.
	InitJob string
	// InitCSV is the template CSV that `onboard init` writes.
	InitCSV string
}

// Variant is one choice of answer a sandbox can play, for `onboard sandbox
// --variant NAME=VALUE` and the conformance suite.
type Variant struct {
	Name   string
	Values []string
	Help   string
}

// CheckVariants reports a name in v that d.SandboxVariants does not list,
// or a value not among that variant's Values, naming the known ones.
func (d *Description) CheckVariants(v map[string]string) error {
	names := make([]string, 0, len(v))
	for n := range v {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var found *Variant
		for i := range d.SandboxVariants {
			if d.SandboxVariants[i].Name == n {
				found = &d.SandboxVariants[i]
			}
		}
		if found == nil {
			known := make([]string, len(d.SandboxVariants))
			for i, sv := range d.SandboxVariants {
				known[i] = sv.Name
			}
			if len(known) == 0 {
				return fmt.Errorf("%s: the sandbox plays no variants (asked for %q)", d.Name, n)
			}
			return fmt.Errorf("%s: unknown sandbox variant %q (known: %s)", d.Name, n, joinQuoted(known))
		}
		if !contains(found.Values, v[n]) {
			return fmt.Errorf("%s: sandbox variant %s=%q: the value must be one of %s", d.Name, n, v[n], joinQuoted(found.Values))
		}
	}
	return nil
}

// MustVariants checks v (CheckVariants) and panics on a name or value the
// sandbox does not play: a sandbox built from unchecked variants is a
// programmer error, since `onboard sandbox` and the tests check them first.
func (d *Description) MustVariants(v map[string]string) {
	if err := d.CheckVariants(v); err != nil {
		panic(d.Name + " sandbox: " + err.Error())
	}
}

// VariantValue returns the value v picks for the variant called name, or
// its default (its first value) when v has none. A sandbox reads its
// variants with it; "" means d lists no such variant.
func (d *Description) VariantValue(v map[string]string, name string) string {
	for _, sv := range d.SandboxVariants {
		if sv.Name != name {
			continue
		}
		if x, ok := v[name]; ok && contains(sv.Values, x) {
			return x
		}
		if len(sv.Values) > 0 {
			return sv.Values[0]
		}
	}
	return ""
}

// Field returns the field called name, or nil.
func (d *Description) Field(name string) *Field {
	for i := range d.Fields {
		if d.Fields[i].Name == name {
			return &d.Fields[i]
		}
	}
	return nil
}

// SecretFields returns the names of fields marked Secret.
func (d *Description) SecretFields() []string {
	var out []string
	for _, f := range d.Fields {
		if f.Secret {
			out = append(out, f.Name)
		}
	}
	return out
}

// MatchAuth returns the scheme whose required settings are all present in
// auth, or an error that says what is missing. Settings not named by any
// scheme are an error too (a typo would otherwise be silently ignored).
func (d *Description) MatchAuth(auth map[string]string) (*AuthScheme, error) {
	known := map[string]bool{}
	for _, s := range d.Auth {
		for _, set := range s.Settings {
			known[set.Name] = true
		}
	}
	var unknown []string
	for k := range auth {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(known))
		for k := range known {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%s: unknown auth setting %s (known: %s)", d.Name, joinQuoted(unknown), joinQuoted(names))
	}
	var reasons []string
	for i := range d.Auth {
		s := &d.Auth[i]
		var missing []string
		for _, set := range s.Settings {
			if set.Required && strings.TrimSpace(auth[set.Name]) == "" {
				missing = append(missing, set.Name)
			}
		}
		if len(missing) == 0 {
			return s, nil
		}
		reasons = append(reasons, fmt.Sprintf("%s needs %s", s.Name, joinQuoted(missing)))
	}
	return nil, fmt.Errorf("%s: credentials missing: %s (an unset ${VAR} reads as empty)", d.Name, strings.Join(reasons, "; or "))
}

// AuthScheme is one way to authenticate, with the settings it needs.
type AuthScheme struct {
	Name     string
	Help     string
	Settings []Setting
}

// Setting is one named configuration value.
type Setting struct {
	Name     string
	Required bool
	Secret   bool
	Default  string
	Help     string
}

// FieldType is the type of a vendor field's value. The mapping converts cell
// text to it, so "yes" arrives as true and "a;b" as a list.
type FieldType int

// The value types a field can have. The Go type of the value in a Record is
// given with each.
const (
	String     FieldType = iota // string
	Bool                        // bool
	Int                         // int
	StringList                  // []string
	SkillMap                    // map[string]int
)

func (t FieldType) String() string {
	switch t {
	case String:
		return "string"
	case Bool:
		return "boolean"
	case Int:
		return "integer"
	case StringList:
		return "list of strings"
	case SkillMap:
		return "skills (name:level;...)"
	}
	return "unknown"
}

// Field describes one vendor field.
type Field struct {
	Name     string
	Type     FieldType
	Required bool
	// Secret fields (passwords) are masked in previews, never logged or
	// reported, and the columns they come from are left out of success.csv.
	Secret bool
	Help   string
	// Enum, when set, lists the allowed values (of each item, for lists).
	Enum []string
	// Pattern, when set, must match the whole value (of each item).
	Pattern *regexp.Regexp
	// PatternHelp says in words what Pattern means, for messages.
	PatternHelp string
	// MinLen and MaxLen bound the length in characters (0: no bound).
	MinLen, MaxLen int
	// Min and Max bound Int values and SkillMap levels when Max > Min.
	Min, Max int
}

// Constraint returns a short human text of the field's constraints.
func (f *Field) Constraint() string {
	var parts []string
	if f.Pattern != nil {
		if f.PatternHelp != "" {
			parts = append(parts, f.PatternHelp)
		} else {
			parts = append(parts, "matches "+f.Pattern.String())
		}
	}
	if len(f.Enum) > 0 {
		parts = append(parts, "one of "+strings.Join(f.Enum, ", "))
	}
	switch {
	case f.MinLen > 0 && f.MinLen == f.MaxLen:
		parts = append(parts, fmt.Sprintf("exactly %d characters", f.MinLen))
	case f.MinLen > 0 && f.MaxLen > 0:
		parts = append(parts, fmt.Sprintf("%d to %d characters", f.MinLen, f.MaxLen))
	case f.MinLen > 0:
		parts = append(parts, fmt.Sprintf("at least %d characters", f.MinLen))
	case f.MaxLen > 0:
		parts = append(parts, fmt.Sprintf("at most %d characters", f.MaxLen))
	}
	if f.Max > f.Min {
		parts = append(parts, fmt.Sprintf("%d..%d", f.Min, f.Max))
	}
	return strings.Join(parts, "; ")
}

// Record is one user as the vendor will receive it: vendor field name to a
// value of the field's Go type (see FieldType). Absent fields are not sent.
type Record map[string]any

// String returns the value of a String field, or "".
func (r Record) String(name string) string {
	s, _ := r[name].(string)
	return s
}

// Bool returns the value of a Bool field and whether it is set.
func (r Record) Bool(name string) (bool, bool) {
	b, ok := r[name].(bool)
	return b, ok
}

// Strings returns the value of a StringList field.
func (r Record) Strings(name string) []string {
	l, _ := r[name].([]string)
	return l
}

// Clone returns a shallow copy (values are immutable by convention).
func (r Record) Clone() Record {
	out := make(Record, len(r))
	for k, v := range r {
		out[k] = v
	}
	return out
}

// Masked returns a copy with every secret field replaced by a mask, for
// previews and logs.
func (r Record) Masked(d *Description) Record {
	out := r.Clone()
	for _, f := range d.Fields {
		if _, ok := out[f.Name]; ok && f.Secret {
			out[f.Name] = Mask
		}
	}
	return out
}

// Mask replaces secrets wherever a value would otherwise be shown.
const Mask = "********"

// FieldError is an offline validation problem with one field.
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// ParseValue converts cell text to a value of type t. Empty text is the
// caller's business (when_empty); here it is an error for non-strings.
func ParseValue(t FieldType, s string) (any, error) {
	switch t {
	case String:
		return s, nil
	case Bool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "y", "1", "on":
			return true, nil
		case "false", "no", "n", "0", "off":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean (use true/false, yes/no or 1/0)", s)
	case Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	case StringList:
		if s == "" {
			return []string{}, nil
		}
		return []string{s}, nil
	case SkillMap:
		return ParseSkills(s)
	}
	return nil, fmt.Errorf("unsupported field type %d", t)
}

// ParseSkills reads a cell like "Spanish:100;English:80" (`,` also
// separates entries; `=` also separates name and level).
func ParseSkills(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.LastIndexAny(part, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("skill %q has no level (write it as Name:Level, e.g. Spanish:100)", part)
		}
		name := strings.TrimSpace(part[:i])
		lvl, err := strconv.Atoi(strings.TrimSpace(part[i+1:]))
		if err != nil || name == "" {
			return nil, fmt.Errorf("skill %q: level %q is not a whole number", part, strings.TrimSpace(part[i+1:]))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("skill %q appears twice", name)
		}
		out[name] = lvl
	}
	return out, nil
}

// ConvertValue converts a literal from the job file (a YAML scalar or list,
// already decoded to Go values) to type t.
func ConvertValue(t FieldType, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if t == StringList {
			return []string{x}, nil
		}
		return ParseValue(t, x)
	case bool:
		if t == Bool {
			return x, nil
		}
		if t == String {
			return strconv.FormatBool(x), nil
		}
	case int:
		switch t {
		case Int:
			return x, nil
		case String:
			return strconv.Itoa(x), nil
		case Bool:
			return ParseValue(t, strconv.Itoa(x))
		case StringList:
			return []string{strconv.Itoa(x)}, nil
		}
	case float64:
		if t == String {
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
	case []string:
		if t == StringList {
			return x, nil
		}
	case []any:
		if t == StringList {
			out := make([]string, 0, len(x))
			for _, it := range x {
				s, err := ConvertValue(String, it)
				if err != nil {
					return nil, err
				}
				out = append(out, s.(string))
			}
			return out, nil
		}
	case map[string]any:
		if t == SkillMap {
			out := map[string]int{}
			for k, lv := range x {
				n, ok := lv.(int)
				if !ok {
					return nil, fmt.Errorf("skill %q: level %v is not a whole number", k, lv)
				}
				out[k] = n
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("%v (%T) cannot be used as a %s", v, v, t)
}

// CheckFields validates rec against the field specs: required fields present
// and non-empty, types, enums, patterns, lengths and ranges. It reports every
// problem, in field order, and fields the provider does not know.
func CheckFields(d *Description, rec Record) []FieldError {
	return checkFields(d, nil, rec)
}

// FieldChecker is CheckFields for the many records of one file, where some
// fields hold the same value on every row: a literal of the job (an
// organisation id, a fixed password) or check's placeholder password. Those
// are checked once, when the checker is made, instead of once a row; a
// pattern on an id costs more than mapping the rest of the row. It is safe
// for concurrent use.
type FieldChecker struct {
	d *Description
	// fixed is by index of d.Fields: whether the field's value is fixed,
	// and its problem ("" for none).
	fixed []fixedField
}

type fixedField struct {
	set bool
	msg string
}

// NewFieldChecker returns a checker for records that hold fixed[name] in
// each field named in fixed. A record passed to Check must hold exactly
// those values there: the checker does not look at them again.
func NewFieldChecker(d *Description, fixed map[string]any) *FieldChecker {
	c := &FieldChecker{d: d, fixed: make([]fixedField, len(d.Fields))}
	for i := range d.Fields {
		f := &d.Fields[i]
		v, ok := fixed[f.Name]
		if !ok {
			continue
		}
		c.fixed[i] = fixedField{set: true, msg: fieldProblem(f, v, true)}
	}
	return c
}

// Check is CheckFields(d, rec), with the fixed fields' problems as found
// when c was made.
func (c *FieldChecker) Check(rec Record) []FieldError { return checkFields(c.d, c.fixed, rec) }

func checkFields(d *Description, fixed []fixedField, rec Record) []FieldError {
	var errs []FieldError
	known := 0
	for i := range d.Fields {
		f := &d.Fields[i]
		v, ok := rec[f.Name]
		if ok {
			known++
		}
		var msg string
		if fixed != nil && fixed[i].set {
			msg = fixed[i].msg
		} else {
			msg = fieldProblem(f, v, ok)
		}
		if msg != "" {
			errs = append(errs, FieldError{f.Name, msg})
		}
	}
	if known == len(rec) {
		return errs // every field of rec is one of the provider's
	}
	for name := range rec {
		if d.Field(name) == nil {
			errs = append(errs, FieldError{name, "is not a " + d.Name + " field"})
		}
	}
	return errs
}

// fieldProblem is what is wrong with v as f's value (ok false: the record
// has no such field), or "".
func fieldProblem(f *Field, v any, ok bool) string {
	if !ok || isEmpty(v) {
		if f.Required {
			return "is required but empty"
		}
		return ""
	}
	return checkValue(f, v)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []string:
		return len(x) == 0
	case map[string]int:
		return len(x) == 0
	}
	return false
}

func checkValue(f *Field, v any) string {
	switch f.Type {
	case String:
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf("must be a string, got %T", v)
		}
		return checkString(f, s)
	case Bool:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("must be true or false, got %v", v)
		}
	case Int:
		n, ok := v.(int)
		if !ok {
			return fmt.Sprintf("must be a whole number, got %v", v)
		}
		if f.Max > f.Min && (n < f.Min || n > f.Max) {
			return fmt.Sprintf("%d is outside %d..%d", n, f.Min, f.Max)
		}
	case StringList:
		l, ok := v.([]string)
		if !ok {
			return fmt.Sprintf("must be a list of strings, got %T", v)
		}
		for _, s := range l {
			if msg := checkString(f, s); msg != "" {
				return msg
			}
		}
	case SkillMap:
		m, ok := v.(map[string]int)
		if !ok {
			return fmt.Sprintf("must be skills (name:level), got %T", v)
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if f.Max > f.Min && (m[k] < f.Min || m[k] > f.Max) {
				return fmt.Sprintf("skill %q level %d is outside %d..%d", k, m[k], f.Min, f.Max)
			}
		}
	}
	return ""
}

func checkString(f *Field, s string) string {
	// The hot path (a valid value) allocates nothing; quoting happens only
	// for a message.
	show := func() string {
		if f.Secret {
			return "the value"
		}
		return strconv.Quote(s)
	}
	if f.MinLen > 0 || f.MaxLen > 0 {
		n := utf8.RuneCountInString(s)
		if f.MinLen > 0 && n < f.MinLen || f.MaxLen > 0 && n > f.MaxLen {
			return fmt.Sprintf("%s has %d characters; it must have %s", show(), n, lenText(f))
		}
	}
	if len(f.Enum) > 0 && !contains(f.Enum, s) {
		return fmt.Sprintf("%s is not one of %s", show(), strings.Join(f.Enum, ", "))
	}
	if f.Pattern != nil && !f.Pattern.MatchString(s) {
		help := f.PatternHelp
		if help == "" {
			help = "match " + f.Pattern.String()
		}
		return fmt.Sprintf("%s is not valid: must be %s", show(), help)
	}
	return ""
}

func lenText(f *Field) string {
	switch {
	case f.MinLen > 0 && f.MinLen == f.MaxLen:
		return fmt.Sprintf("exactly %d", f.MinLen)
	case f.MinLen > 0 && f.MaxLen > 0:
		return fmt.Sprintf("%d to %d", f.MinLen, f.MaxLen)
	case f.MinLen > 0:
		return fmt.Sprintf("at least %d", f.MinLen)
	}
	return fmt.Sprintf("at most %d", f.MaxLen)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func quote(s string) string { return strconv.Quote(s) }

func joinQuoted(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// EmailProblem is the one e-mail rule every provider applies offline: a
// bare address (no display name) that net/mail reads back unchanged, with a
// dot in its domain. It returns "" for a good address, else a message.
func EmailProblem(e string) string {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return fmt.Sprintf("%q is not an e-mail address", e)
	}
	domain := e[strings.LastIndexByte(e, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fmt.Sprintf("%q is not an e-mail address (the domain needs a dot)", e)
	}
	return ""
}
