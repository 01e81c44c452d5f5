// Package pacer hands out permission to send, at a fixed rate shared by all
// workers, in a way a worker can abandon when the run is cancelled.
//
// go.uber.org/ratelimit does the timing (without slack, so an idle spell is
// never followed by a burst), but its Take cannot be cancelled: at two
// requests a minute, Ctrl-C would wait for it. So one goroutine calls Take on
// behalf of the workers, each of which waits on a channel together with its
// context.
package pacer

import (
	"context"
	"time"

	"go.uber.org/ratelimit"
)

// margin widens the spacing of grants (see New).
const margin = 1.01

// Pacer limits the rate of Wait returning nil. The zero rate means no limit.
type Pacer struct {
	reqs chan chan struct{}
	done chan struct{}
}

// New starts a pacer allowing rate events per second (fractions allowed:
// 0.5 is one every two seconds). rate <= 0 means unlimited.
func New(rate float64) *Pacer {
	p := &Pacer{done: make(chan struct{})}
	if rate <= 0 {
		return p
	}
	// Grants are spaced 1% wider than the rate asks. The vendor counts
	// arrivals, not grants: a request delayed a few milliseconds on the
	// way (scheduling, the network) would otherwise land in the same
	// one-second window as the requests granted a second after it, and the
	// vendor would see rate+1 or rate+2 in that window.
	per := time.Duration(float64(time.Second) / rate * margin)
	if per <= 0 {
		return p
	}
	rl := ratelimit.New(1, ratelimit.Per(per), ratelimit.WithoutSlack)
	p.reqs = make(chan chan struct{})
	go p.loop(rl)
	return p
}

func (p *Pacer) loop(rl ratelimit.Limiter) {
	for {
		select {
		case r := <-p.reqs:
			// Take only when a worker asks, so the time of the grant is the
			// time of the send: no token is held back to burst later.
			rl.Take()
			r <- struct{}{}
		case <-p.done:
			return
		}
	}
}

// Wait blocks until the caller may send, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.reqs == nil {
		return nil
	}
	select {
	case <-p.done:
		return context.Canceled
	default:
	}
	r := make(chan struct{}, 1) // buffered: an abandoned grant never blocks the loop
	select {
	case p.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return context.Canceled
	}
	select {
	case <-r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return context.Canceled
	}
}

// Close stops the pacer. Waiting callers get an error.
func (p *Pacer) Close() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}
