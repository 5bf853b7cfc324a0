package bridge

import (
	"fmt"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
)

// holdState is what keeps the bridge from moving the arm. Owned by the
// bridge goroutine.
type holdState struct {
	linkDown bool      // the brain is lost: no motion until it is back
	since    time.Time // the last join: samples older than this are never sent
	held     bool      // a hold went out and no motion since
	// awaitNeed: the link came back and the brain has not asked for inputs
	// since. A restarted brain forgot the run, and it refuses the join only
	// after the session counts as connected: robot:state (the one message
	// nobody asks for) waits for the first io:need, which only a brain that
	// knows the run sends.
	awaitNeed bool
}

// onLink follows the brain link. Losing it holds the arm; regaining it
// starts a new epoch before which no sample is sent (the brain must not get
// data measured before it came back).
func (b *Bridge) onLink(l brain.Link) {
	if l.Up {
		b.hold.linkDown = false
		b.hold.awaitNeed = true
		// l.At is on the session's wall clock, receipt times on the
		// bridge's (sim time with use_sim_time): the epoch is the bridge's
		// now less the wall time the change waited to be handled, so both
		// sides of every "before the link came back" compare are on one
		// clock. The wait is a queue hand-over (well under a millisecond),
		// so scaling it by the sim rate would change nothing that matters.
		b.hold.since = b.clk.Now().Add(-time.Since(l.At))
		b.dropBufferedAudio()
		return
	}
	b.hold.linkDown = true
	b.stats.linkLosses.Add(1)
	b.holdArm("brain lost: " + l.Reason)
}

// holdArm publishes one trajectory that keeps the joints at their last
// measured positions, once until motion resumes. Without any measurement
// there is nothing to hold at, and nothing was commanded either.
func (b *Bridge) holdArm(reason string) {
	if b.hold.held {
		return
	}
	// Before the arm's sample check: the base must stop, and the gripper
	// hold, even when no arm joint was ever measured.
	b.holdCommands()
	base := b.shaper.start
	if _, ok := b.joints.sample(base); !ok {
		return
	}
	b.hold.held = true
	if err := b.cmd.PublishTrajectory(b.shaper.hold(base)); err != nil {
		b.stats.failedPublishes.Add(1)
		b.warnf("publish", "hold not published", "err", err)
		return
	}
	b.stats.holds.Add(1)
	b.log.Warn("holding the arm at its last measured positions until fresh data returns", "reason", reason)
}

// stale says why a cycle that starts from samples received at oldest must
// not move the arm, or "" when it may.
func (b *Bridge) stale(oldest time.Time) string {
	now := b.clk.Now()
	if now.IsZero() {
		return "sim time unknown (no /clock message yet)"
	}
	if age := now.Sub(oldest); age > b.conf.Trajectory.MaxStateAge {
		return fmt.Sprintf("joint_states are %s old (max_state_age %s)", age.Round(time.Millisecond), b.conf.Trajectory.MaxStateAge)
	}
	return ""
}

// dropBufferedAudio empties every microphone's buffer: what was heard
// before a reconnect is not sent after it.
func (b *Bridge) dropBufferedAudio() {
	for _, in := range b.inputs {
		if in.audio != nil {
			in.buf = in.audio.pcm.Take(in.buf[:0])
		}
	}
}
