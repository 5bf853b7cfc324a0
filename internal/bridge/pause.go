package bridge

import (
	"context"
	"sync/atomic"
)

// pause is the operator's hold (the node's ~/pause and ~/resume services):
// the run goes on — needs answered, rewards sent — but no motion is
// commanded, and the arm is held at rest. The flag is written by service
// callbacks on the ROS executor and read by the bridge goroutine; sig wakes
// the goroutine to publish the hold at once rather than at the next cycle.
type pause struct {
	on  atomic.Bool
	sig chan struct{}
}

// Pause stops commanding motion until Resume; it reports false when the
// bridge was paused already. Safe from any goroutine. It returns once the
// bridge goroutine has published the hold, so that no cycle that passed
// its gates before the pause still commands motion after the operator was
// told "paused" (seen on the graph: one twist after ~/pause answered); it
// waits for that at most until ctx ends, and then the hold follows at the
// goroutine's next turn.
func (b *Bridge) Pause(ctx context.Context) bool {
	if b.paused.on.Swap(true) {
		return false
	}
	held := make(chan struct{})
	if b.hand(ctx, func() { b.holdIfPaused(); close(held) }) != nil {
		select {
		case b.paused.sig <- struct{}{}:
		default:
		}
		return true
	}
	select {
	case <-held:
	case <-ctx.Done():
	}
	return true
}

// holdIfPaused runs on the bridge goroutine: a Resume may have come first.
func (b *Bridge) holdIfPaused() {
	if b.paused.on.Load() {
		b.holdArm("paused (~/pause)")
	}
}

// Resume lets the next cycle command motion again; it reports false when
// the bridge was not paused.
func (b *Bridge) Resume() bool { return b.paused.on.Swap(false) }

// Paused reports whether motion is paused.
func (b *Bridge) Paused() bool { return b.paused.on.Load() }
