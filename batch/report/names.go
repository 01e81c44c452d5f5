package report

import (
	"encoding/json"
	"os"
	"strings"
)

// IsReportFile reports whether name is a file a run writes in its out
// folder (or a temporary file of one): a folder holding any of them
// belongs to another run.
func IsReportFile(name string) bool {
	for _, n := range []string{SuccessFile, FailuresFile, CredentialsFile, SummaryFile, HTMLFile} {
		if name == n || strings.HasPrefix(name, n+".") {
			return true
		}
	}
	return false
}

// ReadExitCode returns the exit code a summary.json recorded.
func ReadExitCode(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var s struct {
		ExitCode *int `json:"exit_code"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.ExitCode == nil {
		return 0, os.ErrInvalid
	}
	return *s.ExitCode, nil
}
