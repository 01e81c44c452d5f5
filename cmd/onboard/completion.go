package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/source"
)

// Shell completion. cobra's default `completion bash|zsh|fish|powershell`
// command writes the script; these functions tell it what fits each
// argument, so `onboard init <TAB>` offers the providers and `--job <TAB>`
// only YAML files. They are asked through cobra's hidden __complete
// command, which is also how the tests ask.

// inputExtensions are the files --input reads: CSV, Excel's "Unicode Text"
// (.txt, tab-separated), and workbooks.
var inputExtensions = []string{"csv", "tsv", "txt", "xlsx"}

// registerCompletions attaches the completion functions to root's commands
// by flag name, so a command added later with a --job flag gets them too.
func (a *app) registerCompletions(root *cobra.Command) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
	}
	files := func(exts ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return exts, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	dirs := func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}
	byFlag := map[string]cobra.CompletionFunc{
		"job":       files("yaml", "yml"),
		"input":     files(inputExtensions...),
		"ledger":    files("db"),
		"out":       dirs,
		"dir":       dirs,
		"encoding":  fixed(source.EncodingNames()...),
		"delimiter": fixed(",\tcomma", ";\tsemicolon", "tab\ttab", "|\tpipe"),
	}
	// Persistent flags belong to root; register them there once.
	_ = root.RegisterFlagCompletionFunc("log-format", fixed("text\tlines for a person", "json\tone JSON object per line, for a log collector"))
	_ = root.RegisterFlagCompletionFunc("progress", fixed("auto\ta bar on a terminal, log lines otherwise", "always", "never"))

	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range byFlag {
			if c.LocalNonPersistentFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if first, _, _ := strings.Cut(c.Use, " "); first == "init" || first == "sandbox" {
			c.ValidArgsFunction = a.completeProvider
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeProvider offers the registry's provider names, each with its
// title, for the one PROVIDER argument. Shells filter by prefix anyway;
// filtering here keeps the answer short for the ones that do not.
func (a *app) completeProvider(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, p := range a.registry.All() {
		d := p.Describe()
		if !strings.HasPrefix(d.Name, strings.ToLower(toComplete)) {
			continue
		}
		out = append(out, cobra.CompletionWithDesc(d.Name, d.Title))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
