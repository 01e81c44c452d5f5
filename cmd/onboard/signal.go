package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// hardExitAfter is how long after a second interrupt the process may take
// to end on its own.
const hardExitAfter = 10 * time.Second

// signalContexts returns two contexts: soft ends on the first SIGINT or
// SIGTERM (stop sending, let requests in flight finish for the grace
// period), hard on the second (end them at once; the reports are still
// flushed), and a process still alive 10 seconds later exits. A third
// signal kills the process the default way, for someone who really wants
// out now.
func signalContexts() (soft, hard context.Context, stop func()) {
	soft, cancelSoft := context.WithCancel(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancelSoft()
		case <-done:
			return
		}
		select {
		case <-ch:
			cancelHard()
			signal.Reset(os.Interrupt, syscall.SIGTERM)
		case <-done:
			return
		}
		// The reports are flushed as soon as the requests end; a process
		// still alive well after that is stuck (a read of a FIFO nobody
		// writes, say), and a signal must always stop a run.
		t := time.NewTimer(hardExitAfter)
		select {
		case <-t.C:
			fmt.Fprintln(os.Stderr, "onboard: stopped at once (second interrupt)")
			os.Exit(exitStopped)
		case <-done:
			t.Stop()
		}
	}()
	return soft, hard, func() {
		signal.Stop(ch)
		close(done)
		cancelSoft()
		cancelHard()
	}
}
