package cxoneexpert

import (
	"time"

	"github.com/onboardhq/onboard/providers"
)

// SetClientClock replaces the clock that dates c's token signatures.
func SetClientClock(c providers.Client, now func() time.Time) { c.(*client).now = now }

// SetSandboxClock replaces the clock s checks token epochs against.
func SetSandboxClock(s *Sandbox, now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// EscapeTwice exposes the lookup path encoding.
var EscapeTwice = escapeTwice
