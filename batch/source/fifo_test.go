//go:build unix

package source_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch/source"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feed.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	return path
}

// guard fails the test if ch does not deliver: a hang is the bug these
// tests look for, and a test must not hang with it.
func guard[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still blocked", what)
	}
	panic("unreachable")
}

// A FIFO nobody writes to must not keep Open waiting once the run stops.
func TestFIFOWithoutWriterStops(t *testing.T) {
	path := mkfifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		r, err := source.OpenContext(ctx, path, source.Options{})
		if r != nil {
			r.Close()
		}
		done <- err
	}()
	cancel()
	err := guard(t, done, "OpenContext on a FIFO without a writer")
	var fe *source.FatalError
	if !errors.As(err, &fe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a *FatalError wrapping context.Canceled", err)
	}
}

// stalledWriter opens the FIFO at path for writing, writes data and keeps
// the FIFO open: a feed that stalls. It sends the writer on the channel
// (nil if it could not open).
func stalledWriter(path string, data []byte) <-chan *os.File {
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			opened <- nil
			return
		}
		w.Write(data)
		opened <- w
	}()
	return opened
}

// A FIFO whose writer stalls before the reader has seen enough to decide
// the encoding: OpenContext waits, and stops when ctx ends.
func TestFIFOStalledHeaderStops(t *testing.T) {
	path := mkfifo(t)
	opened := stalledWriter(path, []byte("Name,Email\nAnn,ann@example.com\n"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		r, err := source.OpenContext(ctx, path, source.Options{})
		if r != nil {
			r.Close()
		}
		done <- err
	}()
	w := guard(t, opened, "writer")
	if w == nil {
		t.Fatal("writer could not open the FIFO")
	}
	defer w.Close()
	cancel()
	if err := guard(t, done, "OpenContext on a stalled FIFO"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
}

// A FIFO whose writer stalls after some rows: no size is reported, and
// Close unblocks a Next that waits for more.
func TestFIFOStalledWriterCloseUnblocks(t *testing.T) {
	path := mkfifo(t)
	const rows = 5000 // more than the 64 KB the reader peeks
	data := []byte("Name,Email\n")
	for range rows {
		data = append(data, "Ann,ann@example.com\n"...)
	}
	opened := stalledWriter(path, data)
	r, err := source.OpenContext(context.Background(), path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := guard(t, opened, "writer")
	if w == nil {
		t.Fatal("writer could not open the FIFO")
	}
	defer w.Close()
	if _, size := r.Progress(); size != 0 {
		t.Errorf("size %d, want 0 (unknown) for a FIFO", size)
	}
	for i := range rows {
		if row, err := r.Next(); err != nil || row.Cells[0] != "Ann" {
			t.Fatalf("row %d = %v, %v", i+2, row, err)
		}
	}
	next := make(chan error, 1)
	go func() {
		_, err := r.Next()
		next <- err
	}()
	r.Close()
	if err := guard(t, next, "Next after Close"); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

// A FIFO whose writer opens and ends normally reads like a file.
func TestFIFOReadsToTheEnd(t *testing.T) {
	path := mkfifo(t)
	go func() {
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.WriteString("Name\nAnn\nBo\n")
			w.Close()
		}
	}()
	r, err := source.OpenContext(context.Background(), path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, row.Cells[0])
	}
	if len(names) != 2 {
		t.Errorf("rows %q", names)
	}
}
