package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// parseFields parses src, a YAML document whose `fields:` key is on line 1,
// so the first field is on line 2.
func parseFields(t testing.TB, src string) ([]Rule, error) {
	t.Helper()
	var doc struct {
		Fields yaml.Node `yaml:"fields"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("test YAML does not parse: %v", err)
	}
	return ParseRules(&doc.Fields)
}

func mustParse(t testing.TB, src string) []Rule {
	t.Helper()
	rules, err := parseFields(t, src)
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	return rules
}

func TestParseRules(t *testing.T) {
	lit := func(line int, s string) *Literal { return &Literal{Scalar: s, Line: line} }
	list := func(line int, l ...string) *Literal { return &Literal{List: l, IsList: true, Line: line} }
	def := DefaultPasswordPolicy()
	tests := []struct {
		name string
		src  string
		want []Rule
	}{
		{
			name: "shorthand is a column",
			src:  "fields:\n  id: Work Email\n",
			want: []Rule{{Field: "id", Line: 2, Column: "Work Email"}},
		},
		{
			name: "shorthand keeps YAML-typed text as written",
			src:  "fields:\n  a: 0123\n  b: yes\n",
			want: []Rule{{Field: "a", Line: 2, Column: "0123"}, {Field: "b", Line: 3, Column: "yes"}},
		},
		{
			name: "column with transforms",
			src:  "fields:\n  id: { column: Work Email, lower: true, trim: false, when_empty: error }\n",
			want: []Rule{{Field: "id", Line: 2, Column: "Work Email", Lower: true, NoTrim: true, WhenEmpty: "error"}},
		},
		{
			name: "upper, and trim: true is the default",
			src:  "fields:\n  c: { column: Country, upper: yes, trim: true }\n",
			want: []Rule{{Field: "c", Line: 2, Column: "Country", Upper: true}},
		},
		{
			name: "template",
			src:  "fields:\n  name: { template: \"{First Name} {Last Name}\" }\n",
			want: []Rule{{Field: "name", Line: 2, Template: "{First Name} {Last Name}"}},
		},
		{
			name: "value keeps the raw text",
			src:  "fields:\n  org: { value: 0123 }\n  tos: { value: NO }\n",
			want: []Rule{{Field: "org", Line: 2, Value: lit(2, "0123")}, {Field: "tos", Line: 3, Value: lit(3, "NO")}},
		},
		{
			name: "value list and empty string",
			src:  "fields:\n  roles:\n    value: [a, b]\n  note: { value: \"\" }\n",
			want: []Rule{{Field: "roles", Line: 2, Value: list(3, "a", "b")}, {Field: "note", Line: 4, Value: lit(4, "")}},
		},
		{
			name: "value mapping (skills)",
			src:  "fields:\n  skills: { value: { Spanish: 100, English: 80 } }\n",
			want: []Rule{{Field: "skills", Line: 2, Value: &Literal{Pairs: map[string]string{"Spanish": "100", "English": "80"}, Line: 2}}},
		},
		{
			name: "split, map with list target, default list, when_empty default",
			src: "fields:\n  roles:\n    column: Department\n    split: \";\"\n    map:\n      Sales: base_role\n      Support: [liveAgentAgent, base_role]\n" +
				"    default: [base_role]\n    when_empty: default\n",
			want: []Rule{{
				Field: "roles", Line: 2, Column: "Department", Split: ";",
				Map:       []MapEntry{{From: "Sales", To: lit(6, "base_role")}, {From: "Support", To: list(7, "liveAgentAgent", "base_role")}},
				Default:   list(8, "base_role"),
				WhenEmpty: "default",
			}},
		},
		{
			name: "when_empty skip",
			src:  "fields:\n  x: { column: X, when_empty: skip }\n",
			want: []Rule{{Field: "x", Line: 2, Column: "X", WhenEmpty: "skip"}},
		},
		{
			name: "phone shorthand region, lower case",
			src:  "fields:\n  tel: { column: Mobile, phone: gb }\n",
			want: []Rule{{Field: "tel", Line: 2, Column: "Mobile", Phone: &PhoneRule{Region: "GB"}}},
		},
		{
			name: "phone region by English name",
			src:  "fields:\n  tel: { column: Mobile, phone: { region: United Kingdom } }\n",
			want: []Rule{{Field: "tel", Line: 2, Column: "Mobile", Phone: &PhoneRule{Region: "GB"}}},
		},
		{
			name: "phone region_column with fallback region",
			src:  "fields:\n  tel: { column: Mobile, phone: { region_column: Country, region: DE } }\n",
			want: []Rule{{Field: "tel", Line: 2, Column: "Mobile", Phone: &PhoneRule{Region: "DE", RegionColumn: "Country"}}},
		},
		{
			name: "generate password: defaults",
			src:  "fields:\n  password: { generate: password }\n",
			want: []Rule{{Field: "password", Line: 2, Generate: "password", Password: def}},
		},
		{
			name: "generate password: policy, a written 0 stays 0",
			src:  "fields:\n  password: { generate: password, length: 20, min_lower: 0, min_upper: 3, min_digits: 4, min_symbols: 5, symbols: \"!?!\" }\n",
			want: []Rule{{Field: "password", Line: 2, Generate: "password", Password: PasswordPolicy{Length: 20, MinUpper: 3, MinDigits: 4, MinSymbols: 5, Symbols: "!?"}}},
		},
		{
			name: "generate password: symbols false",
			src:  "fields:\n  password: { generate: password, symbols: false }\n",
			want: []Rule{{Field: "password", Line: 2, Generate: "password", Password: PasswordPolicy{Length: 16, MinLower: 2, MinUpper: 2, MinDigits: 2}}},
		},
		{
			name: "generate password: own symbols ask for one by default",
			src:  "fields:\n  password: { generate: password, symbols: \"@-\" }\n",
			want: []Rule{{Field: "password", Line: 2, Generate: "password", Password: PasswordPolicy{Length: 16, MinLower: 2, MinUpper: 2, MinDigits: 2, MinSymbols: 1, Symbols: "@-"}}},
		},
		{
			name: "aliases are followed",
			src:  "fields:\n  id: &email { column: Work Email, lower: true }\n  cxoneEmail: *email\n",
			want: []Rule{{Field: "id", Line: 2, Column: "Work Email", Lower: true}, {Field: "cxoneEmail", Line: 3, Column: "Work Email", Lower: true}},
		},
		{
			name: "order is kept",
			src:  "fields:\n  z: Z\n  a: A\n  m: M\n",
			want: []Rule{{Field: "z", Line: 2, Column: "Z"}, {Field: "a", Line: 3, Column: "A"}, {Field: "m", Line: 4, Column: "M"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseRules:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		want string // a part of the message
	}{
		{"fields missing", "other: 1\n", 0, "fields: missing"},
		{"fields null", "fields:\n", 1, "fields: missing"},
		{"fields a list", "fields: [a, b]\n", 1, "must be a mapping"},
		{"field mapped twice", "fields:\n  id: A\n  name: B\n  id: C\n", 4, `field "id" is mapped twice (first on line 2)`},
		{"empty shorthand", "fields:\n  id:\n", 2, "empty rule"},
		{"blank shorthand", "fields:\n  id: \" \"\n", 2, "empty rule"},
		{"rule a list", "fields:\n  id: [a]\n", 2, "a rule is a column name or a mapping"},
		{"unknown key", "fields:\n  id:\n    column: A\n    lowr: true\n", 4, `unknown rule key "lowr" (did you mean "lower"?)`},
		{"unknown key lists known", "fields:\n  id: { column: A, zzz: 1 }\n", 2, "known: column, template"},
		{"two sources", "fields:\n  id:\n    column: A\n    value: x\n", 4, "give only one of column, template, value or generate (got column and value)"},
		{"three sources", "fields:\n  id: { template: \"{A}\", generate: password, column: A }\n", 2, "got template and generate and column"},
		{"no source", "fields:\n  id:\n    lower: true\n", 3, "no source"},
		{"key twice", "fields:\n  id:\n    column: A\n    lower: true\n    lower: false\n", 5, "lower is given twice (first on line 4)"},
		{"map twice", "fields:\n  id:\n    column: A\n    map: { a: b }\n    map: { c: d }\n", 5, "map is given twice (first on line 4)"},
		{"map key twice, case-insensitively", "fields:\n  r:\n    column: D\n    map:\n      Sales: a\n      sales: b\n", 6, `map has "sales" twice (first on line 5`},
		{"map not a mapping", "fields:\n  r: { column: D, map: [a] }\n", 2, "map must be a mapping"},
		{"map empty", "fields:\n  r: { column: D, map: {} }\n", 2, "map is empty"},
		{"map target null", "fields:\n  r:\n    column: D\n    map:\n      Sales:\n", 5, `map "Sales" has no value`},
		{"map target nested list", "fields:\n  r:\n    column: D\n    map:\n      Sales: [[a]]\n", 5, "list items must be single values"},
		{"empty column", "fields:\n  id: { column: \"\" }\n", 2, "column is empty"},
		{"null column", "fields:\n  id:\n    column:\n", 3, "column is empty"},
		{"empty template", "fields:\n  id: { template: \"\" }\n", 2, "template is empty"},
		{"column a list", "fields:\n  id: { column: [A, B] }\n", 2, "column must be a single value"},
		{"null value", "fields:\n  id:\n    value:\n", 3, "value has no value"},
		{"null default", "fields:\n  id: { column: A, default: ~ }\n", 2, "default has no value"},
		{"unknown generate", "fields:\n  id:\n    generate: uuid\n", 3, `generate: "uuid" is not known`},
		{"bad when_empty", "fields:\n  id:\n    column: A\n    when_empty: ignore\n", 4, `when_empty must be skip, error or default, not "ignore"`},
		{"when_empty default without default", "fields:\n  id:\n    column: A\n    when_empty: default\n", 4, "when_empty: default needs a default"},
		{"bad boolean", "fields:\n  id:\n    column: A\n    lower: maybe\n", 4, `lower must be true or false, not "maybe"`},
		{"lower and upper", "fields:\n  id:\n    column: A\n    lower: true\n    upper: true\n", 5, "lower or upper, not both"},
		{"split empty", "fields:\n  r:\n    column: D\n    split: \"\"\n", 4, "split needs a separator"},
		{"phone unknown region", "fields:\n  tel:\n    column: M\n    phone: { region: XX }\n", 4, `"XX" is not a country`},
		{"phone region name unknown", "fields:\n  tel:\n    column: M\n    phone: Narnia\n", 4, `"Narnia" is not a country`},
		{"phone no region", "fields:\n  tel:\n    column: M\n    phone: {}\n", 4, "phone needs region or region_column"},
		{"phone unknown key", "fields:\n  tel:\n    column: M\n    phone: { regio: GB }\n", 4, `phone: unknown key "regio"`},
		{"phone a list", "fields:\n  tel:\n    column: M\n    phone: [GB]\n", 4, "phone must be"},
		{"phone empty region_column", "fields:\n  tel:\n    column: M\n    phone: { region_column: \"\" }\n", 4, "region_column is empty"},
		{"cell key with value", "fields:\n  org:\n    value: x\n    lower: true\n", 4, "lower only shapes text read from the input; it does not go with value:"},
		{"cell key with generate", "fields:\n  password:\n    generate: password\n    when_empty: error\n", 4, "does not go with generate:"},
		{"password key without generate", "fields:\n  id:\n    column: A\n    length: 12\n", 4, "length only goes with generate: password"},
		{"length not a number", "fields:\n  password:\n    generate: password\n    length: long\n", 4, `length must be a whole number, not "long"`},
		{"negative minimum", "fields:\n  password:\n    generate: password\n    min_digits: -1\n", 4, "min_digits must be a whole number"},
		{"length too short for minimums", "fields:\n  password:\n    generate: password\n    length: 10\n    min_upper: 5\n", 4, "password length 10 is shorter than the 11 characters the minimums ask for"},
		{"length too short for a leading letter", "fields:\n  password:\n    generate: password\n    length: 8\n    min_lower: 0\n    min_upper: 0\n    min_digits: 4\n    min_symbols: 4\n", 4, "shorter than the 9 characters"},
		{"length under 8", "fields:\n  password:\n    generate: password\n    length: 6\n    min_symbols: 0\n", 4, "password length 6 is outside 8..128"},
		{"length over 128", "fields:\n  password:\n    generate: password\n    length: 129\n", 4, "outside 8..128"},
		{"min_symbols without symbols", "fields:\n  password:\n    generate: password\n    symbols: false\n    min_symbols: 2\n", 5, "min_symbols: 2 needs symbols"},
		{"letters as symbols", "fields:\n  password:\n    generate: password\n    symbols: \"ab\"\n", 4, "only ASCII punctuation"},
		{"non-ASCII symbols", "fields:\n  password:\n    generate: password\n    symbols: \"£€\"\n", 4, "only ASCII punctuation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := parseFields(t, tt.src)
			if err == nil {
				t.Fatalf("no error; rules %+v", rules)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *mapping.Error", err, err)
			}
			if e.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q does not start with its line", err)
			}
		})
	}
}

// Every field's first problem is reported, so a job file is fixed in one go.
func TestParseRulesEveryField(t *testing.T) {
	src := "fields:\n  id: { column: A, lowr: true }\n  name: Name\n  roles: { column: D, when_empty: never }\n  id: B\n"
	_, err := parseFields(t, src)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v, want a *CompileError", err, err)
	}
	var lines []int
	for _, e := range ce.Errs {
		var me *Error
		if !errors.As(e, &me) {
			t.Fatalf("%T is not a *Error", e)
		}
		lines = append(lines, me.Line)
	}
	if want := []int{2, 4, 5}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v:\n%v", lines, want, err)
	}
}
