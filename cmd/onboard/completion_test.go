package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers/all"
)

// complete asks cobra's hidden __complete command, as a shell's script
// does, and returns the offered values (descriptions cut off) and the
// directive line.
func complete(t *testing.T, args ...string) (values []string, directive string) {
	t.Helper()
	r := onboard(t, nil, append([]string{"__complete"}, args...)...)
	if r.code != exitOK {
		t.Fatalf("__complete %v: exit %d\n%s", args, r.code, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasPrefix(l, ":") {
			directive = l
			continue
		}
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, directive
}

func TestCompletion(t *testing.T) {
	providers := all.Registry().Names()
	const noFiles, fileExt = ":4", ":8"
	for _, tc := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"init", ""}, providers, noFiles},
		{[]string{"sandbox", ""}, providers, noFiles},
		{[]string{"sandbox", "cx"}, []string{"cxengage", "cxoneexpert"}, noFiles},
		{[]string{"init", "cognigy", ""}, nil, noFiles},
		{[]string{"run", "--job", ""}, []string{"yaml", "yml"}, fileExt},
		{[]string{"check", "--job", ""}, []string{"yaml", "yml"}, fileExt},
		{[]string{"status", "--job", ""}, []string{"yaml", "yml"}, fileExt},
		{[]string{"run", "--input", ""}, inputExtensions, fileExt},
		{[]string{"check", "--input", ""}, inputExtensions, fileExt},
		{[]string{"run", "--log-format", ""}, []string{"text", "json"}, noFiles},
		{[]string{"check", "--progress", ""}, []string{"auto", "always", "never"}, noFiles},
		{[]string{"run", "--delimiter", ""}, []string{",", ";", "tab", "|"}, noFiles},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, dir := complete(t, tc.args...)
			if !slices.Equal(got, tc.want) || dir != tc.directive {
				t.Fatalf("got %q %s, want %q %s", got, dir, tc.want, tc.directive)
			}
		})
	}
	if !slices.Contains(providers, "cognigy") {
		t.Fatalf("providers %v: no cognigy", providers)
	}
}

// TestCompletionScripts: the completion command is there for every shell
// the docs name, and its script calls back into __complete.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := onboard(t, nil, "completion", shell)
		if r.code != exitOK || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes\n%s", shell, r.code, len(r.stdout), r.stderr)
		}
	}
}
