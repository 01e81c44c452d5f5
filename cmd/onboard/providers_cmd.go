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
	var output string
	cmd := &cobra.Command{
		Use:   "providers [NAME]",
		Short: "List every provider with its fields and the auth settings it needs",
		Long: `providers describes each provider: the vendor API it calls, the auth settings
it needs, its options, and every field a job can map (type, required or not,
constraints). With a NAME (any case) only that one. -o json prints the same
as JSON for scripts: a list, or one object with a NAME (docs/cli.md).`,
		Example: `  onboard providers
  onboard providers cognigy
  onboard providers -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ps := a.registry.All()
			if len(args) == 1 {
				p, err := a.registry.Get(args[0])
				if err != nil {
					return fail(exitNotSent, "%v", err)
				}
				ps = []providers.Provider{p}
			}
			if output == outputJSON {
				if len(args) == 1 {
					return writeJSON(a.stdout, providerToJSON(ps[0].Describe()))
				}
				list := make([]providerJSON, 0, len(ps))
				for _, p := range ps {
					list = append(list, providerToJSON(p.Describe()))
				}
				return writeJSON(a.stdout, list)
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
	addOutputFlag(cmd, &output)
	return cmd
}

// providerJSON is `onboard providers -o json`: one provider. Every field is
// always present (empty lists as []), so a script never meets a missing key.
type providerJSON struct {
	Name            string        `json:"name"`
	Title           string        `json:"title"`
	API             string        `json:"api"`
	DefaultEndpoint string        `json:"default_endpoint"`
	KeyField        string        `json:"key_field"`
	Auth            []authJSON    `json:"auth"`
	Options         []settingJSON `json:"options"`
	Fields          []fieldJSON   `json:"fields"`
	Notes           []string      `json:"notes"`
}

// authJSON is one auth scheme: a job's auth: must hold every required
// setting of one of them.
type authJSON struct {
	Name     string        `json:"name"`
	Help     string        `json:"help"`
	Settings []settingJSON `json:"settings"`
}

type settingJSON struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Secret   bool   `json:"secret"`
	Default  string `json:"default"`
	Help     string `json:"help"`
}

type fieldJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Secret   bool   `json:"secret"`
	Help     string `json:"help"`
	// Constraint is the offline rule in words ("" when none).
	Constraint string   `json:"constraint"`
	Enum       []string `json:"enum"`
}

func providerToJSON(d *providers.Description) providerJSON {
	out := providerJSON{
		Name: d.Name, Title: d.Title, API: d.API, DefaultEndpoint: d.DefaultEndpoint, KeyField: d.KeyField,
		Auth: []authJSON{}, Options: settingsToJSON(d.Options), Fields: []fieldJSON{}, Notes: []string{},
	}
	for _, s := range d.Auth {
		out.Auth = append(out.Auth, authJSON{Name: s.Name, Help: s.Help, Settings: settingsToJSON(s.Settings)})
	}
	for i := range d.Fields {
		f := &d.Fields[i]
		enum := append([]string{}, f.Enum...)
		out.Fields = append(out.Fields, fieldJSON{
			Name: f.Name, Type: jsonType(f.Type), Required: f.Required, Secret: f.Secret,
			Help: f.Help, Constraint: f.Constraint(), Enum: enum,
		})
	}
	for _, n := range d.Notes {
		out.Notes = append(out.Notes, strings.TrimSpace(n))
	}
	return out
}

func settingsToJSON(ss []providers.Setting) []settingJSON {
	out := make([]settingJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, settingJSON{Name: s.Name, Required: s.Required, Secret: s.Secret, Default: s.Default, Help: s.Help})
	}
	return out
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

// jsonType names a field type in one stable word, for -o json (the text
// form's names are for people and may change).
func jsonType(t providers.FieldType) string {
	switch t {
	case providers.String:
		return "string"
	case providers.Bool:
		return "boolean"
	case providers.Int:
		return "integer"
	case providers.StringList:
		return "list"
	case providers.SkillMap:
		return "skills"
	}
	return "unknown"
}
