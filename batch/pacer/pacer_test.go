package pacer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestUnlimited(t *testing.T) {
	p := New(0)
	defer p.Close()
	for i := 0; i < 1000; i++ {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.OK()
	}
	if r := p.Rate(); r != 0 {
		t.Fatalf("unlimited pacer reports rate %v", r)
	}
	// The counts without a rate are kept apart and folded in: none lost.
	s := p.Stats()
	tl := p.Timeline()
	granted, ok := 0, 0
	for _, b := range tl {
		granted, ok = granted+b.Granted, ok+b.OK
	}
	if s.Granted != 1000 || s.Accepted != 1000 || granted != 1000 || ok != 1000 {
		t.Fatalf("stats %+v, timeline %d granted %d ok; want 1000 each", s, granted, ok)
	}
}

// TestWaitIsCancellable: at one request an hour, the second Wait must give
// up when its context ends instead of blocking until the next grant.
func TestWaitIsCancellable(t *testing.T) {
	p := New(1.0 / 3600)
	defer p.Close()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatalf("first grant: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Wait(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait returned %v", err)
	}
}

// TestPauseIsCancellable: a pause of an hour asked by the vendor must not
// hold a worker whose context ends, in any mode.
func TestPauseIsCancellable(t *testing.T) {
	for _, o := range []Options{{}, {Rate: 10}, {Auto: true}} {
		synctest.Test(t, func(t *testing.T) {
			p := NewWith(Options{Rate: o.Rate, Auto: o.Auto, MaxPause: 2 * time.Hour})
			defer p.Close()
			p.Throttled(time.Hour)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%+v: wait during a pause returned %v", o, err)
			}
			if d := time.Since(start); d != time.Minute {
				t.Fatalf("%+v: the wait ended after %v, want the context's minute", o, d)
			}
		})
	}
}

func TestClosedPacerRefuses(t *testing.T) {
	p := New(1.0 / 3600)
	_ = p.Wait(context.Background())
	p.Close()
	if err := p.Wait(context.Background()); err == nil {
		t.Fatal("a closed pacer granted a request")
	}
}

// hammer runs workers that each wait for the pacer and answer with
// answer(i) (true: clean, false: throttled with retryAfter) until d has
// passed, and returns the grant times.
func hammer(p *Pacer, workers int, d time.Duration, answer func(n int) (bool, time.Duration)) []time.Time {
	var mu sync.Mutex
	var times []time.Time
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p.Wait(ctx) == nil {
				mu.Lock()
				times = append(times, time.Now())
				n := len(times)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				if ok, ra := answer(n); ok {
					p.OK()
				} else {
					p.Throttled(ra)
				}
			}
		}()
	}
	wg.Wait()
	return times
}

// TestCeilingNeverExceeded: whatever the answers (clean, so the rate probes
// upward; throttled now and then, so it drops and grows back), no
// one-second window holds more grants than the ceiling, in fixed and auto
// mode.
func TestCeilingNeverExceeded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		throttle int // every nth answer is throttled; 0 never
	}{
		{"rate 200, clean", Options{Rate: 200}, 0},
		{"rate 200, throttled now and then", Options{Rate: 200}, 300},
		{"rate 7, clean", Options{Rate: 7}, 0},
		{"auto under a ceiling of 50", Options{Rate: 50, Auto: true}, 0},
		{"auto under a ceiling of 50, throttled", Options{Rate: 50, Auto: true}, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := NewWith(tc.opts)
				defer p.Close()
				times := hammer(p, 16, 20*time.Second, func(n int) (bool, time.Duration) {
					return tc.throttle == 0 || n%tc.throttle != 0, 100 * time.Millisecond
				})
				if got, ceiling := peak(times), int(tc.opts.Rate); got > ceiling {
					t.Fatalf("%d grants in one second, ceiling %d", got, ceiling)
				}
				if r := p.Rate(); r > tc.opts.Rate {
					t.Fatalf("rate %v above the ceiling %v", r, tc.opts.Rate)
				}
				if tc.throttle == 0 && !tc.opts.Auto {
					// At the ceiling from the start: the figure `make bench`
					// holds within 2%.
					if want := 20 * tc.opts.Rate / margin; float64(len(times)) < want-1 {
						t.Fatalf("%d grants in 20 s, want about %.0f", len(times), want)
					}
				}
			})
		})
	}
}

// TestThrottledDecreases: one throttle (and the echoes of the same event,
// arriving during the pause) lowers the rate once, to beta times the rate
// the vendor was accepting.
func TestThrottledDecreases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(100)
		defer p.Close()
		hammer(p, 4, 3*time.Second, func(int) (bool, time.Duration) { return true, 0 })
		if r := p.Rate(); r != 100 {
			t.Fatalf("rate %v after clean answers, want the ceiling", r)
		}
		p.Throttled(time.Second)
		r := p.Rate()
		if r < 0.65*100 || r > beta*100 {
			t.Fatalf("rate %v after a throttle at about 99 accepted/s, want about %v", r, beta*99)
		}
		time.Sleep(10 * time.Millisecond)
		p.Throttled(time.Second) // an echo: same event
		if r2 := p.Rate(); r2 != r {
			t.Fatalf("a second throttle of the same event moved the rate from %v to %v", r, r2)
		}
		if s := p.Stats(); s.Throttles != 2 {
			t.Fatalf("throttles %d, want 2", s.Throttles)
		}
	})
}

// TestThrottledPausesEveryone: after a throttle with Retry-After, no worker
// is granted anything before it has passed, including one that was already
// waiting for its turn.
func TestThrottledPausesEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(1) // one a second: a waiting worker is mid-interval
		defer p.Close()
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var times []time.Time
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Wait(context.Background()); err == nil {
					mu.Lock()
					times = append(times, time.Now())
					mu.Unlock()
				}
			}()
		}
		time.Sleep(500 * time.Millisecond)
		throttledAt := time.Now()
		p.Throttled(3 * time.Second)
		wg.Wait()
		for _, at := range times {
			if at.Sub(throttledAt) < 3*time.Second {
				t.Fatalf("a worker was granted %v after the throttle, within the vendor's 3 s", at.Sub(throttledAt))
			}
		}
		if len(times) != 4 {
			t.Fatalf("%d workers granted, want 4", len(times))
		}
	})
}

// TestNoRetryAfterPausesBriefly: a bare 429 pauses everyone for
// DefaultPause; a Retry-After beyond MaxPause is capped.
func TestPauseLengths(t *testing.T) {
	for _, tc := range []struct {
		ra, max, want time.Duration
	}{
		{0, 0, DefaultPause},
		{5 * time.Second, 0, 5 * time.Second},
		{time.Hour, 10 * time.Second, 10 * time.Second},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := NewWith(Options{Rate: 1000, MaxPause: tc.max})
			defer p.Close()
			start := time.Now()
			p.Throttled(tc.ra)
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d != tc.want {
				t.Fatalf("Retry-After %v, max %v: paused %v, want %v", tc.ra, tc.max, d, tc.want)
			}
		})
	}
}

// TestProbesBackUp: after a throttle, clean answers bring the rate back to
// the ceiling within seconds, and never above it.
func TestProbesBackUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(100)
		defer p.Close()
		hammer(p, 4, 2*time.Second, func(int) (bool, time.Duration) { return true, 0 })
		p.Throttled(time.Second)
		low := p.Rate()
		times := hammer(p, 4, 10*time.Second, func(int) (bool, time.Duration) { return true, 0 })
		if r := p.Rate(); r != 100 {
			t.Fatalf("rate %v ten seconds after a throttle (%v), want back at the ceiling 100", r, low)
		}
		if peak(times) > 100 {
			t.Fatalf("%d grants in a second while probing, ceiling 100", peak(times))
		}
	})
}

// TestAutoSlowStart: an auto pacer starts at its starting rate, grows
// exponentially while answers are clean (at least doubling each second),
// and stops growing exponentially at the first throttle.
func TestAutoSlowStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewWith(Options{Auto: true, Start: 5})
		defer p.Close()
		if r := p.Rate(); r != 5 {
			t.Fatalf("first rate %v, want the start 5", r)
		}
		prev := p.Rate()
		for s := range 4 {
			hammer(p, 8, time.Second, func(int) (bool, time.Duration) { return true, 0 })
			r := p.Rate()
			if r < 2*prev {
				t.Fatalf("second %d: rate %v after %v, want at least doubled", s+1, r, prev)
			}
			prev = r
		}
		p.Throttled(0)
		after := p.Rate()
		if after > beta*prev {
			t.Fatalf("rate %v after a throttle at %v, want at most %v", after, prev, beta*prev)
		}
		hammer(p, 8, time.Second+DefaultPause, func(int) (bool, time.Duration) { return true, 0 })
		if r := p.Rate(); r >= 2*after {
			t.Fatalf("rate %v a second after the throttle (%v): still in slow start", r, after)
		}
	})
}

// TestAutoHeldByItsWorkers: a run that cannot send faster (one worker, slow
// answers) does not grow its rate far beyond what it sends.
func TestAutoHeldByItsWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewWith(Options{Auto: true, Start: 5})
		defer p.Close()
		ctx := context.Background()
		for time.Since(time.Now().Add(-time.Nanosecond)) > 0 && p.Stats().Granted < 100 {
			_ = p.Wait(ctx)
			time.Sleep(100 * time.Millisecond) // 10 a second at most
			p.OK()
		}
		if r := p.Rate(); r > 25 {
			t.Fatalf("rate %v with a run sending 10 a second", r)
		}
	})
}

// TestUnlimitedPauses: without a rate, a throttle pauses everyone for the
// vendor's Retry-After, and then lets everything through again.
func TestUnlimitedPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(0)
		defer p.Close()
		hammer(p, 1, time.Second, func(int) (bool, time.Duration) { return true, 0 })
		start := time.Now()
		p.Throttled(2 * time.Second)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Wait(context.Background()); err != nil {
					t.Error(err)
				}
				if d := time.Since(start); d != 2*time.Second {
					t.Errorf("granted after %v, want the vendor's 2 s", d)
				}
			}()
		}
		wg.Wait()
		if r := p.Rate(); r != 0 {
			t.Fatalf("rate %v after a throttle without a limit, want none", r)
		}
		if err := p.Wait(context.Background()); err != nil || time.Since(start) != 2*time.Second {
			t.Fatalf("after the pause: %v at %v", err, time.Since(start))
		}
	})
}

// TestStats: the settled rate is the rate of clean answers from the first
// throttle on, pauses included.
func TestStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(50)
		defer p.Close()
		hammer(p, 4, 4*time.Second, func(int) (bool, time.Duration) { return true, 0 })
		s := p.Stats()
		if s.Settled < 48 || s.Settled > 50 || s.Throttles != 0 {
			t.Fatalf("clean run at 50/s: %+v", s)
		}
		p.Throttled(2 * time.Second)
		hammer(p, 4, 10*time.Second, func(int) (bool, time.Duration) { return true, 0 })
		s = p.Stats()
		if s.Throttles != 1 || s.Paused != 2*time.Second {
			t.Fatalf("after a throttle: %+v", s)
		}
		// 10 s with a 2 s pause and a climb from 35/s: well under 50.
		if s.Settled > 42 || s.Settled < 30 {
			t.Fatalf("settled %v, want the rate over the 10 s from the throttle on", s.Settled)
		}
		tl := p.Timeline()
		granted, throttled := 0, 0
		for _, b := range tl {
			granted += b.Granted
			throttled += b.Throttled
		}
		if granted != s.Granted || throttled != 1 || len(tl) < 14 || len(tl) > 16 {
			t.Fatalf("timeline of %d seconds, %d granted (stats %d), %d throttled", len(tl), granted, s.Granted, throttled)
		}
	})
}

// TestTimelineBounded: a long run's timeline is coarsened, not grown
// without end, and keeps its totals.
func TestTimelineBounded(t *testing.T) {
	var tl timeline
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for s := range 10_000 {
		tl.bucket(start.Add(time.Duration(s) * time.Second)).Granted += 2
	}
	if len(tl.buckets) > maxBuckets {
		t.Fatalf("%d buckets, at most %d", len(tl.buckets), maxBuckets)
	}
	sum := 0
	for i, b := range tl.buckets {
		sum += b.Granted
		if want := start.Add(time.Duration(i) * tl.span); !b.At.Equal(want) || b.Span != tl.span {
			t.Fatalf("bucket %d at %v span %v, want %v span %v", i, b.At, b.Span, want, tl.span)
		}
	}
	if sum != 20_000 {
		t.Fatalf("totals %d, want 20000", sum)
	}
}
