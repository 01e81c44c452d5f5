package sandboxkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// stateFormat names the layout of a saved sandbox, so that a file of an
// older or foreign layout is refused instead of read as an empty tenant.
const stateFormat = "onboard-sandbox-state/1"

// stateFile is the envelope of a saved sandbox: which vendor's fake wrote
// it, so that a state file given to another provider's job is refused.
type stateFile struct {
	Format string          `json:"format"`
	Vendor string          `json:"vendor"`
	State  json.RawMessage `json:"state"`
}

// SaveState writes state (a vendor sandbox's own JSON-able snapshot) in the
// envelope that LoadState checks.
func SaveState(w io.Writer, vendor string, state any) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("%s sandbox: state: %w", vendor, err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(stateFile{Format: stateFormat, Vendor: vendor, State: raw})
}

// LoadState reads what SaveState wrote for the same vendor into state. It
// refuses another vendor's file, another layout and fields the snapshot
// does not know, so that a corrupt file is an error, not an empty tenant.
func LoadState(r io.Reader, vendor string, state any) error {
	var f stateFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("%s sandbox: state is not a saved sandbox: %w", vendor, err)
	}
	switch {
	case f.Format != stateFormat:
		return fmt.Errorf("%s sandbox: state: unknown format %q (want %q)", vendor, f.Format, stateFormat)
	case f.Vendor != vendor:
		return fmt.Errorf("%s sandbox: state was saved by the %q sandbox", vendor, f.Vendor)
	case len(f.State) == 0:
		return errors.New(vendor + " sandbox: state: no users saved")
	}
	dec = json.NewDecoder(bytes.NewReader(f.State))
	dec.DisallowUnknownFields()
	if err := dec.Decode(state); err != nil {
		return fmt.Errorf("%s sandbox: state: %w", vendor, err)
	}
	return nil
}

// Last returns the last sequence number handed out, for a saved state.
func (g *IDs) Last() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// Restore makes Next continue after n, so that a loaded tenant never hands
// out an id it already holds.
func (g *IDs) Restore(n uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n = max(g.n, n)
}
