package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/onboardhq/onboard/providers"
)

// SandboxLedgerPath is the ledger of rehearsals that keep their sandbox in
// statePath: next to the state, so that the ledger and the fake's users
// are kept (and deleted) together and never mix with a real run's ledger.
func SandboxLedgerPath(statePath string) string { return statePath + ".ledger.db" }

// loadSandboxState gives sb the users saved in path by an earlier
// rehearsal. A missing file is an empty tenant (the first rehearsal); a
// file that cannot be read or is not a saved sandbox of this provider is an
// error, never an empty tenant, which would make the rehearsal lie.
func loadSandboxState(sb providers.Sandbox, provider, path string) (providers.StatefulSandbox, error) {
	st, ok := sb.(providers.StatefulSandbox)
	if !ok {
		return nil, fmt.Errorf("--sandbox-state: the %s sandbox cannot keep its users between runs", provider)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--sandbox-state: %w", err)
	}
	defer f.Close()
	if err := st.LoadState(f); err != nil {
		return nil, fmt.Errorf("--sandbox-state %s: %w (delete the file, and %s, to start the rehearsals from an empty tenant)", path, err, SandboxLedgerPath(path))
	}
	return st, nil
}

// saveSandboxState writes st to path atomically: a new file (O_EXCL, mode
// 0600) in the same folder, synced, then renamed over path, so that a crash
// or a full disk leaves the previous state whole.
func saveSandboxState(st providers.StatefulSandbox, path string) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = st.SaveState(tmp); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // the rename itself; not every file system can
		d.Close()
	}
	return nil
}
