package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCheckManyRows runs check over many batches of rows, so that reading,
// mapping and validation overlap on several goroutines, and checks that
// every problem is reported once, in input order, and that duplicates name
// the key's first row.
func TestCheckManyRows(t *testing.T) {
	dir := t.TempDir()
	jobFile := write(t, dir, "job.yaml", strings.Replace(cognigyJob, ", default: [base_role]", "", 1))
	const n = 3000
	var b strings.Builder
	b.WriteString("First Name,Last Name,Work Email,Department\n")
	var want []checkProblem
	bad := 0
	for i := range n {
		row := i + 2
		email, dept := fmt.Sprintf("user%d@example.com", i), "Sales"
		switch {
		case i%100 == 10:
			dept = "Marketing"
			want = append(want, checkProblem{Row: row, Stage: "mapping", Field: "roles", Columns: []string{"Department"}})
		case i%100 == 20:
			email = ""
			want = append(want,
				checkProblem{Row: row, Stage: "validation", Field: "id", Columns: []string{"Work Email"}},
				checkProblem{Row: row, Stage: "validation", Field: "", Columns: []string{"Work Email"}, Message: "empty"})
		case i%100 == 30 && i >= 100:
			email = "USER30@example.com" // the key of row 32, in other case
			want = append(want, checkProblem{Row: row, Stage: "validation", Field: "", Columns: []string{"Work Email"}, Message: "as row 32"})
		default:
			fmt.Fprintf(&b, "F%d,L%d,%s,%s\n", i, i, email, dept)
			continue
		}
		bad++
		fmt.Fprintf(&b, "F%d,L%d,%s,%s\n", i, i, email, dept)
	}
	input := write(t, dir, "many.csv", b.String())
	r := onboard(t, nil, "check", "--job", jobFile, "--input", filepath.Clean(input), "-o", "json", "--list", "100000", "--previews", "2")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	var got checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows != n || got.Invalid != bad || got.ProblemCount != len(want) || len(got.Problems) != len(want) {
		t.Fatalf("rows %d invalid %d problems %d listed %d, want %d, %d, %d", got.Rows, got.Invalid, got.ProblemCount, len(got.Problems), n, bad, len(want))
	}
	for i, w := range want {
		g := got.Problems[i]
		if !strings.Contains(g.Message, w.Message) {
			t.Errorf("problem %d: %q does not say %q", i, g.Message, w.Message)
		}
		g.Message, w.Message = "", ""
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("problem %d = %+v, want %+v", i, got.Problems[i], w)
		}
	}
	if len(got.Previews) != 2 || got.Previews[0].Row != 2 || got.Previews[1].Row != 3 {
		t.Errorf("previews of rows %+v, want rows 2 and 3", got.Previews)
	}
}
