package mapping

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, region string
		want        string // E.164, or a part of the error
		ok          bool
	}{
		{"07400 123456", "GB", "+447400123456", true},
		{"07400 123456", "gb", "+447400123456", true},
		{"07400 123456", " United Kingdom ", "+447400123456", true},
		{"07400 123456", "UK", "+447400123456", true},
		{"07400 123456", "GBR", "+447400123456", true},
		{"+44 (0)7400 123456", "", "+447400123456", true},
		{"(201) 555-0123", "US", "+12015550123", true},
		{"201.555.0123", "USA", "+12015550123", true},
		{"030 123456", "DE", "+4930123456", true},
		{"030 123456", "Deutschland", "+4930123456", true},
		{"+33 1 23 45 67 89", "DE", "+33123456789", true},
		{"07400 123456", "", "has no +country code and no region is set", false},
		{"12345", "GB", `phone "12345" is not a valid number for GB`, false},
		{"+44 12", "", `phone "+44 12" is not a valid number for its country`, false},
		{"n/a", "GB", `phone "n/a" is not a phone number`, false},
		{"0121 234 5678 x12", "GB", "has an extension", false},
		{"07400 123456", "XX", `"XX" is not a country`, false},
		{"07400 123456", "44", `"44" is not a country`, false},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.raw, tt.region)
		switch {
		case tt.ok && (err != nil || got != tt.want):
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want an error with %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
}

func TestCountryCode(t *testing.T) {
	good := map[string]string{
		"GB": "GB", "gb": "GB", " Gb ": "GB", "UK": "GB", "GBR": "GB", "gbr": "GB",
		"United Kingdom": "GB", "united kingdom": "GB", "Great Britain": "GB", "England": "GB", "Scotland": "GB",
		"US": "US", "USA": "US", "United States": "US", "United States of America": "US", "the United States": "US",
		"DE": "DE", "DEU": "DE", "Germany": "DE", "Deutschland": "DE",
		"Österreich": "AT", "Osterreich": "AT", "España": "ES", "Espana": "ES", "Spain": "ES",
		"The Netherlands": "NL", "Netherlands": "NL", "Holland": "NL", "Nederland": "NL",
		"Ireland": "IE", "Éire": "IE", "Schweiz": "CH", "Switzerland": "CH", "Sverige": "SE",
		"Czech Republic": "CZ", "Czechia": "CZ", "Brasil": "BR", "Brazil": "BR", "India": "IN", "IN": "IN",
		"Côte d’Ivoire": "CI", "Cote d'Ivoire": "CI", "Ivory Coast": "CI",
		"St. Lucia": "LC", "Saint Lucia": "LC", "Bosnia & Herzegovina": "BA", "Bosnia and Herzegovina": "BA",
		"Hong Kong": "HK", "Hong Kong SAR China": "HK", "Myanmar": "MM", "South Korea": "KR", "Türkiye": "TR", "Turkey": "TR",
	}
	for in, want := range good {
		if got, err := CountryCode(in); err != nil || got != want {
			t.Errorf("CountryCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "XX", "ZZ", "EU", "44", "826", "GER", "Narnia", "United", "001"} {
		if got, err := CountryCode(in); err == nil {
			t.Errorf("CountryCode(%q) = %q, want an error", in, got)
		}
	}
}

func TestCountryCodeAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = CountryCode("gb") }); n != 0 {
		t.Errorf("CountryCode of an alpha-2 code allocates %v times", n)
	}
}

func classCounts(pw, symbols string) (lower, upper, digits, syms, other int) {
	for i := 0; i < len(pw); i++ {
		c := pw[i]
		switch {
		case strings.IndexByte(lowerChars, c) >= 0:
			lower++
		case strings.IndexByte(upperChars, c) >= 0:
			upper++
		case strings.IndexByte(digitChars, c) >= 0:
			digits++
		case strings.IndexByte(symbols, c) >= 0:
			syms++
		default:
			other++
		}
	}
	return
}

func TestGeneratePasswordPolicies(t *testing.T) {
	tests := []struct {
		name string
		pol  PasswordPolicy
	}{
		{"default (zero policy)", PasswordPolicy{}},
		{"default", DefaultPasswordPolicy()},
		{"long", PasswordPolicy{Length: 64, MinLower: 10, MinUpper: 10, MinDigits: 10, MinSymbols: 10, Symbols: DefaultSymbols}},
		{"exactly the minimums", PasswordPolicy{Length: 12, MinLower: 3, MinUpper: 3, MinDigits: 3, MinSymbols: 3, Symbols: DefaultSymbols}},
		{"no symbols", PasswordPolicy{Length: 16, MinLower: 2, MinUpper: 2, MinDigits: 2}},
		{"symbols none", PasswordPolicy{Length: 16, MinLower: 2, MinUpper: 2, MinDigits: 2, Symbols: "none"}},
		{"own symbols", PasswordPolicy{Length: 16, MinLower: 1, MinUpper: 1, MinDigits: 1, MinSymbols: 4, Symbols: "@-"}},
		{"digits and symbols only, plus the leading letter", PasswordPolicy{Length: 9, MinDigits: 4, MinSymbols: 4, Symbols: "!"}},
		{"shortest", PasswordPolicy{Length: 8}},
		{"longest", PasswordPolicy{Length: 128, MinLower: 1, MinUpper: 1, MinDigits: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, err := tt.pol.check()
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			symbols := pol.Symbols
			for range 200 {
				pw, err := generatePassword(pol)
				if err != nil {
					t.Fatal(err)
				}
				if len(pw) != pol.Length {
					t.Fatalf("%q has length %d, want %d", pw, len(pw), pol.Length)
				}
				lo, up, dg, sy, other := classCounts(pw, symbols)
				if lo < pol.MinLower || up < pol.MinUpper || dg < pol.MinDigits || sy < pol.MinSymbols || other > 0 {
					t.Fatalf("%q: %d lower, %d upper, %d digits, %d symbols, %d others; policy %+v", pw, lo, up, dg, sy, other, pol)
				}
				if symbols == "" && sy > 0 {
					t.Fatalf("%q has symbols, policy has none", pw)
				}
				if strings.IndexByte(letters, pw[0]) < 0 {
					t.Fatalf("%q does not start with a letter", pw)
				}
			}
		})
	}
}

func TestPasswordPolicyCheck(t *testing.T) {
	for _, tt := range []struct {
		pol  PasswordPolicy
		want string
	}{
		{PasswordPolicy{Length: 7}, "outside 8..128"},
		{PasswordPolicy{Length: 129}, "outside 8..128"},
		{PasswordPolicy{Length: 8, MinLower: 3, MinUpper: 3, MinDigits: 3}, "shorter than the 9 characters"},
		{PasswordPolicy{Length: 8, MinDigits: 8}, "shorter than the 9 characters"},
		{PasswordPolicy{Length: 16, MinSymbols: 1}, "min_symbols: 1 needs symbols"},
		{PasswordPolicy{Length: 16, Symbols: "a!"}, "only ASCII punctuation"},
		{PasswordPolicy{Length: 16, Symbols: "! "}, "only ASCII punctuation"},
	} {
		if _, err := tt.pol.check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("check(%+v) = %v, want an error with %q", tt.pol, err, tt.want)
		}
	}
}

// The default passwords are random enough not to repeat, use every
// character of their alphabet, and never hold = + - @ (so a spreadsheet
// never reads one as a formula), quotes, backslash or space.
func TestGeneratePasswordRandomness(t *testing.T) {
	pol := DefaultPasswordPolicy()
	seen := map[string]bool{}
	used := map[byte]int{}
	for range 1000 {
		pw, err := generatePassword(pol)
		if err != nil {
			t.Fatal(err)
		}
		if seen[pw] {
			t.Fatalf("password %q generated twice in 1000", pw)
		}
		seen[pw] = true
		if strings.ContainsAny(pw, "=+-@'\"\\ `\t") {
			t.Fatalf("%q holds a character a spreadsheet or shell could misread", pw)
		}
		for i := 0; i < len(pw); i++ {
			used[pw[i]]++
		}
	}
	alphabet := letters + digitChars + DefaultSymbols
	for i := 0; i < len(alphabet); i++ {
		if used[alphabet[i]] == 0 {
			t.Errorf("%q never appears in 16000 characters", alphabet[i])
		}
	}
	if len(used) != len(alphabet) {
		t.Errorf("%d distinct characters, alphabet has %d", len(used), len(alphabet))
	}
	// The first character is a letter; the others are spread: no position
	// is the same in more than a fifth of the passwords.
	for pos := 1; pos < pol.Length; pos++ {
		counts := map[byte]int{}
		for pw := range seen {
			counts[pw[pos]]++
		}
		for c, n := range counts {
			if n > 200 {
				t.Errorf("position %d is %q in %d of 1000 passwords", pos, c, n)
			}
		}
	}
}

func TestRandSourceIntn(t *testing.T) {
	var rs randSource
	const n, draws = 7, 70000
	var counts [n]int
	for range draws {
		v := rs.intn(n)
		if v < 0 || v >= n {
			t.Fatalf("intn(%d) = %d", n, v)
		}
		counts[v]++
	}
	for v, c := range counts {
		// Expected 10000 each; 5 sigma is about 460.
		if c < 9500 || c > 10500 {
			t.Errorf("value %d drawn %d times of %d, want about %d", v, c, draws, draws/n)
		}
	}
	if rs.intn(1) != 0 {
		t.Error("intn(1) != 0")
	}
}
