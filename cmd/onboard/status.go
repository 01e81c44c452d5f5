package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/ledger"
)

func (a *app) statusCmd() *cobra.Command {
	var jobPath, ledgerPath string
	cmd := &cobra.Command{
		Use:   "status --job FILE",
		Short: "Print what the job's ledger holds: counts by status and the last runs",
		Long: `status reads the job's ledger (an SQLite file next to the job file unless the
job or --ledger says otherwise) and prints how many keys are created, exist,
failed or pending, and the last runs. The README documents its schema.`,
		Example: `  onboard status --job job.yaml
  sqlite3 job.ledger.db 'SELECT key, status, vendor_id FROM users LIMIT 10'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if jobPath == "" && ledgerPath == "" {
				return fail(exitNotSent, "--job is required")
			}
			path := ledgerPath
			if path == "" {
				j, err := job.Load(jobPath, a.getenv)
				if err != nil {
					return fail(exitNotSent, "%v", err)
				}
				path = ledgerPathFor(jobPath, j.Ledger)
			}
			db, err := ledger.OpenReadOnly(path)
			if err != nil {
				return fail(exitNotSent, "%v", err)
			}
			defer db.Close()
			fmt.Fprintf(a.stdout, "ledger %s\n\nkeys by status:\n", path)
			rows, err := db.Query(`SELECT status, COUNT(*) FROM users GROUP BY status ORDER BY status`)
			if err != nil {
				return fail(exitNotSent, "ledger %s: %v", path, err)
			}
			total := 0
			for rows.Next() {
				var s string
				var n int
				if err := rows.Scan(&s, &n); err != nil {
					rows.Close()
					return fail(exitNotSent, "ledger %s: %v", path, err)
				}
				total += n
				fmt.Fprintf(a.stdout, "  %-8s %d\n", s, n)
			}
			rows.Close()
			fmt.Fprintf(a.stdout, "  %-8s %d\n", "total", total)
			var events, batches int
			if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM pending)`).Scan(&events, &batches); err == nil && events+batches > 0 {
				fmt.Fprintf(a.stdout, "  plus %d outcomes and %d batches of pending keys of a run still going, or that ended without closing the ledger (a crash); the next run folds them in\n", events, batches)
			}
			fmt.Fprintf(a.stdout, "\nlast runs:\n")
			runs, err := db.Query(`SELECT id, provider, started_at, finished_at, created, existed, skipped, failed, not_attempted FROM runs ORDER BY id DESC LIMIT 5`)
			if err != nil {
				return fail(exitNotSent, "ledger %s: %v", path, err)
			}
			defer runs.Close()
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  run\tprovider\tstarted\tfinished\tcreated\texists\tskipped\tfailed\tnot attempted")
			for runs.Next() {
				var id, c, e, s, f, na int
				var p, st, fi string
				if err := runs.Scan(&id, &p, &st, &fi, &c, &e, &s, &f, &na); err != nil {
					return fail(exitNotSent, "ledger %s: %v", path, err)
				}
				if fi == "" {
					fi = "(did not finish)"
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", id, p, st, fi, c, e, s, f, na)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&jobPath, "job", "", "job file (YAML)")
	cmd.Flags().StringVar(&ledgerPath, "ledger", "", "ledger database (default: the job's)")
	return cmd
}
