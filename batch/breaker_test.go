package batch

import (
	"context"
	"testing"
	"time"
)

// TestBreakerSequences replays answers and checks whether the breaker lets
// the next request through: the counting of unusable answers in a row, which
// the lock-free path for a clean breaker must not change.
func TestBreakerSequences(t *testing.T) {
	const U, F = true, false // usable, failed
	cases := []struct {
		name    string
		answers []bool
		open    bool
	}{
		{"all usable", []bool{U, U, U, U, U, U}, false},
		{"threshold failures in a row", []bool{F, F, F}, true},
		{"one short of the threshold", []bool{F, F}, false},
		{"a usable answer resets the count", []bool{F, F, U, F, F}, false},
		{"usable answers after a reset", []bool{F, U, U, F, F, F}, true},
		{"a usable answer closes an open breaker", []bool{F, F, F, U}, false},
		{"failures after closing again count from zero", []bool{F, F, F, U, F, F}, false},
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBreaker(3, 30*time.Second)
			now := time.Unix(1000, 0)
			b.now = func() time.Time { return now }
			for i, usable := range c.answers {
				if err := b.result(usable, false, "HTTP 503"); err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
			}
			// An open breaker holds the caller until its first probe, so a
			// cancelled context ends the wait; a closed one lets it go.
			probe, err := b.acquire(cancelled)
			gotOpen := err != nil || probe
			if gotOpen != c.open {
				t.Fatalf("open = %v (probe %v, err %v), want %v", gotOpen, probe, err, c.open)
			}
			if want := !c.open && (len(c.answers) == 0 || c.answers[len(c.answers)-1]); b.clean.Load() != want {
				t.Fatalf("clean = %v, want %v", b.clean.Load(), want)
			}
		})
	}
}

// TestBreakerProbeClosesIt: the one probe of an open breaker, answered, closes
// it for everyone, and the next acquire takes the lock-free path again.
func TestBreakerProbeClosesIt(t *testing.T) {
	b := newBreaker(1, 30*time.Second)
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	if err := b.result(false, false, "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second) // past the first probe (window/30)
	probe, err := b.acquire(context.Background())
	if err != nil || !probe {
		t.Fatalf("acquire = %v, %v; want the probe", probe, err)
	}
	if err := b.result(true, true, ""); err != nil {
		t.Fatal(err)
	}
	if !b.clean.Load() {
		t.Fatal("a usable probe answer left the breaker unclean")
	}
	if probe, err := b.acquire(context.Background()); err != nil || probe {
		t.Fatalf("acquire after closing = %v, %v", probe, err)
	}
}
