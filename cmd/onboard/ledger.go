package main

import "github.com/onboardhq/onboard/batch/runner"

// ledgerPathFor returns the ledger of a job: the one given, else
// <job>.ledger.db next to the job file.
func ledgerPathFor(jobPath, given string) string { return runner.LedgerPath(jobPath, given) }
