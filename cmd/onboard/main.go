// Command onboard creates user accounts on contact-centre and CX platforms
// from an HR spreadsheet export. `onboard --help` explains the commands.
package main

import (
	"os"
	"runtime/debug"

	"github.com/onboardhq/onboard/providers/all"
)

func main() {
	a := &app{
		registry: all.Registry(),
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		isTerm:   stderrIsTerminal,
	}
	os.Exit(a.main(os.Args[1:]))
}

// tuneGC trades a little memory for CPU in run and check: they allocate
// short-lived garbage per row and keep almost nothing, so collecting at
// every doubling of a tiny heap wastes time. The soft memory limit (bytes, 0
// for none) keeps the process well under the 64 MB a large import may use.
// GOGC or GOMEMLIMIT in the environment win.
func tuneGC(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// checkMemoryLimit is check's soft memory limit: it keeps up to
// keyset.LargeSpill keys in memory (about 28 MB at most), and a limit
// below what it holds would make the collector run without pause.
const checkMemoryLimit = 44 << 20

// runMemoryLimit is run's soft memory limit; none for the sandbox, which
// keeps every user it creates.
func runMemoryLimit(sandbox bool) int64 {
	if sandbox {
		return 0
	}
	return 30 << 20
}
