package batch

import "testing"

func TestBatchSize(t *testing.T) {
	for _, tc := range []struct {
		rate        float64
		concurrency int
		want        int
	}{
		{0, 8, batchMax},      // no limit: few commits
		{5, 4, 4},             // a slow vendor: never fewer than the workers
		{200, 8, 20},          // a tenth of a second of sending
		{200, 32, 32},         //
		{100000, 8, batchMax}, // capped
		{0.5, 1, 1},
	} {
		if got := batchSize(tc.rate, tc.concurrency); got != tc.want {
			t.Errorf("batchSize(%v, %d) = %d, want %d", tc.rate, tc.concurrency, got, tc.want)
		}
	}
}
