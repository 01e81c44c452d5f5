package batch

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/onboardhq/onboard/providers"
)

// redacted replaces a secret in a message.
const redacted = "[redacted]"

// minSecret is the shortest value redacted: shorter ones would take
// ordinary words and digits out of every message.
const minSecret = 4

// secretForms returns s as a vendor might echo it: as sent, JSON-escaped,
// URL-escaped, and without an auth scheme prefix ("Basic ...").
func secretForms(s string) []string {
	if len(s) < minSecret {
		return nil
	}
	forms := []string{s}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	forms = append(forms, url.QueryEscape(s), url.PathEscape(s))
	for _, scheme := range []string{"Basic ", "Bearer ", "Token "} {
		if rest, ok := strings.CutPrefix(s, scheme); ok && len(rest) >= minSecret {
			forms = append(forms, rest)
		}
	}
	return forms
}

// authSecrets returns the values of the secret auth settings, and the
// Basic credentials any two settings could form, for Config.Secrets.
func AuthSecrets(d *providers.Description, auth map[string]string) []string {
	secret := map[string]bool{}
	for _, s := range d.Auth {
		for _, set := range s.Settings {
			if set.Secret {
				secret[set.Name] = true
			}
		}
	}
	var out []string
	for k, v := range auth {
		if !secret[k] || v == "" {
			continue
		}
		out = append(out, v)
		for k2, user := range auth {
			if k2 != k && user != "" {
				out = append(out, base64.StdEncoding.EncodeToString([]byte(user+":"+v)))
			}
		}
	}
	return out
}

// redact removes every secret the run knows from msg: the job's
// credentials, what the client holds (tokens, header values), and the
// row's own secret fields and generated passwords. Vendors echo requests
// in their error messages; those messages go to logs, reports, the summary
// and the ledger.
func (e *engine) redact(msg string, rec providers.Record, generated map[string]string) string {
	if msg == "" {
		return msg
	}
	var secrets []string
	secrets = append(secrets, e.cfg.Secrets...)
	if sh, ok := e.cfg.Client.(providers.SecretHolder); ok {
		secrets = append(secrets, sh.Secrets()...)
	}
	for _, f := range e.desc.SecretFields() {
		if v := rec.String(f); v != "" {
			secrets = append(secrets, v)
		}
	}
	for _, v := range generated {
		secrets = append(secrets, v)
	}
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if f != "" && strings.Contains(msg, f) {
				msg = strings.ReplaceAll(msg, f, redacted)
			}
		}
	}
	return msg
}
