package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onboardhq/onboard/providers"
)

// breaker stops a run whose vendor has stopped answering. Every request's
// answer is either usable (the vendor read the request and said something
// about it: a 2xx that proves what happened, a 4xx, a 429) or not
// (connection refused, DNS or TLS failure, a timeout, a 5xx, a 2xx that is
// not the vendor's answer). After threshold unusable answers in a row,
// across all rows, the breaker opens: workers stop sending and one probe at
// a time is let through, at growing intervals. A usable answer closes it
// again; window after opening without one, the run stops. So a vendor that
// is down costs a handful of requests and well under a minute, not five
// attempts for every row of the file, and a short outage (a deploy, a
// blip of 503s) costs a pause.
type breaker struct {
	threshold int
	window    time.Duration
	now       func() time.Time

	// clean is true while the breaker is closed with no unusable answer
	// counted: the state of nearly every request of a healthy run. acquire
	// and a usable result then change nothing, so they read this flag
	// instead of taking mu (two locks per row, shared by every worker, at
	// thousands of rows a second). It is written only with mu held, at
	// every change of fails or openedAt.
	clean atomic.Bool

	mu        sync.Mutex
	fails     int
	firstFail time.Time // the first unusable answer since the last usable one
	openedAt  time.Time // zero: closed
	nextProbe time.Time
	gap       time.Duration
	probing   bool
	last      string        // the last unusable answer, for the message
	wake      chan struct{} // closed when the state changes
}

// errTripped means the breaker stayed open for its whole window.
var errTripped = errors.New("the vendor gave no usable answer")

func newBreaker(threshold int, window time.Duration) *breaker {
	b := &breaker{threshold: max(threshold, 1), window: window, now: time.Now, wake: make(chan struct{})}
	b.clean.Store(true)
	return b
}

// setClean records whether the breaker is closed with no failure counted.
// b.mu is held.
func (b *breaker) setClean() {
	b.clean.Store(b.fails == 0 && b.openedAt.IsZero())
}

// probeGaps returns the wait between opening and the first probe, and the
// longest wait between two probes: each unusable probe answer doubles the
// wait, up to the cap, so a 30s window probes at 1, 3, 7, 12, 17, 22 and 27
// seconds.
func (b *breaker) probeGaps() (first, most time.Duration) {
	return b.window / 30, b.window / 6
}

// acquire waits until the caller may send. probe is true when the caller's
// request is the one probe of an open breaker; it must then report its
// answer with result. It returns errTripped when the breaker has been open
// for its whole window, or ctx's error.
func (b *breaker) acquire(ctx context.Context) (probe bool, err error) {
	if b.clean.Load() {
		return false, nil
	}
	for {
		b.mu.Lock()
		if b.openedAt.IsZero() {
			b.mu.Unlock()
			return false, nil
		}
		now := b.now()
		if now.Sub(b.openedAt) >= b.window {
			b.mu.Unlock()
			return false, errTripped
		}
		if !b.probing && !now.Before(b.nextProbe) {
			b.probing = true
			b.mu.Unlock()
			return true, nil
		}
		d := b.openedAt.Add(b.window).Sub(now)
		if !b.probing {
			d = min(d, b.nextProbe.Sub(now))
		}
		wake := b.wake
		b.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		t.Stop()
	}
}

// result records one answer. It returns errTripped when the run must stop.
func (b *breaker) result(usable, probe bool, what string) error {
	if usable && !probe && b.clean.Load() {
		return nil // nothing to reset: see clean
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.setClean()
	if probe {
		b.probing = false
	}
	if usable {
		b.fails = 0
		b.firstFail = time.Time{}
		if !b.openedAt.IsZero() {
			b.openedAt = time.Time{}
			b.broadcast()
		}
		return nil
	}
	b.fails++
	b.last = what
	now := b.now()
	if b.firstFail.IsZero() {
		b.firstFail = now
	}
	if b.openedAt.IsZero() {
		if b.fails >= b.threshold {
			first, _ := b.probeGaps()
			b.openedAt, b.gap = now, first
			b.nextProbe = now.Add(b.gap)
			b.broadcast()
		}
		return nil
	}
	if now.Sub(b.openedAt) >= b.window {
		return errTripped
	}
	if probe {
		_, most := b.probeGaps()
		b.gap = min(2*b.gap, most)
		b.nextProbe = now.Add(b.gap)
		b.broadcast()
	}
	return nil
}

func (b *breaker) broadcast() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// expired reports whether the vendor has given no usable answer for a
// whole window since the first unusable one: the run must stop even if no
// worker comes back to ask, or too few asked to open the breaker (all of
// them waiting out a long Retry-After on a 503, say).
func (b *breaker) expired() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.firstFail.IsZero() && b.now().Sub(b.firstFail) >= b.window
}

// lastAnswer is the last unusable answer seen.
func (b *breaker) lastAnswer() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// usable reports whether a failed call still shows a vendor that reads and
// answers requests.
func usable(pe *providers.Error) bool {
	switch {
	case pe.Kind == providers.KindEndpoint:
		return true // an answer, if a wrong one: the run stops on it anyway
	case pe.HTTPStatus == 0: // connection refused, DNS, TLS, timeout
		return false
	case pe.HTTPStatus >= 500:
		return false
	case pe.HTTPStatus >= 200 && pe.HTTPStatus < 300: // not the vendor's answer
		return false
	}
	return true
}
