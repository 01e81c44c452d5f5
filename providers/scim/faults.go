package scim

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/sandboxkit"
	"github.com/onboardhq/onboard/providers/scim/api"
)

// faults plays the SandboxOptions faults sandboxkit has no hook for yet:
// Redirect, HTML and NoID.
//
// TODO(lead): when sandboxkit gains hooks for these (and for Limit, which is
// not played here), call them instead and delete this file.
type faults struct {
	opts providers.SandboxOptions
	mu   sync.Mutex
	rng  *rand.Rand
}

func newFaults(opts providers.SandboxOptions) *faults {
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &faults{opts: opts, rng: rand.New(rand.NewPCG(seed^0x5c1e, seed))}
}

func (f *faults) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64() < p
}

// redirect answers every request with the Redirect status, when set.
func (f *faults) redirect(w http.ResponseWriter) bool {
	if f.opts.Redirect < 300 || f.opts.Redirect > 399 {
		return false
	}
	w.Header().Set("Location", f.opts.RedirectTo)
	w.WriteHeader(f.opts.Redirect)
	return true
}

// html answers a create with a 200 HTML page without acting on it.
func (f *faults) html(w http.ResponseWriter) bool {
	if !f.roll(f.opts.HTML) {
		return false
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("<!doctype html><html><body><h1>Sign in to continue</h1></body></html>\n"))
	return true
}

// noID answers an acted-on create with 201 and the user without its id.
func (f *faults) noID(w http.ResponseWriter, rep map[string]any) bool {
	if !f.roll(f.opts.NoID) {
		return false
	}
	out := make(map[string]any, len(rep))
	for k, v := range rep {
		if k != "id" && k != "meta" {
			out[k] = v
		}
	}
	sandboxkit.WriteJSON(w, http.StatusCreated, api.MediaType, out)
	return true
}
