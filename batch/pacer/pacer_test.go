package pacer

import (
	"context"
	"errors"
	"testing"
)

func TestUnlimited(t *testing.T) {
	p := New(0)
	defer p.Close()
	for i := 0; i < 1000; i++ {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
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

func TestClosedPacerRefuses(t *testing.T) {
	p := New(1.0 / 3600)
	_ = p.Wait(context.Background())
	p.Close()
	if err := p.Wait(context.Background()); err == nil {
		t.Fatal("a closed pacer granted a request")
	}
}
