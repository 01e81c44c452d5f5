package main

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
)

// A job written by `onboard init` holds values that only stand in for the
// user's own: an example host, an organisation id, a tenant's role ids (the
// sandbox's, so that the template runs against --sandbox unchanged). Left in
// place they pass every offline check, and the real run then fails every row
// at the vendor, or worse, lands users in somebody else's organisation. So
// check warns about them. The rule is generic, so a new provider's template
// is covered without code here:
//
//   - a value that holds an id-like token of the provider's InitJob text
//     (comments included, for settings a template shows commented out):
//     a UUID, or a run of 16 or more hex digits;
//   - any value that names a reserved example host (RFC 2606: example.com,
//     a host label "example", the .example/.test/.invalid domains), holds a
//     YOUR_... marker, a <...> slot to fill in, or an all-zero UUID.
//
// The values looked at are the endpoint, the auth settings, the options and
// the field rules' fixed values (value:, map: targets, default:); column
// names and templates are the user's own.

// idToken matches the ids a template writes as stand-ins.
var idToken = regexp.MustCompile(`(?i)\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})\b`)

// genericPlaceholder matches what is a placeholder in any job.
var genericPlaceholder = regexp.MustCompile(`(?i)(?:^|[/.@:])example(?:\.[a-z]{2,})+\b|(?:^|[/.@:])(?:[a-z0-9-]+\.)+(?:example|test|invalid)\b(?:$|[/:])|\bYOUR[_-][A-Z0-9_-]*|<[a-z][a-z0-9 _-]*>|\b0{8}-0{4}-0{4}-0{4}-0{12}\b`)

// placeholderWarning is one value that is still a stand-in.
type placeholderWarning struct {
	// Where names the setting: "endpoint", "auth: scope", "options:
	// tenant_id", "field organisation (value)", "field roleId (map Agent)".
	Where string `json:"where"`
	// Placeholder is the stand-in found (for auth settings only this, never
	// the whole value, which may be a secret).
	Placeholder string `json:"placeholder"`
	Message     string `json:"message"`
}

// placeholderWarnings lists the values of j that are still placeholders,
// in a stable order: endpoint, auth, options, fields.
func placeholderWarnings(j *job.Job, d *providers.Description) []placeholderWarning {
	tokens := templateTokens(d.InitJob)
	out := []placeholderWarning{}
	add := func(where, value string) {
		ph, fromTemplate := findPlaceholder(value, tokens)
		if ph == "" {
			return
		}
		fromTemplate = fromTemplate || strings.Contains(strings.ToLower(d.InitJob), strings.ToLower(ph))
		msg := fmt.Sprintf("%s: %s looks like a placeholder", where, ph)
		if fromTemplate {
			msg = fmt.Sprintf("%s: %s is still the placeholder that `onboard init %s` wrote", where, ph, d.Name)
		}
		msg += "; replace it with your own value before a real run (a --sandbox rehearsal works with it)"
		out = append(out, placeholderWarning{Where: where, Placeholder: ph, Message: msg})
	}
	add("endpoint", j.Endpoint)
	for _, k := range sortedKeys(j.Auth) {
		add("auth: "+k, j.Auth[k])
	}
	for _, k := range sortedKeys(j.Options) {
		add("options: "+k, j.Options[k])
	}
	for _, r := range j.Rules {
		for _, v := range literalValues(r.Value) {
			add(fmt.Sprintf("field %s (value)", r.Field), v)
		}
		for _, m := range r.Map {
			for _, v := range literalValues(m.To) {
				add(fmt.Sprintf("field %s (map %s)", r.Field, m.From), v)
			}
		}
		for _, v := range literalValues(r.Default) {
			add(fmt.Sprintf("field %s (default)", r.Field), v)
		}
	}
	return out
}

// templateTokens returns the id-like tokens of a template, lower-cased.
func templateTokens(initJob string) map[string]bool {
	tokens := map[string]bool{}
	for _, t := range idToken.FindAllString(initJob, -1) {
		tokens[strings.ToLower(t)] = true
	}
	return tokens
}

// findPlaceholder returns the placeholder v holds, if any, and whether it
// came from the template.
func findPlaceholder(v string, tokens map[string]bool) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return "", false
	}
	for _, t := range idToken.FindAllString(v, -1) {
		if tokens[strings.ToLower(t)] {
			return t, true
		}
	}
	if m := genericPlaceholder.FindString(v); m != "" {
		m = strings.TrimLeft(m, "/.@:")
		m = strings.TrimRight(m, "/:")
		if u, err := url.Parse(v); err == nil && u.Host != "" && strings.Contains(u.Host, m) {
			m = u.Host
		}
		return m, false
	}
	return "", false
}

func literalValues(l *mapping.Literal) []string {
	if l == nil {
		return nil
	}
	var out []string
	if l.Scalar != "" {
		out = append(out, l.Scalar)
	}
	out = append(out, l.List...)
	for _, k := range sortedKeys(l.Pairs) {
		out = append(out, l.Pairs[k])
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
