package job

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The rules that hold on every system; paths_windows_test.go has the
// Windows forms (drive letters, UNC shares, rooted paths without a drive).
func TestResolve(t *testing.T) {
	absDir, err := filepath.Abs(filepath.Join("testdata", "jobs"))
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(filepath.Dir(absDir), "in", "x.csv")
	for _, tc := range []struct{ name, dir, p, want string }{
		{"unset", "jobs", "", ""},
		{"relative", "jobs", "x.csv", filepath.Join("jobs", "x.csv")},
		{"relative, folder", "jobs", filepath.Join("in", "x.csv"), filepath.Join("jobs", "in", "x.csv")},
		{"forward slashes", "jobs", "in/x.csv", filepath.Join("jobs", "in", "x.csv")},
		{"parent", "jobs", "../x.csv", "x.csv"},
		{"absolute", "jobs", elsewhere, elsewhere},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.dir, absDir, tc.p); got != tc.want {
				t.Fatalf("resolve(%q, %q, %q) = %q, want %q", tc.dir, absDir, tc.p, got, tc.want)
			}
		})
	}
	if runtime.GOOS != "windows" {
		// A backslash is an ordinary character in a Unix file name: a
		// Windows-style path in a job file on Linux names a file in the job's
		// folder, not a folder tree.
		if got, want := resolve("jobs", absDir, `in\x.csv`), filepath.Join("jobs", `in\x.csv`); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// Windows paths survive YAML as written when plain or single-quoted; the
// double-quoted form is an error with a hint (TestParseErrors).
func TestParseKeepsWindowsPaths(t *testing.T) {
	for _, src := range []string{`C:\data\people.csv`, `'C:\data\people.csv'`, `\\server\share\x.csv`, `'\\server\share\x.csv'`} {
		want := strings.Trim(src, "'")
		j, err := Parse([]byte("provider: x\ninput: "+src+"\nledger: "+src+"\nfields:\n  id: A\n"), env(nil))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if j.Input != want || j.Ledger != want {
			t.Errorf("%s: input %q, ledger %q; want %q", src, j.Input, j.Ledger, want)
		}
	}
}
