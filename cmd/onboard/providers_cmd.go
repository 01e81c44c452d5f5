package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/providers"
)

func (a *app) providersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "providers [NAME]",
		Short: "List every provider with its fields and the auth settings it needs",
		Example: `  onboard providers
  onboard providers cognigy`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps := a.registry.All()
			if len(args) == 1 {
				p, err := a.registry.Get(args[0])
				if err != nil {
					return fail(exitNotSent, "%v", err)
				}
				ps = []providers.Provider{p}
			}
			for i, p := range ps {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				describeProvider(a.stdout, p.Describe())
			}
			return nil
		},
	}
}

func describeProvider(w io.Writer, d *providers.Description) {
	fmt.Fprintf(w, "%s — %s\n  creates users with %s\n  endpoint example: %s\n  key field (looked up before re-sending): %s\n", d.Name, d.Title, d.API, d.DefaultEndpoint, d.KeyField)
	fmt.Fprintln(w, "  auth (one of):")
	for _, s := range d.Auth {
		fmt.Fprintf(w, "    %s: %s\n", s.Name, s.Help)
		for _, set := range s.Settings {
			fmt.Fprintf(w, "      %-14s %s%s\n", set.Name, reqText(set.Required, set.Secret), set.Help)
		}
	}
	if len(d.Options) > 0 {
		fmt.Fprintln(w, "  options:")
		for _, o := range d.Options {
			def := ""
			if o.Default != "" {
				def = " (default " + o.Default + ")"
			}
			fmt.Fprintf(w, "    %-16s %s%s\n", o.Name, o.Help, def)
		}
	}
	fmt.Fprintln(w, "  fields:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range d.Fields {
		req := "optional"
		if f.Required {
			req = "required"
		}
		if f.Secret {
			req += ", secret"
		}
		help := f.Help
		if c := f.Constraint(); c != "" {
			help += " [" + c + "]"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", f.Name, f.Type, req, help)
	}
	tw.Flush()
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  note: %s\n", strings.TrimSpace(n))
	}
	if len(d.SandboxVariants) > 0 {
		fmt.Fprintln(w, "  sandbox variants (onboard sandbox --variant NAME=VALUE; the first value is the default):")
		for _, v := range d.SandboxVariants {
			fmt.Fprintf(w, "    %s=%s: %s\n", v.Name, strings.Join(v.Values, "|"), v.Help)
		}
	}
}

func reqText(required, secret bool) string {
	var parts []string
	if required {
		parts = append(parts, "required")
	} else {
		parts = append(parts, "optional")
	}
	if secret {
		parts = append(parts, "secret")
	}
	return "(" + strings.Join(parts, ", ") + ") "
}
