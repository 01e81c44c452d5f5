package job

import "testing"

// Windows path forms in a job file's input: and ledger:. Built and run only
// on Windows (filepath's rules are the running system's); CI type-checks it
// with GOOS=windows go vet.
func TestResolveWindows(t *testing.T) {
	for _, tc := range []struct{ name, dir, absDir, p, want string }{
		{"drive letter", `jobs`, `D:\work\jobs`, `C:\data\people.csv`, `C:\data\people.csv`},
		{"drive letter, forward slashes", `jobs`, `D:\work\jobs`, `C:/data/people.csv`, `C:/data/people.csv`},
		{"UNC share", `jobs`, `D:\work\jobs`, `\\server\share\x.csv`, `\\server\share\x.csv`},
		{"rooted: the job's drive", `jobs`, `D:\work\jobs`, `\data\x.csv`, `D:\data\x.csv`},
		{"rooted, forward slashes", `jobs`, `D:\work\jobs`, `/data/x.csv`, `D:\data\x.csv`},
		{"rooted, job on a share", `\\server\share\jobs`, `\\server\share\jobs`, `\in\x.csv`, `\\server\share\in\x.csv`},
		{"drive-relative: left to the system", `jobs`, `D:\work\jobs`, `C:x.csv`, `C:x.csv`},
		{"backslashes, relative", `jobs`, `D:\work\jobs`, `in\x.csv`, `jobs\in\x.csv`},
		{"job on a share, relative", `\\server\share\jobs`, `\\server\share\jobs`, `x.csv`, `\\server\share\jobs\x.csv`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.dir, tc.absDir, tc.p); got != tc.want {
				t.Fatalf("resolve(%q, %q, %q) = %q, want %q", tc.dir, tc.absDir, tc.p, got, tc.want)
			}
		})
	}
}
