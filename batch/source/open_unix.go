//go:build unix

package source

import (
	"os"
	"syscall"
)

// releaseOpen ends an open of FIFO path that waits for a writer: it opens
// the FIFO for writing without blocking (which succeeds only while a
// reader waits) and closes it, so the reader sees an empty input.
func releaseOpen(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}
