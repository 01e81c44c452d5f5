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

	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// signToken returns the X-Deki-Token value for a server API token at epoch
// (Unix seconds): tkn_{key}_{epoch}_{user}_{hash}, where hash is the
// lower-case hex HMAC-SHA256 of "{key}_{epoch}_{user}" keyed with secret.
func signToken(key, secret, user string, epoch int64) string {
	msg := key + "_" + strconv.FormatInt(epoch, 10) + "_" + user
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return "tkn_" + msg + "_" + hex.EncodeToString(m.Sum(nil))
}

// authenticator adds credentials to a request. String never shows a secret.
type authenticator interface {
	authorize(req *http.Request, now time.Time)
	String() string
}

// tokenAuth signs every request with a server API token. A signature is
// valid about five minutes, so none is cached or reused.
type tokenAuth struct {
	key, secret, user string
}

func (a tokenAuth) authorize(req *http.Request, now time.Time) {
	req.Header.Set(api.TokenHeader, signToken(a.key, a.secret, a.user, now.Unix()))
}

func (a tokenAuth) String() string   { return "server API token " + a.key + " as " + a.user }
func (a tokenAuth) GoString() string { return a.String() }

// basicAuth sends an admin account's username and password.
type basicAuth struct {
	user, pass string
}

func (a basicAuth) authorize(req *http.Request, _ time.Time) { req.SetBasicAuth(a.user, a.pass) }

func (a basicAuth) String() string   { return "HTTP Basic as " + a.user }
func (a basicAuth) GoString() string { return a.String() }

// newAuth picks the scheme the job's auth settings satisfy. Settings of the
// other scheme are refused rather than ignored: a job that names both would
// otherwise run with credentials its author did not mean.
func newAuth(settings map[string]string) (authenticator, error) {
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
		return tokenAuth{key: strings.TrimSpace(settings["key"]), secret: settings["secret"], user: user}, nil
	case schemeBasic:
		return basicAuth{user: settings["username"], pass: settings["password"]}, nil
	}
	return nil, fmt.Errorf("%s: unsupported auth scheme %q", Name, scheme.Name)
}

// checkTokenUser decides the forms the token's user may take [?]: the
// vendor's "=<username>" or a numeric user id.
func checkTokenUser(user string) error {
	if name, ok := strings.CutPrefix(user, "="); ok {
		if name != "" && usernamePattern.MatchString(name) {
			return nil
		}
	} else if _, err := strconv.ParseUint(user, 10, 64); err == nil {
		return nil
	}
	return fmt.Errorf("%s: auth user %q must be =<admin username> (e.g. =admin) or a numeric user id", Name, user)
}
