// Package mapping turns one CSV row into one vendor record. A job file's
// `fields:` section is parsed into Rules (ParseRules), bound once to the
// input's header (Compile, which fails before anything is sent when a
// column does not exist), then applied to every row (Plan.Apply).
//
// # Rules
//
// Each key under `fields:` is a vendor field; its value says where the
// field's value comes from. `id: Work Email` is short for
// `id: { column: Work Email }`. A rule has exactly one source:
//
//	column: Work Email              the cell of that column
//	template: "{Last}, {First}"     text with cells in braces ({{ and }} are braces)
//	value: 5f1e2d3c4b5a697887766554 fixed: text, a list [a, b] or skills { Spanish: 100 }
//	generate: password              a new random password per row
//
// Column names match the header case-insensitively, ignoring surrounding
// spaces; a name the header lacks, or has twice, stops the run before
// anything is sent, naming the column and listing the ones there are.
//
// Text read from the input (column and template) is trimmed, and a
// template collapses runs of spaces, so a blank middle name leaves no gap;
// a template whose cells are all blank is blank. Then, in this order:
//
//	trim: false                     keep surrounding spaces (column only)
//	lower: true / upper: true       change case
//	when_empty: skip|error|default  a blank cell leaves the field out, fails
//	                                the row, or takes default:. Without it a
//	                                blank cell takes default: if there is one,
//	                                else the field is left out.
//	phone: GB                       read as a phone number, send E.164;
//	phone: { region_column: Country, region: GB }
//	                                the region from the row, region: for rows
//	                                whose Country is blank
//	split: ";"                      a list field's items (trimmed, blanks and
//	                                repeats dropped); also separates skills
//	map: { Sales: base_role }       replace a value (a list item, for lists),
//	                                matched case-insensitively; a target may
//	                                be a list. A value with no entry takes
//	                                default:, or fails the row.
//	default: [base_role]            see when_empty and map
//
// The cell text is then converted to the field's type: booleans accept
// true/false, yes/no, y/n, on/off and 1/0; skills cells read
// "Spanish:100;English:80". Literals in the job file (value, map targets,
// default) are kept as written, not as YAML would type them, and are
// converted when the plan is compiled, so an unfit literal is reported
// with its line before anything is sent.
//
// # Countries
//
// Phone regions, in the job file or in a region column, are read by
// CountryCode: ISO 3166 alpha-2 or alpha-3 codes in any case ("GB", "gbr",
// "UK"), English names as CLDR spells them ("United Kingdom", "Côte
// d’Ivoire"), common variants ("Great Britain", "England", "USA",
// "Holland") and the native names of European countries ("Deutschland",
// "España", "Österreich"). Accents, case, punctuation and a leading "The"
// do not matter. Numeric codes are refused: "44" in a country column is a
// dialling code, not the Bahamas.
//
// # Passwords
//
// `generate: password` makes 16 characters with at least 2 lower-case, 2
// upper-case, 2 digits and 2 symbols from !#$%*?^_~ (DefaultSymbols).
// length (8 to 128), min_lower, min_upper, min_digits, min_symbols and
// symbols ("..." for a set of the vendor's, false for none) follow a
// vendor's policy; a minimum written as 0 is 0. Only a secret field can be
// generated (others are shown in previews and reports), and a length
// outside the field's own bounds is refused at compile time. Letters and
// digits that read alike (l, I, O, 0, 1) are never used, passwords come
// from crypto/rand, and each starts with a letter, so no spreadsheet reads
// one as a formula.
package mapping
