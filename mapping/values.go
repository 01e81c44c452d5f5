package mapping

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// NormalizePhone returns raw in E.164, reading national formats with
// region. region may be anything CountryCode accepts, or "" when every
// number carries its +country code. A number that cannot be made valid, or
// that has an extension (E.164 cannot hold one), is an error that says why.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if region = strings.TrimSpace(region); region != "" {
		code, err := CountryCode(region)
		if err != nil {
			return "", err
		}
		region = code
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		if region == "" && !strings.HasPrefix(raw, "+") {
			return "", fmt.Errorf("phone %q has no +country code and no region is set", raw)
		}
		return "", fmt.Errorf("phone %q is not a phone number", raw)
	}
	if !phonenumbers.IsValidNumber(num) {
		where := region
		if where == "" || strings.HasPrefix(raw, "+") {
			where = "its country"
		}
		return "", fmt.Errorf("phone %q is not a valid number for %s", raw, where)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("phone %q has an extension, which E.164 cannot hold; put it in a field of its own", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// CountryCode reads a country as an HR export writes it and returns its ISO
// 3166-1 alpha-2 code, for reading phone numbers. It accepts, ignoring case,
// accents, punctuation and a leading "the":
//
//   - alpha-2 codes ("GB", "de"), including "UK" for GB;
//   - alpha-3 codes ("GBR", "DEU");
//   - English short names as CLDR spells them ("United Kingdom", "Germany",
//     "Côte d’Ivoire", "St. Lucia", "Bosnia & Herzegovina");
//   - common English variants ("Great Britain", "England", "Scotland",
//     "USA", "United States of America", "Holland", "Czech Republic", ...);
//   - the native names of European countries and a few others
//     ("Deutschland", "España", "Österreich", "Sverige", "Brasil", ...).
//
// Numeric codes (UN M.49) are refused: in a country column "44" is far more
// likely a dialling code than the Bahamas' 044. Only countries that have
// phone numbering of their own are accepted.
func CountryCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2 && isASCIILetter(s[0]) && isASCIILetter(s[1]) {
		// The common case, without allocating: an alpha-2 code.
		up := [2]byte{s[0] &^ 0x20, s[1] &^ 0x20}
		if code, ok := phoneRegions()[string(up[:])]; ok {
			return code, nil
		}
	}
	key := foldName(s)
	if key == "" {
		return "", fmt.Errorf("no country given to read phone numbers with (use e.g. GB, US, DE)")
	}
	if (len(key) == 2 || len(key) == 3) && strings.IndexFunc(key, func(r rune) bool { return r < 'a' || r > 'z' }) < 0 {
		if r, err := language.ParseRegion(key); err == nil {
			if code, ok := phoneRegions()[r.Canonicalize().String()]; ok {
				return code, nil
			}
		}
	}
	if code, ok := countryNames()[key]; ok {
		return code, nil
	}
	return "", fmt.Errorf("%q is not a country to read phone numbers with (use an ISO code such as GB, US, DE, or an English country name)", s)
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// phoneRegions holds the regions phonenumbers has numbering plans for, each
// mapped to itself (so a lookup by bytes returns a string without
// allocating).
var phoneRegions = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for r := range phonenumbers.GetSupportedRegions() {
		out[r] = r
	}
	return out
})

// countryAliases complete the CLDR English names: keys are written as
// foldName leaves them.
var countryAliases = map[string]string{
	"uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
	"scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"united kingdom of great britain and northern ireland": "GB",
	"usa": "US", "us": "US", "america": "US", "united states of america": "US",
	"deutschland": "DE", "federal republic of germany": "DE",
	"osterreich": "AT", "oesterreich": "AT",
	"schweiz": "CH", "suisse": "CH", "svizzera": "CH", "svizra": "CH",
	"espana": "ES", "italia": "IT",
	"nederland": "NL", "holland": "NL",
	"belgie": "BE", "belgique": "BE", "belgien": "BE",
	"letzebuerg": "LU", "luxemburg": "LU",
	"eire": "IE", "republic of ireland": "IE",
	"sverige": "SE", "norge": "NO", "noreg": "NO", "danmark": "DK",
	"suomi": "FI", "island": "IS",
	"polska": "PL", "cesko": "CZ", "czech republic": "CZ",
	"slovensko": "SK", "slovak republic": "SK", "slovenija": "SI",
	"magyarorszag": "HU", "hrvatska": "HR", "srbija": "RS",
	"eesti": "EE", "latvija": "LV", "lietuva": "LT",
	"turkiye": "TR", "russian federation": "RU",
	"north macedonia": "MK", "eswatini": "SZ",
	"brasil": "BR", "peru": "PE", "republica dominicana": "DO",
	"south korea": "KR", "korea": "KR", "republic of korea": "KR",
	"viet nam": "VN", "ivory coast": "CI", "uae": "AE",
	"hong kong": "HK", "macau": "MO", "macao": "MO",
	"palestine": "PS", "burma": "MM", "cabo verde": "CV",
	"democratic republic of the congo": "CD", "dr congo": "CD", "republic of the congo": "CG",
	"saint vincent and the grenadines": "VC",
}

// countryNames maps folded country names to alpha-2 codes: CLDR's English
// names of every phone region, then countryAliases.
var countryNames = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	namer := display.English.Regions()
	for code := range phoneRegions() {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		name := namer.Name(r)
		out[foldName(name)] = code
		// "Myanmar (Burma)", "Hong Kong SAR China": the plain name too.
		if i := strings.IndexByte(name, '('); i > 0 {
			out[foldName(name[:i])] = code
		}
		if i := strings.Index(name, " SAR "); i > 0 {
			out[foldName(name[:i])] = code
		}
	}
	for k, v := range countryAliases {
		out[k] = v
	}
	return out
})

// foldReplacer takes accents off the Latin letters country names use and
// spells "&" as "and".
var foldReplacer = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "ą", "a", "ă", "a",
	"ç", "c", "č", "c", "ć", "c",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "ę", "e", "ě", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i",
	"ñ", "n", "ń", "n", "ň", "n",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o", "ő", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ű", "u", "ů", "u",
	"ý", "y", "ÿ", "y",
	"ł", "l", "ř", "r", "ś", "s", "š", "s", "ș", "s", "ş", "s",
	"ț", "t", "ţ", "t", "ž", "z", "ź", "z", "ż", "z", "ğ", "g", "đ", "d",
	"&", " and ", "'", "", "’", "",
)

// foldName lower-cases s, takes accents off, drops punctuation, reads
// "st" as "saint", drops a leading "the" and collapses spaces.
func foldName(s string) string {
	s = foldReplacer.Replace(strings.ToLower(s))
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '-' || r == ',' || r == '.' || r == '(' || r == ')'
	}) {
		if b.Len() == 0 && w == "the" {
			continue
		}
		if w == "st" {
			w = "saint"
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

const (
	lowerChars = "abcdefghijkmnopqrstuvwxyz" // no l: it reads as 1
	upperChars = "ABCDEFGHJKLMNPQRSTUVWXYZ"  // no I, O
	digitChars = "23456789"                  // no 0, 1
	letters    = lowerChars + upperChars
	// DefaultSymbols are the symbols of generated passwords unless a job
	// says otherwise. They exclude = + - @ (a spreadsheet could read a
	// value starting with one as a formula), quotes, backslash and space
	// (they trip up shells and CSV readers).
	DefaultSymbols = "!#$%*?^_~"

	minPasswordLength = 8
	maxPasswordLength = 128
)

// DefaultPasswordPolicy is the policy of `generate: password` with no
// options: 16 characters, at least 2 of each class.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{Length: 16, MinLower: 2, MinUpper: 2, MinDigits: 2, MinSymbols: 2, Symbols: DefaultSymbols}
}

// check normalises p (the zero policy is DefaultPasswordPolicy, Symbols
// "none" is no symbols) and says what makes it impossible or weak.
func (p PasswordPolicy) check() (PasswordPolicy, error) {
	if p == (PasswordPolicy{}) {
		return DefaultPasswordPolicy(), nil
	}
	if p.Symbols == "none" {
		p.Symbols = ""
	}
	if err := checkSymbols(p.Symbols); err != nil {
		return p, err
	}
	if p.MinSymbols > 0 && p.Symbols == "" {
		return p, fmt.Errorf("min_symbols: %d needs symbols, and symbols are off", p.MinSymbols)
	}
	if p.Length < minPasswordLength || p.Length > maxPasswordLength {
		return p, fmt.Errorf("password length %d is outside %d..%d", p.Length, minPasswordLength, maxPasswordLength)
	}
	need := p.MinLower + p.MinUpper + p.MinDigits + p.MinSymbols
	if p.MinLower+p.MinUpper == 0 {
		need++ // the leading letter
	}
	if need > p.Length {
		return p, fmt.Errorf("password length %d is shorter than the %d characters the minimums ask for", p.Length, need)
	}
	return p, nil
}

// checkSymbols accepts printable ASCII punctuation only: a byte is one
// character, and letters, digits or spaces are not symbols.
func checkSymbols(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return fmt.Errorf("symbols %q: only ASCII punctuation can be symbols (e.g. symbols: \"!#$%%*?\")", s)
		}
	}
	return nil
}

// generatePassword returns a random password meeting p (already checked),
// from crypto/rand. It always starts with a letter, so that no spreadsheet
// reads it as a formula even when the symbols include = + - @.
func generatePassword(p PasswordPolicy) (string, error) {
	var rs randSource
	out := make([]byte, 0, p.Length)
	add := func(set string, n int) {
		for range n {
			out = append(out, set[rs.intn(len(set))])
		}
	}
	add(lowerChars, p.MinLower)
	add(upperChars, p.MinUpper)
	add(digitChars, p.MinDigits)
	add(p.Symbols, p.MinSymbols)
	if p.MinLower+p.MinUpper == 0 {
		add(letters, 1)
	}
	all := letters + digitChars + p.Symbols
	add(all, p.Length-len(out))
	// Fisher-Yates, then move a letter to the front.
	for i := len(out) - 1; i > 0; i-- {
		j := rs.intn(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	for i, c := range out {
		if strings.IndexByte(letters, c) >= 0 {
			out[0], out[i] = out[i], out[0]
			break
		}
	}
	if rs.err != nil {
		return "", fmt.Errorf("generate password: %w", rs.err)
	}
	return string(out), nil
}

// randSource hands out unbiased small integers from crypto/rand, reading
// it in blocks (one read per password rather than one big.Int per
// character).
type randSource struct {
	buf [256]byte
	pos int
	n   int
	err error
}

func (r *randSource) uint32() uint32 {
	if r.pos+4 > r.n {
		if r.err != nil {
			return 0
		}
		if _, err := rand.Read(r.buf[:]); err != nil {
			r.err = err
			return 0
		}
		r.pos, r.n = 0, len(r.buf)
	}
	v := binary.LittleEndian.Uint32(r.buf[r.pos:])
	r.pos += 4
	return v
}

// intn returns a uniform integer in [0, n), rejecting the values that would
// bias the modulo.
func (r *randSource) intn(n int) int {
	limit := ^uint32(0) - ^uint32(0)%uint32(n)
	for {
		v := r.uint32()
		if r.err != nil {
			return 0
		}
		if v < limit {
			return int(v % uint32(n))
		}
	}
}
