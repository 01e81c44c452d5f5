package main

import (
	"path/filepath"
	"strings"

	"github.com/onboardhq/onboard/batch/ledger"
)

// ledgerPathFor returns the ledger of a job: the one given, else
// <job>.ledger.db next to the job file.
func ledgerPathFor(jobPath, given string) string {
	if given != "" {
		return given
	}
	base := strings.TrimSuffix(filepath.Base(jobPath), filepath.Ext(jobPath))
	return filepath.Join(filepath.Dir(jobPath), base+".ledger.db")
}

func openLedger(path, provider, endpoint string) (*ledger.Ledger, error) {
	return ledger.Open(path, provider, endpoint)
}
