// Package pacer hands out permission to send, at a rate shared by all
// workers, in a way a worker can abandon when the run is cancelled, and
// adapts that rate to what the vendor accepts.
//
// One goroutine decides when the next request may go and hands out grants
// on a channel that each worker waits on together with its context: a
// blocking limiter (go.uber.org/ratelimit's Take) cannot be cancelled, and
// at two requests a minute Ctrl-C would wait for it. Grants are spaced, never
// saved up: an idle spell is never followed by a burst.
//
// The vendor's rate limit, not ours, usually sets the speed, and nobody
// knows it. So a throttle (a 429, a 503 with Retry-After) is a signal to the
// whole run, as in TCP congestion control and the AWS SDKs' "adaptive" retry
// mode: every worker pauses for the vendor's Retry-After, and the rate drops
// to a fraction of the rate the vendor was accepting (multiplicative
// decrease). While answers are clean the rate grows back along a cubic
// curve (CUBIC): quickly at first, flat around the rate of the last throttle
// (the vendor's limit, most likely), then probing beyond it. A job's rate
// is a ceiling the pacer never exceeds in any one-second window; `rate:
// auto` has none, starts modestly and grows exponentially (slow start: each
// clean answer adds to the rate, as each ACK adds to TCP's window) until the
// first throttle.
package pacer

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// margin widens the spacing of grants (see interval).
const margin = 1.01

// Tuning of the adaptive rate. They were chosen against a token-bucket
// vendor in the pacer's own simulation (sim_test.go) and in `make bench`.
const (
	// beta is the multiplicative decrease: after a throttle the rate is
	// beta times the rate the vendor was accepting.
	beta = 0.7
	// cubicC shapes the growth after a throttle (requests/s per s³, as in
	// the AWS SDKs): the rate is back at the rate of the last throttle
	// (wmax) after cbrt(wmax*(1-beta)/cubicC) seconds (3.3 s at 50/s, 4.2 s
	// at 100/s), stays near it for a while, then probes beyond it, faster
	// and faster. The absolute form recovers quickly from an estimate far
	// too low (a vendor with little burst seen early in a run).
	cubicC = 0.4
	// slowGain is what each clean answer adds to the rate in slow start.
	slowGain = 3.0
	// DefaultStart is the first rate of an auto pacer when the caller
	// names none: modest enough for any vendor; slow start doubles it
	// about every quarter of a second while answers are clean.
	DefaultStart = 10.0
	// DefaultPause is the pause after a throttle without a Retry-After.
	DefaultPause = time.Second
	// DefaultMaxPause caps a vendor's Retry-After when the caller sets no
	// cap.
	DefaultMaxPause = 120 * time.Second
	// minRate is the floor of the adaptive rate: however often the vendor
	// throttles, a row is still tried now and then.
	minRate = 0.1
	// echo is how long after a pause ends a throttle is still taken for an
	// answer to a request sent before the pause (one congestion event, one
	// decrease).
	echo = 100 * time.Millisecond
)

// Options configure a pacer.
type Options struct {
	// Rate is the ceiling in requests per second (fractions allowed: 0.5 is
	// one every two seconds); 0 means none.
	Rate float64
	// Auto starts at Start and grows until the vendor throttles. With a
	// Rate, Auto still never exceeds it.
	Auto bool
	// Start is the first rate of an auto pacer (default DefaultStart).
	Start float64
	// MaxPause caps the pause that one Retry-After can ask for (default
	// DefaultMaxPause).
	MaxPause time.Duration
}

// Pacer limits the rate of Wait returning nil. The zero rate without Auto
// means no limit: a throttle pauses every worker, but no rate is learnt (that
// is what Auto is for).
type Pacer struct {
	reqs chan chan struct{}
	done chan struct{}
	// wake tells the loop that a pause began: re-plan the next grant.
	wake chan struct{}
	// paced is false for a pacer without a rate: Wait does not ask the
	// loop then, and grants and clean answers are counted with atomics,
	// folded into the stats once a second (a lock per row would cost more
	// than the rest of the pacer at thousands of rows a second).
	paced                 bool
	fastGranted, fastOK   atomic.Int64
	firstNano, pausedNano atomic.Int64

	ceiling  float64
	start    float64
	maxPause time.Duration

	mu sync.Mutex
	// rate is the current rate; 0 while unpaced.
	rate float64
	// slow: slow start (auto, before the first throttle); doubled marks
	// the start of the current clean second.
	slow    bool
	doubled time.Time
	// cubic: after a throttle, the rate follows wmax+cubicC*(t-k)^3,
	// t seconds after epoch (the end of the pause).
	cubic   bool
	wmax, k float64
	epoch   time.Time
	// pausedUntil holds every grant; quietUntil is the end of the current
	// congestion event (see echo).
	pausedUntil, quietUntil time.Time

	recent window
	tl     timeline
	// Counts for the stats.
	granted, accepted, throttles int
	first, lastOK                time.Time
	// firstThrottle and acceptedSince measure the settled rate.
	firstThrottle time.Time
	acceptedSince int
	paused        time.Duration
}

// New starts a pacer allowing rate events per second (fractions allowed:
// 0.5 is one every two seconds), slower when the vendor throttles. rate <= 0
// means no limit (throttles still pause every worker).
func New(rate float64) *Pacer { return NewWith(Options{Rate: rate}) }

// NewWith starts a pacer with o.
func NewWith(o Options) *Pacer {
	p := &Pacer{
		reqs:     make(chan chan struct{}),
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		ceiling:  max(o.Rate, 0),
		start:    o.Start,
		maxPause: o.MaxPause,
	}
	if math.IsNaN(p.ceiling) || math.IsInf(p.ceiling, 0) {
		p.ceiling = 0
	}
	if p.start <= 0 {
		p.start = DefaultStart
	}
	if p.maxPause <= 0 {
		p.maxPause = DefaultMaxPause
	}
	switch {
	case o.Auto:
		p.rate, p.slow = p.start, true
		if p.ceiling > 0 {
			p.rate = min(p.rate, p.ceiling)
		}
		p.paced = true
	case p.ceiling > 0:
		p.rate = p.ceiling
		p.paced = true
	}
	if p.paced {
		go p.loop()
	} else {
		go p.folder()
	}
	return p
}

// interval is the spacing of grants at rate r. Grants are spaced 1% wider
// than the rate asks. The vendor counts arrivals, not grants: a request
// delayed a few milliseconds on the way (scheduling, the network) would
// otherwise land in the same one-second window as the requests granted a
// second after it, and the vendor would see rate+1 or rate+2 in that window.
func interval(r float64) time.Duration {
	return time.Duration(float64(time.Second) / r * margin)
}

func (p *Pacer) loop() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var last time.Time // when the last grant was due
	for {
		var r chan struct{}
		select {
		case r = <-p.reqs:
		case <-p.done:
			return
		}
		// Plan the grant only when a worker asks, so that the time of the
		// grant is the time of the send: no grant is held back to burst
		// later. A pause beginning meanwhile re-plans it.
	plan:
		for {
			now := time.Now()
			at := p.next(now, last)
			if !at.After(now) {
				// Late: the grant is due now, and the next one an interval
				// after now, never earlier (no slack).
				last = now
				break
			}
			timer.Reset(at.Sub(now))
			select {
			case <-timer.C:
				select {
				case <-p.wake: // a pause began just now
					continue
				default:
				}
				// Count the next interval from when this grant was due, not
				// from when the timer fired, so oversleeping does not add
				// up to a lower rate; the margin covers the difference.
				last = at
				break plan
			case <-p.wake:
				timer.Stop()
			case <-p.done:
				return
			}
		}
		p.mu.Lock()
		p.grant(time.Now())
		p.mu.Unlock()
		r <- struct{}{}
	}
}

// next returns when the grant after one due at last may go.
func (p *Pacer) next(now, last time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := now
	if r := p.rateAt(now, false); r > 0 && !last.IsZero() {
		at = last.Add(interval(r))
	}
	if p.pausedUntil.After(at) {
		at = p.pausedUntil
	}
	return at
}

// Wait blocks until the caller may send, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-p.done:
		return context.Canceled
	default:
	}
	if !p.paced {
		if p.firstNano.Load() == 0 {
			p.firstNano.CompareAndSwap(0, time.Now().UnixNano())
		}
		if until := p.pausedNano.Load(); until != 0 && time.Now().UnixNano() < until {
			return p.unpaced(ctx)
		}
		p.fastGranted.Add(1)
		return nil
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

// unpaced holds the caller of a pacer without a rate while the vendor's
// pause lasts.
func (p *Pacer) unpaced(ctx context.Context) error {
	for {
		left := time.Duration(p.pausedNano.Load() - time.Now().UnixNano())
		if left <= 0 {
			p.fastGranted.Add(1)
			return nil
		}
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-p.done:
			t.Stop()
			return context.Canceled
		}
	}
}

// folder folds the counts of a pacer without a rate into its stats once a
// second, until the pacer is closed.
func (p *Pacer) folder() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			p.mu.Lock()
			p.fold(now)
			p.mu.Unlock()
		case <-p.done:
			return
		}
	}
}

// fold moves the atomic counts into the stats, as of now. p.mu is held.
func (p *Pacer) fold(now time.Time) {
	if g := p.fastGranted.Swap(0); g > 0 {
		if p.first.IsZero() {
			p.first = time.Unix(0, p.firstNano.Load())
		}
		p.granted += int(g)
		p.tl.bucket(now).Granted += int(g)
	}
	if k := p.fastOK.Swap(0); k > 0 {
		p.accepted += int(k)
		if !p.firstThrottle.IsZero() {
			p.acceptedSince += int(k)
		}
		p.lastOK = now
		p.tl.bucket(now).OK += int(k)
	}
}

// grant counts a grant at now. p.mu is held.
func (p *Pacer) grant(now time.Time) {
	if p.first.IsZero() {
		p.first = now
	}
	p.granted++
	p.tl.bucket(now).Granted++
	p.tl.setRate(now, p.rate)
}

// OK tells the pacer that the vendor answered a request without throttling
// it (whatever the answer: a 409 is a clean answer too). While answers are
// clean the rate grows back, never above the ceiling.
func (p *Pacer) OK() {
	if !p.paced {
		p.fastOK.Add(1)
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepted++
	p.lastOK = now
	if !p.firstThrottle.IsZero() {
		p.acceptedSince++
	}
	p.recent.add(now)
	p.tl.bucket(now).OK++
	p.rateAt(now, true)
}

// Throttled tells the pacer that the vendor throttled a request (a 429, or a
// 503 with Retry-After), asking to wait retryAfter (0 when it did not say).
// Every worker pauses for retryAfter (capped by Options.MaxPause;
// DefaultPause when 0), and the rate drops to beta times the rate the vendor
// was accepting. The answers to requests sent before the pause, arriving
// during it, belong to the same event: they may lengthen the pause but do
// not lower the rate again.
func (p *Pacer) Throttled(retryAfter time.Duration) {
	now := time.Now()
	d := retryAfter
	if d <= 0 {
		d = DefaultPause
	}
	d = min(d, p.maxPause)
	p.mu.Lock()
	p.fold(now)
	p.throttles++
	p.tl.bucket(now).Throttled++
	if p.firstThrottle.IsZero() {
		p.firstThrottle = now
	}
	until := now.Add(d)
	if until.After(p.pausedUntil) {
		p.paused += until.Sub(later(now, p.pausedUntil))
		p.pausedUntil = until
		p.pausedNano.Store(until.UnixNano())
	}
	if now.Before(p.quietUntil) || !p.paced {
		// An echo of the last event; or no rate to lower (no limit).
		p.mu.Unlock()
		p.poke()
		return
	}
	// A new congestion event: decrease from what the vendor accepted.
	cur := p.rateAt(now, false)
	base := p.recent.rate(now, p.first)
	if cur > 0 && (base <= 0 || cur < base) {
		base = cur
	}
	if base <= 0 {
		base = p.start
	}
	p.slow = false
	p.cubic = true
	p.wmax = max(base, minRate)
	p.k = math.Cbrt(p.wmax * (1 - beta) / cubicC)
	p.epoch = p.pausedUntil
	p.rate = p.capped(max(beta*base, minRate))
	p.quietUntil = p.pausedUntil.Add(echo)
	p.tl.setRate(now, p.rate)
	p.mu.Unlock()
	p.poke()
}

func (p *Pacer) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// capped applies the ceiling to r.
func (p *Pacer) capped(r float64) float64 {
	if p.ceiling > 0 {
		return min(r, p.ceiling)
	}
	return r
}

// rateAt brings the rate up to date at now and returns it. p.mu is held.
func (p *Pacer) rateAt(now time.Time, ok bool) float64 {
	switch {
	case p.slow:
		// Each clean answer adds slowGain to the rate (the rate doubles
		// about every quarter of a second while every answer is clean), but never beyond
		// twice what the vendor accepted lately: a run held back by its
		// workers or its input does not learn a rate it never tried.
		if ok {
			p.rate = p.capped(max(p.rate, min(p.rate+slowGain, 2*p.recent.rate(now, p.first))))
		}
	case p.cubic:
		if now.Before(p.epoch) {
			break
		}
		t := now.Sub(p.epoch).Seconds() - p.k
		r := p.wmax + cubicC*t*t*t
		if r > p.wmax {
			// Beyond the last throttle, probe only as far as twice what
			// the vendor is accepting (see slow start).
			r = min(r, max(p.rate, p.wmax, 2*p.recent.rate(now, p.first)))
		}
		p.rate = p.capped(max(r, minRate))
	}
	return p.rate
}

// Rate returns the current rate in requests per second; 0 means no limit.
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rateAt(time.Now(), false)
}

// Stats is what a pacer saw.
type Stats struct {
	// Rate is the rate at the end; 0 means no limit.
	Rate float64
	// Settled is the rate the run settled at: the rate of clean answers from
	// the first throttle on (pauses included: the long-run rate the vendor
	// allows), or over the whole run when it was never throttled. It is a
	// good `rate:` for the next run.
	Settled float64
	// Throttles counts throttled answers.
	Throttles int
	// Granted and Accepted count grants and clean answers.
	Granted, Accepted int
	// Paused is the time all workers spent paused by throttles.
	Paused time.Duration
}

// Stats returns what the pacer saw so far.
func (p *Pacer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fold(time.Now())
	s := Stats{Rate: p.rateAt(time.Now(), false), Throttles: p.throttles, Granted: p.granted, Accepted: p.accepted, Paused: p.paused}
	from, n := p.first, p.accepted
	if !p.firstThrottle.IsZero() {
		from, n = p.firstThrottle, p.acceptedSince
	}
	if d := p.lastOK.Sub(from).Seconds(); n > 1 && d >= 1 {
		s.Settled = float64(n) / d
	} else {
		s.Settled = s.Rate
	}
	return s
}

// Timeline returns the run second by second (coarser for a long run), for a
// chart of the rate.
func (p *Pacer) Timeline() []Second {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fold(time.Now())
	return append([]Second(nil), p.tl.buckets...)
}

// Close stops the pacer. Waiting callers get an error.
func (p *Pacer) Close() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}
