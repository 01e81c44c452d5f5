package mapping

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone returns raw in E.164, reading national formats with
// region. A number that cannot be made valid is an error that says why.
func NormalizePhone(raw, region string) (string, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region != "" && !validRegion(region) {
		return "", fmt.Errorf("%q is not a country code to read phone numbers with (use e.g. GB, US, DE)", region)
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		if region == "" {
			return "", fmt.Errorf("phone %q has no +country code and no region is set", raw)
		}
		return "", fmt.Errorf("phone %q is not a phone number", raw)
	}
	if !phonenumbers.IsValidNumber(num) {
		where := region
		if where == "" {
			where = "its country"
		}
		return "", fmt.Errorf("phone %q is not a valid number for %s", raw, where)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func validRegion(r string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(r)) != 0
}

const (
	lowerChars = "abcdefghijkmnopqrstuvwxyz" // no l: it reads as 1
	upperChars = "ABCDEFGHJKLMNPQRSTUVWXYZ"  // no I, O
	digitChars = "23456789"                  // no 0, 1
	// Symbols exclude = + - @ so that a spreadsheet never reads a password
	// as a formula, and quotes and backslashes that trip up shells.
	defaultSymbols = "!#$%*?^_~"
)

func (p PasswordPolicy) withDefaults() (PasswordPolicy, error) {
	if p.Length == 0 {
		p.Length = 16
	}
	if p.MinLower == 0 {
		p.MinLower = 2
	}
	if p.MinUpper == 0 {
		p.MinUpper = 2
	}
	if p.MinDigits == 0 {
		p.MinDigits = 2
	}
	switch p.Symbols {
	case "none":
		p.Symbols = ""
		p.MinSymbols = 0
	case "":
		p.Symbols = defaultSymbols
		if p.MinSymbols == 0 {
			p.MinSymbols = 2
		}
	default:
		if p.MinSymbols == 0 {
			p.MinSymbols = 1
		}
	}
	if need := p.MinLower + p.MinUpper + p.MinDigits + p.MinSymbols; need > p.Length {
		return p, fmt.Errorf("password length %d is shorter than the %d characters the minimums ask for", p.Length, need)
	}
	if p.Length > 128 {
		return p, fmt.Errorf("password length %d is over 128", p.Length)
	}
	return p, nil
}

// generatePassword returns a random password meeting p, from crypto/rand.
func generatePassword(p PasswordPolicy) (string, error) {
	out := make([]byte, 0, p.Length)
	add := func(set string, n int) error {
		for i := 0; i < n; i++ {
			c, err := pick(set)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	}
	all := lowerChars + upperChars + digitChars + p.Symbols
	for _, step := range []struct {
		set string
		n   int
	}{{lowerChars, p.MinLower}, {upperChars, p.MinUpper}, {digitChars, p.MinDigits}, {p.Symbols, p.MinSymbols}} {
		if err := add(step.set, step.n); err != nil {
			return "", err
		}
	}
	if err := add(all, p.Length-len(out)); err != nil {
		return "", err
	}
	// Fisher-Yates with crypto/rand, then make sure it starts with a letter.
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	for i, c := range out {
		if strings.IndexByte(lowerChars+upperChars, c) >= 0 {
			out[0], out[i] = out[i], out[0]
			break
		}
	}
	return string(out), nil
}

func pick(set string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, fmt.Errorf("generate password: %w", err)
	}
	return set[n.Int64()], nil
}
