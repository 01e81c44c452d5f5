package main

import (
	"database/sql"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/batch/ledger"
)

// ledgerStatuses are the statuses a key can have in the ledger's users
// table; status reports each of them, 0 included, so its shape is stable.
var ledgerStatuses = []string{"created", "exists", "failed", "pending"}

func (a *app) statusCmd() *cobra.Command {
	var jobPath, ledgerPath, output string
	cmd := &cobra.Command{
		Use:   "status --job FILE",
		Short: "Print what the job's ledger holds: counts by status and the last runs",
		Long: `status reads the job's ledger (an SQLite file next to the job file unless the
job or --ledger says otherwise) and prints how many keys are created, exist,
failed or pending, and the last runs. docs/reliability.md documents the
ledger and docs/design.md its schema; -o json prints the same for scripts
(docs/cli.md).`,
		Example: `  onboard status --job job.yaml
  onboard status --job job.yaml -o json
  sqlite3 job.ledger.db 'SELECT key, status, vendor_id FROM users LIMIT 10'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
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
			st, err := readStatus(db, path)
			if err != nil {
				return fail(exitNotSent, "ledger %s: %v", path, err)
			}
			if output == outputJSON {
				return writeJSON(a.stdout, st)
			}
			return st.writeText(a.stdout)
		},
	}
	cmd.Flags().StringVar(&jobPath, "job", "", "job file (YAML)")
	cmd.Flags().StringVar(&ledgerPath, "ledger", "", "ledger database (default: the job's)")
	addOutputFlag(cmd, &output)
	return cmd
}

// statusJSON is `onboard status -o json`, and what the text form prints.
type statusJSON struct {
	Ledger string `json:"ledger"`
	// Keys counts the keys of the users table by status; every status of
	// ledgerStatuses is present.
	Keys  map[string]int `json:"keys"`
	Total int            `json:"total"`
	// UnfoldedEvents and PendingBatches are rows a run still going (or one
	// that crashed) has written but not yet folded into users; the next run
	// folds them in.
	UnfoldedEvents int             `json:"unfolded_events"`
	PendingBatches int             `json:"pending_batches"`
	Runs           []statusRunJSON `json:"runs"`
}

// statusRunJSON is one run of the ledger's runs table, newest first.
type statusRunJSON struct {
	ID       int    `json:"id"`
	Provider string `json:"provider"`
	Started  string `json:"started_at"`
	// Finished is "" for a run that did not finish (still going, or
	// killed).
	Finished     string `json:"finished_at"`
	Created      int    `json:"created"`
	Exists       int    `json:"exists"`
	Skipped      int    `json:"skipped"`
	Failed       int    `json:"failed"`
	NotAttempted int    `json:"not_attempted"`
}

// statusRuns is how many of the last runs status shows.
const statusRuns = 5

func readStatus(db *sql.DB, path string) (*statusJSON, error) {
	st := &statusJSON{Ledger: path, Keys: map[string]int{}, Runs: []statusRunJSON{}}
	for _, s := range ledgerStatuses {
		st.Keys[s] = 0
	}
	rows, err := db.Query(`SELECT status, COUNT(*) FROM users GROUP BY status ORDER BY status`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return nil, err
		}
		st.Keys[s] = n
		st.Total += n
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	// Older ledgers may lack these tables: then nothing is waiting.
	_ = db.QueryRow(`SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM pending)`).Scan(&st.UnfoldedEvents, &st.PendingBatches)
	runs, err := db.Query(`SELECT id, provider, started_at, finished_at, created, existed, skipped, failed, not_attempted FROM runs ORDER BY id DESC LIMIT ?`, statusRuns)
	if err != nil {
		return nil, err
	}
	defer runs.Close()
	for runs.Next() {
		var r statusRunJSON
		if err := runs.Scan(&r.ID, &r.Provider, &r.Started, &r.Finished, &r.Created, &r.Exists, &r.Skipped, &r.Failed, &r.NotAttempted); err != nil {
			return nil, err
		}
		st.Runs = append(st.Runs, r)
	}
	return st, runs.Err()
}

func (st *statusJSON) writeText(w io.Writer) error {
	fmt.Fprintf(w, "ledger %s\n\nkeys by status:\n", st.Ledger)
	names := make([]string, 0, len(st.Keys))
	for s := range st.Keys {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		fmt.Fprintf(w, "  %-8s %d\n", s, st.Keys[s])
	}
	fmt.Fprintf(w, "  %-8s %d\n", "total", st.Total)
	if st.UnfoldedEvents+st.PendingBatches > 0 {
		fmt.Fprintf(w, "  plus %d outcomes and %d batches of pending keys of a run still going, or that ended without closing the ledger (a crash); the next run folds them in\n", st.UnfoldedEvents, st.PendingBatches)
	}
	fmt.Fprintf(w, "\nlast runs:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  run\tprovider\tstarted\tfinished\tcreated\texists\tskipped\tfailed\tnot attempted")
	for _, r := range st.Runs {
		fi := r.Finished
		if fi == "" {
			fi = "(did not finish)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Provider, r.Started, fi, r.Created, r.Exists, r.Skipped, r.Failed, r.NotAttempted)
	}
	return tw.Flush()
}
