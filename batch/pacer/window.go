package pacer

import "time"

// slots and slot divide the last second into counters: the rate the vendor
// accepted lately, without keeping a time per answer.
const (
	slots = 20
	slot  = time.Second / slots
)

// window counts events over the last second (to a twentieth of a second).
type window struct {
	n  [slots]int
	at [slots]int64 // the slot number each counter belongs to
}

func (w *window) add(now time.Time) {
	s := now.UnixNano() / int64(slot)
	i := s % slots
	if w.at[i] != s {
		w.at[i], w.n[i] = s, 0
	}
	w.n[i]++
}

// count returns the events of the last second, as a rate per second.
func (w *window) count(now time.Time) float64 {
	s := now.UnixNano() / int64(slot)
	n := 0
	for i := range w.n {
		if s-w.at[i] < slots {
			n += w.n[i]
		}
	}
	return float64(n)
}

// rate returns the events of the last second as a rate per second, over the
// time since start when that is shorter: a generous reading early in a run.
func (w *window) rate(now, start time.Time) float64 {
	n := w.count(now)
	if age := now.Sub(start); !start.IsZero() && age < time.Second && age > 0 {
		return n / max(age.Seconds(), slot.Seconds())
	}
	return n
}
