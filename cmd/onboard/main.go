// Command onboard creates user accounts on contact-centre and CX platforms
// from an HR spreadsheet export. `onboard --help` explains the commands.
package main

import (
	"os"

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
