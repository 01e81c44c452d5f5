package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalContexts returns two contexts: soft ends on the first SIGINT or
// SIGTERM (stop sending, let requests in flight finish for the grace
// period), hard on the second (end them at once; the reports are still
// flushed). A third signal kills the process the default way, for someone
// who really wants out now.
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
		}
	}()
	return soft, hard, func() {
		signal.Stop(ch)
		close(done)
		cancelSoft()
		cancelHard()
	}
}
