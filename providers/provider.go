// Package providers defines what a vendor integration is: a description of
// itself (fields, auth, options), offline validation, a client that creates
// and looks up users, and a sandbox that fakes the vendor's API. Each vendor
// lives in its own subpackage; the registry in this package holds them.
//
// The pipeline (package batch) only ever talks to these interfaces, so adding
// a vendor is an addition, never a change to the pipeline.
package providers

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
)

// Provider is one vendor integration. Implementations are stateless values;
// everything that depends on a job (endpoint, credentials, options) is passed
// to NewClient or to the methods.
type Provider interface {
	// Describe returns the static description used by `onboard providers`,
	// `onboard init`, the mapping (field types) and generic validation.
	Describe() *Description

	// Validate checks a mapped record offline, beyond what the field specs
	// already express (which CheckFields covers). It may normalise values in
	// place (a phone number to E.164, say) so that what is validated is exactly
	// what is sent. It never touches the network.
	Validate(rec Record, opts Options) []FieldError

	// Preview renders the request that Create would send for rec, as text a
	// person can read. The caller masks secrets in rec before calling it.
	Preview(rec Record, opts Options) (string, error)

	// NewClient returns a client for a tenant. It must not touch the network;
	// Client.Prepare does the first calls.
	NewClient(cfg Config) (Client, error)

	// NewSandbox returns a fake of the vendor's API that enforces the
	// vendor's documented rules; it is served over loopback by tests, the
	// benchmarks and `onboard run --sandbox`.
	NewSandbox(opts SandboxOptions) Sandbox
}

// Client creates users on one tenant. It is safe for concurrent use by all
// workers of a run.
type Client interface {
	// Prepare runs once before the first row is sent: fetch a token, read
	// reference data (teams, roles). An error here stops the run before any
	// user is created; an *Error of kind KindAuth means refused credentials.
	Prepare(ctx context.Context) error

	// Create creates one user. A user the vendor already has is not an error:
	// it returns a Result with Status Exists. Failures are *Error values.
	Create(ctx context.Context, rec Record) (Result, error)

	// Lookup asks the vendor whether the user identified by rec's key field
	// exists. It is used before re-sending a create whose outcome is unknown,
	// so it must compare identities exactly (filters that match partially are
	// not enough).
	Lookup(ctx context.Context, rec Record) (Result, bool, error)
}

// SecretHolder is implemented by a Client that knows strings a vendor might
// echo back in an error message: its credentials, the Authorization header
// value it sends, a token it fetched. The pipeline redacts each of them
// (and the row's secret fields) from every message before it reaches a log,
// a report, the summary or the ledger.
type SecretHolder interface {
	Secrets() []string
}

// Config is what a client needs to reach one tenant.
type Config struct {
	// Endpoint is the vendor base URL, without a trailing slash.
	Endpoint string
	// Auth holds the provider-specific credential settings from the job file
	// (environment references already expanded).
	Auth map[string]string
	// Options holds the provider-specific job options.
	Options Options
	// HTTPClient is the client to send requests with; nil means a default
	// client with sane timeouts.
	HTTPClient *http.Client
	// UserAgent identifies onboard to the vendor.
	UserAgent string
}

// Options are provider-specific job settings (`options:` in the job file).
type Options map[string]string

// Get returns the value of key, or def when it is unset or empty.
func (o Options) Get(key, def string) string {
	if v, ok := o[key]; ok && v != "" {
		return v
	}
	return def
}

// Status is what happened to a user at the vendor.
type Status string

// The statuses a row can end in on the success side.
const (
	StatusCreated Status = "created"
	StatusExists  Status = "exists"
	StatusSkipped Status = "skipped"
)

// Result is the outcome of a successful Create or Lookup.
type Result struct {
	Status     Status
	VendorID   string
	HTTPStatus int
}

// Sandbox is a running fake of a vendor's API. It is an http.Handler so the
// caller chooses how to serve it (httptest in tests, a real listener for
// `onboard sandbox`).
type Sandbox interface {
	http.Handler
	// Credentials returns the auth settings (as in the job file's `auth:`)
	// that the sandbox accepts.
	Credentials() map[string]string
	// Options returns job options that fit the sandbox's tenant (a tenant id,
	// say); nil when none are needed.
	Options() Options
	// Stats reports what the sandbox really did.
	Stats() SandboxStats
}

// SandboxStats counts what a sandbox did, as the vendor would see it.
type SandboxStats struct {
	// Created counts users really created (including creations whose
	// response was dropped by a fault).
	Created int
	// Duplicates counts creates of a user that already existed that the
	// sandbox acted on anyway (only possible with AllowDuplicates).
	Duplicates int
	// Requests counts every request received, faults included.
	Requests int
	// Creates counts create requests received, faults included.
	Creates int
	// TokenRequests counts token requests (OAuth providers).
	TokenRequests int
	// PeakPerSecond is the largest number of create requests received in
	// any one-second window (aligned to whole seconds since the start).
	PeakPerSecond int
	// Throttled counts creates answered 429 (Throttle and Limit faults).
	Throttled int
	// Redirected counts requests answered with a redirect (Redirect fault).
	Redirected int
	// NoID counts creates acted on and answered without the new user's id
	// (NoID fault); HTML counts creates answered with an HTML page and not
	// acted on (HTML fault).
	NoID int
	HTML int
}

// Registry holds the known providers by name.
type Registry struct {
	byName map[string]Provider
}

// NewRegistry returns a registry holding ps. It panics on a duplicate name:
// that is a programmer error, as with database/sql.Register.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{byName: map[string]Provider{}}
	for _, p := range ps {
		r.Register(p)
	}
	return r
}

// Register adds p. It panics when the name is already taken.
func (r *Registry) Register(p Provider) {
	name := p.Describe().Name
	if _, dup := r.byName[name]; dup {
		panic("providers: Register called twice for " + name)
	}
	r.byName[name] = p
}

// Get returns the provider called name, ignoring case (`Cognigy` in a job
// file, `onboard init CXEngage`), or an error that lists the known ones (a
// user typo in a job file). Registered names are lower case.
func (r *Registry) Get(name string) (Provider, error) {
	if p, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return p, nil
	}
	return nil, &UnknownProviderError{Name: name, Known: r.Names()}
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns the providers sorted by name.
func (r *Registry) All() []Provider {
	out := make([]Provider, 0, len(r.byName))
	for _, n := range r.Names() {
		out = append(out, r.byName[n])
	}
	return out
}

// UnknownProviderError is returned by Get for a name nobody registered.
type UnknownProviderError struct {
	Name  string
	Known []string
}

func (e *UnknownProviderError) Error() string {
	return "unknown provider " + quote(e.Name) + " (known: " + joinQuoted(e.Known) + "; `onboard providers` describes them)"
}

type pacerKey struct{}

type counterKey struct{}

// WithRequestCounter returns a context whose HTTP requests (made through
// Do or Send) are counted in n: the run's summary reports the requests the
// vendor really received, token fetches and second steps included, and not
// a row refused before the network.
func WithRequestCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}

func countRequest(ctx context.Context) {
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// WithPacer returns a context carrying the run's pacer, so that a client
// making more than one request for a row (a second step, a token refresh)
// paces the extra ones too and the vendor never sees more than the
// configured rate.
func WithPacer(ctx context.Context, wait func(context.Context) error) context.Context {
	return context.WithValue(ctx, pacerKey{}, wait)
}

// Pace waits for the run's pacer, if ctx carries one (see WithPacer). A
// client calls it before each request beyond the first of a Create or
// Lookup call.
func Pace(ctx context.Context) error {
	if wait, ok := ctx.Value(pacerKey{}).(func(context.Context) error); ok {
		return wait(ctx)
	}
	return ctx.Err()
}
