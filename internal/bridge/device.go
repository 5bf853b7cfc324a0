package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// The entry points of a brain that decodes its own outputs (a Prima-Lux
// device, internal/devicebridge): its motor deltas arrive already decoded,
// per channel, and go through the same command shaper, limits, holds and
// learning as a cycle:update's. The 0.1 path never calls them.

// deviceCycle is one trajectory's worth of decoded steps.
type deviceCycle struct {
	cycle int64
	steps []map[string]float64 // per timestep, channel → delta
	// absolute: steps hold targets, not deltas (OnDeviceTargets).
	absolute bool
}

// OnDeviceSteps takes one cycle of decoded steps (step t of the cycle is
// steps[t], at most the contract's gamma of them; channels no mapping entry
// names are ignored). Called on the device adapter's goroutine; the bridge
// shapes them as it shapes a cycle:update, then computes the reward
// (Brain.SendReward) and calls OnCycleDone. A full queue drops and counts.
func (b *Bridge) OnDeviceSteps(cycle int64, steps []map[string]float64) {
	b.enqueue(event{device: &deviceCycle{cycle: cycle, steps: steps}})
}

// OnDeviceHold holds the arm at its last measured positions (a gap in the
// device's outputs, a reset of its run) without counting a lost link: the
// next steps move it again. Never dropped.
func (b *Bridge) OnDeviceHold(reason string) {
	select {
	case b.holds <- reason:
	default: // one is waiting: it holds the arm just the same
	}
}

// SensedJoints copies the latest measured position of every configured
// joint into dst (in configured order), for a device's sensor frame. It
// says why not when they must not be sent: a joint never measured, or
// samples older than trajectory.max_state_age; each Proprioception input
// then counts one stale sample, as for a need it could not answer. Safe on
// any goroutine.
func (b *Bridge) SensedJoints(dst []float64) (why string, ok bool) {
	why = b.sensedJoints(dst)
	if why == "" {
		return "", true
	}
	for _, in := range b.inputs {
		if in.conf.joint >= 0 { // a Proprioception input
			b.stats.staleInputs.Add(1)
			in.counters.stale.Add(1)
		}
	}
	return why, false
}

func (b *Bridge) sensedJoints(dst []float64) (why string) {
	oldest, ok := b.joints.sample(dst)
	if !ok {
		return "no joint_states for every joint yet"
	}
	now := b.clk.Now()
	if now.IsZero() {
		return "sim time unknown (no /clock message yet)"
	}
	if age := now.Sub(oldest); age > b.base.Trajectory.MaxStateAge {
		return fmt.Sprintf("joint_states are %s old (max_state_age %s)", age.Round(time.Millisecond), b.base.Trajectory.MaxStateAge)
	}
	return ""
}

// DeviceAccepted counts one sample sent for each input in ids: the device
// accepted the sensor frame that carried them. On the device path an
// input's Sent is this, joints, cameras and microphones alike, as on the
// 0.1 path it is the io:chunk sent; a sample taken but refused by the
// encoder, or in a frame the device refused, was not sent. Unknown ids are
// ignored. Safe on any goroutine (the inputs are fixed at New).
func (b *Bridge) DeviceAccepted(ids []string) {
	for _, id := range ids {
		if in := b.inputs[id]; in != nil {
			in.counters.sent.Add(1)
		}
	}
}

// handleDeviceCycle is handleCycle for steps a device decoded.
func (b *Bridge) handleDeviceCycle(d *deviceCycle) CycleReport {
	b.stats.cycles.Add(1)
	report := CycleReport{Cycle: d.cycle, Rows: len(d.steps)}
	if !b.mayMove(d.cycle) {
		return report
	}
	if d.absolute {
		b.targetsToDeltas(d.steps)
	}
	return b.publishSteps(d.cycle, b.deviceSteps(d.steps), report)
}

// deviceSteps puts named deltas in the decoder's channel order, into the
// shaper's reused buffer.
func (b *Bridge) deviceSteps(steps []map[string]float64) []spikes.Step {
	s := b.shaper
	if s.channelIndex == nil {
		s.channelIndex = map[string]int{}
		for i, ch := range s.dec.Channels() {
			s.channelIndex[ch] = i
		}
	}
	out := s.deviceBuf[:0]
	for t, deltas := range steps {
		st := spikes.Step{T: t}
		for ch, v := range deltas {
			if i, ok := s.channelIndex[ch]; ok && v != 0 {
				st.Deltas = append(st.Deltas, spikes.ChannelDelta{Channel: ch, Index: i, Delta: v})
			}
		}
		out = append(out, st)
	}
	s.deviceBuf = out
	return out
}

// learnAfter runs the learning policies after a device cycle, as after a
// cycle:update.
func (b *Bridge) learnAfter(cycle int64) float64 {
	return b.learn(&brain.CycleUpdate{Cycle: cycle})
}

// DeviceSample is what one camera or microphone input has for a device's
// sensor frame. The caller keeps Data's buffer from frame to frame.
type DeviceSample struct {
	ID string
	// Data is, for an Image input, the newest frame as JPEG (as the
	// camera's encoder made it: resized, depth mapped); for an Audio
	// input the little-endian int16 PCM heard since the previous take,
	// Channels interleaved. Empty with Err set when there is nothing to
	// send: no sample yet, older than max_age, from before the link came
	// back, refused by the encoder.
	Data     []byte
	Channels int
	Err      error
}

// DeviceSamples fills each sample (by ID) with its input's newest data, on
// the bridge goroutine, which owns the inputs; it waits for that goroutine
// at most until ctx ends. What is not taken counts as stale, as for a need;
// what is taken counts as sent only once the device accepts it
// (DeviceAccepted).
func (b *Bridge) DeviceSamples(ctx context.Context, samples []DeviceSample) error {
	done := make(chan struct{})
	err := b.hand(ctx, func() {
		defer close(done)
		for i := range samples {
			b.takeDeviceSample(&samples[i])
		}
	})
	if err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		<-done // handed over: it runs now and touches samples
		return ctx.Err()
	}
}

func (b *Bridge) takeDeviceSample(s *DeviceSample) {
	s.Data, s.Err = s.Data[:0], nil
	in := b.inputs[s.ID]
	switch {
	case in == nil:
		s.Err = fmt.Errorf("bridge: no input %q", s.ID)
		return
	case in.image != nil:
		_, s.Data, s.Err = in.image.take(s.Data, in.conf.maxAge, b.hold.since, b.clk.Now())
	case in.audio != nil:
		var dropped uint64
		s.Data, dropped, s.Err = in.audio.take(s.Data, in.conf.maxAge, b.clk.Now())
		s.Channels = in.audio.pcm.Conf().Channels
		if dropped > 0 {
			in.counters.audioDropped.Add(int64(dropped))
		}
	default:
		s.Err = fmt.Errorf("bridge: input %q is neither a camera nor a microphone", s.ID)
		return
	}
	if s.Err != nil {
		b.stats.staleInputs.Add(1)
		in.counters.stale.Add(1)
	}
}
