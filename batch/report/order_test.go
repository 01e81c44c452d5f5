package report

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func collect(size int) (*reorder, *[]int) {
	var out []int
	o := newReorder(size, func(h *held) error { out = append(out, h.key); return nil })
	return o, &out
}

// Rows that finish out of order, within the window, come out in order.
func TestReorderWithinWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]int, 2000)
	for i := range keys {
		keys[i] = i + 1
	}
	// Each row finishes up to 50 places after its turn.
	late := make(map[int]int, len(keys))
	for _, k := range keys {
		late[k] = k + r.IntN(50)
	}
	slices.SortStableFunc(keys, func(a, b int) int { return late[a] - late[b] })
	if slices.IsSorted(keys) {
		t.Fatal("the test's rows are in order")
	}
	o, out := collect(64)
	maxHeld := 0
	for _, k := range keys {
		if err := o.put(&held{key: k}, 1); err != nil {
			t.Fatal(err)
		}
		maxHeld = max(maxHeld, o.count)
	}
	if err := o.flushAll(); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(*out) || len(*out) != len(keys) {
		t.Fatalf("out of order or lost: %d rows, sorted %v", len(*out), slices.IsSorted(*out))
	}
	if maxHeld > 64 {
		t.Fatalf("held %d rows, window 64", maxHeld)
	}
}

// Row numbers with gaps (blank lines) still come out in order: the rows
// after a gap wait until the window is full, or until Close.
func TestReorderGaps(t *testing.T) {
	o, out := collect(4)
	for _, k := range []int{3, 2, 6, 5, 7} { // 4 was a blank line
		if err := o.put(&held{key: k}, 2); err != nil {
			t.Fatal(err)
		}
	}
	if want := []int{2, 3}; !slices.Equal(*out, want) {
		t.Fatalf("before the window fills: %v, want %v", *out, want)
	}
	for _, k := range []int{9, 8} { // 8 is a whole window past the gap at 4
		if err := o.put(&held{key: k}, 2); err != nil {
			t.Fatal(err)
		}
	}
	if want := []int{2, 3, 5, 6, 7, 8, 9}; !slices.Equal(*out, want) {
		t.Fatalf("after: %v, want %v", *out, want)
	}
	// A row later than the window: written at once, after the others.
	must(t, o.put(&held{key: 4}, 2))
	must(t, o.put(&held{key: 100}, 2))
	must(t, o.put(&held{key: 11}, 2))
	must(t, o.flushAll())
	if want := []int{2, 3, 5, 6, 7, 8, 9, 4, 11, 100}; !slices.Equal(*out, want) {
		t.Fatalf("at the end: %v, want %v", *out, want)
	}
}
