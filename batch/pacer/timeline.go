package pacer

import "time"

// maxBuckets bounds a timeline: past it, neighbouring buckets merge and each
// covers twice the time (a run of days stays a chart of at most this many
// points).
const maxBuckets = 1200

// Second is one stretch of a run's timeline: one second, or longer once a
// long run's timeline is coarsened (Span says).
type Second struct {
	At   time.Time
	Span time.Duration
	// Granted counts permissions to send, OK clean answers and Throttled
	// throttled ones, over the stretch.
	Granted, OK, Throttled int
	// Rate is the pacer's rate at the end of the stretch; 0 means no limit.
	Rate float64
}

type timeline struct {
	buckets []Second
	span    time.Duration
}

// bucket returns the stretch holding now, adding empty ones up to it.
func (t *timeline) bucket(now time.Time) *Second {
	if t.span == 0 {
		t.span = time.Second
	}
	if len(t.buckets) == 0 {
		t.buckets = append(t.buckets, Second{At: now.Truncate(time.Second), Span: t.span})
	}
	start := t.buckets[0].At
	if now.Before(start) {
		return &t.buckets[0]
	}
	i := int(now.Sub(start) / t.span)
	for i >= maxBuckets {
		t.coarsen()
		i = int(now.Sub(start) / t.span)
	}
	for len(t.buckets) <= i {
		last := t.buckets[len(t.buckets)-1]
		t.buckets = append(t.buckets, Second{At: last.At.Add(t.span), Span: t.span, Rate: last.Rate})
	}
	return &t.buckets[i]
}

// setRate notes the rate at now.
func (t *timeline) setRate(now time.Time, r float64) {
	t.bucket(now).Rate = r
}

// coarsen merges neighbouring buckets, doubling the span.
func (t *timeline) coarsen() {
	t.span *= 2
	out := t.buckets[:0]
	for i := 0; i < len(t.buckets); i += 2 {
		b := t.buckets[i]
		b.Span = t.span
		if i+1 < len(t.buckets) {
			c := t.buckets[i+1]
			b.Granted += c.Granted
			b.OK += c.OK
			b.Throttled += c.Throttled
			b.Rate = c.Rate
		}
		out = append(out, b)
	}
	t.buckets = out
}
