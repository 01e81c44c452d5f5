// Package sandboxkit holds what every vendor sandbox shares: fault
// injection, counters of what really happened, and small HTTP helpers. The
// vendor rules themselves live in each provider's own sandbox.
//
// A vendor sandbox adopts it like this:
//
//	type Sandbox struct{ kit *sandboxkit.Kit; ... }
//	func NewSandbox(opts providers.SandboxOptions) *Sandbox {
//		return &Sandbox{kit: sandboxkit.New(opts), ...}
//	}
//	func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
//		if w = s.kit.Enter(w, r, isCreate); w == nil {
//			return // answered by a fault (redirect, limit, HTML page)
//		}
//		... route; in the create handler:
//		if status := s.kit.BeforeCreate(); status != 0 { s.kit.SetRetryAfter(w); ...answer status }
//		... validate, refuse duplicates unless s.kit.AllowDuplicates(), store ...
//		s.kit.Created(dup)
//		if s.kit.Drop(w) { return }
//		... answer success
//	}
//
// Enter (or Wrap, its middleware form) plays the faults that need no
// knowledge of the vendor: Redirect, Limit, HTML and NoID. The vendor's
// alternative answers (SandboxOptions.Variants) are read with
// Description.VariantValue.
package sandboxkit

import (
	"crypto/subtle"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
)

// Kit is embedded by a sandbox. It is safe for concurrent use.
type Kit struct {
	opts providers.SandboxOptions
	now  func() time.Time

	mu     sync.Mutex
	rng    *rand.Rand
	stats  providers.SandboxStats
	window []time.Time // create arrivals in the last second

	// The hidden limit's token bucket (Limit).
	tokens float64
	filled time.Time
}

// New returns a kit applying opts.
func New(opts providers.SandboxOptions) *Kit {
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	if opts.RetryAfter == 0 && !opts.NoRetryAfter {
		opts.RetryAfter = time.Second
	}
	return &Kit{opts: opts, now: time.Now, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tokens: burst(opts.Limit)}
}

// burst is the hidden limit's bucket size: Limit creates, at least one.
func burst(limit float64) float64 { return math.Max(1, math.Ceil(limit)) }

// Options returns the fault settings.
func (k *Kit) Options() providers.SandboxOptions { return k.opts }

// Stats returns a snapshot of the counters.
func (k *Kit) Stats() providers.SandboxStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

// Request counts a request and applies the latency. Enter calls it; a
// handler that does not go through Enter calls it first.
func (k *Kit) Request(r *http.Request) {
	k.mu.Lock()
	k.stats.Requests++
	k.mu.Unlock()
	if d := k.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
}

// TokenRequest counts a token request.
func (k *Kit) TokenRequest() {
	k.mu.Lock()
	k.stats.TokenRequests++
	k.mu.Unlock()
}

// AuthRefused reports whether the sandbox refuses every credential.
func (k *Kit) AuthRefused() bool { return k.opts.RefuseAuth }

// AllowDuplicates reports whether duplicates are accepted (and counted).
func (k *Kit) AllowDuplicates() bool { return k.opts.AllowDuplicates }

// BeforeCreate counts a create request and decides the injected faults that
// come before the vendor acts. It returns the status to answer with instead
// (429 or 503), or 0 to go on. The caller writes the answer in its vendor's
// error format, with RetryAfter as the header.
func (k *Kit) BeforeCreate() (status int) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.countCreateLocked(now)
	if k.opts.Throttle > 0 && k.rng.Float64() < k.opts.Throttle {
		k.stats.Throttled++
		return http.StatusTooManyRequests
	}
	if k.opts.Unavailable > 0 && k.rng.Float64() < k.opts.Unavailable {
		return http.StatusServiceUnavailable
	}
	return 0
}

// countCreateLocked counts a create request and its place in the busiest
// second. k.mu is held.
func (k *Kit) countCreateLocked(now time.Time) {
	k.stats.Creates++
	cut := now.Add(-time.Second)
	i := 0
	for i < len(k.window) && !k.window[i].After(cut) {
		i++
	}
	k.window = append(k.window[i:], now)
	if n := len(k.window); n > k.stats.PeakPerSecond {
		k.stats.PeakPerSecond = n
	}
}

// SetRetryAfter sets the Retry-After header for a 429/503 from BeforeCreate,
// unless NoRetryAfter is set.
func (k *Kit) SetRetryAfter(w http.ResponseWriter) {
	if k.opts.NoRetryAfter || k.opts.RetryAfter <= 0 {
		return
	}
	secs := int((k.opts.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

// Created counts a user really created; duplicate marks one created although
// it already existed (AllowDuplicates).
func (k *Kit) Created(duplicate bool) {
	k.mu.Lock()
	k.stats.Created++
	if duplicate {
		k.stats.Duplicates++
	}
	k.mu.Unlock()
}

// Drop decides whether to drop the connection after acting on a create, and
// does it. It returns true when the connection is gone and the handler must
// return without writing.
func (k *Kit) Drop(w http.ResponseWriter) bool {
	if k.opts.Drop <= 0 {
		return false
	}
	k.mu.Lock()
	drop := k.rng.Float64() < k.opts.Drop
	k.mu.Unlock()
	if !drop {
		return false
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// CheckBasic compares the request's Basic credentials with user and pass in
// constant time.
func CheckBasic(r *http.Request, user, pass string) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(user)) == 1
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(pass)) == 1
	return uok && pok
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// IDs makes unique identifiers for a sandbox's users.
type IDs struct {
	mu sync.Mutex
	n  uint64
}

// Next returns the next sequence number, from 1.
func (g *IDs) Next() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return g.n
}
