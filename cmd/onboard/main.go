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
// every doubling of a tiny heap wastes time. The soft memory limit keeps the
// process well under the 64 MB a large import may use. Not for the sandbox,
// which keeps every user it creates. GOGC or GOMEMLIMIT in the environment
// win.
func tuneGC(limit bool) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if limit && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(30 << 20)
	}
}
