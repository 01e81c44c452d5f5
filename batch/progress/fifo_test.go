//go:build unix

package progress

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// CountLines must not open a FIFO: that waits for a writer for ever (and
// would eat the input the run is about to read).
func TestCountLinesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feed.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	done := make(chan int, 1)
	go func() { done <- CountLines(path, 1<<30) }()
	select {
	case n := <-done:
		if n != 0 {
			t.Errorf("CountLines = %d, want 0", n)
		}
	case <-time.After(20 * time.Second): // a guard against a hang, not a timing
		t.Fatal("CountLines blocks on a FIFO")
	}
}
