package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (a *app) initCmd() *cobra.Command {
	var dir string
	var force bool
	cmd := &cobra.Command{
		Use:   "init [PROVIDER]",
		Short: "Write a commented job.yaml and a template CSV for a provider",
		Long: `init writes job.yaml (commented: what each setting means) and users.csv (a
template with the columns the job maps) into a folder, ready to fill in.
Without a PROVIDER it lists the providers to choose from; the name may be
written in any case. 'onboard providers NAME' describes one in full.`,
		Example: `  onboard init
  onboard init cognigy --dir cognigy-job
  onboard check --job cognigy-job/job.yaml
  onboard run --job cognigy-job/job.yaml --sandbox`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				// A bare `onboard init` is how a newcomer asks "what can I
				// set up?". The list is the answer, on stdout with exit 0,
				// as `git remote` or `kubectl config get-contexts` answer
				// with a list; nothing was asked to be written, so nothing
				// failed (exit 2 would tell cron "nothing was sent", which
				// is no news here).
				a.listForInit(dir)
				return nil
			}
			p, err := a.registry.Get(args[0])
			if err != nil {
				return fail(exitNotSent, "%v", err)
			}
			d := p.Describe()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(exitNotSent, "%v", err)
			}
			files := []struct{ name, text string }{{"job.yaml", d.InitJob}, {"users.csv", d.InitCSV}}
			for _, f := range files {
				path := filepath.Join(dir, f.name)
				flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				fh, err := os.OpenFile(path, flags, 0o644)
				if errors.Is(err, os.ErrExist) {
					return fail(exitNotSent, "%s already exists; choose another --dir or pass --force", path)
				}
				if err != nil {
					return fail(exitNotSent, "%v", err)
				}
				_, err = fh.WriteString(f.text)
				if cerr := fh.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fail(exitNotSent, "%v", err)
				}
				fmt.Fprintf(a.stdout, "wrote %s\n", path)
			}
			job := filepath.Join(dir, "job.yaml")
			fmt.Fprintf(a.stdout, "\nNext: edit %s (endpoint, auth, fields), put your people in %s, then\n  onboard check --job %s\n  onboard run --job %s --sandbox\n",
				job, filepath.Join(dir, "users.csv"), job, job)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to write into")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}

// listForInit prints the providers, one line each, and how to pick one.
func (a *app) listForInit(dir string) {
	fmt.Fprintln(a.stdout, "Providers (pick one: onboard init PROVIDER --dir DIR):")
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, p := range a.registry.All() {
		d := p.Describe()
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Name, d.Title, d.API)
	}
	tw.Flush()
	if dir == "." {
		dir = "myjob"
	}
	name := "PROVIDER"
	if names := a.registry.Names(); len(names) > 0 {
		name = names[0]
	}
	fmt.Fprintf(a.stdout, "\nFor example: onboard init %s --dir %s\n'onboard providers NAME' shows a provider's fields and auth settings.\n", name, dir)
}
