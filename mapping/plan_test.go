package mapping

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// testDesc has a field of every type, for mapping tests.
var testDesc = &providers.Description{
	Name: "testvendor",
	Fields: []providers.Field{
		{Name: "id", Type: providers.String, Required: true},
		{Name: "name", Type: providers.String},
		{Name: "password", Type: providers.String, Secret: true},
		{Name: "pin", Type: providers.String, Secret: true},
		{Name: "phone", Type: providers.String},
		{Name: "roles", Type: providers.StringList},
		{Name: "team", Type: providers.String},
		{Name: "skills", Type: providers.SkillMap},
		{Name: "active", Type: providers.Bool},
		{Name: "level", Type: providers.Int},
		{Name: "apiPassword", Type: providers.String, Secret: true, MinLen: 20, MaxLen: 24},
	},
}

// compile parses fields (YAML lines under `fields:`, indented two spaces)
// and binds them to header for testDesc, with header[0] as the key.
func compile(t testing.TB, fields string, header ...string) *Plan {
	t.Helper()
	p, err := Compile(mustParse(t, "fields:\n"+fields), testDesc, header, header[0])
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func compileErrs(t *testing.T, d *providers.Description, fields string, header []string, key string) []error {
	t.Helper()
	p, err := Compile(mustParse(t, "fields:\n"+fields), d, header, key)
	if err == nil {
		t.Fatalf("Compile: no error (plan %+v)", p)
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *CompileError: %v", err, err)
	}
	return ce.Errs
}

func TestCompileErrors(t *testing.T) {
	header := []string{"Work Email", "First Name", "Last Name", "Department", "Mobile", "onboard_status"}
	visible := []string{"Work Email", "First Name", "Last Name", "Department", "Mobile"}
	const idOK = "  id: Work Email\n"
	tests := []struct {
		name   string
		fields string
		key    string
		header []string
		// want: one entry per expected error, each a part of its message
		want []string
		line []int
		// columnErr: the first error is a *ColumnError for this column
		columnErr string
	}{
		{
			name: "missing column names it and lists the existing ones", fields: idOK + "  name: Full Name\n",
			want:      []string{`line 3: field "name": column "Full Name" is not in the input (its columns: "Work Email", "First Name", "Last Name", "Department", "Mobile")`},
			line:      []int{3},
			columnErr: "Full Name",
		},
		{
			name: "missing template column", fields: idOK + "  name: { template: \"{First Name} {Surname}\" }\n",
			want: []string{`line 3: field "name" template: column "Surname" is not in the input`}, line: []int{3}, columnErr: "Surname",
		},
		{
			name: "missing key", fields: idOK, key: "Employee ID",
			want: []string{`key: column "Employee ID" is not in the input (its columns: "Work Email"`}, line: []int{0}, columnErr: "Employee ID",
		},
		{
			name: "no key", fields: idOK, key: " ",
			want: []string{"key: missing"}, line: []int{0},
		},
		{
			name: "missing region_column", fields: idOK + "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			want: []string{`line 3: field "phone" phone region_column: column "Country" is not in the input`}, line: []int{3}, columnErr: "Country",
		},
		{
			name: "onboard_ columns are invisible", fields: idOK + "  team: onboard_status\n",
			want: []string{`column "onboard_status" is not in the input`}, line: []int{3}, columnErr: "onboard_status",
		},
		{
			name: "column named twice in the header", fields: "  id: Email\n", key: "Email", header: []string{"Email", "Name", " email "},
			want: []string{`key: column "Email" appears 2 times in the input (columns 1, 3); rename all but one`, `line 2: field "id": column "Email" appears 2 times`},
			line: []int{0, 2},
		},
		{
			name: "unknown vendor field", fields: idOK + "  nmae: First Name\n",
			want: []string{`line 3: "nmae" is not a testvendor field (did you mean "name"?) (fields: id, name, password,`}, line: []int{3},
		},
		{
			name: "required field unmapped", fields: "  name: First Name\n",
			want: []string{`testvendor field "id" is required but not mapped under fields:`}, line: []int{0},
		},
		{
			name: "literal value conversion error has the value's line", fields: idOK + "  active:\n    value: maybe\n",
			want: []string{`line 4: field "active": value: "maybe" is not a boolean`}, line: []int{4},
		},
		{
			name: "list value for a text field", fields: idOK + "  team: { value: [a, b] }\n",
			want: []string{`line 3: field "team": value: a list was given but the field is a string`}, line: []int{3},
		},
		{
			name: "map target conversion error", fields: idOK + "  active:\n    column: Department\n    map:\n      Sales: yes\n      Support: sometimes\n",
			want: []string{`line 7: field "active": map "Support": "sometimes" is not a boolean`}, line: []int{7},
		},
		{
			name: "default conversion error", fields: idOK + "  level:\n    column: Department\n    default: high\n",
			want: []string{`line 5: field "level": default: "high" is not a whole number`}, line: []int{5},
		},
		{
			name: "bad skills literal", fields: idOK + "  skills: { value: { Spanish: lots } }\n",
			want: []string{`line 3: field "skills": value: skill "Spanish:lots": level "lots" is not a whole number`}, line: []int{3},
		},
		{
			name: "generate into a non-text field", fields: idOK + "  level: { generate: password }\n",
			want: []string{`line 3: field "level": generate: password only fits a text field, and level is a integer`, `generate: password only fits a secret field`}, line: []int{3, 3},
		},
		{
			name: "generate into a field that is not secret", fields: idOK + "  team: { generate: password }\n",
			want: []string{`line 3: field "team": generate: password only fits a secret field; team would show the password in previews and reports`}, line: []int{3},
		},
		{
			name: "generated password shorter than the field's minimum", fields: idOK + "  apiPassword: { generate: password }\n",
			want: []string{`line 3: field "apiPassword": password length 16 is shorter than the 20 characters apiPassword asks for; set length:`}, line: []int{3},
		},
		{
			name: "generated password longer than the field's maximum", fields: idOK + "  apiPassword: { generate: password, length: 30 }\n",
			want: []string{`line 3: field "apiPassword": password length 30 is longer than the 24 characters apiPassword allows`}, line: []int{3},
		},
		{
			name: "split on a text field", fields: idOK + "  team: { column: Department, split: \";\" }\n",
			want: []string{`line 3: field "team": split only fits a list field`}, line: []int{3},
		},
		{
			name: "split that cuts skills apart", fields: idOK + "  skills: { column: Department, split: \":\" }\n",
			want: []string{`split ":" would cut skills apart`}, line: []int{3},
		},
		{
			name: "phone on a list field", fields: idOK + "  roles: { column: Mobile, phone: GB }\n",
			want: []string{`line 3: field "roles": phone only fits a text field`}, line: []int{3},
		},
		{
			name: "every problem together, in order",
			fields: "  nmae: First Name\n  team: Team\n  active: { value: maybe }\n" +
				"  roles: { column: Department, split: \";\", map: { Sales: a } }\n  level: { template: \"{Grade}\" }\n",
			key: "Employee",
			want: []string{
				`key: column "Employee"`,
				`line 2: "nmae" is not a testvendor field`,
				`line 3: field "team": column "Team"`,
				`line 4: field "active": value: "maybe"`,
				`line 6: field "level" template: column "Grade"`,
				`field "id" is required but not mapped`,
			},
			line:      []int{0, 2, 3, 4, 6, 0},
			columnErr: "Employee",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, key := header, "Work Email"
			if tt.header != nil {
				h = tt.header
			}
			if tt.key != "" {
				key = tt.key
			}
			errs := compileErrs(t, testDesc, tt.fields, h, key)
			if len(errs) != len(tt.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(errs), len(tt.want), (&CompileError{errs}).Error())
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tt.want[i]) {
					t.Errorf("error %d:\n got %q\nwant a message containing %q", i, err, tt.want[i])
				}
				if got := errLine(err); got != tt.line[i] {
					t.Errorf("error %d: line %d, want %d", i, got, tt.line[i])
				}
			}
			if tt.columnErr != "" {
				var ce *ColumnError
				if !errors.As(&CompileError{errs}, &ce) {
					t.Fatalf("no *ColumnError among %v", errs)
				}
				if ce.Column != tt.columnErr {
					t.Errorf("ColumnError.Column %q, want %q", ce.Column, tt.columnErr)
				}
				if tt.header == nil && !reflect.DeepEqual(ce.Columns, visible) {
					t.Errorf("ColumnError.Columns %q, want %q", ce.Columns, visible)
				}
			}
		})
	}
}

func errLine(err error) int {
	var e *Error
	var ce *ColumnError
	switch {
	case errors.As(err, &ce):
		return ce.Line
	case errors.As(err, &e):
		return e.Line
	}
	return -1
}

func TestCompileCognigyRequired(t *testing.T) {
	errs := compileErrs(t, cognigy.New().Describe(), "  id: Work Email\n  name: Name\n", []string{"Work Email", "Name"}, "Work Email")
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{
		`cognigy field "password" is required but not mapped under fields:`,
		`cognigy field "organisation" is required but not mapped under fields:`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}
}

func TestCompileHeaderMatching(t *testing.T) {
	p := compile(t, "  id: \" work EMAIL \"\n  name: { template: \"{first name} {LAST NAME}\" }\n",
		"  Work Email  ", "First Name", "Last Name", "Work Email Alt")
	if p.KeyColumn() != 0 {
		t.Errorf("KeyColumn %d, want 0", p.KeyColumn())
	}
	if got, want := p.Columns("id"), []string{"Work Email"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns(id) %q, want %q (the header's spelling)", got, want)
	}
	if got, want := p.Columns("name"), []string{"First Name", "Last Name"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns(name) %q, want %q", got, want)
	}
	if got := p.Columns("team"); got != nil {
		t.Errorf("Columns(team) %q, want nil", got)
	}
	rec, probs, _ := p.Apply([]string{" Ada@Example.com ", "Ada", "Lovelace", "x"})
	want := providers.Record{"id": "Ada@Example.com", "name": "Ada Lovelace"}
	if len(probs) > 0 || !reflect.DeepEqual(rec, want) {
		t.Errorf("Apply: %v %v, want %v", rec, probs, want)
	}
}

// A header may hold a column twice as long as no rule names it.
func TestCompileDuplicateUnusedColumn(t *testing.T) {
	p := compile(t, "  id: Email\n", "Email", "Notes", "notes")
	if rec, _, _ := p.Apply([]string{"a@x", "", ""}); rec.String("id") != "a@x" {
		t.Errorf("Apply: %v", rec)
	}
}

func TestApply(t *testing.T) {
	header := []string{"Email", "First", "Middle", "Last", "Dept", "Flag", "Mobile", "Country", "Skills", "Grade"}
	type row = map[string]string // column to cell; the others are blank
	tests := []struct {
		name   string
		fields string
		row    row
		want   providers.Record // fields other than id
		probs  []string         // Problem.Error() of each problem
	}{
		{name: "values are trimmed", fields: "  team: Dept\n", row: row{"Dept": "  Sales \t"}, want: providers.Record{"team": "Sales"}},
		{name: "trim: false keeps spaces", fields: "  team: { column: Dept, trim: false }\n", row: row{"Dept": " Sales "}, want: providers.Record{"team": " Sales "}},
		{name: "lower", fields: "  team: { column: Dept, lower: true }\n", row: row{"Dept": " SaLeS "}, want: providers.Record{"team": "sales"}},
		{name: "upper", fields: "  team: { column: Dept, upper: true }\n", row: row{"Dept": "sales"}, want: providers.Record{"team": "SALES"}},
		{name: "blank cell leaves the field out", fields: "  team: Dept\n", row: row{"Dept": "   "}, want: providers.Record{}},
		{
			name: "template", fields: "  name: { template: \"{Last}, {First} ({Dept})\" }\n",
			row: row{"First": "Ada", "Last": "Lovelace", "Dept": "R&D"}, want: providers.Record{"name": "Lovelace, Ada (R&D)"},
		},
		{
			name: "template: a missing cell leaves no double space", fields: "  name: { template: \"{First} {Middle} {Last}\" }\n",
			row: row{"First": " Ada ", "Middle": " ", "Last": "Lovelace"}, want: providers.Record{"name": "Ada Lovelace"},
		},
		{
			name: "template: inner spaces of a cell collapse", fields: "  name: { template: \"{First}  {Last}\" }\n",
			row: row{"First": "Mary  Ann", "Last": "Evans"}, want: providers.Record{"name": "Mary Ann Evans"},
		},
		{
			name: "template: braces", fields: "  name: { template: \"{{{First}}}\" }\n",
			row: row{"First": "Ada"}, want: providers.Record{"name": "{Ada}"},
		},
		{
			name: "template: all cells blank is blank, whatever the literal text", fields: "  name: { template: \"{First} <{Last}>\", when_empty: error }\n",
			row: row{}, probs: []string{`columns "First", "Last" (field name): is empty, and when_empty: error asks for a value`},
		},
		{
			name: "template with lower", fields: "  name: { template: \"{First}.{Last}@example.com\", lower: true }\n",
			row: row{"First": "Ada", "Last": "Lovelace"}, want: providers.Record{"name": "ada.lovelace@example.com"},
		},
		{name: "list without split is one item", fields: "  roles: Dept\n", row: row{"Dept": " a;b "}, want: providers.Record{"roles": []string{"a;b"}}},
		{
			name: "split trims, drops blanks and repeats", fields: "  roles: { column: Dept, split: \";\" }\n",
			row: row{"Dept": " a ; b;;a; "}, want: providers.Record{"roles": []string{"a", "b"}},
		},
		{name: "split of only separators is blank", fields: "  roles: { column: Dept, split: \";\" }\n", row: row{"Dept": " ; ;"}, want: providers.Record{}},
		{
			name:   "split + map with list targets, case-insensitive, deduplicated",
			fields: "  roles:\n    column: Dept\n    split: \"|\"\n    map: { Sales: base_role, Support: [liveAgentAgent, base_role], \"IT \": userManager }\n",
			row:    row{"Dept": "SALES | support|it|Sales"}, want: providers.Record{"roles": []string{"base_role", "liveAgentAgent", "userManager"}},
		},
		{
			name: "map to nothing drops the item", fields: "  roles: { column: Dept, split: \";\", map: { Sales: s, Contractors: \"\", Temps: [] } }\n",
			row: row{"Dept": "Contractors;Sales;Temps"}, want: providers.Record{"roles": []string{"s"}},
		},
		{
			name: "map of every item to nothing is blank", fields: "  roles: { column: Dept, split: \";\", map: { Contractors: \"\" }, when_empty: error }\n",
			row: row{"Dept": "Contractors"}, probs: []string{`column "Dept" (field roles): is empty, and when_empty: error asks for a value`},
		},
		{
			name: "map on a list field without split", fields: "  roles: { column: Dept, map: { Sales: [a, b] } }\n",
			row: row{"Dept": "sales"}, want: providers.Record{"roles": []string{"a", "b"}},
		},
		{
			name: "unmapped list item without default", fields: "  roles: { column: Dept, split: \";\", map: { Sales: base_role, Support: liveAgentAgent } }\n",
			row:   row{"Dept": "Sales;Marketing"},
			probs: []string{`column "Dept" (field roles): no map entry for "Marketing" (map has: "Sales", "Support"); add it to the map or set a default`},
		},
		{
			name: "unmapped list item takes the default", fields: "  roles: { column: Dept, split: \";\", map: { Sales: base_role }, default: [x, base_role] }\n",
			row: row{"Dept": "Sales;Marketing"}, want: providers.Record{"roles": []string{"base_role", "x"}},
		},
		{
			name: "blank list cell takes a scalar default as a list", fields: "  roles: { column: Dept, map: { Sales: a }, default: z }\n",
			row: row{}, want: providers.Record{"roles": []string{"z"}},
		},
		{
			name: "blank list cell takes a list default", fields: "  roles: { column: Dept, split: \";\", default: [y, z] }\n",
			row: row{}, want: providers.Record{"roles": []string{"y", "z"}},
		},
		{
			name: "text map, case-insensitive", fields: "  team: { column: Dept, map: { Sales: team-s, Support: team-x } }\n",
			row: row{"Dept": " sUpPoRt "}, want: providers.Record{"team": "team-x"},
		},
		{
			name: "text map, non-ASCII key", fields: "  team: { column: Dept, map: { Ventes Générales: t1 } }\n",
			row: row{"Dept": "VENTES GÉNÉRALES"}, want: providers.Record{"team": "t1"},
		},
		{
			name: "text map: default for an unmapped value", fields: "  team: { column: Dept, map: { Sales: s }, default: general }\n",
			row: row{"Dept": "Marketing"}, want: providers.Record{"team": "general"},
		},
		{
			name: "text map: default for a blank cell", fields: "  team: { column: Dept, map: { Sales: s }, default: general }\n",
			row: row{}, want: providers.Record{"team": "general"},
		},
		{
			name: "text map: unmapped without default", fields: "  team: { column: Dept, map: { Sales: s } }\n",
			row: row{"Dept": "Marketing"}, probs: []string{`column "Dept" (field team): no map entry for "Marketing" (map has: "Sales"); add it to the map or set a default`},
		},
		{name: "when_empty: skip ignores the default", fields: "  team: { column: Dept, default: general, when_empty: skip }\n", row: row{}, want: providers.Record{}},
		{name: "when_empty: default", fields: "  team: { column: Dept, default: general, when_empty: default }\n", row: row{"Dept": " "}, want: providers.Record{"team": "general"}},
		{
			name: "when_empty: error", fields: "  team: { column: Dept, when_empty: error }\n",
			row: row{}, probs: []string{`column "Dept" (field team): is empty, and when_empty: error asks for a value`},
		},
		{name: "when_empty only acts on blank cells", fields: "  team: { column: Dept, when_empty: error }\n", row: row{"Dept": "x"}, want: providers.Record{"team": "x"}},
		{name: "boolean yes", fields: "  active: Flag\n", row: row{"Flag": "Yes"}, want: providers.Record{"active": true}},
		{name: "boolean no", fields: "  active: Flag\n", row: row{"Flag": "no"}, want: providers.Record{"active": false}},
		{name: "boolean 1", fields: "  active: Flag\n", row: row{"Flag": "1"}, want: providers.Record{"active": true}},
		{name: "boolean 0", fields: "  active: Flag\n", row: row{"Flag": " 0 "}, want: providers.Record{"active": false}},
		{name: "boolean TRUE", fields: "  active: Flag\n", row: row{"Flag": "TRUE"}, want: providers.Record{"active": true}},
		{
			name: "not a boolean", fields: "  active: Flag\n", row: row{"Flag": "maybe"},
			probs: []string{`column "Flag" (field active): "maybe" is not a boolean (use true/false, yes/no or 1/0)`},
		},
		{name: "boolean via map", fields: "  active: { column: Flag, map: { Active: yes, Leaver: no } }\n", row: row{"Flag": "leaver"}, want: providers.Record{"active": false}},
		{name: "boolean default for blank", fields: "  active: { column: Flag, default: yes }\n", row: row{}, want: providers.Record{"active": true}},
		{name: "integer", fields: "  level: Grade\n", row: row{"Grade": " 42 "}, want: providers.Record{"level": 42}},
		{name: "not an integer", fields: "  level: Grade\n", row: row{"Grade": "4.5"}, probs: []string{`column "Grade" (field level): "4.5" is not a whole number`}},
		{name: "value", fields: "  team: { value: \" fixed \" }\n", row: row{}, want: providers.Record{"team": " fixed "}},
		{name: "value list", fields: "  roles: { value: [a, b] }\n", row: row{}, want: providers.Record{"roles": []string{"a", "b"}}},
		{name: "value scalar into a list", fields: "  roles: { value: a }\n", row: row{}, want: providers.Record{"roles": []string{"a"}}},
		{name: "value boolean", fields: "  active: { value: \"no\" }\n", row: row{}, want: providers.Record{"active": false}},
		{name: "value skills", fields: "  skills: { value: { Spanish: 100, English: 80 } }\n", row: row{}, want: providers.Record{"skills": map[string]int{"Spanish": 100, "English": 80}}},
		{name: "phone: GB national to E.164", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "07400 123456"}, want: providers.Record{"phone": "+447400123456"}},
		{name: "phone: GB landline with punctuation", fields: "  phone: { column: Mobile, phone: { region: gb } }\n", row: row{"Mobile": "(0121) 234-5678"}, want: providers.Record{"phone": "+441212345678"}},
		{name: "phone: international ignores the region", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "+49 30 123456"}, want: providers.Record{"phone": "+4930123456"}},
		{name: "phone: 00 prefix", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "0049 30 123456"}, want: providers.Record{"phone": "+4930123456"}},
		{
			name: "phone: region from a column, as a code", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row: row{"Mobile": "(201) 555-0123", "Country": "us"}, want: providers.Record{"phone": "+12015550123"},
		},
		{
			name: "phone: region from a column, as a native name", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row: row{"Mobile": "030 123456", "Country": "Deutschland"}, want: providers.Record{"phone": "+4930123456"},
		},
		{
			name: "phone: region from a column, as an English name", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row: row{"Mobile": "07400 123456", "Country": "United Kingdom"}, want: providers.Record{"phone": "+447400123456"},
		},
		{
			name: "phone: blank region cell falls back to region", fields: "  phone: { column: Mobile, phone: { region_column: Country, region: GB } }\n",
			row: row{"Mobile": "07400 123456"}, want: providers.Record{"phone": "+447400123456"},
		},
		{
			name: "phone: blank region cell is fine for an international number", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row: row{"Mobile": "+44 7400 123456"}, want: providers.Record{"phone": "+447400123456"},
		},
		{
			name: "phone: blank region cell without fallback", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row:   row{"Mobile": "07400 123456"},
			probs: []string{`columns "Mobile", "Country" (field phone): phone "07400 123456" has no +country code and column "Country" is blank`},
		},
		{
			name: "phone: unknown country in the region column", fields: "  phone: { column: Mobile, phone: { region_column: Country } }\n",
			row:   row{"Mobile": "07400 123456", "Country": "Narnia"},
			probs: []string{`columns "Mobile", "Country" (field phone): "Narnia" is not a country to read phone numbers with (use an ISO code such as GB, US, DE, or an English country name)`},
		},
		{
			name: "phone: too short", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "12345"},
			probs: []string{`column "Mobile" (field phone): phone "12345" is not a valid number for GB`},
		},
		{
			name: "phone: not a number", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "ask reception"},
			probs: []string{`column "Mobile" (field phone): phone "ask reception" is not a phone number`},
		},
		{
			name: "phone: invalid international", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "+44 12"},
			probs: []string{`column "Mobile" (field phone): phone "+44 12" is not a valid number for its country`},
		},
		{
			name: "phone: extension", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{"Mobile": "0121 234 5678 ext. 12"},
			probs: []string{`column "Mobile" (field phone): phone "0121 234 5678 ext. 12" has an extension, which E.164 cannot hold; put it in a field of its own`},
		},
		{name: "phone: blank", fields: "  phone: { column: Mobile, phone: GB }\n", row: row{}, want: providers.Record{}},
		{name: "skills cell", fields: "  skills: Skills\n", row: row{"Skills": "Spanish:100; English:80"}, want: providers.Record{"skills": map[string]int{"Spanish": 100, "English": 80}}},
		{name: "skills with = and ,", fields: "  skills: Skills\n", row: row{"Skills": "Spanish=100,English=80"}, want: providers.Record{"skills": map[string]int{"Spanish": 100, "English": 80}}},
		{name: "skills with split", fields: "  skills: { column: Skills, split: \"|\" }\n", row: row{"Skills": "Spanish:100|English:80"}, want: providers.Record{"skills": map[string]int{"Spanish": 100, "English": 80}}},
		{name: "skills via map", fields: "  skills: { column: Dept, map: { Sales: \"Spanish:50\" } }\n", row: row{"Dept": "sales"}, want: providers.Record{"skills": map[string]int{"Spanish": 50}}},
		{
			name: "bad skills cell", fields: "  skills: Skills\n", row: row{"Skills": "Spanish"},
			probs: []string{`column "Skills" (field skills): skill "Spanish" has no level (write it as Name:Level, e.g. Spanish:100)`},
		},
		{
			name: "one problem per field, every field", fields: "  active: Flag\n  level: Grade\n  team: Dept\n",
			row:   row{"Flag": "maybe", "Grade": "x", "Dept": "ok"},
			want:  providers.Record{"team": "ok"},
			probs: []string{`column "Flag" (field active): "maybe" is not a boolean (use true/false, yes/no or 1/0)`, `column "Grade" (field level): "x" is not a whole number`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, "  id: Email\n"+tt.fields, header...)
			cells := make([]string, len(header))
			cells[0] = "a@example.com"
			for col, v := range tt.row {
				i := slices.Index(header, col)
				if i < 0 {
					t.Fatalf("test row names column %q, not in the header", col)
				}
				cells[i] = v
			}
			rec, probs, gen := p.Apply(cells)
			if gen != nil {
				t.Errorf("generated %v, want nothing", gen)
			}
			var got []string
			for _, pr := range probs {
				got = append(got, pr.Error())
			}
			if !slices.Equal(got, tt.probs) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.probs)
			}
			want := providers.Record{"id": "a@example.com"}
			for k, v := range tt.want {
				want[k] = v
			}
			if !reflect.DeepEqual(rec, want) {
				t.Errorf("record\n got %#v\nwant %#v", rec, want)
			}
		})
	}
}

// A row shorter than the header (a ragged CSV line) reads the missing cells
// as blank.
func TestApplyShortRow(t *testing.T) {
	p := compile(t, "  id: Email\n  team: { column: Dept, default: general }\n  name: { template: \"{First} {Last}\" }\n", "Email", "First", "Last", "Dept")
	rec, probs, _ := p.Apply([]string{"a@x", "Ada"})
	want := providers.Record{"id": "a@x", "team": "general", "name": "Ada"}
	if len(probs) > 0 || !reflect.DeepEqual(rec, want) {
		t.Errorf("Apply: %v %v, want %v", rec, probs, want)
	}
}

func TestApplyGenerate(t *testing.T) {
	p := compile(t, "  id: Email\n  password: { generate: password, length: 24 }\n", "Email")
	if got, want := p.Generates(), []string{"password"}; !slices.Equal(got, want) {
		t.Errorf("Generates %q, want %q", got, want)
	}
	rec, probs, gen := p.Apply([]string{"a@x"})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	pw := rec.String("password")
	if len(pw) != 24 || gen["password"] != pw || len(gen) != 1 {
		t.Errorf("record password %q, generated %q", pw, gen)
	}
	rec2, _, _ := p.Apply([]string{"b@x"})
	if rec2.String("password") == pw {
		t.Errorf("two rows got the same password %q", pw)
	}
	if got := compile(t, "  id: Email\n", "Email").Generates(); got != nil {
		t.Errorf("Generates %q, want nil", got)
	}
}

// TestApplyOffline checks that check's mapping fills a generated field
// with a password of the policy's shape, the same on every row, and maps
// the rest as Apply does.
func TestApplyOffline(t *testing.T) {
	p := compile(t, "  id: { column: Email, lower: true }\n  password: { generate: password, length: 20, min_digits: 3 }\n", "Email")
	rec, probs := p.ApplyOfflineInto(nil, []string{"A@x"})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	pw := rec.String("password")
	digits := 0
	for _, r := range pw {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if len(pw) != 20 || digits < 3 {
		t.Errorf("placeholder %q: want 20 characters with 3 digits or more", pw)
	}
	if rec.String("id") != "a@x" {
		t.Errorf("id %q, want a@x", rec.String("id"))
	}
	rec2, _ := p.ApplyOfflineInto(nil, []string{"b@x"})
	if rec2.String("password") != pw {
		t.Errorf("placeholder changed between rows: %q then %q", pw, rec2.String("password"))
	}
	online, _, _ := p.Apply([]string{"b@x"})
	if online.String("password") == pw {
		t.Errorf("Apply sent the placeholder %q", pw)
	}
}

func TestSecretColumns(t *testing.T) {
	header := []string{"Email", "Initial Password", "PIN A", "PIN B", "Name"}
	p := compile(t, "  id: Email\n  name: Name\n  password: Initial Password\n  pin: { template: \"{PIN A}-{PIN B}\" }\n", header...)
	want := map[int]bool{1: true, 2: true, 3: true}
	if got := p.SecretColumns(); !reflect.DeepEqual(got, want) {
		t.Errorf("SecretColumns %v, want %v", got, want)
	}
	p = compile(t, "  id: Email\n  password: { generate: password }\n", header...)
	if got := p.SecretColumns(); len(got) != 0 {
		t.Errorf("SecretColumns %v, want none (the password is generated)", got)
	}
}

func TestNameColumns(t *testing.T) {
	header := []string{"Email", "First", "Last", "Team", "Pass"}
	p := compile(t, "  id: Email\n  name: { template: \"{First} {Last} <{Email}>\" }\n  team: Team\n  password: Pass\n", header...)
	if got := p.NameColumns(); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("NameColumns %v, want [1 2] (the key and team left out)", got)
	}
	// A vendor with firstName and lastName.
	d := &providers.Description{Name: "v", Fields: []providers.Field{
		{Name: "username", Type: providers.String}, {Name: "firstName", Type: providers.String},
		{Name: "lastName", Type: providers.String}, {Name: "password", Type: providers.String, Secret: true},
	}}
	h := []string{"Work Email", "Given", "Family", "Login"}
	vp, err := Compile(mustParse(t, "fields:\n  username: Login\n  firstName: Given\n  lastName: Family\n  password: { generate: password }\n"), d, h, "Work Email")
	if err != nil {
		t.Fatal(err)
	}
	if got := vp.NameColumns(); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("firstName/lastName NameColumns %v, want [1 2]", got)
	}
	for name, want := range map[string]bool{"name": true, "firstName": true, "name.givenName": true, "displayName": true, "fullname": true, "username": false, "email": false, "nickName": false} {
		if isNameField(name) != want {
			t.Errorf("isNameField(%q) = %v", name, !want)
		}
	}
}

func TestUsesColumn(t *testing.T) {
	header := []string{"Key", "Email", "PIN A", "PIN B", "Name", "Unused"}
	p := compile(t, "  id: Email\n  pin: { template: \"{PIN A}-{PIN B}\" }\n", header...)
	for i, want := range []bool{true, true, true, true, false, false} {
		if got := p.UsesColumn(i); got != want {
			t.Errorf("UsesColumn(%d) (%s) = %v, want %v", i, header[i], got, want)
		}
	}
}

func TestProblemError(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{Field: "id", Msg: "is required but empty"}, "field id: is required but empty"},
		{Problem{Field: "id", Columns: []string{"Email"}, Msg: "m"}, `column "Email" (field id): m`},
		{Problem{Field: "name", Columns: []string{"First", "Last"}, Msg: "m"}, `columns "First", "Last" (field name): m`},
	} {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}

// Values a plan hands out are shared between rows (values are immutable by
// convention), but a list built from a cell is the row's own.
func TestApplyListsAreFresh(t *testing.T) {
	p := compile(t, "  id: Email\n  roles: { column: Dept, split: \";\", map: { a: x, b: y } }\n", "Email", "Dept")
	r1, _, _ := p.Apply([]string{"1", "a;b"})
	r2, _, _ := p.Apply([]string{"2", "a;b"})
	r1.Strings("roles")[0] = "changed"
	if r2.Strings("roles")[0] != "x" {
		t.Errorf("rows share a list: %v", r2)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"column", "template", "acceptedTOS", "id"}
	for in, want := range map[string]string{
		"colum":       ` (did you mean "column"?)`,
		"Tempalte":    ` (did you mean "template"?)`,
		"acceptedtos": ` (did you mean "acceptedTOS"?)`,
		"value":       "",
		"ix":          ` (did you mean "id"?)`,
		"zz":          "",
	} {
		if got := Suggest(in, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// Rules built in code rather than parsed: a zero password policy is the
// default one, and a rule without a source is an error.
func TestCompileRulesBuiltInCode(t *testing.T) {
	rules := []Rule{{Field: "id", Column: "Email"}, {Field: "password", Generate: "password"}}
	p, err := Compile(rules, testDesc, []string{"Email"}, "Email")
	if err != nil {
		t.Fatal(err)
	}
	rec, _, _ := p.Apply([]string{"a@x"})
	pw := rec.String("password")
	lo, up, dg, sy, other := classCounts(pw, DefaultSymbols)
	if len(pw) != 16 || lo < 2 || up < 2 || dg < 2 || sy < 2 || other > 0 {
		t.Errorf("password %q does not follow the default policy", pw)
	}
	_, err = Compile([]Rule{{Field: "id", Line: 7}}, testDesc, []string{"Email"}, "Email")
	if err == nil || err.Error() != `line 7: field "id": no source; give one of column, template, value or generate` {
		t.Errorf("error %v", err)
	}
}

// TestApplyOfflineInto: a reused record holds only what this row maps; a
// field the previous row had and this one leaves out is gone.
func TestApplyOfflineInto(t *testing.T) {
	p := compile(t, "  id: { column: Email }\n  phone: { column: Mobile }\n  team: { value: Blue }\n  password: { generate: password }\n", "Email", "Mobile")
	rec, probs := p.ApplyOfflineInto(nil, []string{"a@x", "+4915112345678"})
	if len(probs) > 0 || rec.String("phone") != "+4915112345678" {
		t.Fatalf("first row: %v %v", rec, probs)
	}
	rec2, probs := p.ApplyOfflineInto(rec, []string{"b@x", " "})
	if len(probs) > 0 {
		t.Fatalf("second row: %v", probs)
	}
	if _, ok := rec2["phone"]; ok {
		t.Errorf("second row kept the first row's phone: %v", rec2)
	}
	if rec2.String("id") != "b@x" || rec2.String("team") != "Blue" || rec2.String("password") == "" {
		t.Errorf("second row: %v", rec2)
	}
	fixed := p.OfflineFixed()
	if len(fixed) != 2 || fixed["team"] != "Blue" || fixed["password"] != rec2.String("password") {
		t.Errorf("OfflineFixed = %v, want team and the placeholder password", fixed)
	}
	if online := p.Fixed(); len(online) != 1 || online["team"] != "Blue" {
		t.Errorf("Fixed = %v, want team alone (a generated password differs per row)", online)
	}
}

// fillReference is the template fill as first written (rune by rune), which
// the byte-wise fast path must match.
func fillReference(parts []string) string {
	var b strings.Builder
	space := false
	for _, s := range parts {
		for _, r := range s {
			if unicode.IsSpace(r) {
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

func TestTemplateFillMatchesReference(t *testing.T) {
	p := compile(t, "  id: { column: A }\n  name: { template: \"{A} {B}\" }\n", "A", "B")
	cells := []string{"", " ", "Ada", "  Ada \t Lovelace ", "Zoë", "Seán\u00a0Ó", "x\u2003y", "bad\xe9byte", "\xff", "a\r\nb", "\u0085lead", "tail\u3000", "日本 語"}
	for _, a := range cells {
		for _, b := range cells {
			rec, _, _ := p.Apply([]string{a, b})
			got, _ := rec["name"].(string)
			want := strings.TrimSpace(fillReference([]string{a, " ", b}))
			if strings.TrimSpace(a) == "" && strings.TrimSpace(b) == "" {
				want = ""
			}
			if got != want {
				t.Errorf("fill(%q, %q) = %q, want %q", a, b, got, want)
			}
		}
	}
}
