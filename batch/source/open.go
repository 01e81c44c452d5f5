package source

// Opening the input: a file, standard input, or a FIFO that a writer may
// never open.

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Open opens path ("-" for standard input) and reads its header and first
// row. See OpenContext.
func Open(path string, opts Options) (*Reader, error) {
	return OpenContext(context.Background(), path, opts)
}

// OpenContext is Open that ctx can stop. Only an input that is not a
// regular file can keep it waiting: opening a FIFO waits for a writer, and
// reading its header waits for the writer's first line. Such an input has
// no size (Progress reports 0): it is never stat-sized or pre-counted.
// Closing the Reader unblocks a Next waiting on a FIFO.
func OpenContext(ctx context.Context, path string, opts Options) (*Reader, error) {
	if path == "-" {
		return New("standard input", os.Stdin, 0, nil, opts)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &FatalError{File: path, Msg: friendlyOpen(err), Err: err}
	}
	if st.IsDir() {
		return nil, &FatalError{File: path, Msg: "is a folder, not a CSV file"}
	}
	regular := st.Mode().IsRegular()
	var f *os.File
	if regular {
		f, err = os.Open(path)
	} else {
		f, err = openWaiting(ctx, path)
	}
	if err != nil {
		return nil, &FatalError{File: path, Msg: friendlyOpen(err), Err: err}
	}
	var size int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	// Reading the header of a FIFO waits for its writer: closing the file
	// when ctx ends is what stops that wait.
	stop := context.AfterFunc(ctx, func() { f.Close() })
	r, err := New(path, f, size, f, opts)
	stopped := !stop()
	if err != nil || stopped {
		f.Close()
		if stopped {
			return nil, &FatalError{File: path, Msg: "stopped while waiting for the input to be written", Err: ctx.Err()}
		}
		return nil, err
	}
	return r, nil
}

// openWaiting opens a file that is not a regular file (a FIFO, a device),
// which can wait for a writer for ever, and gives up when ctx ends.
func openWaiting(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		// Let the pending open finish (as a writer would) and close what it
		// opened, so that no goroutine or descriptor is left behind.
		releaseOpen(path)
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("%w: %w", errStopped, ctx.Err())
	}
}

var errStopped = errors.New("stopped while waiting for a writer")
