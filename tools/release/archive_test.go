package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestArchivesRoundTrip(t *testing.T) {
	files := []File{
		{Name: "onboard_v1_linux_amd64/onboard", Mode: 0o755, Data: []byte("\x7fELF binary")},
		{Name: "onboard_v1_linux_amd64/README.md", Mode: 0o644, Data: []byte("# onboard\n")},
	}
	mtime := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		ext   string
		write func(*bytes.Buffer, []File, time.Time) error
	}{
		{".tar.gz", func(b *bytes.Buffer, f []File, m time.Time) error { return WriteTarGz(b, f, m) }},
		{".zip", func(b *bytes.Buffer, f []File, m time.Time) error { return WriteZip(b, f, m) }},
	} {
		t.Run(tc.ext, func(t *testing.T) {
			var one, two bytes.Buffer
			if err := tc.write(&one, files, mtime); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(&two, files, mtime); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(one.Bytes(), two.Bytes()) {
				t.Fatal("two archives of the same files differ: not reproducible")
			}
			path := filepath.Join(t.TempDir(), "a"+tc.ext)
			if err := os.WriteFile(path, one.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadArchive(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(files) {
				t.Fatalf("%d files back, want %d", len(got), len(files))
			}
			for i, f := range got {
				if f.Name != files[i].Name || f.Mode.Perm() != files[i].Mode || !bytes.Equal(f.Data, files[i].Data) {
					t.Errorf("file %d: got %s %v %q, want %s %v %q", i, f.Name, f.Mode, f.Data, files[i].Name, files[i].Mode, files[i].Data)
				}
			}
		})
	}
}

func TestChecksums(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"b.zip": "bee", "a.tar.gz": "ay"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Checksums(dir, []string{"b.zip", "a.tar.gz"})
	if err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	want := sum("ay") + "  a.tar.gz\n" + sum("bee") + "  b.zip\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEmptyDistRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "onboard_v1_linux_amd64.tar.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "onboard_v1_linux_amd64"), 0o755); err != nil { // unpacked
		t.Fatal(err)
	}
	if err := emptyDist(dir); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
	if err := os.WriteFile(filepath.Join(dir, "thesis.docx"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := emptyDist(dir); err == nil || !strings.Contains(err.Error(), "thesis.docx") {
		t.Fatalf("got %v", err)
	}
}
