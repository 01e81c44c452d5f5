package providers

import (
	"io"
	"time"
)

// SandboxOptions configures a sandbox: the faults it injects, so that tests
// and `onboard sandbox` can rehearse a bad day at the vendor.
type SandboxOptions struct {
	// Throttle is the fraction (0..1) of creates answered 429 with a
	// Retry-After of RetryAfter.
	Throttle float64
	// RetryAfter is the delay the sandbox asks for on 429 and 503
	// (default 1s; 0 after setting NoRetryAfter).
	RetryAfter time.Duration
	// Unavailable is the fraction of creates answered 503.
	Unavailable float64
	// Drop is the fraction of creates acted on (the user is created) after
	// which the connection is closed without an answer.
	Drop float64
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// RefuseAuth makes every request fail authentication.
	RefuseAuth bool
	// AllowDuplicates makes creates of an existing user succeed and create a
	// second one, like a vendor that cannot tell.
	AllowDuplicates bool
	// Seed makes the fault choices repeatable; 0 picks one from the clock.
	Seed uint64

	// Redirect, when 3xx, answers every request with that status and a
	// Location of RedirectTo (a proxy, an http->https hop, a moved tenant).
	Redirect   int
	RedirectTo string
	// HTML is the fraction of creates answered 200 with an HTML page (a
	// captive portal, a login page) without acting on them.
	HTML float64
	// NoID is the fraction of creates acted on (the user is created) but
	// answered with a 2xx whose body lacks the new user's id.
	NoID float64
	// Limit is a hidden rate limit: a token bucket of Limit creates per
	// second (burst Limit) that answers 429 when empty, with a Retry-After
	// of RetryAfter unless NoRetryAfter is set. 0 means no limit.
	Limit        float64
	NoRetryAfter bool

	// Variants picks, by name, among the answers the vendor is known to
	// give where its docs leave room (the status and body of a duplicate,
	// the answer to a lookup that finds nobody). Each provider documents
	// the names and values its sandbox plays (Description.SandboxVariants);
	// an empty map plays the default of each.
	Variants map[string]string
}

// StatefulSandbox is a Sandbox that can keep its tenant between processes.
// A sandbox starts empty, so every `onboard run --sandbox` meets a tenant
// where nobody exists yet; with `--sandbox-state FILE` the runner loads the
// users of the previous rehearsal before serving and saves them after, so a
// nightly loop can be rehearsed: the second run finds its users already
// there (skipped by the ledger, or exists at the vendor) as production would.
// It is optional so that a test fake need not implement it; the runner
// refuses --sandbox-state for a provider whose sandbox does not.
type StatefulSandbox interface {
	Sandbox
	// SaveState writes the tenant's users, and whatever the vendor needs
	// to answer lookups and duplicates about them the same way, as JSON.
	// Passwords are written as the fake stores them: the tenant is fake.
	SaveState(w io.Writer) error
	// LoadState replaces the tenant's users with saved ones and rebuilds
	// its indexes. It is called before the sandbox serves; loaded users do
	// not count as created in Stats.
	LoadState(r io.Reader) error
}
