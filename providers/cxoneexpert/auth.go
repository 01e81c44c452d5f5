package cxoneexpert

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// The forms of the server API token's signature (option token_format).
const (
	// TokenDefault is the vendor's own form: tkn_{key}_{epoch}_{user}_{hash}
	// with hash = HMAC-SHA256 over "{key}_{epoch}_{user}", as
	// MindTouch/CXOneExpertExamples builds it (Python and C#) [doc][code].
	TokenDefault = "default"
	// TokenLegacy is the form of older public clients: {key}_{epoch}_{user}_{hash}
	// with the HMAC over "{key}{epoch}{user}", no separators and no tkn_
	// prefix (LibreTexts' clients, the old PHP client; vendors.md) [code].
	TokenLegacy = "legacy"
)

// TokenFormats are the values of option token_format, the default first.
var TokenFormats = []string{TokenDefault, TokenLegacy}

// signToken returns the X-Deki-Token value for a server API token at epoch
// (Unix seconds) in the given format (TokenDefault when empty); the hash is
// the lower-case hex HMAC-SHA256 keyed with secret.
func signToken(format, key, secret, user string, epoch int64) string {
	ep := strconv.FormatInt(epoch, 10)
	if format == TokenLegacy {
		return key + "_" + ep + "_" + user + "_" + hmacHex(secret, key+ep+user)
	}
	msg := key + "_" + ep + "_" + user
	return "tkn_" + msg + "_" + hmacHex(secret, msg)
}

func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// authenticator adds credentials to a request. String never shows a secret.
type authenticator interface {
	authorize(req *http.Request, now time.Time)
	// secrets are the strings the vendor might echo back that must never
	// reach a report (providers.SecretHolder).
	secrets() []string
	// refusedHint is added to the message of a 401 or 403: what to try.
	refusedHint() string
	String() string
}

// tokenAuth signs every request with a server API token. A signature is
// valid about five minutes, so none is cached or reused.
type tokenAuth struct {
	key, secret, user string
	format            string // TokenDefault or TokenLegacy
}

func (a tokenAuth) authorize(req *http.Request, now time.Time) {
	req.Header.Set(api.TokenHeader, signToken(a.format, a.key, a.secret, a.user, now.Unix()))
}

func (a tokenAuth) secrets() []string { return []string{a.secret} }

// refusedHint names the other token form: which one a site expects is not
// documented beyond the vendor's examples [?]. An invalid token may also
// leave the request anonymous, which is a 403, not a 401.
func (a tokenAuth) refusedHint() string {
	if a.format == TokenLegacy {
		return " (the server API token was signed in the legacy form; the vendor's own examples use the default: try removing options.token_format)"
	}
	return " (the server API token was signed as tkn_{key}_{epoch}_{user}_{hash}; if the key, secret and user are right, " +
		"the site may expect the older form: try options: token_format: legacy)"
}

func (a tokenAuth) String() string {
	s := "server API token " + a.key + " as " + a.user
	if a.format == TokenLegacy {
		s += " (legacy form)"
	}
	return s
}
func (a tokenAuth) GoString() string { return a.String() }

// basicAuth sends an admin account's username and password.
type basicAuth struct {
	user, pass string
}

func (a basicAuth) authorize(req *http.Request, _ time.Time) { req.SetBasicAuth(a.user, a.pass) }

func (a basicAuth) secrets() []string {
	return []string{a.pass, providers.BasicAuth(a.user, a.pass)}
}

func (a basicAuth) refusedHint() string {
	return " (HTTP Basic needs an admin's username and password on this site)"
}

func (a basicAuth) String() string   { return "HTTP Basic as " + a.user }
func (a basicAuth) GoString() string { return a.String() }

// newAuth picks the scheme the job's auth settings satisfy. Settings of the
// other scheme are refused rather than ignored: a job that names both would
// otherwise run with credentials its author did not mean.
func newAuth(settings map[string]string, tokenFormat string) (authenticator, error) {
	scheme, err := description.MatchAuth(settings)
	if err != nil {
		return nil, err
	}
	var own = map[string]bool{}
	for _, s := range scheme.Settings {
		own[s.Name] = true
	}
	var foreign []string
	for k, v := range settings {
		if !own[k] && strings.TrimSpace(v) != "" {
			foreign = append(foreign, k)
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%s: auth mixes two schemes: key/secret/user (server API token) or username/password (HTTP Basic), not both", Name)
	}
	switch scheme.Name {
	case schemeToken:
		user := strings.TrimSpace(settings["user"])
		if user == "" {
			user = defaultTokenUser
		}
		if err := checkTokenUser(user); err != nil {
			return nil, err
		}
		return tokenAuth{key: strings.TrimSpace(settings["key"]), secret: settings["secret"], user: user, format: tokenFormat}, nil
	case schemeBasic:
		if tokenFormat != TokenDefault {
			return nil, fmt.Errorf("%s: options.%s applies to the server API token (key/secret/user), not to HTTP Basic; remove it", Name, OptTokenFormat)
		}
		return basicAuth{user: settings["username"], pass: settings["password"]}, nil
	}
	return nil, fmt.Errorf("%s: unsupported auth scheme %q", Name, scheme.Name)
}

// checkTokenUser decides the forms the token's user may take: the vendor's
// "=<username>" or a numeric user id (vendors.md: "user = =<admin
// username> or a numeric id") [doc][code].
func checkTokenUser(user string) error {
	if name, ok := strings.CutPrefix(user, "="); ok {
		if strings.TrimSpace(name) != "" && xmlProblem(name) == "" {
			return nil
		}
	} else if _, err := strconv.ParseUint(user, 10, 64); err == nil {
		return nil
	}
	return fmt.Errorf("%s: auth user %q must be =<admin username> (e.g. =admin) or a numeric user id", Name, user)
}
