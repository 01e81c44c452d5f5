package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onboardhq/onboard/providers/cognigy"
	"github.com/onboardhq/onboard/providers/cognigy/api"
)

// benchPassword is the fixed password of every generated user. It meets the
// sandbox's policy; a fixed value keeps credentials.csv (and its fsync per
// batch) out of the figures that are not about it.
const benchPassword = "Bench-Passw0rd!"

var (
	firstNames  = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus", "Radia", "Tony", "Zoë", "Seán", "Anaïs", "Björn"}
	lastNames   = []string{"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth", "Perlman", "Hoare", "O'Briain", "Müller", "Núñez", "Strand"}
	departments = []string{"Sales", "Support", "Supervisors", "IT", "Sales;Support"}
	roleOf      = map[string]string{"Sales": "base_role", "Support": "liveAgentAgent", "Supervisors": "liveAgentSupervisor", "IT": "userManager"}
)

// person is one generated input row.
type person struct {
	first, last, email, dept, onLeave string
}

func genPerson(i int) person {
	f := firstNames[i%len(firstNames)]
	l := lastNames[(i/len(firstNames))%len(lastNames)]
	local := strings.NewReplacer("ë", "e", "á", "a", "ï", "i", "ö", "o", "ü", "u", "ú", "u", "ñ", "n", "'", "").Replace(f + "." + l)
	return person{
		first:   f,
		last:    l,
		email:   fmt.Sprintf("%s.%07d@Example.com", local, i),
		dept:    departments[i%len(departments)],
		onLeave: []string{"no", "no", "no", "yes"}[i%4],
	}
}

const csvHeader = "First Name,Last Name,Work Email,Department,On Leave\n"

// writeCSV writes rows people to path and returns its size in bytes.
func writeCSV(path string, rows int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(csvHeader)
	for i := 1; i <= rows; i++ {
		p := genPerson(i)
		fmt.Fprintf(w, "%s,%s,%s,%s,%s\n", p.first, p.last, p.email, p.dept, p.onLeave)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// wireBody is the body onboard sends for person i under jobText's mapping,
// built independently of onboard's code so that the bare client shares
// nothing with it but the wire types. The harness checks that both send the
// same bytes (see recorder.digest).
func wireBody(i int) ([]byte, error) {
	p := genPerson(i)
	var roles []string
	for _, d := range strings.Split(p.dept, ";") {
		roles = append(roles, roleOf[d])
	}
	tos := true
	disabled := p.onLeave == "yes"
	return json.Marshal(api.CreateUser{
		ID:           strings.ToLower(p.email),
		Name:         p.first + " " + p.last,
		Password:     benchPassword,
		Organisation: cognigy.SandboxOrganisation,
		Roles:        roles,
		AcceptedTOS:  &tos,
		Disabled:     &disabled,
	})
}

// writeBodies writes the bodies of rows 1..rows as JSON lines.
func writeBodies(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 1; i <= rows; i++ {
		b, err := wireBody(i)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// jobText is the job file of every run; --input, --endpoint, --rate,
// --concurrency, --ledger and --out are given on the command line.
func jobText(password string) string {
	pw := fmt.Sprintf("{ value: %q }", benchPassword)
	if password == "generate" {
		pw = "{ generate: password }"
	}
	return `# Written by bench/cmd/benchrun; every run overrides input, endpoint,
# rate, concurrency, ledger and out on the command line.
provider: cognigy
endpoint: http://127.0.0.1:9
auth:
  username: ${COGNIGY_USERNAME}
  password: ${COGNIGY_PASSWORD}
key: Work Email
rate: 0
concurrency: 8
fields:
  id: { column: Work Email, lower: true }
  name: { template: "{First Name} {Last Name}" }
  password: ` + pw + `
  organisation: { value: ` + cognigy.SandboxOrganisation + ` }
  roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent, Supervisors: liveAgentSupervisor, IT: userManager } }
  disabled: { column: On Leave }
  acceptedTOS: { value: true }
`
}

func writeJob(dir, name, password string) (string, error) {
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(jobText(password)), 0o600)
}
