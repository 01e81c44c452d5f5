package brightpattern

import (
	"context"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/brightpattern/api"
)

// defaultTokenTTL is the lifetime assumed when the token answer has no
// expires_in [?]. A shorter real lifetime is caught by the 401 path.
const defaultTokenTTL = time.Hour

// refreshMargin is how long before expiry a token is replaced: a tenth of its
// lifetime, at most a minute (3600s tokens are replaced after 3540s).
func refreshMargin(ttl time.Duration) time.Duration {
	return min(ttl/10, time.Minute)
}

// tokenSource holds the one OAuth token that every worker of a client
// shares. At most one token request is in flight at a time, and callers that
// waited for it share its outcome, success or failure, so neither expiry nor
// a burst of 401s turns into a stampede of token requests.
type tokenSource struct {
	fetch func(ctx context.Context) (api.Token, error)

	// sem is held by the goroutine fetching a token. A channel rather than
	// a mutex so that waiting honours the caller's context.
	sem chan struct{}

	mu        sync.Mutex
	token     string
	refreshAt time.Time
	gen       uint64 // fetches completed, successful or not
	lastErr   error  // outcome of the latest fetch
}

func newTokenSource(fetch func(ctx context.Context) (api.Token, error)) *tokenSource {
	return &tokenSource{fetch: fetch, sem: make(chan struct{}, 1)}
}

// get returns the current token, fetching a new one when there is none or
// it is due for refresh.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok, fresh := s.token, s.freshLocked()
	s.mu.Unlock()
	if fresh {
		return tok, nil
	}
	return s.renew(ctx, tok)
}

// renew replaces stale, the token a caller holds that is due or was refused
// with a 401. When another caller already replaced it, or a fetch finished
// while this one waited, that outcome is returned instead of a new request.
func (s *tokenSource) renew(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	if s.token != stale && s.freshLocked() {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	gen := s.gen
	s.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", &providers.Error{Vendor: Name, Op: "token", Kind: providers.KindRetry, Message: "cancelled while waiting for a token", Err: ctx.Err()}
	}
	defer func() { <-s.sem }()

	s.mu.Lock()
	if s.gen != gen {
		// A fetch completed while this caller waited: share its outcome.
		tok, err := s.token, s.lastErr
		s.mu.Unlock()
		if err != nil {
			return "", err
		}
		return tok, nil
	}
	s.mu.Unlock()

	start := time.Now()
	t, err := s.fetch(ctx)
	if err != nil && ctx.Err() != nil {
		// This caller gave up: not an outcome to share. The next
		// waiter fetches for itself.
		return "", err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.lastErr = err
	if err != nil {
		return "", err
	}
	ttl := time.Duration(t.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = defaultTokenTTL
	}
	s.token = t.AccessToken
	// Counted from before the request was sent, so the margin is never
	// eaten by the round trip.
	s.refreshAt = start.Add(ttl - refreshMargin(ttl))
	return s.token, nil
}

func (s *tokenSource) freshLocked() bool {
	return s.token != "" && time.Now().Before(s.refreshAt)
}
