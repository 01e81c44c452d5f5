package job

import (
	"path/filepath"
	"runtime"
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
