package devicebridge

import (
	"context"
	"fmt"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

// follow reads the output stream until ctx ends. Stream.Run resumes from
// its cursor after every drop by itself; when it ends (a refusal, an error
// event, a rejected key) a new stream resumes from the same cursor after a
// backoff, so the node keeps running, and the arm stays held meanwhile.
func (d *Device) follow(ctx context.Context, br Bridge) {
	f := &follower{d: d, br: br}
	resume := primalux.Cursor{}
	backoff := d.conf.MinBackoff
	for ctx.Err() == nil {
		s := d.client.Stream(primalux.StreamOptions{Replay: d.conf.Replay, Resume: resume,
			MinBackoff: d.conf.MinBackoff / 2, MaxBackoff: d.conf.MaxBackoff})
		d.setStream(s)
		err := s.Run(ctx, f.handle)
		resume = s.Cursor()
		d.endStream(s)
		if ctx.Err() != nil {
			return
		}
		d.stats.streamEnds.Add(1)
		f.lost(fmt.Sprintf("output stream ended: %v", err))
		d.log.Warn("prima-lux output stream ended: opening it again", "err", err, "cursor", resume.String(), "in", backoff)
		if primalux.IsFatal(err) {
			backoff = d.conf.MaxBackoff // a refused key needs a person; keep trying, slowly
		}
		if sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, d.conf.MaxBackoff)
		if f.delivered {
			backoff, f.delivered = d.conf.MinBackoff, false
		}
	}
}

// follower turns stream events into the bridge's cycles and holds. Owned
// by follow's goroutine.
type follower struct {
	d         *Device
	br        Bridge
	pending   []map[string]float64 // the cycle being filled
	cycle     int64
	down      bool // the bridge was told the link is lost
	delivered bool // a frame came since the last stream end
	last      primalux.Cursor
	// After every connect the device may first send what it kept while
	// the node was away (a resume, a replay): those frames arrive back to
	// back, and commanding them would play old motion at once. They are
	// taken (the cursor moves on: nothing is lost or fetched twice) but not
	// commanded, until one arrives at the live pace.
	catchingUp bool
	arrived    time.Time // the previous frame's, or the connect's
}

func (f *follower) handle(ev primalux.Event) error {
	d := f.d
	switch ev.Kind {
	case primalux.EventConnected:
		f.catchingUp, f.arrived = true, time.Now()
		d.setLink(true, "")
		if f.down {
			f.down = false
			d.stats.resumes.Add(1)
			d.log.Info("prima-lux output stream back", "cursor", ev.Cursor.String())
			f.br.OnLink(brain.Link{Up: true, At: time.Now()})
		}
	case primalux.EventDisconnected:
		f.lost(fmt.Sprintf("output stream dropped: %v", ev.Err))
	case primalux.EventGap:
		d.stats.gaps.Add(1)
		f.hold(fmt.Sprintf("gap in the device's outputs (%d frames missed): %s", ev.Missed, ev.Message))
	case primalux.EventReset:
		d.stats.resets.Add(1)
		f.last = primalux.Cursor{}
		f.hold("the device's run was reset: " + ev.Message)
		d.ask("reset in the output stream")
	case primalux.EventMalformed:
		d.stats.malformed.Add(1)
		d.log.Warn("prima-lux output frame not readable", "err", ev.Err, "cursor", ev.Cursor.String())
	case primalux.EventFrame:
		f.frame(ev.Frame)
	}
	return nil
}

func (f *follower) frame(fr *primalux.Frame) {
	d := f.d
	f.delivered = true
	d.stats.frames.Add(1)
	// The stream promises order; the node checks it, so that a lost or
	// repeated frame shows in its own counters whatever the stream did.
	if f.last.Epoch == fr.Epoch && f.last.Epoch != "" {
		switch {
		case fr.Sequence <= f.last.Seq:
			d.stats.repeated.Add(1)
			return
		case fr.Sequence > f.last.Seq+1:
			d.stats.skipped.Add(fr.Sequence - f.last.Seq - 1)
		}
	}
	f.last = primalux.Cursor{Epoch: fr.Epoch, Seq: fr.Sequence}
	if f.down {
		return // the link is lost: nothing moves until the stream says it is back
	}
	now := time.Now()
	if d.sensesStale(f.br, now) {
		// Motion made from stale senses: taken, not commanded (held).
		d.stats.framesWhileSenseless.Add(1)
		f.pending = f.pending[:0]
		return
	}
	if f.catchingUp {
		if now.Sub(f.arrived) < d.livePace() {
			f.arrived = now
			d.stats.backlog.Add(1)
			return
		}
		f.catchingUp = false
		f.pending = f.pending[:0]
	}
	f.arrived = now
	cmd, err := d.decoder.Decode(fr.Item)
	if err != nil {
		// The step still passes (no motion in it): the cycle keeps its
		// length, and the frames around it are sound.
		if n := d.stats.decodeErrors.Add(1); n == 1 || n%50 == 0 {
			d.log.Warn("prima-lux output frame not decoded: no motion for its step", "err", err, "failures", n)
		}
	}
	f.pending = append(f.pending, cmd.Deltas)
	if len(f.pending) < d.gamma {
		return
	}
	f.cycle++
	d.stats.cycles.Add(1)
	f.br.OnDeviceSteps(f.cycle, f.pending)
	f.pending = make([]map[string]float64, 0, d.gamma) // the bridge owns the handed-over one
}

// lost tells the bridge the device link is down, once.
func (f *follower) lost(reason string) {
	f.pending = f.pending[:0]
	if f.down {
		return
	}
	f.down = true
	f.d.stats.drops.Add(1)
	f.d.setLink(false, reason)
	f.br.OnLink(brain.Link{Up: false, Reason: reason, At: time.Now()})
}

// hold holds the arm and drops the partial cycle: its steps no longer
// follow on from the ones before.
func (f *follower) hold(reason string) {
	f.pending = f.pending[:0]
	f.d.stats.holds.Add(1)
	f.d.noteHold(reason)
	f.d.log.Warn("holding the arm", "reason", reason)
	f.br.OnDeviceHold(reason)
}

// livePace is the least time between two frames that counts as live: half
// the period of frame_rate_hz, so that a device ticking at that rate is
// live and a replayed backlog (frames back to back) is not.
func (d *Device) livePace() time.Duration {
	return time.Duration(float64(time.Second) / d.conf.PrimaLux.FrameRateHz / 2)
}

func (d *Device) setStream(s *primalux.Stream) {
	d.mu.Lock()
	d.stream = s
	d.mu.Unlock()
}

// endStream folds a finished stream's counters into the totals.
func (d *Device) endStream(s *primalux.Stream) {
	st := s.Stats()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stream = nil
	p := &d.past
	p.Connects += st.Connects
	p.Disconnects += st.Disconnects
	p.Frames += st.Frames
	p.Duplicates += st.Duplicates
	p.Gaps += st.Gaps
	p.Missed += st.Missed
	p.Resets += st.Resets
	p.Malformed += st.Malformed
	p.Truncated += st.Truncated
	p.Heartbeats += st.Heartbeats
	p.Ignored += st.Ignored
}
