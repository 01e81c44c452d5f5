package pacer

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// vendor is a fake vendor with a hidden limit: a token bucket of limit
// requests per second holding at most burst, that throttles when empty.
type vendor struct {
	limit, burst float64
	retryAfter   time.Duration // 0: bare 429s

	mu        sync.Mutex
	tokens    float64
	last      time.Time
	arrivals  []time.Time
	throttled int
}

// arrive decides the fate of a request arriving now.
func (v *vendor) arrive(now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.arrivals = append(v.arrivals, now)
	if v.limit <= 0 {
		return true
	}
	if v.last.IsZero() {
		v.tokens = v.burst
	} else {
		v.tokens = min(v.burst, v.tokens+now.Sub(v.last).Seconds()*v.limit)
	}
	v.last = now
	if v.tokens >= 1 {
		v.tokens--
		return true
	}
	v.throttled++
	return false
}

// peak is the most arrivals in any window (t-1s, t].
func peak(times []time.Time) int {
	best, j := 0, 0
	for i, t := range times {
		for !times[j].After(t.Add(-time.Second)) {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

type sim struct {
	opts    Options
	v       *vendor
	rows    int
	workers int
	latency time.Duration
}

type simResult struct {
	took      time.Duration
	requests  int
	throttled int
	peak      int
	stats     Stats
	timeline  []Second
}

// run sends s.rows rows through a pacer with s.workers workers, each row
// retried until the vendor accepts it, in fake time. Call it inside a
// synctest bubble.
func (s sim) run() simResult {
	p := NewWith(s.opts)
	defer p.Close()
	start := time.Now()
	rows := make(chan int, s.rows)
	for i := range s.rows {
		rows <- i
	}
	close(rows)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rows {
				for {
					if err := p.Wait(context.Background()); err != nil {
						panic(err)
					}
					time.Sleep(s.latency / 2)
					ok := s.v.arrive(time.Now())
					time.Sleep(s.latency / 2)
					if ok {
						p.OK()
						break
					}
					p.Throttled(s.v.retryAfter)
				}
			}
		}()
	}
	wg.Wait()
	return simResult{took: time.Since(start), requests: len(s.v.arrivals), throttled: s.v.throttled, peak: peak(s.v.arrivals), stats: p.Stats(), timeline: p.Timeline()}
}

// TestHiddenLimit runs the figures against a simulated vendor: the
// pacer must find the hidden limit and use at least 95% of it (floor), with
// at most 3% of requests throttled. The cases past the have lower
// floors: a vendor whose bucket holds little burst costs a whole
// Retry-After per throttle, and 2,000 rows at 500/s are over before slow
// start from 10/s has paid for itself.
func TestHiddenLimit(t *testing.T) {
	const rows = 2000
	for _, tc := range []struct {
		name    string
		opts    Options
		limit   float64
		burst   float64
		ra      time.Duration
		workers int
		latency time.Duration
		floor   float64
	}{
		{"L=50 Retry-After 1, rate 1000", Options{Rate: 1000}, 50, 50, time.Second, 8, 2 * time.Millisecond, 0.95},
		{"L=50 bare 429s, rate 1000", Options{Rate: 1000}, 50, 50, 0, 8, 2 * time.Millisecond, 0.95},
		{"L=100 auto", Options{Auto: true}, 100, 100, time.Second, 8, 2 * time.Millisecond, 0.95},
		{"L=100 auto bare", Options{Auto: true}, 100, 100, 0, 8, 2 * time.Millisecond, 0.95},
		{"L=50 latency 100ms", Options{Rate: 1000}, 50, 50, time.Second, 16, 100 * time.Millisecond, 0.95},
		{"L=50 burst 10", Options{Rate: 1000}, 50, 10, time.Second, 8, 2 * time.Millisecond, 0.60},
		{"L=50 burst 1", Options{Rate: 1000}, 50, 1, time.Second, 8, 2 * time.Millisecond, 0.60},
		{"L=20 auto burst 1", Options{Auto: true}, 20, 1, 0, 8, 2 * time.Millisecond, 0.60},
		{"L=500 auto", Options{Auto: true}, 500, 500, time.Second, 8, 2 * time.Millisecond, 0.70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v := &vendor{limit: tc.limit, burst: tc.burst, retryAfter: tc.ra}
				r := sim{opts: tc.opts, v: v, rows: rows, workers: tc.workers, latency: tc.latency}.run()
				share := float64(rows) / r.took.Seconds() / tc.limit
				wasted := float64(r.throttled) / float64(r.requests)
				t.Logf("%.1f s, %.1f%% of the limit, %d requests, %d throttled (%.1f%%), settled %.1f/s, rate at the end %.1f/s, paused %s",
					r.took.Seconds(), share*100, r.requests, r.throttled, wasted*100, r.stats.Settled, r.stats.Rate, r.stats.Paused)
				if testing.Verbose() {
					for _, s := range r.timeline {
						t.Logf("  %s granted %3d ok %3d throttled %2d rate %.1f", s.At.Format("15:04:05"), s.Granted, s.OK, s.Throttled, s.Rate)
					}
				}
				if share < tc.floor {
					t.Errorf("achieved %.1f%% of the limit, want at least %.0f%%", share*100, tc.floor*100)
				}
				if wasted > 0.03 {
					t.Errorf("%.1f%% of requests throttled, want at most 3%%", wasted*100)
				}
				if r.stats.Throttles != r.throttled {
					t.Errorf("pacer counted %d throttles, vendor %d", r.stats.Throttles, r.throttled)
				}
			})
		})
	}
}
