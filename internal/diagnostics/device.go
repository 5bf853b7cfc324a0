package diagnostics

import (
	"fmt"
	"time"
)

// Device is the device side of brain.kind primalux at one instant, as plain
// data (the node fills it from internal/devicebridge's Stats): on that path
// the device's output stream plays the brain link's part, and the device's
// own counters make one more status.
type Device struct {
	// The output stream: up while connected, Connected once it ever was,
	// Loss why it was last lost, Since when it last changed.
	StreamUp, StreamConnected bool
	StreamSince               time.Time
	StreamLoss                string
	// LastHold is why the device side last held the arm (a gap, a reset,
	// stale senses); SensesHeld that the arm is held now because the device
	// accepted no sensor frame for the silence window; LastAccepted when it
	// last took one.
	LastHold     string
	SensesHeld   bool
	LastAccepted time.Time
	// Sensor frames posted, refused or lost, incomplete (stale or missing
	// samples left out), and encoder failures.
	SensorFrames, SensorFailures, IncompleteFrames, EncodeErrors int64
	// Output frames handed on and the cycles made of them; frames taken
	// but not commanded after a connect (Backlog) or while senses were
	// stale; frames seen twice, missing by sequence, or unreadable; frames
	// the decoder refused (no motion in their step).
	OutputFrames, OutputCycles, Backlog, FramesWhileSenseless, Repeated, Skipped, Malformed, DecodeErrors int64
	// Gaps and resets in the outputs, stream drops, resumes, and ends
	// (opened again); the device side's holds (gaps, resets) and holds for
	// stale senses; brain starts and restarts after the device restarted.
	Gaps, Resets, Drops, Resumes, StreamEnds, Holds, SenseHolds, Starts, Restarts int64
	// What the stream readers counted: connects, duplicates dropped, frames
	// the device said were lost.
	Connects, Duplicates, Missed int64
}

// deviceLink is the brain link on the device path: the output stream. OK
// while it is up; WARN while connecting or reconnecting, and for a period
// with gaps, resets, stream ends or a brain the node had to start again;
// ERROR when it was down for LostError or more; STALE when it is up but no
// output frame came for the silence window.
func (m *Monitor) deviceLink(s Sample) Status {
	dv, p := s.Device, m.prev.Device
	st, since := "streaming", dv.StreamSince
	var v verdict
	switch {
	case dv.StreamUp:
	case !dv.StreamConnected:
		st, since = "connecting", m.conf.Start
		if gap := s.At.Sub(m.conf.Start); gap >= m.conf.LostError {
			v.add(Error, fmt.Sprintf("output stream not connected %s after start: %s", round(gap), orDefault(dv.StreamLoss, "no answer yet")))
		} else {
			v.add(Warn, "connecting to the output stream")
		}
	default:
		st = "reconnecting"
		if gap := s.At.Sub(since); gap >= m.conf.LostError {
			st = "lost"
			v.add(Error, fmt.Sprintf("output stream lost for %s: %s", round(gap), dv.StreamLoss))
		} else {
			v.add(Warn, "reconnecting: "+dv.StreamLoss)
		}
	}
	v.warnGrew(dv.Gaps-p.Gaps, "%d gaps in the device's outputs (held)")
	v.warnGrew(dv.Resets-p.Resets, "%d resets of the device's run (held)")
	v.warnGrew(dv.Restarts-p.Restarts, "the device stopped running the brain: started again %d times")
	v.warnGrew(dv.StreamEnds-p.StreamEnds, "the output stream ended %d times (opened again from its cursor)")
	values := []KeyValue{
		{"state", st}, {"run", s.Run}, {"url", m.conf.BrainURL},
		{"in state for (s)", secs(s.At.Sub(since))},
		{"last loss", dv.StreamLoss}, {"last hold", dv.LastHold},
		{"stream connects", itoa(dv.Connects)}, {"stream drops", itoa(dv.Drops)}, {"stream resumes", itoa(dv.Resumes)},
		{"stream reopened", itoa(dv.StreamEnds)}, {"gaps", itoa(dv.Gaps)}, {"frames the device lost", itoa(dv.Missed)},
		{"resets", itoa(dv.Resets)}, {"brain starts", itoa(dv.Starts)}, {"brain restarts", itoa(dv.Restarts)},
		{"duplicates dropped", itoa(dv.Duplicates)},
	}
	if st == "streaming" && len(v.reasons) == 0 {
		if why := m.silent(s.At, later(m.lastFrame, dv.StreamSince), "output frame since the connect"); why != "" {
			return m.stale(ComponentLink, m.conf.BrainURL, "output stream up, but "+why, values)
		}
	}
	return m.status(ComponentLink, m.conf.BrainURL, v, "output stream up", values)
}

// device is the device's own counters. ERROR while the arm is held because
// the device accepted no sensor frame for the silence window (its brain
// acts on stale senses); WARN for a period with sensor frames refused or
// incomplete, encoder failures, or output frames repeated, missing or
// unreadable; OK otherwise.
func (m *Monitor) device(s Sample) Status {
	dv, p := s.Device, m.prev.Device
	accepted := "never"
	if !dv.LastAccepted.IsZero() {
		accepted = secs(s.At.Sub(dv.LastAccepted))
	}
	values := []KeyValue{
		{"sensor frames posted", itoa(dv.SensorFrames)}, {"sensor frames failed", itoa(dv.SensorFailures)},
		{"incomplete sensor frames", itoa(dv.IncompleteFrames)}, {"encode errors", itoa(dv.EncodeErrors)},
		{"since a sensor frame was accepted (s)", accepted},
		{"output frames", itoa(dv.OutputFrames)}, {"output cycles", itoa(dv.OutputCycles)},
		{"backlog frames", itoa(dv.Backlog)}, {"frames while senses stale", itoa(dv.FramesWhileSenseless)},
		{"repeated frames", itoa(dv.Repeated)}, {"skipped frames", itoa(dv.Skipped)}, {"malformed frames", itoa(dv.Malformed)},
		{"frames not decoded", itoa(dv.DecodeErrors)}, {"holds", itoa(dv.Holds)}, {"holds for stale senses", itoa(dv.SenseHolds)},
	}
	var v verdict
	if dv.SensesHeld {
		v.add(Error, "the device accepts no sensor frame: the arm is held (the brain would act on stale senses)")
	}
	v.warnGrew(dv.SensorFailures-p.SensorFailures, "%d sensor frames not accepted")
	v.warnGrew(dv.IncompleteFrames-p.IncompleteFrames, "%d sensor frames incomplete (stale or missing samples left out)")
	v.warnGrew(dv.EncodeErrors-p.EncodeErrors, "%d encoder failures")
	v.warnGrew(dv.Repeated-p.Repeated, "%d output frames repeated")
	v.warnGrew(dv.Skipped-p.Skipped, "%d output frames missing by sequence")
	v.warnGrew(dv.Malformed-p.Malformed, "%d output frames not readable")
	v.warnGrew(dv.DecodeErrors-p.DecodeErrors, "%d output frames not decoded (no motion in their step)")
	ok := fmt.Sprintf("%d sensor frames, %d output frames", dv.SensorFrames-p.SensorFrames, dv.OutputFrames-p.OutputFrames)
	return m.status(ComponentDevice, m.conf.BrainURL, v, ok, values)
}
