package devicebridge

import (
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

type counters struct {
	posted, postFailures, staleFrames, encodeErrors atomic.Int64
	frames, cycles, repeated, skipped, malformed    atomic.Int64
	gaps, resets, drops, resumes, holds, streamEnds atomic.Int64
	starts, restarts, backlog                       atomic.Int64
	senseHolds, framesWhileSenseless, decodeErrors  atomic.Int64
}

// Link is the output stream as the diagnostics show the brain link: up
// while the stream is connected.
type Link struct {
	Up        bool
	Connected bool      // connected at least once
	Reason    string    // why it was last lost
	Since     time.Time // when it last changed (zero before the first connect)
}

// Stats are the device side's counters since New.
type Stats struct {
	// Sensor frames posted and refused or lost; frames with no joint
	// values (stale or missing joint_states); encoder failures.
	Posted, PostFailures, StaleFrames, EncodeErrors int64
	// Output frames handed on, cycles made of them, frames the node saw
	// twice or found missing by their sequence (0 when resumes work).
	Frames, Cycles, Repeated, Skipped, Malformed int64
	// DecodeErrors are frames the decoder refused (with primalux.actuation:
	// no actuation.channels, a count that is not a number): no motion in
	// their step.
	DecodeErrors int64
	// Gaps and resets in the outputs, stream drops and resumes, holds,
	// stream runs that ended and were opened again.
	Gaps, Resets, Drops, Resumes, Holds, StreamEnds int64
	// Starts of the brain by the node, and restarts after the device
	// stopped running it.
	Starts, Restarts int64
	// Backlog are frames the device sent back to back after a connect
	// (kept while the node was away): taken, not commanded.
	Backlog int64
	// SenseHolds are the times the arm was held because the device had
	// accepted no sensor frame for the silence window; FramesWhileSenseless
	// the output frames taken but not commanded meanwhile.
	SenseHolds, FramesWhileSenseless int64
	// Stream is what the stream readers counted (duplicates dropped,
	// connects, frames the device said were lost).
	Stream primalux.StreamStats
	// Link is the output stream's state; LastHold why the arm was last
	// held from the device side (a gap, a reset, stale senses).
	Link     Link
	LastHold string
	// SensesHeld: the arm is held now for stale senses. LastAccepted is
	// when the device last took a sensor frame (Run's start before one).
	SensesHeld   bool
	LastAccepted time.Time
}

// Stats reads the counters; safe on any goroutine.
func (d *Device) Stats() Stats {
	c := &d.stats
	s := Stats{Posted: c.posted.Load(), PostFailures: c.postFailures.Load(), StaleFrames: c.staleFrames.Load(),
		EncodeErrors: c.encodeErrors.Load(), Frames: c.frames.Load(), Cycles: c.cycles.Load(),
		Repeated: c.repeated.Load(), Skipped: c.skipped.Load(), Malformed: c.malformed.Load(),
		Gaps: c.gaps.Load(), Resets: c.resets.Load(), Drops: c.drops.Load(), Resumes: c.resumes.Load(),
		Holds: c.holds.Load(), StreamEnds: c.streamEnds.Load(), Starts: c.starts.Load(), Restarts: c.restarts.Load(),
		Backlog: c.backlog.Load(), SenseHolds: c.senseHolds.Load(), FramesWhileSenseless: c.framesWhileSenseless.Load(),
		DecodeErrors: c.decodeErrors.Load(), SensesHeld: d.sensesHeld.Load()}
	if ns := d.lastAccepted.Load(); ns != 0 {
		s.LastAccepted = time.Unix(0, ns)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s.Link, s.LastHold = d.link, d.lastHold
	s.Stream = d.past
	if d.stream != nil {
		cur := d.stream.Stats()
		s.Stream.Connects += cur.Connects
		s.Stream.Disconnects += cur.Disconnects
		s.Stream.Frames += cur.Frames
		s.Stream.Duplicates += cur.Duplicates
		s.Stream.Gaps += cur.Gaps
		s.Stream.Missed += cur.Missed
		s.Stream.Resets += cur.Resets
		s.Stream.Malformed += cur.Malformed
		s.Stream.Truncated += cur.Truncated
	}
	return s
}

// setLink records a change of the output stream; a repeated state keeps
// its Since.
func (d *Device) setLink(up bool, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if up {
		d.link.Connected = true
	} else {
		d.link.Reason = reason
	}
	if d.link.Up != up || d.link.Since.IsZero() {
		d.link.Up, d.link.Since = up, time.Now()
	}
}

func (d *Device) noteHold(reason string) {
	d.mu.Lock()
	d.lastHold = reason
	d.mu.Unlock()
}
