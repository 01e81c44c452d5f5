package batch_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/batch/report"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/all"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// A stray byte in a UTF-8 file fails only the row that maps the cell
// holding it, naming file, row and column; a stray byte in a column the
// job does not read costs nothing; every name reaches the vendor byte for
// byte (no mojibake, no U+FFFD).
func TestStrayByteFailsOnlyItsRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("First Name,Last Name,Work Email,Department,On Leave,CXone Email,Notes\n")
	rows := []string{
		"José,García,jose@example.com,Sales,no,,ok",
		"Zoë,Müller,zoe@example.com,Support,no,,caf\xe9", // row 3: not read by the job
		"René,Dupr\xe9,rene@example.com,Support,no,,ok",  // row 4: Last Name is read
		"Łukasz,Wałęsa,lukasz@example.com,Sales,no,,ok",
	}
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	in := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := all.Registry().Get("cognigy")
	if err != nil {
		t.Fatal(err)
	}
	sb := p.NewSandbox(providers.SandboxOptions{Seed: 1}).(*cognigy.Sandbox)
	o := run(t, setup{jobPath: samplePath("cognigy"), input: in, sandbox: sb})
	accounted(t, o, len(rows))
	if len(o.failures) != 1 || o.failures[0].Row != 4 || o.failures[0].Stage != string(report.StageInput) {
		t.Fatalf("failures %+v, want row 4 failed at input", o.failures)
	}
	for _, want := range []string{"row 4", "people.csv", `column "Last Name"`, "UTF-8"} {
		if !strings.Contains(o.failures[0].Error, want) {
			t.Errorf("%q does not mention %q", o.failures[0].Error, want)
		}
	}
	var names []string
	for _, u := range sb.Users() {
		names = append(names, u.Name)
	}
	slices.Sort(names)
	want := []string{"José García", "Zoë Müller", "Łukasz Wałęsa"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("names at the vendor %q, want %q", names, want)
	}
}
