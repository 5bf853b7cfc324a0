package bridge

import (
	"fmt"
	"math"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// inputState is one configured input and what has been sent for it.
type inputState struct {
	conf    inputConf
	index   int // place in the configuration
	seq     int64
	prev    float64 // last raw tick sent (Proprioception)
	hasPrev bool
	image   *imageInput // Image inputs
	audio   *audioInput // Audio inputs
	// buf holds the chunk data of Image and Audio inputs between needs:
	// SendChunk is done with it when it returns.
	buf      []byte
	counters inputCounters
}

type inputConf struct {
	id, kind, format string
	msgType          string // ROS message type (Image, Audio)
	joint            int    // index into the configured joints (Proprioception)
	lo, hi           float64
	maxAge           time.Duration
	maxBytes         int // largest chunk sent
}

// newInputs resolves each configured input against the joints and the
// contract: an input the brain does not have is a configuration error.
// Camera inputs get their encoders here; on error none is left open.
func newInputs(conf Config, joints []string) (out map[string]*inputState, err error) {
	ports := map[string]contract.Port{}
	for _, p := range conf.Contract.IO.Inputs {
		ports[p.ID] = p
	}
	out = make(map[string]*inputState, len(conf.Inputs))
	defer func() {
		if err != nil {
			closeInputs(out)
		}
	}()
	for i, in := range conf.Inputs {
		port, ok := ports[in.ID]
		if !ok {
			return nil, fmt.Errorf("bridge: input %q is not in the brain's contract", in.ID)
		}
		if port.Kind != "" && port.Kind != in.Kind {
			return nil, fmt.Errorf("bridge: input %q is %s in config but %s in the contract", in.ID, in.Kind, port.Kind)
		}
		st := &inputState{index: i, conf: inputConf{id: in.ID, kind: in.Kind, format: in.Format, joint: -1,
			maxAge: in.MaxAge, maxBytes: in.MaxBytes, msgType: in.MessageType()}}
		if st.conf.maxBytes == 0 {
			st.conf.maxBytes = config.MaxChunkBytes
		}
		out[in.ID] = st
		if err := st.open(in, port, joints); err != nil {
			return nil, err
		}
	}
	warnUnprovided(conf, out)
	return out, nil
}

// open sets up what the input's kind needs.
func (st *inputState) open(in config.Input, port contract.Port, joints []string) (err error) {
	c := &st.conf
	switch in.Kind {
	case contract.KindProprioception:
		for i, n := range joints {
			if n == in.Joint {
				c.joint = i
			}
		}
		if c.joint < 0 {
			return fmt.Errorf("bridge: input %q: joint %q is not configured", in.ID, in.Joint)
		}
		c.lo, c.hi = rangeOf(in.Lo, port.Extra["lo"], -math.Pi), rangeOf(in.Hi, port.Extra["hi"], math.Pi)
		c.format = sensor.FormatRawTick
	case contract.KindFeedback:
		if c.format == "" {
			c.format = sensor.FormatDeviation
		}
	case contract.KindImage:
		c.format = sensor.FormatJPEG
		st.image, err = newImageInput(in)
	case contract.KindAudio:
		c.format = sensor.FormatPCM16
		st.audio, err = newAudioInput(in)
	}
	return err
}

// warnUnprovided names, once at start, the brain's inputs that no
// configured input answers: their needs will be skipped and counted.
func warnUnprovided(conf Config, inputs map[string]*inputState) {
	var missing []string
	for _, p := range conf.Contract.IO.Inputs {
		if _, ok := inputs[p.ID]; !ok {
			missing = append(missing, p.ID+" ("+p.Kind+")")
		}
	}
	if len(missing) > 0 {
		conf.Logger.Warn("brain inputs without a configured input: their needs are skipped", "inputs", missing)
	}
}

func closeInputs(inputs map[string]*inputState) {
	for _, in := range inputs {
		if in.image != nil {
			in.image.close()
		}
	}
}

func rangeOf(configured *float64, fromContract any, def float64) float64 {
	if configured != nil {
		return *configured
	}
	if f, ok := fromContract.(float64); ok {
		return f
	}
	return def
}

// answerNeed sends one chunk per need item that has a provider; items
// without one are reported and skipped (the brain falls back to a default).
// Needs counts a need once all of it is handled.
func (b *Bridge) answerNeed(n *brain.Need) {
	defer b.stats.needs.Add(1)
	b.hold.awaitNeed = false // the brain knows the run: robot:state may go out
	for _, item := range n.Needs {
		in, ok := b.inputs[item.ID]
		if !ok {
			b.stats.missingProvider.Add(1)
			b.warnf("no_provider:"+item.ID, "no input configured for a brain need", "input", item.ID, "kind", item.Kind, "cycle", n.Cycle)
			continue
		}
		chunk, err := b.buildChunk(in, n)
		if err != nil {
			b.stats.staleInputs.Add(1)
			in.counters.stale.Add(1)
			b.warnf("stale:"+item.ID, "input not sent", "input", item.ID, "cycle", n.Cycle, "err", err)
			continue
		}
		if len(chunk.Data) > in.conf.maxBytes {
			in.counters.oversize.Add(1)
			b.warnf("oversize:"+item.ID, "input not sent: over the message cap", "input", item.ID, "bytes", len(chunk.Data), "max_bytes", in.conf.maxBytes)
			continue
		}
		if err := b.brain.SendChunk(chunk); err != nil {
			b.stats.failedChunks.Add(1)
			b.warnf("send_chunk", "io:chunk not sent", "input", item.ID, "err", err)
			continue
		}
		b.stats.chunks.Add(1)
		in.counters.sent.Add(1)
	}
	if n.DeadlineMs > 0 && !n.At.IsZero() {
		// Wall clock: the deadline is the brain's, and the brain (a
		// network peer) and n.At run on wall time whatever the robot's is.
		if late := time.Since(n.At); late > time.Duration(n.DeadlineMs)*time.Millisecond {
			b.stats.lateNeeds.Add(1)
			b.warnf("late_need", "io:need answered after its deadline", "cycle", n.Cycle, "took", late, "deadline_ms", n.DeadlineMs)
		}
	}
}

func (b *Bridge) buildChunk(in *inputState, n *brain.Need) (brain.Chunk, error) {
	c := in.conf
	var chunk brain.Chunk
	var err error
	switch c.kind {
	case contract.KindProprioception:
		chunk, err = b.proprioChunk(in)
	case contract.KindFeedback:
		chunk = b.feedbackChunk(c)
	case contract.KindImage:
		chunk, err = b.imageChunk(in)
	case contract.KindAudio:
		chunk, err = b.audioChunk(in)
	default:
		err = fmt.Errorf("kind %q has no provider", c.kind)
	}
	if err != nil {
		return chunk, err
	}
	in.seq++
	chunk.InputID, chunk.Kind, chunk.Seq = c.id, c.kind, in.seq
	// t is Unix wall time (PROTOCOL.md): the brain reads it on its own
	// clock, which is the wall's, also when the robot runs on sim time.
	chunk.T = float64(time.Now().UnixNano()) / 1e9
	chunk.Meta["cycle"] = n.Cycle
	return chunk, nil
}

// proprioChunk is rawtick_f32x3 (PROTOCOL.md §3): raw tick, previous raw
// tick, velocity per second.
func (b *Bridge) proprioChunk(in *inputState) (brain.Chunk, error) {
	c := in.conf
	sl := b.joints.joint(c.joint)
	if !sl.valid {
		return brain.Chunk{}, fmt.Errorf("%w: no joint_states sample for joint %q yet", errNoSample, b.conf.Joints[c.joint].Name)
	}
	if sl.received.Before(b.hold.since) {
		return brain.Chunk{}, fmt.Errorf("%w: the joint sample is from before the brain link came back", errNoSample)
	}
	if age := b.clk.Now().Sub(sl.received); c.maxAge > 0 && age > c.maxAge {
		return brain.Chunk{}, fmt.Errorf("%w: joint sample is %s old (max_age %s)", errNoSample, age.Round(time.Millisecond), c.maxAge)
	}
	pos, vel := sl.pos, sl.velocity()
	prev := pos
	if in.hasPrev {
		prev = in.prev
	}
	for _, v := range [...]float64{pos, prev, vel} {
		if f := float64(float32(v)); math.IsInf(f, 0) || math.IsNaN(f) {
			return brain.Chunk{}, fmt.Errorf("joint %q: %g does not fit a float32", b.conf.Joints[c.joint].Name, v)
		}
	}
	in.prev, in.hasPrev = pos, true
	return brain.Chunk{
		Format: sensor.FormatRawTick,
		Meta: map[string]any{
			"lo": c.lo, "hi": c.hi,
			"rawTick": pos, "prevRawTick": prev, "velTickPerS": vel,
		},
		// A fresh slice: 12 bytes cost less than a test double that keeps chunks.
		Data: sensor.AppendRawTick(nil, pos, prev, vel),
	}, nil
}

// imageChunk is the newest encoded camera frame.
func (b *Bridge) imageChunk(in *inputState) (brain.Chunk, error) {
	j, data, err := in.image.take(in.buf[:0], in.conf.maxAge, b.hold.since, b.clk.Now())
	if err != nil {
		return brain.Chunk{}, err
	}
	in.buf = data
	return brain.Chunk{Format: sensor.FormatJPEG, Meta: map[string]any{"width": j.Width, "height": j.Height}, Data: data}, nil
}

// audioChunk is the audio gathered since the previous need.
func (b *Bridge) audioChunk(in *inputState) (brain.Chunk, error) {
	data, dropped, err := in.audio.take(in.buf[:0], in.conf.maxAge, b.clk.Now())
	if err != nil {
		return brain.Chunk{}, err
	}
	in.buf = data
	if dropped > 0 {
		in.counters.audioDropped.Add(int64(dropped))
		b.warnf("audio_dropped:"+in.conf.id, "audio dropped: more arrived between two needs than the buffer holds",
			"input", in.conf.id, "frames", dropped, "capacity_frames", in.audio.pcm.Capacity())
	}
	pc := in.audio.pcm.Conf()
	return brain.Chunk{Format: sensor.FormatPCM16, Meta: map[string]any{"sampleRate": pc.SampleRate, "channels": pc.Channels}, Data: data}, nil
}
