package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
)

// envRef matches a value that is exactly one environment reference.
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// sandboxExports returns the `export NAME=value` lines that make a job's
// `${NAME}` auth references hold the sandbox's credentials: those of the
// job file at jobPath, or of the provider's init template when jobPath is
// "". A reference that is not a whole value is left out.
func sandboxExports(jobYAML string, creds map[string]string) ([]string, error) {
	var f struct {
		Auth map[string]string `yaml:"auth"`
	}
	if err := yaml.Unmarshal([]byte(jobYAML), &f); err != nil {
		return nil, err
	}
	var lines []string
	for setting, v := range f.Auth {
		m := envRef.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		if val, ok := creds[setting]; ok {
			lines = append(lines, fmt.Sprintf("export %s=%s", m[1], shellQuote(val)))
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// readJobText reads a job file for sandboxExports.
func readJobText(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`).MatchString(s) {
		return s
	}
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += `'\''`
		} else {
			out += string(r)
		}
	}
	return out + "'"
}
