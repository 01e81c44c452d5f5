// Package sandboxkit holds what every vendor sandbox shares: fault
// injection, counters of what really happened, and small HTTP helpers. The
// vendor rules themselves live in each provider's own sandbox.
package sandboxkit

import (
	"crypto/subtle"
	"encoding/json"
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

	mu     sync.Mutex
	rng    *rand.Rand
	stats  providers.SandboxStats
	window []time.Time // create arrivals in the last second
}

// New returns a kit applying opts.
func New(opts providers.SandboxOptions) *Kit {
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	if opts.RetryAfter == 0 {
		opts.RetryAfter = time.Second
	}
	return &Kit{opts: opts, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Options returns the fault settings.
func (k *Kit) Options() providers.SandboxOptions { return k.opts }

// Stats returns a snapshot of the counters.
func (k *Kit) Stats() providers.SandboxStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

// Request counts a request and applies the latency. Call it first in every
// handler.
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
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
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
	if k.opts.Throttle > 0 && k.rng.Float64() < k.opts.Throttle {
		return http.StatusTooManyRequests
	}
	if k.opts.Unavailable > 0 && k.rng.Float64() < k.opts.Unavailable {
		return http.StatusServiceUnavailable
	}
	return 0
}

// SetRetryAfter sets the Retry-After header for a 429/503 from BeforeCreate.
func (k *Kit) SetRetryAfter(w http.ResponseWriter) {
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
