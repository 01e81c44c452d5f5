// Command release builds onboard for every platform it ships on and packs
// each binary with the README into an archive (.tar.gz; .zip for Windows),
// with a SHA256SUMS file beside them. `make release` runs it:
//
//	go run ./tools/release -version v1.2.3 -out dist
//
// The binaries are static (CGO_ENABLED=0: the SQLite driver is pure Go), so
// one machine builds them all. Archives are reproducible: fixed file order,
// modes and times (SOURCE_DATE_EPOCH, else the last commit's time). Before it
// ends, it unpacks the archive for the machine it runs on and checks that
// `onboard version` prints the stamped version.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Targets are the platforms of a release.
var Targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"}

func main() {
	version := flag.String("version", "", "version to stamp (main.version) and to name the archives with")
	out := flag.String("out", "dist", "folder for the archives and SHA256SUMS (emptied first)")
	targets := flag.String("targets", strings.Join(Targets, ","), "comma-separated GOOS/GOARCH list")
	flag.Parse()
	if err := release(*version, *out, strings.Split(*targets, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func release(version, out string, targets []string) error {
	if version == "" || strings.ContainsAny(version, `/\ `) {
		return fmt.Errorf("-version %q: want something like v1.2.3", version)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		return fmt.Errorf("%w (run from the repository's root)", err)
	}
	if err := emptyDist(out); err != nil {
		return err
	}
	mtime, err := sourceDate()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "onboard-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var names []string
	host := ""
	for _, t := range targets {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(t), "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("target %q: want GOOS/GOARCH", t)
		}
		bin := "onboard"
		if goos == "windows" {
			bin += ".exe"
		}
		binPath := filepath.Join(tmp, goos+"_"+goarch, bin)
		started := time.Now()
		if err := build(version, goos, goarch, binPath); err != nil {
			return err
		}
		exe, err := os.ReadFile(binPath)
		if err != nil {
			return err
		}
		base := fmt.Sprintf("onboard_%s_%s_%s", version, goos, goarch)
		files := []File{{Name: base + "/" + bin, Mode: 0o755, Data: exe}, {Name: base + "/README.md", Mode: 0o644, Data: readme}}
		var buf bytes.Buffer
		name := base + ".tar.gz"
		if goos == "windows" {
			name = base + ".zip"
			err = WriteZip(&buf, files, mtime)
		} else {
			err = WriteTarGz(&buf, files, mtime)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("%-45s %6.1f MB  %s\n", name, float64(buf.Len())/1e6, time.Since(started).Round(100*time.Millisecond))
		names = append(names, name)
		if goos == runtime.GOOS && goarch == runtime.GOARCH {
			host = name
		}
	}
	sums, err := Checksums(out, names)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "SHA256SUMS"), sums, 0o644); err != nil {
		return err
	}
	fmt.Printf("%-45s\n", "SHA256SUMS")
	if host == "" {
		fmt.Printf("(no archive for %s/%s: the stamped version is not checked)\n", runtime.GOOS, runtime.GOARCH)
		return nil
	}
	return checkVersion(filepath.Join(out, host), version, tmp)
}

// build compiles ./cmd/onboard for one platform.
func build(version, goos, goarch, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/onboard")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

// emptyDist makes out empty, refusing to delete anything a release did not
// make there (a mistyped -out must not remove someone's folder).
func emptyDist(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	// Archives, SHA256SUMS, and archives unpacked in place (onboard_*/).
	for _, e := range entries {
		if n := e.Name(); n != "SHA256SUMS" && !strings.HasPrefix(n, "onboard_") {
			return fmt.Errorf("%s holds %s, which a release did not make; choose another -out", out, n)
		}
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// sourceDate is the time stamped on every archived file: SOURCE_DATE_EPOCH
// (the reproducible-builds convention), else the last commit's time.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		out, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
		if err != nil {
			return time.Time{}, fmt.Errorf("git log for the archives' time: %w (or set SOURCE_DATE_EPOCH)", err)
		}
		s = strings.TrimSpace(string(out))
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// checkVersion unpacks the host's archive and runs `onboard version`.
func checkVersion(archive, version, tmp string) error {
	files, err := ReadArchive(archive)
	if err != nil {
		return err
	}
	for _, f := range files {
		if filepath.Base(f.Name) != "onboard" && filepath.Base(f.Name) != "onboard.exe" {
			continue
		}
		bin := filepath.Join(tmp, "check", filepath.Base(f.Name))
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(bin, f.Data, 0o755); err != nil {
			return err
		}
		out, err := exec.Command(bin, "version").Output()
		if err != nil {
			return fmt.Errorf("%s: onboard version: %w", archive, err)
		}
		if !strings.HasPrefix(string(out), "onboard "+version+" ") {
			return fmt.Errorf("%s: onboard version printed %q, want the version %s", archive, out, version)
		}
		fmt.Printf("checked: %s", out)
		return nil
	}
	return fmt.Errorf("%s: no onboard binary inside", archive)
}
