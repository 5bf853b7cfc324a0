package bridge

import "sync/atomic"

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
// bridge was paused already. Safe from any goroutine; never blocks.
func (b *Bridge) Pause() bool {
	if b.paused.on.Swap(true) {
		return false
	}
	select {
	case b.paused.sig <- struct{}{}:
	default:
	}
	return true
}

// Resume lets the next cycle command motion again; it reports false when
// the bridge was not paused.
func (b *Bridge) Resume() bool { return b.paused.on.Swap(false) }

// Paused reports whether motion is paused.
func (b *Bridge) Paused() bool { return b.paused.on.Load() }
