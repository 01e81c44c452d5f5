package pacer

import (
	"context"
	"testing"
)

// BenchmarkUnlimited is the pacer's cost per row in a run without a rate
// (a Wait and an OK), from parallel workers: the overhead figure's case.
func BenchmarkUnlimited(b *testing.B) {
	p := New(0)
	defer p.Close()
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := p.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			p.OK()
		}
	})
}
