package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// Output formats of the commands that report something a script may read
// (check, providers, status), as kubectl's -o and gh's --json do. The JSON
// field names are snake_case and stable: docs/cli.md documents them, and a
// renamed field is a breaking change.
const (
	outputText = "text"
	outputJSON = "json"
)

// addOutputFlag binds -o/--output into *p.
func addOutputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", outputText, "output format: text (for people) or json (for scripts; docs/cli.md has the fields)")
}

// checkOutput refuses an unknown format before anything is done.
func checkOutput(format string) error {
	switch format {
	case outputText, outputJSON:
		return nil
	}
	return fail(exitNotSent, "--output must be text or json, not %q", format)
}

// writeJSON writes v indented, with a final newline, and without escaping
// <, > and & (a row message may hold them; jq shows them as written).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
