package ledger

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/onboardhq/onboard/providers"
)

// BenchmarkLedger measures a run's ledger work per row the way the
// pipeline does it: a pending entry and an outcome per row, committed in
// groups of 64 rows, then Close (which folds the events into users).
// "append" stops the clock before Close; "close" times Close alone.
var flushRows = 256

func BenchmarkLedger(b *testing.B) {
	for _, part := range []string{"append", "close", "all"} {
		b.Run(part, func(b *testing.B) {
			b.ReportAllocs()
			l, err := Open(filepath.Join(b.TempDir(), "l.db"), "cognigy", "http://x")
			if err != nil {
				b.Fatal(err)
			}
			if part == "close" {
				b.StopTimer()
			}
			for i := range b.N {
				key := fmt.Sprintf("user%07d@example.com", (i*7919)%b.N+0)
				_ = l.Pending(key, i+2)
				_ = l.Record(key, i+2, "", providers.StatusCreated, "64b1f0c2a9e3d4b5c6a7f801", 201, "", 0)
				if i%flushRows == flushRows-1 {
					if err := l.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
			if part == "append" {
				b.StopTimer()
			} else {
				b.StartTimer()
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
