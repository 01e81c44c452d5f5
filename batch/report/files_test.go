package report

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var credsLayout = Layout{Header: []string{"Email"}, KeyName: "Email", CredentialFields: []string{"password"}}

// The folder onboard makes is 0700, its missing parents too.
func TestCreateMakesPrivateFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "onboard-out", "20260302-010203")
	w, err := Create(dir, credsLayout, Options{})
	must(t, err)
	must(t, w.Close())
	for _, d := range []string{dir, filepath.Dir(dir)} {
		info, err := os.Stat(d)
		must(t, err)
		if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v, want 0700", d, info.Mode().Perm())
		}
	}
	for _, name := range []string{SuccessFile, FailuresFile, CredentialsFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		must(t, err)
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, info.Mode().Perm())
		}
	}
}

// A folder holding any file onboard would write is refused, whatever the
// file is (a stray copy, a symlink to elsewhere, a dangling symlink), and
// the file and what it points to are left exactly as they were. Nothing of
// the new run is left behind.
func TestCreateRefusesAFolderInUse(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	for _, name := range ownedNames {
		for _, kind := range []string{"file", "symlink", "dangling"} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				base := t.TempDir()
				dir := filepath.Join(base, "out")
				must(t, os.Mkdir(dir, 0o755))
				target := filepath.Join(base, "elsewhere.txt")
				must(t, os.WriteFile(target, []byte("precious\n"), 0o644))
				path := filepath.Join(dir, name)
				switch kind {
				case "file":
					must(t, os.WriteFile(path, []byte("earlier run\n"), 0o644))
				case "symlink":
					must(t, os.Symlink(target, path))
				case "dangling":
					must(t, os.Symlink(filepath.Join(base, "nothing"), path))
				}
				_, err := Create(dir, credsLayout, Options{})
				if !errors.Is(err, ErrOutInUse) || !strings.Contains(err.Error(), path) {
					t.Fatalf("Create = %v, want ErrOutInUse naming %s", err, path)
				}
				if got := read(t, target); got != "precious\n" {
					t.Errorf("the symlink's target changed: %q", got)
				}
				if kind == "file" {
					info, _ := os.Stat(path)
					if got := read(t, path); got != "earlier run\n" || info.Mode().Perm() != 0o644 {
						t.Errorf("the stray file changed: %q %v", got, info.Mode())
					}
				}
				if kind == "dangling" {
					if _, err := os.Stat(filepath.Join(base, "nothing")); !errors.Is(err, os.ErrNotExist) {
						t.Error("a dangling symlink was followed")
					}
				}
				entries, _ := os.ReadDir(dir)
				if len(entries) != 1 {
					t.Errorf("the folder holds %d entries, want only the one that was there", len(entries))
				}
			})
		}
	}
}

// A name that appears between the check and the create (another process,
// an attacker's symlink) is not opened: O_EXCL, and O_NOFOLLOW.
func TestCreateNewNeverFollows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	base := t.TempDir()
	target := filepath.Join(base, "target")
	must(t, os.WriteFile(target, []byte("precious"), 0o644))
	link := filepath.Join(base, CredentialsFile+tmpSuffix)
	must(t, os.Symlink(target, link))
	if _, err := createNew(link); !errors.Is(err, ErrOutInUse) {
		t.Fatalf("createNew through a symlink: %v", err)
	}
	// The filter's temporary file: a symlink planted during the run.
	dir := filepath.Join(base, "out")
	w, err := Create(dir, credsLayout, Options{})
	must(t, err)
	must(t, w.WriteCredential(Credential{Row: 2, Key: "a", Secrets: map[string]string{"password": "s3cret!"}}))
	must(t, w.WriteCredential(Credential{Row: 3, Key: "b", Secrets: map[string]string{"password": "n0tset!"}}))
	w.DropCredential(3)
	must(t, os.Symlink(target, filepath.Join(dir, CredentialsFile+tmpSuffix)))
	if err := w.Close(); !errors.Is(err, ErrOutInUse) {
		t.Fatalf("Close wrote through a planted symlink: %v", err)
	}
	if got := read(t, target); got != "precious" {
		t.Fatalf("passwords reached the symlink's target: %q", got)
	}
	// A summary never replaces a file either.
	must(t, os.WriteFile(filepath.Join(dir, SummaryFile), []byte("{}"), 0o644))
	if err := WriteSummary(filepath.Join(dir, SummaryFile), Summary{}); !errors.Is(err, ErrOutInUse) {
		t.Fatalf("WriteSummary over a file: %v", err)
	}
	if got := read(t, filepath.Join(dir, SummaryFile)); got != "{}" {
		t.Fatalf("summary.json replaced: %q", got)
	}
}
