package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func (a *app) initCmd() *cobra.Command {
	var dir string
	var force bool
	cmd := &cobra.Command{
		Use:   "init PROVIDER",
		Short: "Write a commented job.yaml and a template CSV for a provider",
		Long: `init writes job.yaml (commented: what each setting means) and users.csv (a
template with the columns the job maps) into a folder, ready to fill in.
'onboard providers' lists the providers.`,
		Example: `  onboard init cognigy --dir cognigy-job
  onboard check --job cognigy-job/job.yaml
  onboard run --job cognigy-job/job.yaml --sandbox`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
