package main

import (
	"bytes"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
	"github.com/onboardhq/onboard/providers/cognigy/api"
)

// served is one cognigy sandbox on a loopback listener, behind a recorder
// that sees every create request as it arrives (and, for the hidden-limit
// figures, a token bucket between them).
type served struct {
	sb    *cognigy.Sandbox
	rec   *recorder
	limit *limiter // nil without a hidden limit
	url   string
	srv   *http.Server
}

// serve starts a fresh sandbox (it starts empty, so every run creates all
// its users). keepTimes records the arrival time of every create, for the
// rate figures.
func serve(latency time.Duration, keepTimes bool) (*served, error) {
	return serveLimited(latency, keepTimes, providers.SandboxOptions{})
}

// serveLimited is serve with a hidden limit on creates: lim.Limit per
// second (burst lim.Limit), answered 429 with Retry-After: 1 unless
// lim.NoRetryAfter, as providers.SandboxOptions describes it. The bucket is
// this harness's own (limiter), not the sandbox kit's `--limit`, so that the
// figure does not rest on onboard's own code on both sides.
func serveLimited(latency time.Duration, keepTimes bool, lim providers.SandboxOptions) (*served, error) {
	sb := cognigy.NewSandbox(providers.SandboxOptions{Latency: latency, Seed: 1})
	var next http.Handler = sb
	var l *limiter
	if lim.Limit > 0 {
		l = &limiter{next: sb, rate: lim.Limit, burst: lim.Limit, tokens: lim.Limit, retryAfter: !lim.NoRetryAfter}
		next = l
	}
	rec := &recorder{next: next, keepTimes: keepTimes}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &served{sb: sb, rec: rec, limit: l, url: "http://" + ln.Addr().String(), srv: srv}, nil
}

// limiter is a vendor's hidden rate limit on creates: a token bucket of
// rate per second holding at most burst (full at the start), that answers
// 429 when empty, in Cognigy's problem format.
type limiter struct {
	next        http.Handler
	rate, burst float64
	retryAfter  bool

	mu        sync.Mutex
	tokens    float64
	last      time.Time
	throttled int
}

func (l *limiter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != api.UsersPath {
		l.next.ServeHTTP(w, req)
		return
	}
	now := time.Now()
	l.mu.Lock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	ok := l.tokens >= 1
	if ok {
		l.tokens--
	} else {
		l.throttled++
	}
	l.mu.Unlock()
	if ok {
		l.next.ServeHTTP(w, req)
		return
	}
	if l.retryAfter {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"rate limit exceeded"}`+"\n")
}

// throttles returns how many creates were answered 429.
func (l *limiter) throttles() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttled
}

func (s *served) close() { _ = s.srv.Close() }

// recorder notes, for every create request, when it arrived and a digest of
// its body, then hands it to the sandbox unchanged. The digest is
// order-independent (a sum of per-body hashes), so two clients that sent the
// same multiset of bodies have the same digest whatever their order.
type recorder struct {
	next      http.Handler
	keepTimes bool

	mu     sync.Mutex
	n      int
	bytes  int64
	digest uint64
	first  time.Time
	last   time.Time
	times  []time.Time
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != api.UsersPath {
		r.next.ServeHTTP(w, req)
		return
	}
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	h := fnv.New64a()
	h.Write(body)
	r.mu.Lock()
	if r.n == 0 {
		r.first = now
	}
	r.n++
	r.last = now
	r.bytes += int64(len(body))
	r.digest += h.Sum64()
	if r.keepTimes {
		r.times = append(r.times, now)
	}
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

// count returns how many creates arrived so far.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// snapshot is what the recorder saw.
type snapshot struct {
	N      int
	Bytes  int64
	Digest uint64
	First  time.Time
	Last   time.Time
	Times  []time.Time
}

func (r *recorder) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	times := append([]time.Time(nil), r.times...)
	// Arrival times are taken before the lock: sort the few out of order.
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return snapshot{N: r.n, Bytes: r.bytes, Digest: r.digest, First: r.first, Last: r.last, Times: times}
}

// rate is the achieved create rate as the vendor sees it: intervals between
// the first and the last arrival.
func (s snapshot) rate() float64 {
	first, last := s.First, s.Last
	if len(s.Times) > 0 {
		first, last = s.Times[0], s.Times[len(s.Times)-1]
	}
	d := last.Sub(first).Seconds()
	if s.N < 2 || d <= 0 {
		return 0
	}
	return float64(s.N-1) / d
}

// span is the time from the first create to the last.
func (s snapshot) span() time.Duration {
	if len(s.Times) < 2 {
		return s.Last.Sub(s.First)
	}
	return s.Times[len(s.Times)-1].Sub(s.Times[0])
}

// longestGap returns the longest interval between two consecutive creates
// and the index of the create that ends it.
func (s snapshot) longestGap() (time.Duration, int) {
	var gap time.Duration
	at := 0
	for i := 1; i < len(s.Times); i++ {
		if d := s.Times[i].Sub(s.Times[i-1]); d > gap {
			gap, at = d, i
		}
	}
	return gap, at
}

// activeRate is the create rate with the longest gap (an idle spell of the
// input) left out: intervals over the time between creates, less the gap.
// It also returns the gap.
func (s snapshot) activeRate() (float64, time.Duration) {
	gap, _ := s.longestGap()
	d := (s.span() - gap).Seconds()
	if len(s.Times) < 3 || d <= 0 {
		return s.rate(), 0
	}
	return float64(len(s.Times)-2) / d, gap
}

// after counts the creates within w of the end of the longest gap, that
// one included: a burst after an idle spell shows here.
func (s snapshot) after(w time.Duration) int {
	_, at := s.longestGap()
	n := 0
	for i := at; i < len(s.Times) && s.Times[i].Sub(s.Times[at]) < w; i++ {
		n++
	}
	return n
}

// peakWindow is the largest number of arrivals in any window of length w
// (half-open, like the sandbox's: (t-w, t]).
func (s snapshot) peakWindow(w time.Duration) int {
	peak, j := 0, 0
	for i, t := range s.Times {
		for !s.Times[j].After(t.Add(-w)) {
			j++
		}
		if n := i - j + 1; n > peak {
			peak = n
		}
	}
	return peak
}

// minGap is the shortest interval between two consecutive arrivals.
func (s snapshot) minGap() time.Duration {
	var gap time.Duration = -1
	for i := 1; i < len(s.Times); i++ {
		if d := s.Times[i].Sub(s.Times[i-1]); gap < 0 || d < gap {
			gap = d
		}
	}
	return gap
}
